/**
 * The mainline twin of a scenario (the comparison is ./compare.ts), run one
 * statement at a time: the app asks for the step on screen and no further
 * (issue 13), the CLI for all of them.
 *
 * The twin can run out of memory where sharing did not: the cover letter's
 * SGA without mshare fits 361 of its 1,500 clients in 512 GiB and the OOM
 * model kills the rest (docs/mshare.md, "Memory and the OOM model"). What
 * the twin *holds* is then only what fit; what sharing-free tables *need*
 * comes from a second twin on a machine as large as the language allows
 * (NEEDED_MEMORY), started once the first has OOM-killed a task.
 */
import type { KernelName, Scenario } from './ast';
import { Runner } from './run';
import type { Kernel } from '../core/kernel';

import { twinOom } from './accounting-words';

export { twinOom };

/**
 * RAM of the machine the "needed" twin runs on: 4 PiB, the largest `memory`
 * the language accepts, so that what sharing-free tables need is measured
 * rather than cut short by the scenario's RAM (or by a default RAM size).
 */
export const NEEDED_MEMORY = 4n << 50n;

/** The twin's OOM figures at one step. */
export interface TwinOom {
  /** Tasks of the twin killed out of memory so far. */
  killed: number;
  /** Tasks of the twin still running: those that fit. */
  fit: number;
  /** fit + killed: the tasks that wanted to run. */
  tasks: number;
  /** The machine's RAM (`memory`), null when the scenario declares none. */
  memory_bytes: number | null;
  /** Page-table bytes the twin holds (what fit). */
  fit_pgtables_bytes: number;
  /** Page-table bytes without sharing on a machine large enough: what was needed. Null: not computed (stopped). */
  needed_pgtables_bytes: number | null;
  /** When every task of the needed twin holds the same bytes, those bytes (the "1,500 × 601.2 MiB"). */
  needed_each: number | null;
  /** Even a 4 PiB machine ran out: needed_pgtables_bytes is a lower bound. */
  needed_at_least?: true;
  /** Page-table bytes with the scenario's kernel, and that kernel's name. */
  with_pgtables_bytes: number;
  with_kernel: KernelName;
}

/** The twins at step n (0 = before the first statement). */
export interface TwinAt {
  step: number;
  /** Page-table bytes of each task the twin has running, on the scenario's machine. */
  fit: Record<string, number>;
  fitTotal: number;
  /** Tasks the twin killed out of memory so far. */
  oomKilled: number;
  /** The same on a machine large enough (NEEDED_MEMORY); null while no task was OOM-killed (then it equals `fit`). */
  needed: Record<string, number> | null;
  /** What sharing-free tables need: `fit`'s total while nothing was killed. */
  neededTotal: number;
  /** Even NEEDED_MEMORY was not enough: `neededTotal` is a lower bound. */
  neededShort: boolean;
}

interface Row {
  fit: [string, number][];
  fitTotal: number;
  oomKilled: number;
  needed: [string, number][] | null;
  neededTotal: number | null;
  /** The needed twin OOM-killed too (more than NEEDED_MEMORY was needed): its total is a lower bound. */
  neededShort: boolean;
}

/** A task that is not running: its entry in a delta. */
const GONE = -1;

function byTask(k: Kernel): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of k.tasks.values()) if (t.state === 'running' && t.mm) out.set(t.name, t.mm.pgtablesBytes);
  return out;
}

function totalOf(k: Kernel, tasks: Map<string, number>): number {
  let sum = 0;
  for (const b of tasks.values()) sum += b;
  for (const h of k.hostMms()) sum += h.mm.pgtablesBytes;
  return sum;
}

function oomKilledIn(k: Kernel): number {
  let n = 0;
  // fault.ts kills with SIGKILL and cause "out of memory at …" (pagefault_out_of_memory).
  for (const t of k.tasks.values()) if (t.state === 'killed' && t.cause?.startsWith('out of memory')) n++;
  return n;
}

/** Changes from `prev` to `next`, and `prev` made equal to `next`. */
function delta(prev: Map<string, number>, next: Map<string, number>): [string, number][] {
  const out: [string, number][] = [];
  for (const [name, b] of next) if (prev.get(name) !== b) out.push([name, b]);
  for (const name of prev.keys()) if (!next.has(name)) out.push([name, GONE]);
  prev.clear();
  for (const [name, b] of next) prev.set(name, b);
  return out;
}

function apply(into: Map<string, number>, d: [string, number][]): void {
  for (const [name, b] of d) {
    if (b === GONE) into.delete(name);
    else into.set(name, b);
  }
}

/**
 * The mainline twin of a scenario, run step by step on demand: `runTo(n)`
 * runs statements until n are done (never more), `at(i)` gives the figures
 * after any step already run. Each step keeps only what changed per task, so
 * going back costs no re-run and memory grows with the changes, not with
 * tasks × steps.
 */
export class TwinAccounting {
  private readonly fitRun: Runner;
  private neededRun: Runner | null = null;
  private readonly rows: Row[] = [];
  private readonly lastFit = new Map<string, number>();
  private readonly lastNeeded = new Map<string, number>();
  private cache: { n: number; fit: Map<string, number>; needed: Map<string, number> | null } | null = null;

  constructor(readonly scenario: Scenario) {
    this.fitRun = new Runner(scenario, { twin: true });
  }

  /** Statements run so far. */
  get done(): number {
    return this.rows.length;
  }

  get length(): number {
    return this.scenario.steps.length;
  }

  /** Whether a second twin measures what was needed (the first has OOM-killed). */
  get measuresNeeded(): boolean {
    return this.neededRun !== null;
  }

  /**
   * Run statements until `n` are done (or the scenario ends). `stop` is asked
   * before each statement (a step itself cannot be interrupted); true ends
   * early. Returns whether `n` (capped at the scenario's length) was reached.
   */
  runTo(n: number, stop?: () => boolean): boolean {
    const target = Math.min(n, this.length);
    if (this.neededRun && !this.catchUpNeeded(stop)) return false;
    while (this.rows.length < target) {
      if (stop?.()) return false;
      this.fitRun.step();
      const k = this.fitRun.kernel;
      const now = byTask(k);
      const fitTotal = totalOf(k, now);
      const row: Row = {
        fit: delta(this.lastFit, now),
        fitTotal,
        oomKilled: oomKilledIn(k),
        needed: null,
        neededTotal: null,
        neededShort: false,
      };
      this.rows.push(row);
      if (row.oomKilled > 0 && !this.neededRun) {
        this.neededRun = new Runner({ ...this.scenario, memory: NEEDED_MEMORY }, { twin: true });
        this.cache = null; // its rows are about to gain the needed figures
      }
      if (this.neededRun && !this.catchUpNeeded(stop)) return false;
    }
    return this.rows.length >= target;
  }

  /** Bring the needed twin level with the first (its rows before it started are filled in too). */
  private catchUpNeeded(stop?: () => boolean): boolean {
    const r = this.neededRun as Runner;
    while (r.done < this.rows.length) {
      if (stop?.()) return false;
      r.step();
      const now = byTask(r.kernel);
      const row = this.rows[r.done - 1] as Row;
      row.needed = delta(this.lastNeeded, now);
      row.neededTotal = totalOf(r.kernel, now);
      row.neededShort = oomKilledIn(r.kernel) > 0;
      if (this.cache && this.cache.n >= r.done) this.cache = null;
    }
    return true;
  }

  /** The figures after step n (n ≤ done). */
  at(n: number): TwinAt {
    if (n > this.rows.length) throw new RangeError(`step ${n} of the twin has not run (${this.rows.length} have)`);
    let c = this.cache;
    if (!c || c.n > n) c = { n: 0, fit: new Map(), needed: null };
    for (let i = c.n; i < n; i++) {
      const row = this.rows[i] as Row;
      apply(c.fit, row.fit);
      if (row.needed) {
        c.needed ??= new Map();
        apply(c.needed, row.needed);
      }
    }
    c.n = n;
    this.cache = c;
    const row = n > 0 ? this.rows[n - 1] : undefined;
    const oomKilled = row?.oomKilled ?? 0;
    const fitTotal = row?.fitTotal ?? 0;
    // The needed twin may lag behind (stopped while catching up): then it is not known.
    const measured = oomKilled > 0 && this.neededRun !== null && this.neededRun.done >= n && c.needed !== null;
    return {
      step: n,
      fit: Object.fromEntries(c.fit),
      fitTotal,
      oomKilled,
      needed: measured ? Object.fromEntries(c.needed as Map<string, number>) : null,
      neededTotal: measured ? (row?.neededTotal as number) : fitTotal,
      neededShort: measured && (row?.neededShort ?? false),
    };
  }

  /** The OOM figures after step n, or null when the twin has killed nothing out of memory by then. */
  oomAt(n: number, withBytes: number): TwinOom | null {
    const a = this.at(n);
    return twinOom(a, withBytes, this.scenario);
  }
}
