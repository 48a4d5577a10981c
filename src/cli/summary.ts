/** The readable form of a report, for `ptx run` without --json. */
import { groupDigits } from '../core/events';
import type { Report, ReportStep } from '../scenario/report';
import { bytesInWords, collapseRuns, type Comparison } from '../scenario/compare';
import { describeChange } from '../core/describe-changes';

const KiB = (b: number): string => `${groupDigits(b / 1024)} KiB`;

function outcomeText(s: ReportStep): string {
  const o = s.outcome;
  let t: string;
  if (o.kind === 'ok')
    t = o.value !== undefined ? `ok ${o.value.length > 40 ? o.value.slice(0, 40) + '…' : o.value}` : 'ok';
  else if (o.kind === 'errno') t = `${o.errno}${o.why ? ` (${o.why})` : ''}`;
  else if (o.kind === 'signal') t = `${o.signal}: ${o.cause}`;
  else t = `skipped${o.why ? ` (${o.why})` : ''}`;
  if (s.outcomes)
    t += `  [${Object.entries(s.outcomes)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}]`;
  return t;
}

/** At most this many events per step are printed; the JSON report has them all. */
const MAX_EVENTS = 12;
/** At most this many of a step's changes are printed, in words (describeChange()); the JSON report lists more. */
const MAX_CHANGES = 12;

export function formatSummary(r: Report, sourceLines: string[]): string {
  const out: string[] = [];
  out.push(
    `${r.title ? `"${r.title}" · ` : ''}kernel ${r.kernel} · ${r.paging}-level paging · ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}`,
  );
  out.push('');
  for (const s of r.steps) {
    if (s.note) for (const l of s.note.split('\n')) out.push(`   # ${l}`);
    const src = (sourceLines[s.line - 1] ?? '').trim();
    out.push(`${String(s.index).padStart(3)}  ${src}`);
    out.push(`       → ${outcomeText(s)}`);
    const evs = s.events.slice(0, MAX_EVENTS);
    for (const e of evs)
      out.push(
        `         ${e.task && e.task !== s.task ? e.task + ': ' : ''}${e.fn}${e.detail ? ` — ${e.detail}` : ''}`,
      );
    if (s.events.length > MAX_EVENTS) out.push(`         … ${s.events.length - MAX_EVENTS} more events (see --json)`);
    if (s.changes.length) {
      out.push('       changes:');
      for (const c of s.changes.slice(0, MAX_CHANGES)) out.push(`         ${describeChange(c)}`);
      const more = s.changes.length - MAX_CHANGES + (s.changes_omitted ?? 0);
      if (more > 0)
        out.push(
          `         … ${groupDigits(more)} more change${more === 1 ? '' : 's'}${s.changes.length > MAX_CHANGES ? ' (see --json)' : ''}`,
        );
    }
    const pt = Object.entries(s.pgtables_bytes);
    if (pt.length) {
      const shown =
        pt.length > 8 ? [...pt.slice(0, 6), ['…', NaN] as const, pt[pt.length - 1] as [string, number]] : pt;
      out.push(
        `       page tables: ${shown.map(([n, b]) => (n === '…' ? '…' : `${n} ${KiB(b as number)}`)).join(', ')}`,
      );
    }
  }
  out.push('');
  out.push('tasks:');
  const tasks = r.tasks.length > 12 ? [...r.tasks.slice(0, 10), null, r.tasks[r.tasks.length - 1]] : r.tasks;
  for (const t of tasks) {
    if (!t) {
      out.push(`  … ${r.tasks.length - 11} more`);
      continue;
    }
    out.push(
      `  ${t.name.padEnd(10)} pid ${String(t.pid).padEnd(5)} ${t.state.padEnd(8)} VmPTE ${KiB(t.pgtables_bytes).padStart(14)}  rss ${groupDigits(t.rss_pages)} pages`,
    );
  }
  for (const m of r.mshare)
    out.push(
      `  mshare "${m.name}" at ${m.start}, ${groupDigits(m.size)} bytes, refcount ${m.refcount}, host page tables ${KiB(m.pgtables_bytes)}`,
    );
  const tp = r.totals.table_pages;
  out.push('');
  out.push(
    `totals: table pages pgd ${groupDigits(tp.pgd)}, p4d ${groupDigits(tp.p4d)}, pud ${groupDigits(tp.pud)}, pmd ${groupDigits(tp.pmd)}, pte ${groupDigits(tp.pte)}`,
  );
  out.push(
    `        page tables ${KiB(r.totals.pgtables_bytes)} (${(r.totals.pgtables_bytes / 2 ** 30).toFixed(1)} GiB), data pages ${groupDigits(r.totals.data_pages)}`,
  );
  if (r.compare) out.push('', ...formatComparison(r.compare));
  return out.join('\n');
}

/** At most this many groups of tasks in the comparison; the JSON report has every task. */
const MAX_GROUPS = 12;

/**
 * The "compared with mainline" section: tasks with the same figures in a row
 * collapse into one line ("db362–db1500 (1,139 tasks), each"); when the twin
 * ran out of memory, what it needed beside what fit, and oomWords() (the
 * sentence the app's Accounting tab shows).
 */
export function formatComparison(c: Comparison): string[] {
  const out = ['compared with mainline (each region a plain shared mapping):'];
  const groups = collapseRuns(
    c.tasks,
    (t) => t.name,
    (t) =>
      `${t.pgtables_bytes} ${t.mainline_pgtables_bytes} ${t.mainline_needed_pgtables_bytes ?? ''} ${t.mainline_oom_killed ?? ''}`,
  );
  const shown = groups.slice(0, MAX_GROUPS);
  const labels = shown.map((g) =>
    g.names.length > 1 ? `${g.label} (${groupDigits(g.names.length)} tasks), each` : g.label,
  );
  const w = Math.max(10, ...labels.map((l) => l.length));
  shown.forEach((g, i) => {
    const t = g.first;
    const there = t.mainline_oom_killed
      ? `killed out of memory with mainline (it needed ${KiB(t.mainline_needed_pgtables_bytes ?? 0)})`
      : `${KiB(t.mainline_pgtables_bytes).padStart(16)} with mainline`;
    out.push(`  ${(labels[i] as string).padEnd(w)} ${KiB(t.pgtables_bytes).padStart(14)} here, ${there}`);
  });
  const rest = groups.slice(MAX_GROUPS).reduce((a, g) => a + g.names.length, 0);
  if (rest) out.push(`  … ${groupDigits(rest)} more tasks (see --json)`);
  const here = bytesInWords(c.totals.pgtables_bytes);
  const saved = bytesInWords(c.totals.saved_bytes);
  if (c.oom) {
    const needed =
      c.oom.needed_pgtables_bytes === null
        ? 'not computed'
        : `${c.oom.needed_at_least ? 'at least ' : ''}${bytesInWords(c.oom.needed_pgtables_bytes)} needed`;
    out.push(
      `  all mms: ${here} here; with mainline ${needed}, ${bytesInWords(c.totals.mainline_pgtables_bytes)} held by the tasks that fit: ${saved} saved`,
    );
    out.push(`  ${c.oom.words}`);
  } else {
    out.push(
      `  all mms: ${here} here, ${bytesInWords(c.totals.mainline_pgtables_bytes)} with mainline: ${saved} saved`,
    );
  }
  return out;
}
