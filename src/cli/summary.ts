/** The readable form of a report, for `ptx run` without --json. */
import { groupDigits } from '../core/events';
import type { Report, ReportStep } from '../scenario/report';
import { describeChange } from '../core/describe-changes';

const KiB = (b: number): string => `${groupDigits(b / 1024)} KiB`;

function outcomeText(s: ReportStep): string {
  const o = s.outcome;
  let t: string;
  if (o.kind === 'ok') t = o.value !== undefined ? `ok ${o.value.length > 40 ? o.value.slice(0, 40) + '…' : o.value}` : 'ok';
  else if (o.kind === 'errno') t = `${o.errno}${o.why ? ` (${o.why})` : ''}`;
  else if (o.kind === 'signal') t = `${o.signal}: ${o.cause}`;
  else t = `skipped${o.why ? ` (${o.why})` : ''}`;
  if (s.outcomes) t += `  [${Object.entries(s.outcomes).map(([k, n]) => `${k} ×${n}`).join(', ')}]`;
  return t;
}

/** At most this many events per step are printed; the JSON report has them all. */
const MAX_EVENTS = 12;
/** At most this many of a step's changes are printed, in words (describeChange()); the JSON report lists more. */
const MAX_CHANGES = 12;

export function formatSummary(r: Report, sourceLines: string[]): string {
  const out: string[] = [];
  out.push(`${r.title ? `"${r.title}" · ` : ''}kernel ${r.kernel} · ${r.paging}-level paging · ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}`);
  out.push('');
  for (const s of r.steps) {
    if (s.note) for (const l of s.note.split('\n')) out.push(`   # ${l}`);
    const src = (sourceLines[s.line - 1] ?? '').trim();
    out.push(`${String(s.index).padStart(3)}  ${src}`);
    out.push(`       → ${outcomeText(s)}`);
    const evs = s.events.slice(0, MAX_EVENTS);
    for (const e of evs) out.push(`         ${e.task && e.task !== s.task ? e.task + ': ' : ''}${e.fn}${e.detail ? ` — ${e.detail}` : ''}`);
    if (s.events.length > MAX_EVENTS) out.push(`         … ${s.events.length - MAX_EVENTS} more events (see --json)`);
    if (s.changes.length) {
      out.push('       changes:');
      for (const c of s.changes.slice(0, MAX_CHANGES)) out.push(`         ${describeChange(c)}`);
      const more = s.changes.length - MAX_CHANGES + (s.changes_omitted ?? 0);
      if (more > 0) out.push(`         … ${groupDigits(more)} more change${more === 1 ? '' : 's'}${s.changes.length > MAX_CHANGES ? ' (see --json)' : ''}`);
    }
    const pt = Object.entries(s.pgtables_bytes);
    if (pt.length) {
      const shown = pt.length > 8 ? [...pt.slice(0, 6), ['…', NaN] as const, pt[pt.length - 1] as [string, number]] : pt;
      out.push(`       page tables: ${shown.map(([n, b]) => (n === '…' ? '…' : `${n} ${KiB(b as number)}`)).join(', ')}`);
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
    out.push(`  ${t.name.padEnd(10)} pid ${String(t.pid).padEnd(5)} ${t.state.padEnd(8)} VmPTE ${KiB(t.pgtables_bytes).padStart(14)}  rss ${groupDigits(t.rss_pages)} pages`);
  }
  for (const m of r.mshare) out.push(`  mshare "${m.name}" at ${m.start}, ${groupDigits(m.size)} bytes, refcount ${m.refcount}, host page tables ${KiB(m.pgtables_bytes)}`);
  const tp = r.totals.table_pages;
  out.push('');
  out.push(`totals: table pages pgd ${groupDigits(tp.pgd)}, p4d ${groupDigits(tp.p4d)}, pud ${groupDigits(tp.pud)}, pmd ${groupDigits(tp.pmd)}, pte ${groupDigits(tp.pte)}`);
  out.push(`        page tables ${KiB(r.totals.pgtables_bytes)} (${(r.totals.pgtables_bytes / 2 ** 30).toFixed(1)} GiB), data pages ${groupDigits(r.totals.data_pages)}`);
  if (r.compare) {
    const c = r.compare;
    out.push('');
    out.push(`compared with mainline (each region a plain shared mapping):`);
    for (const t of c.tasks.length > 12 ? [...c.tasks.slice(0, 10), c.tasks[c.tasks.length - 1]!] : c.tasks) {
      out.push(`  ${t.name.padEnd(10)} ${KiB(t.pgtables_bytes).padStart(14)} here, ${KiB(t.mainline_pgtables_bytes).padStart(16)} with mainline`);
    }
    const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
    out.push(`  all mms    ${KiB(c.totals.pgtables_bytes)} (${gib(c.totals.pgtables_bytes)}) here, ${KiB(c.totals.mainline_pgtables_bytes)} (${gib(c.totals.mainline_pgtables_bytes)}) with mainline: ${gib(c.totals.saved_bytes)} saved`);
  }
  return out.join('\n');
}
