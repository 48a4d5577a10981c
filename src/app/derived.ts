/**
 * Hooks for what follows from the store: the step's report and the machine
 * at the cursor, replayed in a worker (src/store/simClient.ts) and cached.
 * While a step computes, the last view stays on screen, marked pending.
 */
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { Step } from '../scenario/ast';
import type { ReportStep } from '../scenario/report';
import { eventShown, nextEventPosition, prevEventPosition, stepAt } from '../store/derive';
import type { SnapshotResult } from '../store/sim';
import { SimClient, type SimView } from '../store/simClient';
import { stepCount, type ExplorerState, type Loaded } from '../store/store';
import type { StoreApi } from 'zustand/vanilla';
import { useExplorer, useExplorerStore } from './context';
import { prepareTreeModel } from '../views/treeModel';

export const simClient = new SimClient();
if (typeof window !== 'undefined') {
  // The worker fetches and compiles the core while React renders the page the first time.
  simClient.warm();
  // For the benchmark (bench/browser.ts): how many steps found their view ready.
  (window as unknown as { __ptxSimStats?: unknown }).__ptxSimStats = simClient.stats;
}

const ids = new WeakMap<Loaded, number>();
let nextId = 1;
/** A number for each loaded scenario (the text itself may be 1 MiB). */
export function loadedId(l: Loaded | null): number {
  if (!l) return 0;
  let id = ids.get(l);
  if (id === undefined) ids.set(l, (id = nextId++));
  return id;
}

export interface Sim {
  /** The view on screen: of the cursor's step, or (pending) the last one computed. */
  view: SimView | null;
  pending: boolean;
}

function ask(s: ExplorerState): void {
  const l = s.loaded;
  if (!l) return;
  const want = {
    scenarioId: loadedId(l),
    text: l.text,
    scenario: l.scenario,
    n: s.cursor,
    expand: s.expanded,
    last: l.scenario.steps.length,
  };
  simClient.request(s.event === null ? want : { ...want, event: s.event });
}

/**
 * Ask the worker for the view the moment the store changes: the store's
 * listener runs inside the action (the click's handler), before React
 * renders, where a useEffect would run only after the frame is painted and
 * lose that frame. Mount once per app (App.tsx).
 */
export function useSimDriver(): void {
  const store = useExplorerStore();
  useEffect(() => {
    ask(store.getState());
    const unsubscribe = store.subscribe((s, prev) => {
      if (
        s.loaded !== prev.loaded ||
        s.cursor !== prev.cursor ||
        s.event !== prev.event ||
        s.expanded !== prev.expanded
      )
        ask(s);
    });
    // A step computed ahead is laid out while the user reads the current one.
    const unAhead = simClient.onAhead((v) => {
      const s = store.getState();
      if (!s.loaded || loadedId(s.loaded) !== v.scenarioId || !v.result.ok) return;
      prepareTreeModel(v.result.snapshot, stepAt(s.loaded.scenario, v.n), v.report, s.selection, s.openTables);
    });
    return () => {
      unsubscribe();
      unAhead();
    };
  }, [store]);
}

export function useSim(): Sim {
  const loaded = useExplorer((s) => s.loaded);
  const cursor = useExplorer((s) => s.cursor);
  const expanded = useExplorer((s) => s.expanded);
  const event = useExplorer((s) => s.event);
  const version = useSyncExternalStore(simClient.subscribe, simClient.getVersion);
  const key = loadedId(loaded);
  return useMemo(() => {
    void version;
    if (!loaded) return { view: null, pending: false };
    const exact = simClient.get(key, cursor, expanded, event ?? undefined);
    if (exact) return { view: exact, pending: false };
    // Stopped for taking too long (WorkerStalled says so): nothing is computing.
    const stall = simClient.stalled();
    const stalled = stall !== null && stall.scenarioId === key && stall.n === cursor;
    return { view: simClient.latest(key) ?? null, pending: !stalled };
  }, [version, loaded, key, cursor, expanded, event]);
}

export interface StepInfo {
  cursor: number;
  total: number;
  step: Step | undefined;
  /** The report of the cursor's step, once computed. */
  report: ReportStep | undefined;
  pending: boolean;
  /** Events done shown inside the step (issue 14): null = the whole step (eventShown()). */
  event: number | null;
}

export function useStepInfo(): StepInfo {
  const loaded = useExplorer((s) => s.loaded);
  const cursor = useExplorer((s) => s.cursor);
  const asked = useExplorer((s) => s.event);
  const { view, pending } = useSim();
  return useMemo(() => {
    const total = stepCount({ loaded });
    const step = loaded ? stepAt(loaded.scenario, cursor) : undefined;
    const report = view && !pending && view.n === cursor ? view.report : undefined;
    const event = report ? eventShown(asked, report.events.length) : null;
    return { cursor, total, step, report, pending, event };
  }, [loaded, cursor, view, pending, asked]);
}

/** The number of events of the cursor's step, from any view of it computed (0 while none is). */
export function eventsAtCursor(s: ExplorerState): number {
  const key = loadedId(s.loaded);
  const v =
    simClient.get(key, s.cursor, s.expanded) ??
    simClient.get(key, s.cursor, s.expanded, s.event ?? undefined) ??
    simClient.latest(key);
  return v && v.n === s.cursor ? (v.report?.events.length ?? 0) : 0;
}

/** Shift+→ / Shift+← and the "Next event" / "Previous event" buttons (positions: store/derive.ts). */
export function moveByEvent(store: StoreApi<ExplorerState>, dir: 1 | -1): void {
  const s = store.getState();
  const of = eventsAtCursor(s);
  const p = dir > 0 ? nextEventPosition(s, of, stepCount(s)) : prevEventPosition(s, of);
  if (dir > 0 && s.holdEvent(p, of)) return; // Predict mode asks what runs next first (store/predict.ts)
  s.goToEvent(p.cursor, p.event);
}

/** The machine on screen (possibly of the previous step while the cursor's computes). */
export function useSnapshot(): SnapshotResult | null {
  return useSim().view?.result ?? null;
}
