/**
 * The Accounting tab's words and rows, shared by the app and by `ptx run
 * --compare mainline` (./compare.ts): pure functions of figures the twin
 * (./twin.ts) computed. Apart from ./twin.ts and ./compare.ts so that the
 * page can show them without loading the simulation (the twin runs in the
 * comparison worker): this module imports only types from the twin.
 */
import type { Scenario } from './ast';
import type { TwinAt, TwinOom } from './twin';
import { largestBinaryUnit } from './numbers';
import { groupDigits as count } from '../core/events';

/** The OOM figures of a twin at one step, or null when it has killed nothing out of memory. */
export function twinOom(a: TwinAt, withBytes: number, s: Pick<Scenario, 'memory' | 'kernel'>): TwinOom | null {
  if (a.oomKilled === 0) return null;
  const fit = Object.keys(a.fit).length;
  const values = a.needed ? Object.values(a.needed) : [];
  const each = values.length > 0 && values.every((v) => v === values[0]) ? (values[0] as number) : null;
  const o: TwinOom = {
    killed: a.oomKilled,
    fit,
    tasks: fit + a.oomKilled,
    memory_bytes: s.memory !== undefined ? Number(s.memory) : null,
    fit_pgtables_bytes: a.fitTotal,
    needed_pgtables_bytes: a.needed ? a.neededTotal : null,
    needed_each: each,
    with_pgtables_bytes: withBytes,
    with_kernel: s.kernel,
  };
  if (a.neededShort) o.needed_at_least = true;
  return o;
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
export function collapseRuns<T>(
  items: readonly T[],
  name: (t: T) => string,
  key: (t: T) => string,
  minRun = 3,
): Group<T>[] {
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
