/**
 * The scales a fit may choose: 1.25 and below it in steps of 2^(-1/6)
 * (six to a halving, each ~11% smaller than the last).
 *
 * Why a ladder: the browser lays SVG text out again for its on-screen size
 * whenever the scale of the drawing changes (every <text> in the view, not
 * only the changed ones), and a forest that grows by a node at each step
 * would change an exact fit's scale at each step: about 5 ms of a gallery
 * step's ~11 ms layout, measured with Chromium's tracing. Snapped down to
 * the ladder, most steps keep the scale and only pan, and the forest still
 * fits (a snapped scale is never larger than the exact one). It also moves
 * the picture less from step to step.
 */
export const FIT_MAX = 1.25;
const RATIO = 2 ** (-1 / 6);

/** The largest scale of the ladder at or below k (k ≤ FIT_MAX; k > 0). */
export function snapScale(k: number): number {
  if (!(k > 0)) return k;
  if (k >= FIT_MAX) return FIT_MAX;
  // n steps below the top: the smallest n with FIT_MAX · RATIO^n ≤ k. The
  // 1e-9 keeps a k that is itself on the ladder (up to rounding) where it is.
  const n = Math.ceil(Math.log(k / FIT_MAX) / Math.log(RATIO) - 1e-9);
  return FIT_MAX * RATIO ** n;
}

/** The smallest scale of the ladder at or above k (k ≤ FIT_MAX; k > 0): a floor that stays on the ladder. */
export function snapUp(k: number): number {
  const s = snapScale(k);
  return s >= k - 1e-9 ? s : Math.min(FIT_MAX, s / RATIO);
}
