/**
 * The `ptx-report/1` JSON report (../../../shared/spec/scenario-language.md §3).
 * Field names are fixed by the contract; fields beyond it are additions.
 */
import type { KernelName } from './ast';

export type ReportOutcome =
  | { kind: 'ok'; value?: string }
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
  /**
   * Only on the step that passed the work budget (src/core/budget.ts): which
   * limit and its value. Its outcome is `skipped` with the reason in words,
   * and every later step is `skipped` without figures (nothing runs after it).
   */
  too_large?: { limit: 'pages' | 'cells' | 'events'; max: number };
}

export interface ReportTask {
  name: string;
  pid: number;
  state: 'running' | 'exited' | 'killed';
  pgtables_bytes: number;
  rss_pages: number;
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
