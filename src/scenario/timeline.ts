/**
 * Seeking in a scenario: the state after any step, without replaying from
 * the start every time.
 *
 * A Timeline runs the scenario forward with one live Runner and, on the way,
 * keeps checkpoints: deep copies of the Runner's kernel (src/core/clone.ts)
 * every `every` steps, and also whenever the steps since the last checkpoint
 * took more than `budgetMs` and more than copying the kernel takes (so one
 * heavy stretch, a fork of 1,500 tasks, does not have to be replayed, and
 * checkpoints at most double the time of a first pass). Checkpoints are taken the first time a step
 * is reached only; replays between checkpoints take none. seek(n) continues the live Runner when it
 * is at or before n and no checkpoint is closer; otherwise it restores the
 * nearest checkpoint at or before n and replays only from there. The core is
 * deterministic, so a restored Runner stepped forward gives exactly the
 * reports and state of the first run (timeline.test.ts checks it).
 *
 * Memory is bounded: past `maxCheckpoints`, every other checkpoint is
 * dropped and the spacing doubles.
 *
 * The reports are kept as changes, not copies. A step's report lists
 * `pgtables_bytes` of every live task (ptx-report/1), so 100,000 tasks over
 * 1,500 steps would be 150 million numbers, where the steps change a few.
 * Each step keeps only the tasks whose figure changed and those gone
 * (FigureDelta), plus a full copy (a keyframe) once the changes since the
 * last one add up to as many figures as a copy holds; a report is rebuilt on
 * demand from the keyframe before it: at most about twice a copy's work, and
 * about twice the changes' memory in all.
 */
import { Kernel } from '../core/kernel';
import { IntervalMap } from '../core/intervals';
import { deepClone, pairByShape, type OnFunction } from '../core/clone';
import type { Scenario } from './ast';
import type { ReportStep } from './report';
import { Runner } from './run';

export interface TimelineOptions {
  /** Run as the mainline twin (Runner's opts.twin). */
  twin?: boolean;
  /** Most steps between two checkpoints (default 64; docs/PERFORMANCE.md has the measurement). */
  every?: number;
  /**
   * Also checkpoint once stepping since the last checkpoint took this long,
   * in ms, and at least as long as the last checkpoint took to copy (default 8).
   */
  budgetMs?: number;
  /** Most checkpoints kept (default 128). */
  maxCheckpoints?: number;
  /**
   * Most objects held in checkpoints in all (default 1,000,000: about
   * 60–100 MB of heap); past it, as past maxCheckpoints, every other
   * checkpoint is dropped.
   */
  maxObjects?: number;
  /** The clock for budgetMs (tests pass a fake one). */
  now?: () => number;
}

interface Checkpoint {
  done: number;
  /** Objects in the copy. */
  objects: number;
  /** A copy of the kernel after `done` steps; never run, only copied from. */
  kernel: Kernel;
}

/** A step's report as kept: everything but pgtables_bytes, which is kept as a change. */
type KeptStep = Omit<ReportStep, 'pgtables_bytes'>;

/** pgtables_bytes of a step against the step before: figures new or changed (in the report's order), tasks gone. */
interface FigureDelta {
  set: [string, number][];
  gone: string[];
}

/** The first keyframe is after this many figures of changes at least (small scenarios keep none but step 0's). */
const KEYFRAME_MIN = 256;

/**
 * Per-step pgtables_bytes as changes (see the file's comment). Steps are
 * recorded in order, once each; figures(n) rebuilds step n's object with its
 * keys in the order the Runner wrote them (tasks in creation order: a task
 * new at a step comes after every older one, which is where a Map's set()
 * puts it).
 */
export class FigureLog {
  private readonly deltas: FigureDelta[] = [];
  /** Full copies: keyframes[k] is the figures after step keyAt[k] (step 0: none). */
  private readonly keyAt: number[] = [0];
  private readonly keyframes: Map<string, number>[] = [new Map()];
  /** The figures after the last step recorded. */
  private readonly last = new Map<string, number>();
  private sinceKey = 0;
  /** Figures held (deltas and keyframes): what the log costs. */
  held = 0;

  get length(): number {
    return this.deltas.length;
  }

  /** Record the next step's figures. */
  push(figures: Record<string, number>): void {
    const d: FigureDelta = { set: [], gone: [] };
    const now = Object.keys(figures);
    for (const name of now) {
      const v = figures[name] as number;
      if (this.last.get(name) !== v) d.set.push([name, v]);
    }
    if (this.last.size + d.set.length > now.length) {
      const live = new Set(now);
      for (const name of this.last.keys()) if (!live.has(name)) d.gone.push(name);
    }
    for (const name of d.gone) this.last.delete(name);
    for (const [name, v] of d.set) this.last.set(name, v);
    this.deltas.push(d);
    const size = d.set.length + d.gone.length;
    this.held += size;
    this.sinceKey += size;
    if (this.sinceKey >= Math.max(KEYFRAME_MIN, this.last.size)) {
      this.keyAt.push(this.deltas.length);
      this.keyframes.push(new Map(this.last));
      this.held += this.last.size;
      this.sinceKey = 0;
    }
  }

  /** pgtables_bytes after step n (1 ≤ n ≤ length), as the Runner reported it. */
  figures(n: number): Record<string, number> {
    let k = this.keyAt.length - 1;
    while ((this.keyAt[k] as number) > n) k--;
    const m = new Map(this.keyframes[k]);
    for (let i = (this.keyAt[k] as number) + 1; i <= n; i++) {
      const d = this.deltas[i - 1] as FigureDelta;
      for (const name of d.gone) m.delete(name);
      for (const [name, v] of d.set) m.set(name, v);
    }
    return Object.fromEntries(m);
  }
}

/** A step the simulator itself failed on (a bug): seeking to it or past it throws this. */
export class TimelineError extends Error {
  constructor(
    readonly step: number,
    cause: unknown,
  ) {
    super(`step ${step}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Functions in the kernel graph: the kernel's own hooks are closures over the
 * objects its constructor made, and are kept from a freshly constructed
 * kernel (pairByShape); IntervalMap's equality is pure. Anything else is a
 * closure made later, which a copy cannot rebind: refuse it loudly rather
 * than let a checkpoint call into the original's state.
 */
const onFunction: OnFunction = (fn, holder, key) => {
  if (holder instanceof IntervalMap && key === 'eq') return fn;
  const where = `${(holder as { constructor?: { name?: string } }).constructor?.name ?? 'Object'}.${String(key)}`;
  throw new Error(
    `cannot checkpoint the kernel: ${where} is a closure made after construction (see src/scenario/timeline.ts)`,
  );
};

/** A deep copy of k (same state, no reference to k's objects); `count` adds up the objects copied. */
export function cloneKernel(k: Kernel, into: Kernel = new Kernel(k.cfg), count?: { objects: number }): Kernel {
  return deepClone(k, { seed: pairByShape(k, into), onFunction, ...(count ? { count } : {}) });
}

export class Timeline {
  /** Reports of steps 1..n as far as any run got (deterministic, so kept), without their figures… */
  private readonly reports: KeptStep[] = [];
  /** …which are kept as changes. */
  private readonly figures = new FigureLog();
  private live: Runner;
  private readonly checkpoints: Checkpoint[] = [];
  private every: number;
  private readonly budgetMs: number;
  private readonly maxCheckpoints: number;
  private readonly maxObjects: number;
  private heldObjects = 0;
  private readonly now: () => number;
  /** Stepping time since the last checkpoint of the live run. */
  private sinceCheckpoint = 0;
  /** How long the last checkpoint took to copy. */
  private lastCopyMs = 0;
  private failure: TimelineError | null = null;
  /** Counters for tests and benchmarks. */
  readonly stats = { restores: 0, stepsRun: 0, checkpointsTaken: 0 };

  constructor(
    readonly scenario: Scenario,
    private readonly opts: TimelineOptions = {},
  ) {
    this.every = Math.max(1, opts.every ?? 64);
    this.budgetMs = opts.budgetMs ?? 8;
    this.maxCheckpoints = Math.max(2, opts.maxCheckpoints ?? 128);
    this.maxObjects = opts.maxObjects ?? 1_000_000;
    this.now = opts.now ?? (() => performance.now());
    this.live = this.fresh();
  }

  /** Steps in the scenario. */
  get length(): number {
    return this.scenario.steps.length;
  }

  /** Steps between checkpoints now (doubles when memory is bounded). */
  get spacing(): number {
    return this.every;
  }

  /** Where the checkpoints are (steps done at each). */
  get checkpointSteps(): number[] {
    return this.checkpoints.map((c) => c.done);
  }

  /** Objects held in checkpoints (what maxObjects bounds). */
  get checkpointObjects(): number {
    return this.heldObjects;
  }

  /**
   * Figures held for the reports' pgtables_bytes (changes and keyframes): what keeping the reports costs beyond their
   * events.
   */
  get heldFigures(): number {
    return this.figures.held;
  }

  /**
   * The Runner after exactly n steps (0 ≤ n ≤ length) and the reports of
   * steps 1..n (built when read: read `steps` only when all are needed, or
   * use report()). The Runner belongs to the Timeline: read its kernel, do
   * not step it (seek again instead); it stays valid until the next seek.
   */
  seek(n: number): { runner: Runner; readonly steps: ReportStep[] } {
    if (!Number.isInteger(n) || n < 0 || n > this.length)
      throw new RangeError(`seek(${n}): the scenario has steps 0..${this.length}`);
    if (this.failure && n >= this.failure.step) throw this.failure;
    const cp = this.nearest(n);
    const here = this.live.done;
    if (here > n || (cp && cp.done > here)) {
      this.live = cp ? this.restore(cp) : this.fresh();
      this.sinceCheckpoint = 0;
    }
    while (this.live.done < n) this.advance();
    const built = (): ReportStep[] => this.built(n);
    return {
      runner: this.live,
      get steps(): ReportStep[] {
        return built();
      },
    };
  }

  /** Reports of steps 1..n (runs as far as needed, without moving back). */
  stepsUpTo(n: number): ReportStep[] {
    if (this.reports.length < n) this.seek(n);
    return this.built(n);
  }

  /** The report of step n (1 ≤ n ≤ length), running as far as needed without moving back. */
  report(n: number): ReportStep {
    if (!Number.isInteger(n) || n < 1 || n > this.length)
      throw new RangeError(`report(${n}): the scenario has steps 1..${this.length}`);
    if (this.reports.length < n) this.seek(n);
    return this.materialize(n);
  }

  private built(n: number): ReportStep[] {
    const out: ReportStep[] = [];
    for (let i = 1; i <= n; i++) out.push(this.materialize(i));
    return out;
  }

  /** Step i's report as the Runner made it, fields in the same order (so its JSON is the same). */
  private materialize(i: number): ReportStep {
    const kept = this.reports[i - 1] as KeptStep & { pgtables_bytes: null };
    const out = {} as Record<string, unknown>;
    for (const key of Object.keys(kept))
      out[key] = key === 'pgtables_bytes' ? this.figures.figures(i) : kept[key as keyof KeptStep];
    return out as unknown as ReportStep;
  }

  private fresh(): Runner {
    return new Runner(this.scenario, this.opts.twin ? { twin: true } : {});
  }

  private restore(cp: Checkpoint): Runner {
    const r = this.fresh();
    cloneKernel(cp.kernel, r.kernel);
    r.done = cp.done;
    this.stats.restores++;
    return r;
  }

  /** The last checkpoint at or before n. */
  private nearest(n: number): Checkpoint | undefined {
    const cps = this.checkpoints;
    let lo = 0;
    let hi = cps.length - 1;
    let best: Checkpoint | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = cps[mid] as Checkpoint;
      if (c.done <= n) {
        best = c;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  private advance(): void {
    const index = this.live.done + 1;
    const t = this.now();
    let rs: ReportStep;
    try {
      rs = this.live.step();
    } catch (e) {
      this.failure = new TimelineError(index, e);
      // The Runner's state is undefined now: start again at the next seek.
      this.live = this.fresh();
      this.sinceCheckpoint = 0;
      throw this.failure;
    }
    this.stats.stepsRun++;
    this.sinceCheckpoint += this.now() - t;
    // Checkpoints are taken on new ground only: a replay between two
    // checkpoints is short by construction, and a seek should not pay for
    // copying the kernel on top of it.
    if (index <= this.reports.length) {
      this.sinceCheckpoint = 0;
      return;
    }
    // Kept without its figures (a placeholder keeps the key's place), which go to the log as changes.
    this.figures.push(rs.pgtables_bytes);
    this.reports[index - 1] = { ...rs, pgtables_bytes: null } as unknown as KeptStep;
    const gap = index - (this.checkpoints[this.checkpoints.length - 1]?.done ?? 0);
    // Past the work budget (src/core/budget.ts) nothing runs: later steps replay at no cost and
    // need no checkpoint (a copy of a kernel of 100,000 tasks takes seconds).
    const stopped = this.live.kernel.m.budget.stopped;
    if (stopped && stopped.step < index) {
      this.sinceCheckpoint = 0;
      return;
    }
    // Due after `every` steps, or once the steps since the last checkpoint took
    // as long as the budget and as long as copying the kernel does (so that
    // checkpoints at most double the time of a first pass).
    if (gap >= this.every || this.sinceCheckpoint >= Math.max(this.budgetMs, this.lastCopyMs)) this.checkpoint();
  }

  private checkpoint(): void {
    const count = { objects: 0 };
    const t = this.now();
    const cp: Checkpoint = {
      done: this.live.done,
      objects: 0,
      kernel: cloneKernel(this.live.kernel, undefined, count),
    };
    this.lastCopyMs = this.now() - t;
    cp.objects = count.objects;
    this.heldObjects += cp.objects;
    this.stats.checkpointsTaken++;
    const cps = this.checkpoints;
    cps.push(cp); // new ground: after every checkpoint so far
    this.sinceCheckpoint = 0;
    while (cps.length > 1 && (cps.length > this.maxCheckpoints || this.heldObjects > this.maxObjects)) {
      // Thin out: keep every other checkpoint (the latest among them); the spacing doubles.
      const kept = cps.filter((_, j) => (cps.length - 1 - j) % 2 === 0);
      cps.length = 0;
      cps.push(...kept);
      this.heldObjects = kept.reduce((a, c) => a + c.objects, 0);
      this.every *= 2;
    }
  }
}
