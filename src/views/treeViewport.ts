/**
 * The tree's viewport: pan and zoom (d3-zoom), the fit, the resize, and the
 * follow. Shaped like xyflow's XYPanZoom (packages/system/src/xypanzoom):
 * createViewport() returns { update, fit, zoomBy, viewRect, destroy }.
 *
 * The fit never shrinks the drawing below the scale at which its smallest
 * text (TREE_MIN_FONT) renders at `minTextPx` CSS pixels (issue 12: 9 px in
 * the normal layout, 12 px in Present mode). Where the forest does not fit at
 * that scale, the view pans to keep the step's focus (its walk, its copied
 * entry, what it changed) in sight instead, at every step, until the user
 * pans or zooms by hand.
 */
import type { Selection as D3Selection } from 'd3-selection';
import 'd3-transition';
import { zoom, zoomIdentity, zoomTransform, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { Rect } from './cull';
import { FIT_MAX, snapScale, snapUp } from './fitScale';
import type { Layout } from './treeLayout';
import { TREE_MIN_FONT } from './treeStyle';

export interface ViewportModel {
  layout: Layout;
  /** Extra room the drawing needs left of x = 0 (the copy's lane), in layout units. */
  leftGutter: number;
  /** What the step is about, in layout coordinates: kept in view when the forest does not fit. */
  focus: Rect | null;
  /**
   * Which end of a focus taller than the view stays in it: a copy's ('end') is the guest's
   * slot, where the copied entry keeps its changed mark after the token has travelled.
   */
  focusAnchor?: 'start' | 'end';
  /** Smallest on-screen size of the tree's text, in CSS px. */
  minTextPx: number;
}

export interface Viewport {
  /**
   * A new model: fit again when asked (a new scenario), or follow the focus (a new step) unless the user moved the
   * view.
   */
  update(m: ViewportModel, opts: { refit: boolean; animate: boolean }): void;
  /** Fit (and follow) again, forgetting the user's pan and zoom. */
  fit(animate: boolean): void;
  zoomBy(factor: number, ms: number): void;
  /** The view in layout coordinates (where a running fit is going), with a quarter of a view around it. */
  viewRect(): Rect;
  /** The same for model m, were it shown next: where the fit would follow its focus to, unless the user moved. */
  viewRectFor(m: ViewportModel): Rect;
  /**
   * An empty view (nothing drawn, not moved by the user) takes model m's fit now: nothing on screen moves, and the
   * next step's nodes drawn ahead are laid out at the scale they will be shown at. Else nothing.
   */
  lead(m: ViewportModel): void;
  /** The scale the view is at (or going to). */
  scale(): number;
  /** The scale model m would be shown at, were it shown next (the fit's, unless the user moved the view). */
  scaleFor(m: ViewportModel): number;
  destroy(): void;
}

/** Pure: the transform that shows model m in a w × h box. Exported for tests. */
export function fitTransform(m: ViewportModel | null, w: number, h: number): ZoomTransform {
  const layout = m?.layout;
  if (!m || !layout || layout.nodes.length === 0) return zoomIdentity.translate(24, 40);
  const left = -m.leftGutter;
  const bw = layout.width - left + 48;
  const bh = layout.height + 80;
  const minK = Math.min(FIT_MAX, snapUp(m.minTextPx / TREE_MIN_FONT));
  const all = snapScale(Math.min(w / bw, h / bh, FIT_MAX));
  if (all >= minK) {
    // The whole forest, readable: centred across, from the top.
    const x = Math.max(12, (w - (layout.width - left) * all) / 2) - left * all;
    return zoomIdentity.translate(x, 58 * all).scale(all);
  }
  // Not all of it: the width if that is readable, else the readable floor, and pan to the focus.
  const k = Math.max(minK, snapScale(Math.min(w / bw, FIT_MAX)));
  const f = m.focus ?? {
    x0: left,
    y0: 0,
    x1: Math.min(layout.width, left + w / k),
    y1: Math.min(layout.height, h / k),
  };
  const axis = (
    lo: number,
    hi: number,
    f0: number,
    f1: number,
    size: number,
    pad: number,
    anchor: 'start' | 'end' = 'start',
  ): number => {
    // Translation t puts layout coordinate c at c·k + t on screen.
    if ((hi - lo) * k + 2 * pad <= size) return (size - (hi - lo) * k) / 2 - lo * k;
    const span = (f1 - f0) * k;
    // The focus centred when it fits, else its anchored end at the edge; never past the drawing's ends.
    let t =
      span + 2 * pad <= size ? size / 2 - ((f0 + f1) / 2) * k : anchor === 'end' ? size - pad - f1 * k : pad - f0 * k;
    t = Math.min(t, pad - lo * k);
    t = Math.max(t, size - pad - hi * k);
    return t;
  };
  const x = axis(left, layout.width, f.x0, f.x1, w, 12);
  // Above the drawing: the column labels (y = -34) and a root's role label.
  // A focus near the top takes the column labels in with it.
  const y = axis(-50, layout.height, f.y0 - 30 <= 0 ? -50 : f.y0 - 30, f.y1, h, 8, m.focusAnchor);
  return zoomIdentity.translate(x, y).scale(k);
}

export function createViewport(
  svgEl: SVGSVGElement,
  svg: D3Selection<SVGSVGElement, unknown, null, undefined>,
  viewport: D3Selection<SVGGElement, unknown, null, undefined>,
  on: { moved(): void },
): Viewport {
  let model: ViewportModel | null = null;
  /** Until the user pans or zooms, the view fits and follows. */
  let userMoved = false;
  // Its size is kept from the observer: reading it after the nodes changed
  // (clientWidth, or d3-zoom's default extent, which reads the <svg>'s
  // width.baseVal) would force a layout of the whole drawing on every step.
  let size: { w: number; h: number } | null = null;
  const svgSize = (): { w: number; h: number } => {
    size ??= { w: svgEl.clientWidth, h: svgEl.clientHeight };
    return { w: size.w || 800, h: size.h || 500 };
  };

  const zoomer: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([0.03, 4])
    .extent(() => {
      const { w, h } = svgSize();
      return [
        [0, 0],
        [w, h],
      ];
    })
    .on('zoom', (ev: { transform: ZoomTransform; sourceEvent: unknown }) => {
      if (ev.sourceEvent) userMoved = true;
      viewport.attr('transform', ev.transform.toString());
      on.moved();
    });
  svg.call(zoomer).on('dblclick.zoom', null);

  /** A fitting transition is running (its end is not where the view is yet). */
  let fitting = false;
  let target: ZoomTransform | null = null;
  const fit = (animate: boolean): void => {
    userMoved = false;
    const { w, h } = svgSize();
    const t = fitTransform(model, w, h);
    target = t;
    const now = zoomTransform(svgEl);
    // Already there and not on the way elsewhere: nothing to do.
    if (now.k === t.k && now.x === t.x && now.y === t.y && !fitting) return;
    svg.interrupt('fit');
    if (animate) {
      fitting = true;
      svg
        .transition('fit')
        .duration(450)
        .call(zoomer.transform, t)
        .on('end interrupt cancel', () => {
          fitting = false;
        });
    } else svg.call(zoomer.transform, t);
  };

  // The view keeps the forest fitted when its box changes (a panel hidden, the window resized).
  const resize =
    typeof ResizeObserver === 'function'
      ? new ResizeObserver((entries) => {
          const r = entries[entries.length - 1]?.contentRect;
          if (!r) return;
          const changed = !size || size.w !== r.width || size.h !== r.height;
          size = { w: r.width, h: r.height };
          if (changed && model && !userMoved) fit(false);
        })
      : null;
  resize?.observe(svgEl);

  /** What transform t shows, in layout coordinates, with a quarter of a view around it. */
  const rectOf = (t: ZoomTransform): Rect => {
    const { w: sw, h: sh } = svgSize();
    const w = sw / t.k;
    const h = sh / t.k;
    const x = -t.x / t.k;
    const y = -t.y / t.k;
    return { x0: x - w / 4, y0: y - h / 4, x1: x + w * 1.25, y1: y + h * 1.25 };
  };

  return {
    update(m, opts) {
      model = m;
      if (opts.refit) fit(false);
      else if (!userMoved) fit(opts.animate);
    },
    fit,
    zoomBy(factor, ms) {
      svg.transition('zoom').duration(ms).call(zoomer.scaleBy, factor);
    },
    viewRect: () => rectOf(fitting && target ? target : zoomTransform(svgEl)),
    viewRectFor(m) {
      if (userMoved) return rectOf(zoomTransform(svgEl));
      const { w, h } = svgSize();
      return rectOf(fitTransform(m, w, h));
    },
    lead(m) {
      // SVG text is laid out for its on-screen size (fitScale.ts): drawn ahead at the empty step's scale 1, the SGA's
      // first nodes were laid out again at the step's 0.88, 70 objects, ~4 ms (docs/PERFORMANCE.md, session 12).
      if (userMoved || fitting || (model && model.layout.nodes.length > 0)) return;
      const { w, h } = svgSize();
      const t = fitTransform(m, w, h);
      const now = zoomTransform(svgEl);
      if (now.k !== t.k || now.x !== t.x || now.y !== t.y) svg.call(zoomer.transform, t);
    },
    scale: () => (fitting && target ? target : zoomTransform(svgEl)).k,
    scaleFor(m) {
      if (userMoved) return zoomTransform(svgEl).k;
      const { w, h } = svgSize();
      return fitTransform(m, w, h).k;
    },
    destroy() {
      resize?.disconnect();
      svg.interrupt('fit');
      svg.on('.zoom', null);
    },
  };
}
