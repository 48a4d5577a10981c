import { useEffect, useState } from 'react';

/**
 * Run fn once the next frame has been painted, when the main thread is next idle: after that frame's
 * requestAnimationFrame callbacks, style, layout and paint (HTML, "update the rendering"), then in an idle period
 * (requestIdleCallback, at most IDLE_TIMEOUT_MS later) so that it does not delay the input or frame that follows.
 * For work a step's first frame can do without. Returns a cancel.
 */
export function afterPaint(fn: () => void): () => void {
  let cancelIdle: (() => void) | undefined;
  let cancelled = false;
  const run = () => {
    if (!cancelled) fn();
  };
  const frame = requestAnimationFrame(() => {
    if (typeof requestIdleCallback === 'function') {
      const id = requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
      cancelIdle = () => cancelIdleCallback(id);
    } else {
      const id = setTimeout(run, 0);
      cancelIdle = () => clearTimeout(id);
    }
  });
  return () => {
    cancelled = true;
    cancelAnimationFrame(frame);
    cancelIdle?.();
  };
}

/** The longest afterPaint waits for an idle period once its frame is painted (held arrow keys leave none). */
const IDLE_TIMEOUT_MS = 120;

/**
 * Measure el after the frame that shows it has been painted, again whenever its box is resized, and not while
 * rendering a step: a synchronous read (scrollWidth, getBoundingClientRect) in a layout effect forces the whole
 * page's layout inside the click's task, before the frame does it anyway (issue 18's step budget, profiled in
 * docs/PERFORMANCE.md). After the paint, layout is clean and the read costs next to nothing.
 */
export function measureAfterPaint(el: Element, measure: () => void): () => void {
  let measured = false;
  const cancel = afterPaint(() => {
    measured = true;
    measure();
  });
  if (typeof ResizeObserver !== 'function') return cancel;
  // A resize is reported after layout, in the frame's own rendering steps: no forced layout either. Reports before
  // the first measurement (the one every observer makes when observing starts) are left to it: measured inside the
  // step's frame, the caption's lifted clamp would cost that frame two more layouts.
  const ro = new ResizeObserver(() => {
    if (measured) measure();
  });
  ro.observe(el);
  return () => {
    cancel();
    ro.disconnect();
  };
}

/**
 * value, as it was when the last frame was painted: a new value shows after the frame it arrived in (afterPaint).
 * For a part of the page that may follow the step a frame late; the first render shows value at once.
 */
export function useAfterPaint<T>(value: T): T {
  const [shown, setShown] = useState(() => ({ value }));
  useEffect(() => {
    if (Object.is(shown.value, value)) return;
    return afterPaint(() => setShown({ value }));
  }, [value, shown]);
  return shown.value;
}

/**
 * How much of a long list to draw (a step's trail, its changes): `first` items in the frame the list arrives in,
 * `cap` once that frame is painted (`rest`), every item after showAll() (`all`). A new list (by identity) starts
 * capped again.
 */
export function useCappedList(
  list: object | undefined,
  length: number,
  first: number,
  cap: number,
): { drawn: number; rest: boolean; all: boolean; showAll(): void } {
  const [restFor, setRestFor] = useState<object | null>(null);
  const [allFor, setAllFor] = useState<object | null>(null);
  useEffect(() => {
    if (!list || restFor === list || length <= first) return;
    return afterPaint(() => setRestFor(list));
  }, [list, length, first, restFor]);
  const all = list !== undefined && allFor === list;
  const rest = list !== undefined && restFor === list;
  return { drawn: all ? length : rest ? cap : first, rest, all, showAll: () => setAllFor(list ?? null) };
}

/**
 * The parts of a capped list (useCappedList) as ranges [from, to): the first `first` items, then up to `cap`, then
 * the rest, each to be drawn in a keyed fragment of its own. React places a new fragment with all its children as one
 * insertion; new sibling items, one by one, each search every later new sibling for where to go (its commit's
 * getHostSibling()): 17,500 steps, ~5 ms, when a step's change list grew from 12 lines to 200 (the SGA's, traced).
 */
export function listParts(drawn: number, first: number, cap: number): { key: string; from: number; to: number }[] {
  const parts = [
    { key: 'first', from: 0, to: Math.min(drawn, first) },
    { key: 'rest', from: first, to: Math.min(drawn, cap) },
    { key: 'all', from: cap, to: drawn },
  ];
  return parts.filter((p) => p.to > p.from);
}
