/**
 * Run fn once the next frame has been painted: in a task after that frame's
 * requestAnimationFrame callbacks, style, layout and paint (HTML, "update
 * the rendering"). For work a step's first frame can do without. Returns a
 * cancel.
 */
export function afterPaint(fn: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(() => {
      if (!cancelled) fn();
    }, 0);
  });
  return () => {
    cancelled = true;
    cancelAnimationFrame(frame);
    if (timer !== undefined) clearTimeout(timer);
  };
}
