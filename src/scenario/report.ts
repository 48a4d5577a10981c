/**
 * The `ptx-report/1` JSON report (../../../shared/spec/scenario-language.md §3).
 * Field names are fixed by the contract; fields beyond it are additions.
 */
import type { KernelName } from './ast';
import type { StepChange } from '../core/changes';

export type ReportOutcome =
  | {
      kind: 'ok';
      value?: string;
      /** With `cpus` only (docs/tlb.md): the access went through a stale TLB entry, and whose frame it reached. */
      stale_tlb?: { cpu: number; va: string; pfn: number; owner: string; why: string };
    }
  | { kind: 'errno'; errno: string; why?: string }
  | { kind: 'signal'; signal: string; cause: string }
  | { kind: 'skipped'; why?: string };

export interface ReportEvent {
  fn: string;
  task?: string;
  detail?: string;
  /** For mshare steps: the patch lines that ran, as "file, version: code". */
  src?: string;
}

export interface ReportWalk {
  pfn: number | null;
  levels: { level: string; index: number; entry: string | null }[];
}

export interface ReportStep {
  index: number;
  line: number;
  task: string | null;
  op: string;
  note?: string;
  outcome: ReportOutcome;
  /** For a group: how many of its tasks ended each way. */
  outcomes?: Record<string, number>;
  events: ReportEvent[];
  pgtables_bytes: Record<string, number>;
  /** Page-table bytes of the mshare host mms after the step (not in pgtables_bytes, which is per task). */
  hosts_pgtables_bytes?: number;
  walk?: ReportWalk;
  /** With `cpus N` only: what the TLBs did in this step and hold after it (docs/tlb.md). */
  tlb?: import('./report-tlb').ReportTlb;
  /**
   * Only on the step that passed the work budget (src/core/budget.ts): which
   * limit and its value. Its outcome is `skipped` with the reason in words,
   * and every later step is `skipped` without figures (nothing runs after it).
   */
  too_large?: { limit: 'pages' | 'cells' | 'events'; max: number };
  /**
   * What the step changed, in event order, each naming its event
   * (src/core/changes.ts; docs/scenario-language.md "changes"). The core
   * keeps at most MAX_KEPT_CHANGES (src/core/change-log.ts) of a step, the
   * JSON report lists at most MAX_LISTED_CHANGES (listChanges()).
   */
  changes: StepChange[];
  /** How many of the step's changes `changes` leaves out, counted but not listed (absent when none). */
  changes_omitted?: number;
}

/**
 * Most changes a step lists in the JSON report (`ptx run --json`, the
 * goldens): a group step of the SGA changes thousands of entries (a set_pgd
 * per client, a table per OOM-killed client), which the report counts
 * rather than lists. The first ones are listed: in event order, so the
 * listed ones are whole events' worth from the start of the step.
 */
export const MAX_LISTED_CHANGES = 100;

/** The step as the JSON report lists it: changes past MAX_LISTED_CHANGES counted in changes_omitted. */
export function listChanges(step: ReportStep): ReportStep {
  const n = step.changes.length;
  if (n <= MAX_LISTED_CHANGES) return step;
  return {
    ...step,
    changes: step.changes.slice(0, MAX_LISTED_CHANGES),
    changes_omitted: n - MAX_LISTED_CHANGES + (step.changes_omitted ?? 0),
  };
}

export interface ReportTask {
  name: string;
  pid: number;
  state: 'running' | 'exited' | 'killed';
  pgtables_bytes: number;
  rss_pages: number;
  /**
   * Minor faults the task has taken (ru_minflt of getrusage(RUSAGE_SELF);
   * current->min_flt, counted by mm_account_fault() in mm/memory.c: one per
   * handle_mm_fault() that ends without an error or VM_FAULT_RETRY, so a
   * fault-around that maps 16 pages is one and mshare's VM_FAULT_NOPAGE is
   * one). Absent once the task has exited or been killed. An addition to
   * ptx-report/1.
   */
  min_flt?: number;
  /** Table pages this task's mm holds, by level. */
  table_pages: Record<string, number>;
}

export interface ReportMshare {
  name: string;
  start: string;
  size: number;
  refcount: number;
  pgtables_bytes: number;
}

export interface Report {
  format: 'ptx-report/1';
  title?: string;
  kernel: KernelName;
  paging: 4 | 5;
  steps: ReportStep[];
  tasks: ReportTask[];
  mshare: ReportMshare[];
  totals: {
    table_pages: { pgd: number; p4d: number; pud: number; pmd: number; pte: number };
    /** Every mm's pgtables_bytes added up, the mshare hosts' included. */
    pgtables_bytes: number;
    data_pages: number;
  };
  /** With `ptx run --compare mainline`: the same scenario without sharing. */
  compare?: import('./compare').Comparison;
}
