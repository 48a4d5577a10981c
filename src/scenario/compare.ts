/**
 * "With and without sharing": the same scenario run as mainline Linux, each
 * mshare region turned into a plain shared mapping of one shmem object, so
 * the memory is shared in both runs and only the page tables differ. The
 * twin itself (and what it needed when it ran out of memory) is ./twin.ts;
 * here are the comparison of `ptx run --compare mainline` and the words and
 * rows that the CLI and the app's Accounting tab share.
 */
import type { Scenario } from './ast';
import type { Report } from './report';
import { runScenario } from './run';
import { TwinAccounting, type TwinOom } from './twin';
import { oomWords, twinOom } from './accounting-words';

// The words and rows moved to ./accounting-words.ts (which the page loads without the simulation).
export { bytesInWords, collapseRuns, oomWords, type Group } from './accounting-words';

export interface Comparison {
  kernel: 'mainline';
  /**
   * Per task, at the end: page-table bytes with the scenario's kernel and with
   * mainline on the scenario's machine; with `oom`, also what mainline needed
   * (`mainline_needed_pgtables_bytes`) and whether the OOM model killed the task there.
   */
  tasks: {
    name: string;
    pgtables_bytes: number;
    mainline_pgtables_bytes: number;
    mainline_needed_pgtables_bytes?: number;
    mainline_oom_killed?: true;
  }[];
  /** All mms (mshare hosts included) after each step; `mainline_needed_pgtables_bytes` once the twin has OOM-killed. */
  steps: {
    index: number;
    pgtables_bytes: number;
    mainline_pgtables_bytes: number;
    mainline_needed_pgtables_bytes?: number;
  }[];
  /** saved_bytes: what mainline needed less what this kernel used (with `oom`, needed is more than what fit). */
  totals: { pgtables_bytes: number; mainline_pgtables_bytes: number; saved_bytes: number };
  /** Present when the twin ran out of memory: the OOM kills, what fit, what was needed, in figures and in words. */
  oom?: TwinOom & { words: string };
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

/** Put a report beside its mainline twin, run to the end (`twin.runTo(Infinity)`). */
export function comparison(report: Report, twin: TwinAccounting): Comparison {
  if (twin.done < twin.length) throw new RangeError('the twin has not run to the end');
  const end = twin.at(twin.done);
  const oom = twinOom(end, report.totals.pgtables_bytes, twin.scenario);
  const tasks: Comparison['tasks'] = report.tasks.map((t) => {
    const row: Comparison['tasks'][number] = {
      name: t.name,
      pgtables_bytes: t.pgtables_bytes,
      mainline_pgtables_bytes: end.fit[t.name] ?? 0,
    };
    if (oom && end.needed) {
      row.mainline_needed_pgtables_bytes = end.needed[t.name] ?? 0;
      if (!(t.name in end.fit) && t.name in end.needed) row.mainline_oom_killed = true;
    }
    return row;
  });
  const steps: Comparison['steps'] = report.steps.map((s, i) => {
    const a = twin.at(i + 1);
    const row: Comparison['steps'][number] = {
      index: s.index,
      pgtables_bytes: stepTotal(report, i),
      mainline_pgtables_bytes: a.fitTotal,
    };
    if (a.oomKilled > 0) row.mainline_needed_pgtables_bytes = a.neededTotal;
    return row;
  });
  const c: Comparison = {
    kernel: 'mainline',
    tasks,
    steps,
    totals: {
      pgtables_bytes: report.totals.pgtables_bytes,
      mainline_pgtables_bytes: end.fitTotal,
      saved_bytes: end.neededTotal - report.totals.pgtables_bytes,
    },
  };
  if (oom) c.oom = { ...oom, words: oomWords(oom) };
  return c;
}

/** The comparison of `ptx run --compare mainline`: the twin run to the end beside `report`. */
export function compareWithMainline(s: Scenario, report: Report): Comparison {
  const twin = new TwinAccounting(s);
  twin.runTo(s.steps.length);
  return comparison(report, twin);
}
