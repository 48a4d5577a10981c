/**
 * The main thread's side of the replay: asks the worker (./sim.worker.ts)
 * for the machine at a step, keeps what came back (plain data, an LRU), and
 * tells subscribers. One request runs at a time; a newer one waits, or, when
 * the running one is for another scenario or has taken long, the worker is
 * dropped and a fresh one started (so a step that runs for minutes never
 * holds the page hostage). Where there is no Worker, it computes in place.
 *
 * Nothing a scenario holds can take the tab down (issue 13): a step that
 * keeps the worker busy longer than the time budget (WORKER_BUDGET_MS) has
 * the worker stopped and the client `stalled()`, which the page says in words
 * with a "Keep trying" button (keepTrying(): again, with twice the time); a
 * huge step (stepWeight()) is never computed ahead of the user, nor anything
 * past a heavy one; and the views kept here are bounded by their size, not only their
 * number (a view of 100,000 tasks is ~30 MB).
 */
import { lruSet } from './lru';
import type { ReportStep } from '../scenario/report';
import type { Scenario } from '../scenario/ast';
import type { SnapshotResult } from './sim';
import type { SimReply, SimRequest, ViewAt } from './protocol';
import { ForestReceiver } from './forestWire';
import { MAP_POPULATE } from '../core/uapi';

/** The simulation itself, loaded only where there is no Worker (it is the workers' chunk otherwise). */
const loadSim = () => import('./sim');

export interface SimView {
  /** The page's number for the scenario's text (src/app/derived.ts, loadedId). */
  scenarioId: number;
  /** The step this view is of. */
  n: number;
  expand: string;
  /** Events done inside step n (issue 14); absent: the whole step. */
  event?: number;
  result: SnapshotResult;
  report: ReportStep | undefined;
}

/** A view asked for: which scenario, and where in it (ViewAt: the same fields the worker is sent). */
export interface Want extends ViewAt {
  scenarioId: number;
  text: string;
  scenario: Scenario;
  /** The scenario's last step: when set, the views of the next steps (AHEAD_STEPS) are computed ahead once idle. */
  last?: number;
}

const CACHE = 96;
/** A request running longer than this is abandoned when the user asks for something else. */
const PATIENCE_MS = 600;
/**
 * The next step is computed ahead only where a step takes the worker less than this (the figures: docs/PERFORMANCE.md,
 * "Computing ahead").
 */
const PREFETCH_BELOW_MS = 400;
/** How many steps past the one asked for are computed ahead: two, so that a fast clicker finds the next one ready. */
const AHEAD_STEPS = 2;

/** How long one step may keep the worker busy before it is stopped (the user may double it). */
export const WORKER_BUDGET_MS = 15_000;
/**
 * The most tasks and trees the kept views may hold in all (a view weighs one
 * per task in its report and one per tree in its forest, ~150 bytes each):
 * some 60 views of the 1,500-task SGA, two of a 100,000-task scenario.
 */
const CACHE_WEIGHT = 200_000;

const viewKey = (scenarioId: number, n: number, expand: string, event?: number) =>
  `${scenarioId}|${n}|${expand}${event === undefined ? '' : `|e${event}`}`;

/** What a view costs to keep, roughly: its tasks and trees. */
function weight(v: SimView): number {
  return 1 + (v.result.ok ? v.result.snapshot.report.tasks.length + v.result.snapshot.forest.roots.length : 0);
}

/**
 * How expensive step n (1-based) of s looks before it runs: `huge`, a step
 * over more than 4,096 tasks (a 100,000-task scenario's), is never computed
 * ahead of the user, nor anything past it; `heavy`, a touch (or populating
 * mmap) over more than 64 GiB in all of its tasks (the 1,500-task SGA's
 * touch: ~0.5 s in the worker), is computed ahead while the user reads the
 * steps before it, but nothing past it; what a lecturer steps through (a few
 * tasks, a few GiB) is `light`.
 */
export function stepWeight(s: Scenario, n: number): 'light' | 'heavy' | 'huge' {
  const st = s.steps[n - 1];
  if (!st) return 'light';
  const op = st.op;
  const tasks = op.op === 'spawn' ? op.names.length : op.op === 'fork' ? op.children.length : st.tasks.length;
  if (tasks > 4096) return 'huge';
  const bytes = op.op === 'touch' ? op.len : op.op === 'mmap' && op.flags & MAP_POPULATE ? op.len : 0n;
  return bytes * BigInt(Math.max(1, st.tasks.length)) > 64n << 30n ? 'heavy' : 'light';
}

/** Whether step n looks expensive (stepWeight() not `light`). */
export function heavyStep(s: Scenario, n: number): boolean {
  return stepWeight(s, n) !== 'light';
}

/** The step the worker was stopped at, having taken longer than `ms`. */
export interface Stall {
  scenarioId: number;
  n: number;
  ms: number;
}

/** Start a timer; returns what cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

const defaultTimer: SetTimer = (fn, ms) => {
  const id = setTimeout(fn, ms);
  return () => clearTimeout(id);
};

/**
 * Run fn just after the next frame: a task queued from that frame's
 * requestAnimationFrame callback runs once the frame's style, layout and
 * paint are done (they run in the same task as the callbacks: HTML, "update
 * the rendering"). So neither the request (~1 ms: a message, a timer) nor
 * its answer lands in the step's frame. Without frames (Node, the tests), at
 * once.
 */
export function atNextFrame(fn: () => void): void {
  if (typeof requestAnimationFrame !== 'function') return fn();
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      fn();
    };
    ch.port2.postMessage(null);
  });
}

export class SimClient {
  private readonly cache = new Map<string, SimView>();
  private readonly latestById = new Map<number, SimView>();
  private readonly listeners = new Set<() => void>();
  private readonly aheadListeners = new Set<(v: SimView) => void>();
  private version = 0;
  private worker: Worker | null = null;
  private workerScenarios = new Set<number>();
  private inFlight: (Want & { id: number; started: number; ahead: boolean }) | null = null;
  private queued: Want | null = null;
  /** The last step asked for: the steps ahead are counted from it. */
  private current: Want | null = null;
  /**
   * How long the last asked-for (not ahead) view took: the round trip, or the worker's time per step run when it ran
   * several (a jump).
   */
  private lastMs = Infinity;
  /** Counters (tests and the benchmark read them): views asked for, found ready, sent to the worker, computed ahead. */
  readonly stats = { requests: 0, ready: 0, sent: 0, ahead: 0 };
  private lastScenarioId = 0;
  private nextId = 1;

  private useWorker: boolean;
  /** Asking for the next step is put off until the shown step's frame is made. */
  private aheadScheduled = false;
  /** How long a step may take the worker now (doubled by each keepTrying()). */
  private budgetMs = WORKER_BUDGET_MS;
  private stall: Stall | null = null;
  /** Cancels the time budget's timer of the request in flight. */
  private cancelTimer: (() => void) | null = null;
  /** Steps computed ahead that ran out of time (cache keys): never computed ahead again. */
  private readonly tooSlowAhead = new Set<string>();

  /**
   * `makeWorker`: tests pass a fake; by default ./sim.worker.ts as a module worker.
   * `atFrame`: when to ask for the next step ahead (tests pass their own clock).
   */
  constructor(
    useWorker = typeof Worker !== 'undefined',
    private readonly makeWorker: () => Worker = () =>
      new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module' }),
    private readonly atFrame: (fn: () => void) => void = atNextFrame,
    /** The time budget's clock (tests pass their own). */
    private readonly setTimer: SetTimer = defaultTimer,
  ) {
    this.useWorker = useWorker;
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getVersion = (): number => this.version;

  /** Be told of each view computed ahead (not shown yet): to prepare what showing it will need. */
  onAhead(l: (v: SimView) => void): () => void {
    this.aheadListeners.add(l);
    return () => this.aheadListeners.delete(l);
  }

  get(scenarioId: number, n: number, expand: readonly string[], event?: number): SimView | undefined {
    return this.cache.get(viewKey(scenarioId, n, expand.join(','), event));
  }

  /** The last view delivered for this scenario (shown, marked stale, while the wanted one computes). */
  latest(scenarioId: number): SimView | undefined {
    return this.latestById.get(scenarioId);
  }

  /** Whether the view for this request is being computed now (not just queued). */
  busy(): boolean {
    return this.inFlight !== null;
  }

  /** The step the worker was stopped at for taking too long, while the user has not moved on. */
  stalled(): Stall | null {
    return this.stall;
  }

  /** Try the stalled step again, with twice the time. */
  keepTrying(): void {
    const st = this.stall;
    if (!st) return;
    this.stall = null;
    this.budgetMs = st.ms * 2;
    this.notify();
    const want = this.current;
    if (want && want.scenarioId === st.scenarioId && want.n === st.n) {
      if (this.inFlight) this.queued = want;
      else this.send(want);
    }
  }

  request(want: Want): void {
    const ek = want.expand.join(',');
    if (this.stall) {
      // Asked again for the step that was stopped: the button is the way to try again.
      if (this.stall.scenarioId === want.scenarioId && this.stall.n === want.n) {
        this.current = want;
        return;
      }
      // The user moved on: the stopped step is no longer shown.
      this.stall = null;
      this.notify();
    }
    if (want.scenarioId !== this.lastScenarioId) {
      // Another scenario: whether its steps are light enough to compute ahead is not known yet.
      this.lastScenarioId = want.scenarioId;
      this.lastMs = Infinity;
    }
    this.current = want;
    this.stats.requests++;
    if (this.cache.has(viewKey(want.scenarioId, want.n, ek, want.event))) {
      this.stats.ready++;
      if (!this.inFlight) this.sendQueued();
      return;
    }
    const f = this.inFlight;
    if (
      f &&
      f.scenarioId === want.scenarioId &&
      f.n === want.n &&
      f.expand.join(',') === ek &&
      f.event === want.event
    ) {
      f.ahead = false;
      return;
    }
    if (!this.useWorker) {
      this.computeHere(want);
      return;
    }
    // Another scenario, or going back while a long step runs: the running work is not needed
    // (a step further on is queued instead: the worker's Runner continues from where it is).
    if (f && (f.scenarioId !== want.scenarioId || (want.n < f.n && performance.now() - f.started > PATIENCE_MS)))
      this.restart();
    if (this.inFlight) {
      this.queued = want;
      return;
    }
    this.send(want);
  }

  /**
   * No Worker here: compute on this thread, once the simulation's module has
   * loaded (answers keep the order they were asked in: each waits on the
   * same import).
   */
  private computeHere(want: Want): void {
    const expand = want.expand.join(',');
    void loadSim().then(({ snapshotAt, stepReport }) => {
      const result = snapshotAt(want.text, want.scenario, want.n, want.expand, want.event);
      this.deliver({
        scenarioId: want.scenarioId,
        n: want.n,
        expand,
        ...(want.event === undefined ? {} : { event: want.event }),
        result,
        report: stepReport(want.text, want.scenario, want.n),
      });
    });
  }

  /** Start the worker now (it loads and compiles the core while the page renders), not at the first request. */
  warm(): void {
    if (this.useWorker) this.ensureWorker();
  }

  /** The time budget ran out for the request in flight: stop the worker. */
  private overBudget(): void {
    const f = this.inFlight;
    this.cancelTimer = null;
    if (!f) return;
    this.restart();
    if (!f.ahead) {
      this.stall = { scenarioId: f.scenarioId, n: f.n, ms: this.budgetMs };
      this.notify();
    } else this.tooSlowAhead.add(viewKey(f.scenarioId, f.n, f.expand.join(','), f.event));
    // A step computed ahead that takes this long is left for the user to ask for.
    if (this.queued) this.sendQueued();
  }

  private notify(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  private restart(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.worker?.terminate();
    this.worker = null;
    this.workerScenarios.clear();
    this.inFlight = null;
  }

  private ensureWorker(): Worker | null {
    if (this.worker) return this.worker;
    try {
      const w = this.makeWorker();
      const receiver = new ForestReceiver();
      w.onmessage = (ev: MessageEvent<SimReply>) => {
        // A message a stopped worker had already sent: nobody waits for it (found by simClient.fuzz.test.ts).
        if (this.worker !== w) return;
        // Every message carries nodes later ones refer to: decode it even when nobody waits for it.
        let result: SnapshotResult;
        try {
          result = receiver.decode(ev.data.result);
        } catch {
          // Out of step with the worker (a bug): a fresh worker sends everything again.
          const lost = this.inFlight;
          this.restart();
          if (lost) this.send(lost, lost.ahead);
          return;
        }
        const f = this.inFlight;
        if (!f || ev.data.id !== f.id) return;
        this.inFlight = null;
        this.cancelTimer?.();
        this.cancelTimer = null;
        if (!f.ahead) this.lastMs = Math.min(performance.now() - f.started, ev.data.msPerStep ?? Infinity);
        const { scenarioId, n, expand, report, event } = ev.data;
        this.deliver(
          { scenarioId, n, expand: expand.join(','), ...(event === undefined ? {} : { event }), result, report },
          !f.ahead,
        );
        this.sendQueued();
      };
      w.onerror = (ev) => {
        ev.preventDefault();
        // An error of a stopped worker is not the running request's (seed 24301 of simClient.fuzz.test.ts).
        if (this.worker !== w) return;
        const f = this.inFlight;
        this.restart();
        if (f)
          this.deliver({
            scenarioId: f.scenarioId,
            n: f.n,
            expand: f.expand.join(','),
            ...(f.event === undefined ? {} : { event: f.event }),
            result: { ok: false, failure: { step: f.n, message: ev.message || 'the simulator stopped' } },
            report: undefined,
          });
        this.sendQueued();
      };
      this.worker = w;
      return w;
    } catch {
      return null;
    }
  }

  private send(want: Want, ahead = false): void {
    const w = this.ensureWorker();
    if (!w) {
      this.useWorker = false;
      this.request(want);
      return;
    }
    const id = this.nextId++;
    const msg: SimRequest = { id, scenarioId: want.scenarioId, n: want.n, expand: [...want.expand] };
    if (want.event !== undefined) msg.event = want.event;
    if (!this.workerScenarios.has(want.scenarioId)) {
      msg.text = want.text;
      this.workerScenarios.clear();
      this.workerScenarios.add(want.scenarioId);
    }
    this.inFlight = { ...want, id, started: performance.now(), ahead };
    if (ahead) this.stats.ahead++;
    else this.stats.sent++;
    this.cancelTimer?.();
    this.cancelTimer = this.setTimer(() => this.overBudget(), this.budgetMs);
    w.postMessage(msg);
  }

  private sendQueued(): void {
    const q = this.queued;
    this.queued = null;
    if (q && !this.cache.has(viewKey(q.scenarioId, q.n, q.expand.join(','), q.event))) return this.send(q);
    if (this.nextAhead()) this.scheduleAhead();
  }

  /**
   * Ask for the next step once the frame that shows this one is made: the
   * worker's answer is decoded and laid out on this thread, and arriving
   * before that frame it would delay it (~10-30 ms at 64 tasks, measured).
   */
  private scheduleAhead(): void {
    if (this.aheadScheduled) return;
    this.aheadScheduled = true;
    this.atFrame(() => {
      this.aheadScheduled = false;
      // A step asked for meanwhile goes first; its answer asks again.
      if (this.inFlight || this.queued) return;
      // Counted again now: what was ahead may have arrived, or been asked for, meanwhile.
      const a = this.nextAhead();
      if (a && this.useWorker && this.lastMs < PREFETCH_BELOW_MS) this.send(a, true);
    });
  }

  /** The first of the AHEAD_STEPS steps after the one asked for that is not computed yet. */
  private nextAhead(): Want | null {
    const want = this.current;
    if (!want || want.last === undefined || this.stall) return null;
    const ek = want.expand.join(',');
    for (let n = want.n + 1; n <= Math.min(want.last, want.n + AHEAD_STEPS); n++) {
      // Never a huge step, nor past an expensive one: the user may not want to wait for it. A heavy step is worth its
      // half second of the worker while the user reads: decoded and laid out when it arrives (~100 ms for the
      // SGA's), it would otherwise be the click's.
      const weight = stepWeight(want.scenario, n);
      if (weight === 'huge' || this.tooSlowAhead.has(viewKey(want.scenarioId, n, ek))) return null;
      if (!this.cache.has(viewKey(want.scenarioId, n, ek))) {
        const { event: _inside, ...whole } = want;
        return { ...whole, n };
      }
      if (weight === 'heavy') return null;
    }
    return null;
  }

  /**
   * Keep a view; tell subscribers unless it was computed ahead (nobody is waiting for it, and it must not replace what
   * is on screen).
   */
  private deliver(v: SimView, shown = true): void {
    const k = viewKey(v.scenarioId, v.n, v.expand, v.event);
    lruSet(this.cache, k, v, CACHE);
    // Bounded by size too: forget the least recent views past CACHE_WEIGHT (keeping this one).
    let total = 0;
    for (const x of this.cache.values()) total += weight(x);
    for (const [old, x] of this.cache) {
      if (total <= CACHE_WEIGHT || old === k) break;
      this.cache.delete(old);
      total -= weight(x);
    }
    if (!shown) {
      for (const l of this.aheadListeners) l(v);
      return;
    }
    lruSet(this.latestById, v.scenarioId, v, 4);
    this.notify();
  }
}
