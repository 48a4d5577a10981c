/**
 * The Accounting panel's figures inside a step (issue 14's event-by-event
 * view): the report before the step with the step's changes of the first
 * `done` events played onto it. The tree already shows that moment
 * (src/core/apply-changes.ts); the panel beside it showed the whole step's
 * figures (12 KiB of host tables at mmap_read_lock, the tree still empty).
 *
 * The changes are the whole truth about these figures: every table page
 * allocated or freed, each data frame, each mm's pgtables_bytes (VmPTE), in
 * event order (src/core/change-log.property.test.ts plays them onto the
 * machine of every kernel variant). So: pgtables_bytes is the last `to` of
 * its mm's `pgtables` changes so far, table pages count allocs and frees by
 * mm and level, and the frames in use count both table and data frames.
 * eventReport.test.ts checks that playing every event gives the step's own
 * report, for every step of the gallery.
 *
 * hugetlb PMD sharing charges a PMD page to a second mm without allocating
 * one: its share and unshare entries say so. A recharge (mshare v1: a donor's
 * tables moving to the host) moves table pages between mms with no change
 * naming their levels: then the figures of that moment are not known, and
 * null says so (the panel shows the whole step's and says why).
 *
 * Which tasks exist: those before the step, and one the step creates (fork:
 * dup_mm allocates its PGD first) once a change of its mm has happened. A
 * task the step ends stays listed, its tables going one by one, until the
 * step's end; an mshare host likewise until its PGD page is freed. Not
 * played, since no change records them: rss_pages and min_flt (the panel
 * shows neither) and a region's refcount (shown: inside the step that
 * attaches or unlinks, it is the step's start value until the step's end).
 * All stay the step's start values.
 */
import type { StepChange } from '../core/changes';
import type { Report, ReportTask } from '../scenario/report';

type Figures = Omit<Report, 'steps'>;
type Levels = Figures['totals']['table_pages'];

/** The mm label of an mshare region's host (src/core/mshare-v1.ts, msharefs.ts newHostMm). */
const hostLabel = (region: string): string => `mshare:${region}`;

export function reportAtEvent(
  before: { report: Figures; usedPages: number },
  after: Figures,
  changes: readonly StepChange[],
  done: number,
): { report: Figures; usedPages: number } | null {
  const played = changes.filter((c) => c.event < done);
  const touched = new Set<string>();
  const bytes = new Map<string, number>();
  const tables = new Map<string, Record<string, number>>();
  const totals: Levels = { ...before.report.totals.table_pages };
  let dataPages = before.report.totals.data_pages;
  let usedPages = before.usedPages;
  const startTables = new Map(before.report.tasks.map((t) => [t.name, t.table_pages]));
  /** An mm's table pages by level so far, from its count before the step (none for a host or a new task). */
  const tablesOf = (mm: string) => {
    let t = tables.get(mm);
    if (!t) tables.set(mm, (t = { ...startTables.get(mm) }));
    return t;
  };
  for (const c of played) {
    if ('mm' in c && typeof c.mm === 'string') touched.add(c.mm);
    switch (c.kind) {
      case 'pgtables':
        bytes.set(c.mm, c.to);
        break;
      case 'table-alloc':
      case 'table-free': {
        const n = (c.count ?? 1) * (c.kind === 'table-alloc' ? 1 : -1);
        const t = tablesOf(c.mm);
        t[c.level] = (t[c.level] ?? 0) + n;
        totals[c.level] += n;
        usedPages += n;
        break;
      }
      // hugetlb PMD sharing links another mm's PMD page and charges it to this mm too (mm_inc_nr_pmds() in
      // huge_pmd_share(); mm_dec_nr_pmds() in huge_pmd_unshare()): no page is allocated or freed.
      case 'entry-set':
        if (c.fn === 'huge_pmd_share' && c.level === 'pud') {
          const t = tablesOf(c.mm);
          t.pmd = (t.pmd ?? 0) + (c.count ?? 1);
        }
        break;
      case 'entry-cleared':
        if (c.fn === 'huge_pmd_unshare' && c.level === 'pud') {
          const t = tablesOf(c.mm);
          t.pmd = (t.pmd ?? 0) - (c.count ?? 1);
        }
        break;
      case 'data-alloc':
      case 'data-free': {
        const n = (c.count ?? 1) * (c.kind === 'data-alloc' ? 1 : -1);
        dataPages += n;
        usedPages += n;
        break;
      }
      default:
        break;
    }
  }
  const was = new Map(before.report.tasks.map((t) => [t.name, t]));
  const tasks: ReportTask[] = [];
  for (const a of after.tasks) {
    const b = was.get(a.name);
    if (!b && !touched.has(a.name)) continue; // created by this step, not yet
    const start: ReportTask = b ?? { ...a, state: 'running', pgtables_bytes: 0, rss_pages: 0, table_pages: {} };
    const t = tables.get(a.name);
    tasks.push({
      ...start,
      pgtables_bytes: bytes.get(a.name) ?? start.pgtables_bytes,
      table_pages: t ?? start.table_pages,
    });
  }
  // A table page can also change hands without being allocated or freed (mshare v1's recharge() of a donor's
  // tables to the host): the changes then do not say which levels moved. Each task's levels must add up to its
  // VmPTE (mm_pgtables_bytes(): its PTE, PMD and PUD pages), or the moment's figures are not known: null.
  for (const t of tasks) {
    const p = t.table_pages;
    if (((p.pte ?? 0) + (p.pmd ?? 0) + (p.pud ?? 0)) * 4096 !== t.pgtables_bytes) return null;
  }
  // The hosts before the step, one the step creates once a change of its mm has happened, and one the step frees
  // until its PGD page is freed (mm_free_pgd(), the host mm's end).
  const freed = new Set<string>();
  for (const c of played) if (c.kind === 'table-free' && c.level === 'pgd') freed.add(c.mm);
  const hostsAfter = new Set(after.mshare.map((m) => m.name));
  const mshare = [
    ...before.report.mshare.filter((m) => hostsAfter.has(m.name) || !freed.has(hostLabel(m.name))),
    ...after.mshare
      .filter((m) => !before.report.mshare.some((b) => b.name === m.name) && touched.has(hostLabel(m.name)))
      .map((m) => ({ ...m, pgtables_bytes: 0 })),
  ].map((m) => ({ ...m, pgtables_bytes: bytes.get(hostLabel(m.name)) ?? m.pgtables_bytes }));
  const allBytes = tasks.reduce((s, t) => s + t.pgtables_bytes, 0) + mshare.reduce((s, m) => s + m.pgtables_bytes, 0);
  return {
    report: {
      ...after,
      tasks,
      mshare,
      totals: { table_pages: totals, pgtables_bytes: allBytes, data_pages: dataPages },
    },
    usedPages,
  };
}
