/**
 * Where the core's writes tell the change log (./change-log.ts) what they
 * did: table.ts (entries), machine.ts (table pages and their charge),
 * frames.ts (data pages) call `rec` when it is set. It is set only while a
 * scenario step runs (Runner.step(), src/scenario/run.ts), so everything else
 * (benchmarks, clones, the views' inspect()) pays one null test per write.
 *
 * A module variable rather than a field of the Machine: a Table knows no
 * machine. Steps run synchronously, one at a time, so the one recorder set
 * is the machine's that is stepping.
 */
import type { Charge, Lin, Table } from './table';
import type { FrameKind } from './frames';

/** An entry as the recorder sees it: none is null. */
export interface EntryBits {
  pfn: number;
  flags: number;
}

export interface ChangeRecorder {
  /**
   * Entry i of t went from (oldPfn, oldFlags) to (pfn, flags); a PFN of -1 is none. Numbers, not objects: this runs on
   * every fault.
   */
  entry(t: Table, i: number, oldPfn: number, oldFlags: number, pfn: number, flags: number): void;
  /** Entries [i, j) of t, and the subtrees under them, went from the Run of `old` to that of `nu` (null: none). */
  block(t: Table, i: number, j: number, old: Lin | null, nu: Lin | null): void;
  /** n table pages of level lvl from pfn, charged to mm, allocated or freed. */
  table(op: 'alloc' | 'free', mm: Charge, lvl: number, pfn: number, n: number): void;
  /** n data frames from pfn of one kind allocated or freed. */
  data(op: 'alloc' | 'free', pfn: number, n: number, kind: FrameKind): void;
  /** mm.tables[lvl] just changed by delta (VmPTE, for levels 0-2). */
  charge(mm: Charge, lvl: number, delta: number): void;
  /** How many changes are recorded so far (for claim()). */
  mark(): number;
  /**
   * The changes recorded since `mark` belong to the event just emitted: for
   * the core's functions that announce their work after doing it
   * (pud_alloc, set_pgd, copy_page_range, …). With `event` (an
   * EventLog.current taken earlier): to that event instead, or to the
   * latest one already given out, if that is later (tags never go back).
   */
  claim(mark: number, event?: number): void;
}

export let rec: ChangeRecorder | null = null;

export function setRecorder(r: ChangeRecorder | null): void {
  rec = r;
}

/** rec.mark(), or 0 when nothing records. */
export function changeMark(): number {
  return rec === null ? 0 : rec.mark();
}

/** rec.claim(mark, event) when recording. */
export function claimChanges(mark: number, event?: number): void {
  if (rec !== null) rec.claim(mark, event);
}
