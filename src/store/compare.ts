/**
 * The scenario without sharing (src/scenario/compare.ts, TwinAccounting),
 * computed in a Web Worker up to the step on screen and no further (issue
 * 13: opening the Accounting tab at step 0 used to run the whole twin, and a
 * few hostile lines of hugetlb with `kernel mshare-v1` then ate memory until
 * the tab died). The worker keeps its twin between requests, so moving the
 * cursor forward runs only the new statements and moving it back runs none.
 *
 * Each request has a time budget: past it the worker is terminated (a
 * statement cannot be interrupted any other way) and the panel says so, with
 * "Keep trying" (a longer budget) beside it. Only the latest text keeps a
 * worker; asking for another text stops the previous one.
 */
import { lruGet, lruSet } from './lru';
import type { Scenario } from '../scenario/ast';
import type { TwinAccounting, TwinAt } from '../scenario/twin';
import type { CompareReply, CompareRequest } from './protocol';

/** The twin itself, loaded only where workers cannot start (it is the compare worker's chunk otherwise). */
const loadTwin = () => import('../scenario/twin');

/** How long one request may run before the worker is stopped (issue 13's budget for the app's workers). */
export const COMPARE_BUDGET_MS = 15_000;
/** "Keep trying" gives this many times the budget. */
const KEEP_TRYING_FACTOR = 4;

export type CompareState =
  /** The scenario is mainline: nothing to compare. */
  | { status: 'none' }
  /** The twin is running up to `step`. */
  | { status: 'running'; step: number }
  | { status: 'done'; at: TwinAt }
  /** Stopped by the user or by the time budget; `step`: the step it was running to. */
  | { status: 'stopped'; step: number; byBudget: boolean; budgetMs: number }
  | { status: 'failed'; message: string };

interface Job {
  text: string;
  scenario: Scenario;
  worker: Worker | null;
  /** Main-thread fallback when workers cannot start ('loading': its module is on the way). */
  local: TwinAccounting | 'loading' | null;
  /** Figures per step already received (a few, for stepping back and forth). */
  results: Map<number, TwinAt>;
  /** The step the view wants; the step the worker is running to (null: idle). */
  wanted: number;
  inFlight: number | null;
  timer: ReturnType<typeof setTimeout> | null;
  budgetMs: number;
  stopped: { step: number; byBudget: boolean } | null;
  failed: string | null;
  nextId: number;
}

let job: Job | null = null;
const listeners = new Set<() => void>();
/** The state last handed out, kept identical while nothing changes (useSyncExternalStore compares by identity). */
let cached: { text: string; step: number; state: CompareState } | null = null;

function notify(): void {
  cached = null;
  for (const l of listeners) l();
}

/** Be told when the comparison's state changes. */
export function subscribeComparison(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function stopWorker(j: Job): void {
  if (j.timer) clearTimeout(j.timer);
  j.timer = null;
  j.worker?.terminate();
  j.worker = null;
  j.inFlight = null;
}

function startWorker(j: Job): void {
  let w: Worker;
  try {
    w = new Worker(new URL('./compare.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    // No workers here: the main thread runs the twin, up to the cursor too.
    if (j.local !== null) return;
    j.local = 'loading';
    void loadTwin().then(({ TwinAccounting }) => {
      if (job !== j || j.local !== 'loading') return;
      j.local = new TwinAccounting(j.scenario);
      pump(j);
      notify();
    });
    return;
  }
  j.worker = w;
  w.onmessage = (ev: MessageEvent<CompareReply>) => {
    if (job !== j) return;
    const r = ev.data;
    if (j.timer) clearTimeout(j.timer);
    j.timer = null;
    j.inFlight = null;
    if (r.ok) lruSet(j.results, r.n, r.at, 32);
    else j.failed = r.message;
    pump(j);
    notify();
  };
  w.onerror = (ev) => {
    ev.preventDefault();
    if (job !== j) return;
    stopWorker(j);
    j.failed = ev.message || 'the comparison failed';
    notify();
  };
  const first: CompareRequest = { kind: 'load', text: j.text };
  w.postMessage(first);
}

/** Send the wanted step to the worker when it is idle and the answer is not known yet. */
function pump(j: Job): void {
  if (j.failed || j.stopped || j.inFlight !== null || j.results.has(j.wanted)) return;
  if (!j.worker && !j.local) startWorker(j);
  if (j.local === 'loading') return;
  if (j.local) {
    // Main thread: bounded by the same budget, checked between statements.
    const end = Date.now() + j.budgetMs;
    if (j.local.runTo(j.wanted, () => Date.now() > end)) lruSet(j.results, j.wanted, j.local.at(j.wanted), 32);
    else j.stopped = { step: j.wanted, byBudget: true };
    return;
  }
  const w = j.worker as Worker;
  const n = j.wanted;
  j.inFlight = n;
  const req: CompareRequest = { kind: 'to', id: j.nextId++, n };
  w.postMessage(req);
  j.timer = setTimeout(() => {
    if (job !== j) return;
    stopWorker(j);
    j.stopped = { step: n, byBudget: true };
    notify();
  }, j.budgetMs);
}

/**
 * Ask for the comparison at `step` of `text`. Runs the twin up to that step
 * (in the background) when it has not got there yet.
 */
export function wantComparison(text: string, scenario: Scenario, step: number): void {
  if (scenario.kernel === 'mainline') {
    if (job) stopWorker(job);
    job = null;
    notify();
    return;
  }
  if (!job || job.text !== text) {
    if (job) stopWorker(job);
    job = {
      text,
      scenario,
      worker: null,
      local: null,
      results: new Map(),
      wanted: step,
      inFlight: null,
      timer: null,
      budgetMs: COMPARE_BUDGET_MS,
      stopped: null,
      failed: null,
      nextId: 1,
    };
  }
  // While stopped, steps already received still show; others wait for "Keep trying".
  job.wanted = step;
  pump(job);
  notify();
}

/** The comparison for `text` at `step`, as the panel shows it. */
export function comparisonState(text: string, scenario: Scenario, step: number): CompareState {
  if (cached && cached.text === text && cached.step === step) return cached.state;
  const state = computeState(text, scenario, step);
  cached = { text, step, state };
  return state;
}

function computeState(text: string, scenario: Scenario, step: number): CompareState {
  if (scenario.kernel === 'mainline') return { status: 'none' };
  const j = job;
  if (!j || j.text !== text) return { status: 'running', step };
  const hit = lruGet(j.results, step);
  if (hit) return { status: 'done', at: hit };
  if (j.failed) return { status: 'failed', message: j.failed };
  if (j.stopped) return { status: 'stopped', step: j.stopped.step, byBudget: j.stopped.byBudget, budgetMs: j.budgetMs };
  return { status: 'running', step };
}

/** Stop the running comparison (the user asked to). */
export function cancelComparison(): void {
  const j = job;
  if (!j) return;
  stopWorker(j);
  j.stopped = { step: j.wanted, byBudget: false };
  notify();
}

/** Start again after a stop, with a longer budget (the twin restarts from step 0 in a new worker). */
export function keepTrying(): void {
  const j = job;
  if (!j) return;
  stopWorker(j);
  if (j.stopped?.byBudget) j.budgetMs *= KEEP_TRYING_FACTOR;
  j.stopped = null;
  j.failed = null;
  j.local = null;
  pump(j);
  notify();
}
