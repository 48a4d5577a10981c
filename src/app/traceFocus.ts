/**
 * The trace event the user hovers or has selected (trace ↔ tree, issue 12):
 * TracePanel writes it, TreePanel reads it to highlight what the event
 * touched. A small external store (React's useSyncExternalStore), kept out
 * of the explorer's store: it is a pointer's state, never saved or linked.
 */
import { useSyncExternalStore } from 'react';

export interface TraceFocus {
  /** The report step it belongs to (another step: no highlight). */
  step: object | null;
  hovered: number | null;
  selected: number | null;
}

let state: TraceFocus = { step: null, hovered: null, selected: null };
const listeners = new Set<() => void>();

export function setTraceFocus(next: Partial<TraceFocus>): void {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

export function useTraceFocus(): TraceFocus {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

/** The event index to highlight for a report step: the hovered one, else the selected one. */
export function focusedEvent(f: TraceFocus, step: object | undefined): number | null {
  if (!step || f.step !== step) return null;
  return f.hovered ?? f.selected;
}
