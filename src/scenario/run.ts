/**
 * Runs a parsed scenario on the core and builds the ptx-report/1 report.
 * A Runner executes one statement per step(), so the CLI, the tests and the
 * app's store all replay a scenario the same way.
 */
import { Kernel, type Outcome, type StepResult } from '../core/kernel';
import { BudgetExceeded, type Budget } from '../core/budget';
import { FrameKind } from '../core/frames';
import type { Walk } from '../core/walk';
import { levelName } from '../core/paging';
import type { Scenario, Step } from './ast';
import { parseScenario } from './parser';
import { collapseNames } from './printer';
import { listChanges, type Report, type ReportStep, type ReportTask, type ReportWalk } from './report';
import { ChangeLog } from '../core/change-log';
import { setRecorder } from '../core/change-hook';
import { reportTlb } from './report-tlb';
import type { TlbChange } from '../core/changes';

/** The most bytes one `read` returns (its value is printed in hex). */
const MAX_READ = 65536n;

export class ScenarioLoadError extends Error {
  constructor(readonly errors: { line: number; col: number; message: string }[]) {
    super(errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  }
}

export class Runner {
  readonly kernel: Kernel;
  /** Steps done so far (0 = none). */
  done = 0;
  /** opts.twin: run as the mainline twin (mshare regions as plain shared mappings). */
  constructor(
    readonly scenario: Scenario,
    readonly opts: { twin?: boolean } = {},
  ) {
    this.kernel = new Kernel({
      kernel: opts.twin ? 'mainline' : scenario.kernel,
      twin: opts.twin ?? false,
      twinOf: scenario.kernel,
      paging: scenario.paging,
      ...(scenario.memory !== undefined ? { memory: scenario.memory } : {}),
      // TLBs (issue 17): not in the mainline twin, which compares page tables only.
      ...(scenario.cpus !== undefined && !opts.twin
        ? { cpus: scenario.cpus, notifier: scenario.notifier === 'flush_tlb_all' }
        : {}),
    });
  }

  get finished(): boolean {
    return this.done >= this.scenario.steps.length;
  }

  /** Execute the next statement and report it. */
  step(): ReportStep {
    const st = this.scenario.steps[this.done] as Step;
    this.done++;
    const k = this.kernel;
    const budget = k.m.budget;
    if (budget.stopped) return this.notRun(st);
    const results: StepResult[] = [];
    const actors = st.op.op === 'spawn' ? st.op.names : st.op.op === 'idle' ? [''] : st.tasks;
    // What the step changes is recorded as the core makes it (src/core/change-log.ts).
    const log = new ChangeLog(k.m.ev, k.cfg.paging);
    setRecorder(log);
    try {
      // The work budget (src/core/budget.ts): the figures this step's report will keep are
      // known before it runs (tasks alive now, and those it creates), the rest is checked
      // between two tasks of the step (and between two pages, in the core).
      budget.checkCells(liveTasks(k) + created(st));
      for (const name of actors) {
        budget.checkEvents(k.m.ev.list.length);
        budget.page();
        results.push(this.exec(name, st));
      }
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      budget.stopped = { step: this.done, limit: e.limit, max: e.max, message: e.message };
      // What ran of the step before the stop stays done: its changes are reported with its events.
      return this.notRun(st, k.takeEvents(), log);
    } finally {
      setRecorder(null);
    }
    if (results.length === 0) results.push({ outcome: { kind: 'ok' } });
    const events = k.takeEvents();
    budget.events += events.length;
    const last = results[results.length - 1] as StepResult;
    const rs: ReportStep = {
      index: this.done,
      line: st.pos.line,
      // For spawn, whom it creates: the statement has no acting task of its own.
      task: st.taskText ?? (st.op.op === 'spawn' ? collapseNames(st.op.names) : null),
      op: st.op.op,
      outcome: reportOutcome(last.outcome),
      events,
      pgtables_bytes: pgtablesByTask(k),
      changes: [],
    };
    budget.cells += Object.keys(rs.pgtables_bytes).length;
    // TLB hook: the TLB's changes and per-step fields, only with `cpus N` (issue 17).
    const tlbStep = k.m.tlb ? reportTlb(k.m.tlb) : undefined;
    lazyChanges(rs, log, events, tlbStep?.changes);
    if (st.note !== undefined) rs.note = st.note;
    const hosts = k.hostMms();
    if (hosts.length) rs.hosts_pgtables_bytes = hosts.reduce((a, h) => a + h.mm.pgtablesBytes, 0);
    if (results.length > 1) {
      const tally: Record<string, number> = {};
      for (const r of results) {
        const key =
          r.outcome.kind === 'errno'
            ? r.outcome.errno
            : r.outcome.kind === 'signal'
              ? r.outcome.signal
              : r.outcome.kind;
        tally[key] = (tally[key] ?? 0) + 1;
      }
      rs.outcomes = tally;
    }
    if (results.length === 1 && last.walk && (st.op.op === 'translate' || isSinglePageAccess(st))) {
      rs.walk = reportWalk(last.walk);
    }
    if (tlbStep) rs.tlb = tlbStep.report;
    return rs;
  }

  /**
   * The step that passed the budget (its outcome says which limit, and how to
   * shrink the scenario), or one after it: nothing more runs, so no figures.
   */
  private notRun(st: Step, events: ReportStep['events'] = [], log?: ChangeLog): ReportStep {
    const stop = this.kernel.m.budget.stopped as NonNullable<Budget['stopped']>;
    const here = stop.step === this.done;
    const rs: ReportStep = {
      index: this.done,
      line: st.pos.line,
      task: st.taskText ?? (st.op.op === 'spawn' ? collapseNames(st.op.names) : null),
      op: st.op.op,
      outcome: {
        kind: 'skipped',
        why: here ? stop.message : `not simulated: step ${stop.step} was too large to simulate`,
      },
      events,
      pgtables_bytes: {},
      changes: [],
    };
    if (log) lazyChanges(rs, log, events);
    if (st.note !== undefined) rs.note = st.note;
    if (here) rs.too_large = { limit: stop.limit, max: stop.max };
    return rs;
  }

  private exec(name: string, st: Step): StepResult {
    const k = this.kernel;
    const op = st.op;
    switch (op.op) {
      case 'spawn':
        return k.spawn(name);
      case 'fork': {
        let r: StepResult = { outcome: { kind: 'ok' } };
        op.children.forEach((c, i) => {
          if (i > 0) k.m.budget.page();
          r = k.fork(name, c);
        });
        return r;
      }
      case 'exit':
        return k.exit(name);
      case 'execve':
        return k.execve(name);
      case 'mmap':
        if (op.fd !== undefined) {
          if (op.offset)
            return { outcome: { kind: 'errno', errno: 'EINVAL', why: 'an mshare region is mapped from offset 0' } };
          return k.mmapFile(name, op.fd, op);
        }
        return k.mmap(name, op);
      case 'munmap':
        return k.munmap(name, op.addr, op.len);
      case 'mprotect':
        return k.mprotect(name, op.addr, op.len, op.prot);
      case 'madvise':
        return k.madviseDontneed(name, op.addr, op.len);
      case 'read':
        if ((op.len ?? 1n) > MAX_READ)
          return {
            outcome: {
              kind: 'errno',
              errno: 'EINVAL',
              why: `a read shows at most ${MAX_READ} bytes; use touch to fault in a larger range`,
            },
          };
        return k.read(name, op.addr, Number(op.len ?? 1n));
      case 'write':
        return k.write(name, op.addr, op.value ?? new Uint8Array([0]));
      case 'exec':
        return k.exec(name, op.addr);
      case 'touch':
        return k.touch(name, op.addr, op.len, op.access);
      case 'translate':
        return k.translate(name, op.addr);
      case 'run':
        return k.run(name, op.cpu);
      case 'idle':
        return k.idle(op.cpu);
      case 'mshare':
        return k.mshare(name, op.name, op.addr, op.len, op.oflags, op.mode ?? 0);
      case 'mshare_unlink':
        return k.mshareUnlink(name, op.name);
      case 'ioctl':
        return k.ioctl(name, op.fd, op.request, op.regionOffset, op.size, op.prot ?? 0, op.flags ?? 0);
      case 'open':
        return k.open(name, op.path, op.oflags, op.as);
      case 'unlink':
        return k.unlink(name, op.path);
      case 'close':
        return k.close(name, op.fd);
      case 'ftruncate':
        return k.ftruncate(name, op.fd, op.len);
    }
  }

  /** The report of everything run so far, steps included. */
  static report(r: Runner, steps: ReportStep[]): Report {
    const k = r.kernel;
    const tasks: ReportTask[] = k.taskList().map((t) => {
      const table_pages: Record<string, number> = {};
      if (t.mm) for (let l = 0; l <= k.m.top; l++) table_pages[levelName(l, k.cfg.paging)] = t.mm.tables[l] ?? 0;
      return {
        name: t.name,
        pid: t.pid,
        state: t.state,
        pgtables_bytes: t.mm ? t.mm.pgtablesBytes : 0,
        rss_pages: t.mm ? t.mm.rssAnon + t.mm.rssShmem : 0,
        ...(t.mm ? { min_flt: t.mm.minFlt } : {}),
        table_pages,
      };
    });
    const table_pages = { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: 0 };
    let data_pages = 0;
    k.m.frames.kinds.forEach(0, Number.MAX_SAFE_INTEGER, (kind, s, e) => {
      const n = Math.min(e, Number.MAX_SAFE_INTEGER) - s;
      if (kind >= FrameKind.TableBase && kind <= FrameKind.TableBase + 4) {
        table_pages[levelName(kind - FrameKind.TableBase, k.cfg.paging)] += n;
      } else if (kind === FrameKind.Anon || kind === FrameKind.Shmem || kind === FrameKind.Huge) data_pages += n;
    });
    const report: Report = {
      format: 'ptx-report/1',
      ...(r.scenario.title !== undefined ? { title: r.scenario.title } : {}),
      kernel: r.opts.twin ? 'mainline' : r.scenario.kernel,
      paging: r.scenario.paging,
      steps,
      tasks,
      mshare: k.hostMms().map((h) => ({
        name: h.name,
        start: '0x' + (BigInt(h.start) << 12n).toString(16),
        size: h.pages * 4096,
        refcount: h.refcount,
        pgtables_bytes: h.mm.pgtablesBytes,
      })),
      totals: {
        table_pages,
        pgtables_bytes:
          tasks.reduce((a, t) => a + t.pgtables_bytes, 0) + k.hostMms().reduce((a, h) => a + h.mm.pgtablesBytes, 0),
        data_pages,
      },
    };
    return report;
  }
}

/**
 * `changes` and `changes_omitted` made when first read (JSON.stringify,
 * postMessage's structured clone and spreading all read them): a Timeline
 * runs and keeps every step, but only the steps someone looks at need their
 * changes as objects (a 2,000-step run makes ~250,000). Both are enumerable
 * own properties from the start, so every copy and serialisation has them,
 * in this order.
 */
function lazyChanges(rs: ReportStep, log: ChangeLog, events: ReportStep['events'], tlb: TlbChange[] = []): void {
  let made: { changes: ReportStep['changes']; omitted: number } | null = null;
  const make = () => (made ??= withTlb(log.finish(events), tlb));
  Object.defineProperty(rs, 'changes', {
    enumerable: true,
    configurable: true,
    get: () => make().changes,
    set: (v: ReportStep['changes']) => void (make().changes = v),
  });
  Object.defineProperty(rs, 'changes_omitted', {
    enumerable: true,
    configurable: true,
    get: () => make().omitted || undefined,
    set: (v: number | undefined) => void (make().omitted = v ?? 0),
  });
}

/** The step's TLB changes (only with `cpus`) merged into its changes in event order. */
function withTlb(
  made: { changes: ReportStep['changes']; omitted: number },
  tlb: TlbChange[],
): { changes: ReportStep['changes']; omitted: number } {
  if (tlb.length === 0) return made;
  const out: ReportStep['changes'] = [];
  let j = 0;
  for (const c of made.changes) {
    while (j < tlb.length && (tlb[j] as TlbChange).event < c.event) out.push(tlb[j++] as TlbChange);
    out.push(c);
  }
  while (j < tlb.length) out.push(tlb[j++] as TlbChange);
  return { changes: out, omitted: made.omitted };
}

function isSinglePageAccess(st: Step): boolean {
  const op = st.op;
  if (op.op === 'exec') return true;
  if (op.op === 'read') return (op.addr & 0xfffn) + (op.len ?? 1n) <= 4096n;
  if (op.op === 'write') return (op.addr & 0xfffn) + BigInt(op.value?.length ?? 1) <= 4096n;
  return false;
}

function reportOutcome(o: Outcome): ReportStep['outcome'] {
  return o;
}

function reportWalk(w: Walk): ReportWalk {
  return {
    pfn: w.leaf && !w.fault ? w.leaf.pfn : null,
    levels: w.levels.map((l) => ({ level: l.level, index: l.index, entry: l.entry })),
  };
}

/** Tasks alive now (each a figure in a step's pgtables_bytes). */
function liveTasks(k: Kernel): number {
  let n = 0;
  for (const t of k.tasks.values()) if (t.state === 'running' && t.mm) n++;
  return n;
}

/** Tasks a step creates (at most: a spawn or fork may fail). */
function created(st: Step): number {
  return st.op.op === 'spawn' ? st.op.names.length : st.op.op === 'fork' ? st.tasks.length * st.op.children.length : 0;
}

function pgtablesByTask(k: Kernel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of k.tasks.values()) if (t.state === 'running' && t.mm) out[t.name] = t.mm.pgtablesBytes;
  return out;
}

export function runScenario(s: Scenario, opts: { twin?: boolean } = {}): Report {
  const r = new Runner(s, opts);
  const steps: ReportStep[] = [];
  while (!r.finished) steps.push(listChanges(r.step()));
  return Runner.report(r, steps);
}

/** Parse and run; a scenario that does not load throws ScenarioLoadError. */
export function runScenarioText(text: string): Report {
  const p = parseScenario(text);
  if (!p.ok) throw new ScenarioLoadError(p.errors);
  return runScenario(p.scenario);
}
