import { useEffect, useRef, useState, type ReactNode } from 'react';
import { measureAfterPaint } from './afterPaint';

/**
 * One line that may be too long for its place (a scenario title, a statement
 * with its outcome): cut with an ellipsis, and then the full text on hover (a
 * tooltip) and on focus (it can be tabbed to, and unfolds over what follows).
 * Issue 12: "No clipped labels: abbreviate with the full text on hover and focus".
 */
export function Abbr({
  text,
  className,
  children,
  testId,
}: {
  text: string;
  className?: string;
  children?: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLSpanElement>(null);
  const [clipped, setClipped] = useState(false);
  // The ellipsis is CSS, drawn in the step's first frame; only the tooltip and the tab stop wait for the paint.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    return measureAfterPaint(el, () => {
      // Unfolded (hovered or focused) it fits by design: measure the folded line only.
      if (el.matches(':hover, :focus')) return;
      setClipped(el.scrollWidth > el.clientWidth + 1);
    });
  }, [text]);
  return (
    <span
      ref={ref}
      className={`abbr${className ? ` ${className}` : ''}`}
      data-clipped={clipped ? 'true' : undefined}
      title={clipped ? text : undefined}
      tabIndex={clipped ? 0 : undefined}
      data-testid={testId}
    >
      {children ?? text}
    </span>
  );
}
