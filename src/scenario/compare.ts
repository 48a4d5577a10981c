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
import { TwinAccounting, twinOom, type TwinOom } from './twin';
import { largestBinaryUnit } from './numbers';

export interface Comparison {
  kernel: 'mainline';
  /**
   * Per task, at the end: page-table bytes with the scenario's kernel and with
   * mainline on the scenario's machine; with `oom`, also what mainline needed
   * (`mainline_needed_pgtables_bytes`) and whether the OOM model killed the task there.
   */
  tasks: { name: string; pgtables_bytes: number; mainline_pgtables_bytes: number; mainline_needed_pgtables_bytes?: number; mainline_oom_killed?: true }[];
  /** All mms (mshare hosts included) after each step; `mainline_needed_pgtables_bytes` once the twin has OOM-killed. */
  steps: { index: number; pgtables_bytes: number; mainline_pgtables_bytes: number; mainline_needed_pgtables_bytes?: number }[];
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

/**
 * Bytes in words, with one decimal in the largest binary unit that keeps the
 * value at 1 or more: 880.6 GiB, 601.2 MiB, 512 GiB (the figures of the cover
 * letter and docs/mshare.md, which a three-digit rounding would blur to 881).
 */
export function bytesInWords(n: number): string {
  if (n < 1024) return `${n} B`;
  const { v, unit } = largestBinaryUnit(n);
  const t = v.toFixed(1);
  return `${groupInt(t.endsWith('.0') ? t.slice(0, -2) : t)} ${unit}`;
}

function groupInt(t: string): string {
  const [int = '', frac] = t.split('.');
  return int.replace(/\B(?=(\d{3})+$)/g, ',') + (frac !== undefined ? '.' + frac : '');
}

const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');
const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`;

/**
 * The twin's running out of memory in words, the same in the app's
 * Accounting tab and in `ptx run --compare mainline`, e.g. "Without sharing,
 * only 361 of the 1,500 tasks fit in the machine's 512 GiB: the other 1,139
 * were killed out of memory (OOM). Their page tables would need 880.6 GiB
 * (1,500 × 601.2 MiB); the 361 that fit hold 211.9 GiB. With mshare-v1, all page tables take 601.2 MiB."
 */
export function oomWords(o: TwinOom): string {
  const where = o.memory_bytes !== null ? `in the machine's ${bytesInWords(o.memory_bytes)}` : 'in memory';
  const fit =
    o.fit === 0
      ? `Without sharing, none of the ${plural(o.tasks, 'task', 'tasks')} fit ${where}: ${o.killed === 1 ? 'it was' : 'all were'} killed out of memory (OOM).`
      : `Without sharing, only ${count(o.fit)} of the ${plural(o.tasks, 'task', 'tasks')} fit ${where}: the other ${count(o.killed)} ${o.killed === 1 ? 'was' : 'were'} killed out of memory (OOM).`;
  const need =
    o.needed_pgtables_bytes === null
      ? ' What their page tables would need was not computed (the comparison was stopped).'
      : ` Their page tables would need ${o.needed_at_least ? 'at least ' : ''}${bytesInWords(o.needed_pgtables_bytes)}${
          o.needed_each !== null && o.needed_each > 0 ? ` (${count(o.tasks)} × ${bytesInWords(o.needed_each)})` : ''
        }${o.fit > 0 ? `; the ${count(o.fit)} that fit hold ${bytesInWords(o.fit_pgtables_bytes)}` : ''}.`;
  return `${fit}${need} With ${o.with_kernel}, all page tables take ${bytesInWords(o.with_pgtables_bytes)}.`;
}

/** Consecutive items with the same key, as one group: "db2–db1500" (1,499 tasks). */
export interface Group<T> {
  first: T;
  names: string[];
  /** "db2–db1500", or the one name. */
  label: string;
}

/**
 * Collapse runs of at least `minRun` consecutive items whose `key` is equal
 * into one group, so 1,500 identical rows of "0 B" read as "db1–db1500: 0 B
 * each"; shorter runs stay one item a group (A and B of a lecture's scenario
 * keep a row each).
 */
export function collapseRuns<T>(items: readonly T[], name: (t: T) => string, key: (t: T) => string, minRun = 3): Group<T>[] {
  const out: Group<T>[] = [];
  let i = 0;
  while (i < items.length) {
    const k = key(items[i] as T);
    let j = i + 1;
    while (j < items.length && key(items[j] as T) === k) j++;
    const run = items.slice(i, j);
    if (run.length >= minRun) {
      const names = run.map(name);
      out.push({ first: run[0] as T, names, label: `${names[0]}–${names[names.length - 1]}` });
    } else for (const it of run) out.push({ first: it, names: [name(it)], label: name(it) });
    i = j;
  }
  return out;
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
    const row: Comparison['tasks'][number] = { name: t.name, pgtables_bytes: t.pgtables_bytes, mainline_pgtables_bytes: end.fit[t.name] ?? 0 };
    if (oom && end.needed) {
      row.mainline_needed_pgtables_bytes = end.needed[t.name] ?? 0;
      if (!(t.name in end.fit) && t.name in end.needed) row.mainline_oom_killed = true;
    }
    return row;
  });
  const steps: Comparison['steps'] = report.steps.map((s, i) => {
    const a = twin.at(i + 1);
    const row: Comparison['steps'][number] = { index: s.index, pgtables_bytes: stepTotal(report, i), mainline_pgtables_bytes: a.fitTotal };
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
