/**
 * The main thread's side of the replay: asks the worker (./sim.worker.ts)
 * for the machine at a step, keeps what came back (plain data, an LRU), and
 * tells subscribers. One request runs at a time; a newer one waits, or, when
 * the running one is for another scenario or has taken long, the worker is
 * dropped and a fresh one started (so a step that runs for minutes never
 * holds the page hostage). Where there is no Worker, it computes in place.
 */
import { lruSet } from './lru';
import type { ReportStep } from '../scenario/report';
import type { Scenario } from '../scenario/ast';
import { snapshotAt, stepReport, type SnapshotResult } from './sim';
import type { SimRequest } from './sim.worker';
import { ForestReceiver, type WireResult } from './forestWire';

export interface SimView {
  key: number;
  /** The step this view is of. */
  n: number;
  expand: string;
  result: SnapshotResult;
  report: ReportStep | undefined;
}

interface Want {
  key: number;
  text: string;
  scenario: Scenario;
  n: number;
  expand: string[];
  /** The scenario's last step: when set, the views of the next steps (AHEAD_STEPS) are computed ahead once idle. */
  last?: number;
}

const CACHE = 96;
/** A request running longer than this is abandoned when the user asks for something else. */
const PATIENCE_MS = 600;
/**
 * The next step is computed ahead only where a step takes the worker less
 * than this: then "Next step" finds its view ready, and a user who goes
 * elsewhere waits at most about this long behind it. Heavier steps (some of
 * the 1,500-task SGA's) are computed on demand only.
 */
const PREFETCH_BELOW_MS = 400;
/**
 * How many steps past the one asked for are computed ahead. Two: a user
 * clicking "Next step" again as soon as a step shows finds the next one
 * ready even where a step takes the worker longer than that (a group step
 * over 64 tasks: 30-75 ms), as the worker had the time the user spent on
 * the step before. Each costs the page a decode (~8 ms at 64 tasks) and a
 * layout in idle time.
 */
const AHEAD_STEPS = 2;

const cacheKey = (key: number, n: number, expand: string) => `${key}|${n}|${expand}`;

/**
 * Run fn at the next frame, just before its style, layout and paint: those
 * run in the same task as requestAnimationFrame callbacks (HTML, "update the
 * rendering"), so a message fn causes cannot be handled before that frame
 * is made. Without frames (Node, the tests), at once.
 */
export function atNextFrame(fn: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => fn());
  else fn();
}

export class SimClient {
  private readonly cache = new Map<string, SimView>();
  private readonly latestByKey = new Map<number, SimView>();
  private readonly listeners = new Set<() => void>();
  private readonly aheadListeners = new Set<(v: SimView) => void>();
  private version = 0;
  private worker: Worker | null = null;
  private workerKeys = new Set<number>();
  private inFlight: (Want & { id: number; started: number; ahead: boolean }) | null = null;
  private queued: Want | null = null;
  /** The last step asked for: the steps ahead are counted from it. */
  private current: Want | null = null;
  /** How long the last asked-for (not ahead) view took: the round trip, or the worker's time per step run when it ran several (a jump). */
  private lastMs = Infinity;
  /** Counters (tests and the benchmark read them): views asked for, found ready, sent to the worker, computed ahead. */
  readonly stats = { requests: 0, ready: 0, sent: 0, ahead: 0 };
  private lastKey = 0;
  private nextId = 1;

  private useWorker: boolean;
  /** Asking for the next step is put off until the shown step's frame is made. */
  private aheadScheduled = false;

  /**
   * `makeWorker`: tests pass a fake; by default ./sim.worker.ts as a module worker.
   * `atFrame`: when to ask for the next step ahead (tests pass their own clock).
   */
  constructor(
    useWorker = typeof Worker !== 'undefined',
    private readonly makeWorker: () => Worker = () => new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module' }),
    private readonly atFrame: (fn: () => void) => void = atNextFrame,
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

  get(key: number, n: number, expand: readonly string[]): SimView | undefined {
    return this.cache.get(cacheKey(key, n, expand.join(',')));
  }

  /** The last view delivered for this scenario (shown, marked stale, while the wanted one computes). */
  latest(key: number): SimView | undefined {
    return this.latestByKey.get(key);
  }

  /** Whether the view for this request is being computed now (not just queued). */
  busy(): boolean {
    return this.inFlight !== null;
  }

  request(want: Want): void {
    const ek = want.expand.join(',');
    if (want.key !== this.lastKey) {
      // Another scenario: whether its steps are light enough to compute ahead is not known yet.
      this.lastKey = want.key;
      this.lastMs = Infinity;
    }
    this.current = want;
    this.stats.requests++;
    if (this.cache.has(cacheKey(want.key, want.n, ek))) {
      this.stats.ready++;
      if (!this.inFlight) this.sendQueued();
      return;
    }
    const f = this.inFlight;
    if (f && f.key === want.key && f.n === want.n && f.expand.join(',') === ek) {
      f.ahead = false;
      return;
    }
    if (!this.useWorker) {
      this.deliver({ key: want.key, n: want.n, expand: ek, result: snapshotAt(want.text, want.scenario, want.n, want.expand), report: stepReport(want.text, want.scenario, want.n) });
      return;
    }
    // Another scenario, or going back while a long step runs: the running work is not needed
    // (a step further on is queued instead: the worker's Runner continues from where it is).
    if (f && (f.key !== want.key || (want.n < f.n && performance.now() - f.started > PATIENCE_MS))) this.restart();
    if (this.inFlight) {
      this.queued = want;
      return;
    }
    this.send(want);
  }

  /** Start the worker now (it loads and compiles the core while the page renders), not at the first request. */
  warm(): void {
    if (this.useWorker) this.ensureWorker();
  }

  private restart(): void {
    this.worker?.terminate();
    this.worker = null;
    this.workerKeys.clear();
    this.inFlight = null;
  }

  private ensureWorker(): Worker | null {
    if (this.worker) return this.worker;
    try {
      const w = this.makeWorker();
      const receiver = new ForestReceiver();
      w.onmessage = (ev: MessageEvent<Omit<SimView, 'expand' | 'result'> & { id: number; expand: string[]; result: WireResult; msPerStep?: number }>) => {
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
        if (!f.ahead) this.lastMs = Math.min(performance.now() - f.started, ev.data.msPerStep ?? Infinity);
        const { key, n, expand, report } = ev.data;
        this.deliver({ key, n, expand: expand.join(','), result, report }, !f.ahead);
        this.sendQueued();
      };
      w.onerror = (ev) => {
        ev.preventDefault();
        const f = this.inFlight;
        this.restart();
        if (f) this.deliver({ key: f.key, n: f.n, expand: f.expand.join(','), result: { ok: false, failure: { step: f.n, message: ev.message || 'the simulator stopped' } }, report: undefined });
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
    const msg: SimRequest = { id, key: want.key, n: want.n, expand: [...want.expand] };
    if (!this.workerKeys.has(want.key)) {
      msg.text = want.text;
      this.workerKeys.clear();
      this.workerKeys.add(want.key);
    }
    this.inFlight = { ...want, id, started: performance.now(), ahead };
    if (ahead) this.stats.ahead++;
    else this.stats.sent++;
    w.postMessage(msg);
  }

  private sendQueued(): void {
    const q = this.queued;
    this.queued = null;
    if (q && !this.cache.has(cacheKey(q.key, q.n, q.expand.join(',')))) return this.send(q);
    if (this.nextAhead()) this.scheduleAhead();
  }

  /**
   * Ask for the next step at the frame that shows this one: the worker's
   * answer is decoded and laid out on this thread, and arriving before that
   * frame it would delay it (~10-30 ms at 64 tasks, measured).
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
    if (!want || want.last === undefined) return null;
    const ek = want.expand.join(',');
    for (let n = want.n + 1; n <= Math.min(want.last, want.n + AHEAD_STEPS); n++) {
      if (!this.cache.has(cacheKey(want.key, n, ek))) return { ...want, n };
    }
    return null;
  }

  /** Keep a view; tell subscribers unless it was computed ahead (nobody is waiting for it, and it must not replace what is on screen). */
  private deliver(v: SimView, shown = true): void {
    const k = cacheKey(v.key, v.n, v.expand);
    lruSet(this.cache, k, v, CACHE);
    if (!shown) {
      for (const l of this.aheadListeners) l(v);
      return;
    }
    lruSet(this.latestByKey, v.key, v, 4);
    this.version++;
    for (const l of this.listeners) l();
  }
}
