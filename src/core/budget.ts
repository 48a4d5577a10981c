/**
 * The work budget: how much a scenario may make this simulator do, so that
 * no scenario (a link from a stranger, a file from a mailing list) can take
 * the machine running it down. The same limits hold in the app's worker and
 * in `ptx run`, because the Runner (src/scenario/run.ts) enforces them.
 *
 * What costs the host memory or time is not what the simulated machine has
 * (Runs make a 300 GiB populate a handful of objects) but:
 *
 *  - pages simulated **one at a time**: each is a walk and a fault, ~1-7 µs,
 *    and usually an entry of its own (a Single); the block paths of
 *    populate.ts and hugetlb-populate.ts count nothing, the page-by-page loops and
 *    every task's part of a step count one each;
 *  - per-task figures a report keeps: ptx-report/1 lists `pgtables_bytes`
 *    of every live task after every step, so tasks × steps numbers;
 *  - events listed in the reports.
 *
 * Past a limit the step stops at a safe point (between two page accesses, or
 * two tasks of a group: never inside a fault), its outcome says which limit
 * and how to shrink the scenario, and no later step runs. Frames are bounded
 * differently, as Linux bounds them: a machine has DEFAULT_MEMORY_BYTES of
 * RAM unless the scenario says `memory`, and a fault past it is the OOM kill.
 *
 * The counters live in the Machine, so a kernel copied into a checkpoint
 * (src/scenario/timeline.ts) carries them and a replay stops where the first
 * run stopped.
 */
import { groupDigits } from './events';

/**
 * RAM of a machine whose scenario has no `memory` directive: 4 TiB. Large
 * enough for every scenario of the gallery and bench/ to run as before (the
 * largest, bench/sga-mainline.ptx, peaks at 1.18 TiB: 300 GiB of SGA and
 * 1,500 × 601 MiB of page tables), as large as big database servers are,
 * and small enough that a runaway touch or fork chain ends in the OOM kill
 * (or fork's ENOMEM) after a few thousand operations, not by exhausting the
 * host.
 */
export const DEFAULT_MEMORY_BYTES = 4n << 40n;
export const DEFAULT_MEMORY_PAGES = Number(DEFAULT_MEMORY_BYTES >> 12n);

export interface BudgetLimits {
  /** Pages simulated one at a time, in all (page-by-page faults, and each task's part of each step). */
  pages: number;
  /** Per-task figures the reports hold: Σ over steps of the tasks alive after it. */
  cells: number;
  /** Events listed in the reports, in all. */
  events: number;
}

/**
 * The limits. Each is far above what any scenario of the gallery or bench/
 * uses (at most 4,501 pages, 7,500 cells and 27,882 events, the SGAs with
 * their mainline twins; budget.test.ts holds every one below a tenth of each
 * limit), and low enough that the worst a scenario can make the simulator
 * hold stays in the hundreds of MB: a page simulated alone costs ~100-300
 * bytes, a cell ~50 (as JSON ~30), an event ~150.
 */
export const LIMITS: Readonly<BudgetLimits> = Object.freeze({ pages: 1_000_000, cells: 1_000_000, events: 250_000 });

export type BudgetLimit = keyof BudgetLimits;

/** Thrown at a safe point when a limit is passed; the Runner turns it into the step's outcome. */
export class BudgetExceeded extends Error {
  constructor(
    readonly limit: BudgetLimit,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

const fmt = groupDigits;

/** The words for each limit: what was too much, and how to make the scenario smaller. */
export function budgetMessage(limit: BudgetLimit, max: number): string {
  switch (limit) {
    case 'pages':
      return `too large to simulate: more than ${fmt(max)} pages would be simulated one at a time (4 KiB or 2 MiB hugetlb pages faulted outside whole page-table blocks, and one per task of each step). Touch shorter ranges, or use fewer tasks`;
    case 'cells':
      return `too large to simulate: the report would keep more than ${fmt(max)} per-task figures (page-table bytes of every live task after every step). Use fewer tasks, or fewer steps while many tasks are alive`;
    case 'events':
      return `too large to simulate: the steps would list more than ${fmt(max)} kernel events. Use fewer tasks per step, or touch instead of many reads and writes`;
  }
}

export class Budget {
  /** Pages simulated one at a time so far. */
  pages = 0;
  /** Per-task figures kept so far. */
  cells = 0;
  /** Events listed by the steps done so far. */
  events = 0;
  /** Set once a limit was passed: no step runs after it. */
  stopped: { step: number; limit: BudgetLimit; max: number; message: string } | null = null;

  /** The limits (LIMITS; tests lower them to reach them cheaply), an own copy: a checkpoint fills it in place. */
  limits: BudgetLimits;

  constructor(limits: Readonly<BudgetLimits> = LIMITS) {
    this.limits = { ...limits };
  }

  /** n more pages simulated one at a time; call where stopping leaves the state whole (before an access). */
  page(n = 1): void {
    this.pages += n;
    if (this.pages > this.limits.pages) this.exceed('pages');
  }

  /** Would keeping `tasks` more figures pass the limit? (Checked before a step runs.) */
  checkCells(tasks: number): void {
    if (this.cells + tasks > this.limits.cells) this.exceed('cells');
  }

  /** Events listed so far plus `pending` of the running step. */
  checkEvents(pending: number): void {
    if (this.events + pending > this.limits.events) this.exceed('events');
  }

  exceed(limit: BudgetLimit): never {
    const max = this.limits[limit];
    throw new BudgetExceeded(limit, max, budgetMessage(limit, max));
  }
}
