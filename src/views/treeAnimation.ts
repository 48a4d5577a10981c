/**
 * The tree's transitions, kept so that none is ever left half-done (issue 12,
 * "Nothing vanishes"): a node fading in, a node or edge fading out, an edge
 * drawing in, a node moving. Each is started here with its end state; when it
 * is interrupted (by another transition of the same name, by settle(), or by
 * d3 cancelling it before it started) the end state is applied all the same:
 * an entering element ends fully opaque, a leaving one is removed, an edge is
 * drawn whole, a moved node is where it was going.
 *
 * Why not d3's own `transition.remove()`: it removes the element only when no
 * other transition is scheduled on it, so a leaving node that got a second
 * transition (a move, a fade-in after its key was matched again) stayed in
 * the page at opacity 0. Here a leaving element also stops being a node (its
 * class changes at once), so no later data join can ever match it.
 *
 * Shaped like xyflow's XYPanZoom (packages/system/src/xypanzoom): a
 * createAnimator() returning its operations and destroy().
 */
import { select } from 'd3-selection';
import 'd3-transition';

export interface Animator {
  /** Fade an element in over ms (ms 0: shown at once). */
  enter(el: SVGElement, ms: number): void;
  /**
   * Take an element out of the drawing: its class becomes `leftClass` at
   * once (no selector for the drawing's nodes or edges matches it), then it
   * fades out over ms and is removed (ms 0: removed now).
   */
  exit(el: SVGElement, ms: number, leftClass: string): void;
  /** Draw a path in along its length after delay ms, over ms. */
  drawIn(path: SVGPathElement, delay: number, ms: number): void;
  /** Set an attribute, at once (ms 0) or through a transition. */
  move(el: SVGElement, attr: string, value: string, ms: number): void;
  /** Every running transition jumps to its end state. */
  settle(): void;
  /** How many are running (for tests and the view's data attribute). */
  running(): number;
  destroy(): void;
}

/** The names of the transitions this module starts: settle() interrupts these. */
const NAMES = ['fade', 'draw', 'move'] as const;

export function createAnimator(): Animator {
  /** Element → how to finish what it is doing (idempotent). */
  const live = new Map<Element, Map<string, () => void>>();

  const track = (el: Element, name: string, finish: () => void): (() => void) => {
    let byName = live.get(el);
    if (!byName) live.set(el, (byName = new Map()));
    // A transition of the same name replaces this one: finish the old first.
    byName.get(name)?.();
    const done = (): void => {
      const m = live.get(el);
      if (m?.get(name) !== done) return;
      m.delete(name);
      if (m.size === 0) live.delete(el);
      finish();
    };
    byName.set(name, done);
    return done;
  };

  /** Finish everything an element is doing now. */
  const settleOne = (el: Element): void => {
    const byName = live.get(el);
    if (!byName) return;
    const s = select(el);
    for (const name of NAMES) s.interrupt(name);
    // interrupt() sent 'interrupt' (started) or 'cancel' (scheduled) to the listeners; anything left is finished here.
    for (const f of [...byName.values()]) f();
  };

  return {
    enter(el, ms) {
      settleOne(el);
      if (ms <= 0) {
        (el as SVGElement).style.removeProperty('opacity');
        return;
      }
      el.style.opacity = '0';
      const done = track(el, 'fade', () => el.style.removeProperty('opacity'));
      select(el).transition('fade').duration(ms).style('opacity', '1').on('end interrupt cancel', done);
    },
    exit(el, ms, leftClass) {
      settleOne(el);
      // At once: gone before anything could see it leave (its class and attributes would only be restyled).
      if (ms <= 0) {
        el.remove();
        return;
      }
      el.setAttribute('class', leftClass);
      el.setAttribute('aria-hidden', 'true');
      el.style.pointerEvents = 'none';
      const done = track(el, 'fade', () => el.remove());
      select(el).transition('fade').duration(ms).style('opacity', '0').on('end interrupt cancel', done);
    },
    drawIn(path, delay, ms) {
      const clear = (): void => {
        path.removeAttribute('stroke-dasharray');
        path.removeAttribute('stroke-dashoffset');
        path.removeAttribute('pathLength');
      };
      if (ms <= 0) return clear();
      // pathLength="1" makes the dash pattern relative (SVG 2, §9.4 pathLength):
      // no getTotalLength(), which would force a layout of the whole drawing per edge.
      path.setAttribute('pathLength', '1');
      path.setAttribute('stroke-dasharray', '1 1');
      path.setAttribute('stroke-dashoffset', '1');
      const done = track(path, 'draw', clear);
      select(path)
        .transition('draw')
        .delay(delay)
        .duration(ms)
        .attr('stroke-dashoffset', '0')
        .on('end interrupt cancel', done);
    },
    move(el, attr, value, ms) {
      if (ms <= 0) {
        if (live.get(el)?.has('move')) select(el).interrupt('move');
        live.get(el)?.get('move')?.();
        if (el.getAttribute(attr) !== value) el.setAttribute(attr, value);
        return;
      }
      const done = track(el, 'move', () => el.setAttribute(attr, value));
      select(el).transition('move').duration(ms).attr(attr, value).on('end interrupt cancel', done);
    },
    settle() {
      for (const el of [...live.keys()]) settleOne(el);
    },
    running: () => live.size,
    destroy() {
      for (const el of [...live.keys()]) settleOne(el);
    },
  };
}
