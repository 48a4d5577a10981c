/**
 * "With and without sharing": the same scenario run as mainline Linux, each
 * mshare region turned into a plain shared mapping of one shmem object, so
 * the memory is shared in both runs and only the page tables differ.
 */
import type { Scenario } from './ast';
import type { Report } from './report';
import { runScenario } from './run';

export interface Comparison {
  kernel: 'mainline';
  /** Per task, at the end: page-table bytes with the scenario's kernel and with mainline. */
  tasks: { name: string; pgtables_bytes: number; mainline_pgtables_bytes: number }[];
  /** All mms (mshare hosts included) after each step. */
  steps: { index: number; pgtables_bytes: number; mainline_pgtables_bytes: number }[];
  totals: { pgtables_bytes: number; mainline_pgtables_bytes: number; saved_bytes: number };
}

/** The mainline twin's report, or null when the scenario is mainline already. */
export function compareReport(s: Scenario): Report | null {
  if (s.kernel === 'mainline') return null;
  return runScenario(s, { twin: true });
}

const stepTotal = (r: Report, i: number): number => {
  const st = r.steps[i];
  return st ? Object.values(st.pgtables_bytes).reduce((a, b) => a + b, 0) + (st.hosts_pgtables_bytes ?? 0) : 0;
};

/** Put a report beside its mainline twin. */
export function comparison(report: Report, twin: Report): Comparison {
  const byName = new Map(twin.tasks.map((t) => [t.name, t.pgtables_bytes]));
  return {
    kernel: 'mainline',
    tasks: report.tasks.map((t) => ({ name: t.name, pgtables_bytes: t.pgtables_bytes, mainline_pgtables_bytes: byName.get(t.name) ?? 0 })),
    steps: report.steps.map((s, i) => ({ index: s.index, pgtables_bytes: stepTotal(report, i), mainline_pgtables_bytes: stepTotal(twin, i) })),
    totals: {
      pgtables_bytes: report.totals.pgtables_bytes,
      mainline_pgtables_bytes: twin.totals.pgtables_bytes,
      saved_bytes: twin.totals.pgtables_bytes - report.totals.pgtables_bytes,
    },
  };
}
