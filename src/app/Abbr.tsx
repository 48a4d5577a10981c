import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

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
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      // Unfolded (hovered or focused) it fits by design: measure the folded line only.
      if (el.matches(':hover, :focus')) return;
      setClipped(el.scrollWidth > el.clientWidth + 1);
    };
    measure();
    if (typeof ResizeObserver !== 'function') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
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
