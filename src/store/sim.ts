/**
 * The simulation state at the cursor, derived by replay.
 *
 * The state after N steps comes from a Timeline (src/scenario/timeline.ts):
 * it runs the scenario forward once, copying the kernel into checkpoints on
 * the way, so going forward continues the live Runner and going back replays
 * only from the nearest checkpoint (the core is deterministic: the same
 * statements give the same frames, PFNs and events). What the views need from
 * that state (the inspect() forest, the report's tasks and totals, memory use)
 * is plain data: it is cached per step, so going back to a step already seen
 * costs nothing.
 *
 * None of this lives in the zustand store: the store holds the text, the
 * parsed scenario and the cursor; this module is a memo of what follows from
 * them. Nothing here touches React or the DOM.
 */
import { lruGet, lruSet } from './lru';
import { inspect, type Forest } from '../core/inspect';
import { forestAfterEvents, type WhyWhole } from '../core/apply-changes';
import type { Scenario } from '../scenario/ast';
import type { Report, ReportStep } from '../scenario/report';
import { Runner } from '../scenario/run';
import { Timeline, TimelineError } from '../scenario/timeline';
import { reportAtEvent } from './eventReport';

/** The picture of the machine after some steps: plain data, safe to keep. */
export interface Snapshot {
  /** Steps done (0 = before the first). */
  step: number;
  forest: Forest;
  /** Report at this step, without its steps list (tasks, mshare, totals). */
  report: Omit<Report, 'steps'>;
  /** Task names alive at this step (roots whose label is not one are host mms). */
  tasks: string[];
  memory: { usedPages: number; limitPages: number | null };
  paging: 4 | 5;
  /**
   * Inside the step (issue 14): the forest is the machine after the first
   * `done` of the step's `of` events, and so are the report's figures and the
   * memory in use (./eventReport.ts; `tasks` stays the step's). `whole` when
   * the step cannot be played event by event: all is then the whole step's,
   * and the views say so.
   */
  event?: {
    done: number;
    of: number;
    whole?: WhyWhole;
    /** The forest is of the moment, but the report's figures are the whole step's (./eventReport.ts says why). */
    wholeFigures?: true;
  };
}

/** A failure of the simulator itself (a bug): shown, never thrown at the UI. */
export interface SimFailure {
  step: number;
  message: string;
}

export type SnapshotResult = { ok: true; snapshot: Snapshot } | { ok: false; failure: SimFailure };

/** Most entries inspect() lists per table; the view shows fewer and says "+N more". */
export const MAX_ENTRIES = 64;
/**
 * How many snapshots each replay keeps. Few: the page keeps the views it was
 * sent (src/store/simClient.ts), and a forest of 64 forked tasks is ~4 MB.
 */
const SNAPSHOT_CACHE = 8;
/** …and fewer when they are large: at most this many tasks and trees in all (a snapshot of 100,000 tasks is ~30 MB). */
const SNAPSHOT_WEIGHT = 100_000;

function weight(s: Snapshot): number {
  return 1 + s.report.tasks.length + s.forest.roots.length;
}

class Replay {
  /** Runs the scenario forward once, with checkpoints to come back to (src/scenario/timeline.ts). */
  private readonly timeline: Timeline;
  /** The Runner at the last seek: read only, valid until the next seek. */
  private runner: Runner | null = null;
  failure: SimFailure | null = null;
  /** LRU of snapshots by `${step}|${expand}`. */
  private readonly snapshots = new Map<string, Snapshot>();
  /**
   * How many times a seek could not continue the live Runner (it went back to a checkpoint or the start; for tests).
   */
  replays = 0;

  constructor(readonly scenario: Scenario) {
    this.timeline = new Timeline(scenario);
  }

  get stepsRun(): number {
    return this.timeline.stats.stepsRun;
  }

  /** Bring the Runner to exactly `n` steps done; false if the simulator failed before that. */
  private advanceTo(n: number): boolean {
    if (this.failure && n >= this.failure.step) return false;
    if (this.runner && this.runner.done === n) return true;
    try {
      const before = this.runner;
      const { runner } = this.timeline.seek(n);
      if (before && runner !== before) this.replays++;
      this.runner = runner;
      return true;
    } catch (e) {
      if (!(e instanceof TimelineError)) throw e;
      this.failure = { step: e.step, message: e.cause instanceof Error ? e.cause.message : String(e.cause) };
      this.runner = null;
      return false;
    }
  }

  /** Reports of the first n steps (runs as far as needed). */
  stepsUpTo(n: number): ReportStep[] {
    try {
      return this.timeline.stepsUpTo(n);
    } catch (e) {
      if (!(e instanceof TimelineError)) throw e;
      this.failure ??= { step: e.step, message: e.cause instanceof Error ? e.cause.message : String(e.cause) };
      return this.timeline.stepsUpTo(e.step - 1);
    }
  }

  /** The report of step n (1-based), or undefined when the simulator failed at or before it. */
  report(n: number): ReportStep | undefined {
    if (this.failure && n >= this.failure.step) return undefined;
    try {
      return this.timeline.report(n);
    } catch (e) {
      if (!(e instanceof TimelineError)) throw e;
      this.failure ??= { step: e.step, message: e.cause instanceof Error ? e.cause.message : String(e.cause) };
      return undefined;
    }
  }

  /**
   * The machine after the first `done` events of step n: the step's changes
   * up to that event played onto the forest before the step
   * (src/core/apply-changes.ts). `done` at or past the step's last event is
   * the step itself.
   */
  snapshotAtEvent(n: number, expand: readonly string[], done: number): SnapshotResult {
    const rep = n > 0 ? this.report(n) : undefined;
    const of = rep?.events.length ?? 0;
    if (!rep || done < 1 || done >= of) return this.snapshot(n, expand);
    // Before first: going back to n - 1 from n would replay from a checkpoint; n - 1 then n continues forward.
    const before = this.snapshot(n - 1, expand);
    const after = this.snapshot(n, expand);
    if (!before.ok || !after.ok) return after.ok ? before : after;
    let r;
    try {
      r = forestAfterEvents(
        before.snapshot.forest,
        after.snapshot.forest,
        rep.changes,
        done,
        rep.changes_omitted ?? 0,
        MAX_ENTRIES,
      );
    } catch (e) {
      return { ok: false, failure: { step: n, message: e instanceof Error ? e.message : String(e) } };
    }
    const snap = after.snapshot;
    if (!r.ok) return { ok: true, snapshot: { ...snap, event: { done, of, whole: r.why } } };
    // The figures at that moment too (the Accounting panel's), from the same changes.
    const at = reportAtEvent(
      { report: before.snapshot.report, usedPages: before.snapshot.memory.usedPages },
      snap.report,
      rep.changes,
      done,
    );
    if (!at) return { ok: true, snapshot: { ...snap, forest: r.forest, event: { done, of, wholeFigures: true } } };
    return {
      ok: true,
      snapshot: {
        ...snap,
        forest: r.forest,
        report: at.report,
        memory: { ...snap.memory, usedPages: at.usedPages },
        event: { done, of },
      },
    };
  }

  snapshot(n: number, expand: readonly string[]): SnapshotResult {
    const key = `${n}|${expand.join(',')}`;
    const hit = lruGet(this.snapshots, key);
    if (hit) return { ok: true, snapshot: hit };
    if (!this.advanceTo(n)) return { ok: false, failure: this.failure as SimFailure };
    let snap: Snapshot;
    try {
      snap = this.take(n, expand);
    } catch (e) {
      return { ok: false, failure: { step: n, message: e instanceof Error ? e.message : String(e) } };
    }
    lruSet(this.snapshots, key, snap, SNAPSHOT_CACHE);
    let total = 0;
    for (const x of this.snapshots.values()) total += weight(x);
    for (const [k, x] of this.snapshots) {
      if (total <= SNAPSHOT_WEIGHT || k === key) break;
      this.snapshots.delete(k);
      total -= weight(x);
    }
    return { ok: true, snapshot: snap };
  }

  private take(n: number, expand: readonly string[]): Snapshot {
    const runner = this.runner as Runner;
    const k = runner.kernel;
    const mms = k.liveMms().map((mm) => ({ label: mm.label, mm }));
    const forest = inspect(k.m, mms, { expand: new Set(expand), maxEntries: MAX_ENTRIES });
    const { steps: _steps, ...report } = Runner.report(runner, []);
    const frames = k.m.frames;
    return {
      step: n,
      forest,
      report,
      tasks: k
        .taskList()
        .filter((t) => t.state === 'running')
        .map((t) => t.name),
      // Without a `memory` directive the machine has the default RAM (src/core/budget.ts): said as such.
      memory: {
        usedPages: frames.used,
        limitPages: runner.scenario.memory === undefined ? null : (frames.limit ?? null),
      },
      paging: k.cfg.paging,
    };
  }
}

/**
 * The memo: one Replay for the scenario last asked about (keyed by the text
 * it was parsed from, so re-parsing the same text keeps the cache).
 */
let current: { key: string; replay: Replay } | null = null;

function replayFor(key: string, scenario: Scenario): Replay {
  if (!current || current.key !== key) current = { key, replay: new Replay(scenario) };
  return current.replay;
}

/** The report of step `n` (1-based), or undefined for n = 0 or a failed run. */
export function stepReport(key: string, scenario: Scenario, n: number): ReportStep | undefined {
  if (n <= 0) return undefined;
  // One step's report, rebuilt from the changes the Timeline keeps (not all n of them).
  return replayFor(key, scenario).report(n);
}

/** Reports of steps 1..n. */
export function stepReports(key: string, scenario: Scenario, n: number): ReportStep[] {
  return replayFor(key, scenario).stepsUpTo(n);
}

/** The machine after n steps, with the summaries in `expand` opened. */
export function snapshotAt(
  key: string,
  scenario: Scenario,
  n: number,
  expand: readonly string[] = [],
  event?: number,
): SnapshotResult {
  const replay = replayFor(key, scenario);
  return event === undefined ? replay.snapshot(n, expand) : replay.snapshotAtEvent(n, expand, event);
}

/** How many times the current scenario's Runner was rebuilt (tests check stepping back replays). */
export function replayCount(): number {
  return current?.replay.replays ?? 0;
}

/** Steps the current scenario's timeline has run in all, first pass and replays (tests). */
export function stepsRun(): number {
  return current?.replay.stepsRun ?? 0;
}

/** Forget the memo (tests). */
export function resetSim(): void {
  current = null;
}
