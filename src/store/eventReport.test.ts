/**
 * The Accounting panel's figures inside a step (./eventReport.ts). Two kinds
 * of check: every step of every gallery scenario played to its last event
 * gives the step's own report (what the machine says, not what this module
 * computes), and moments of two steps whose figures are worked out by hand
 * from the kernel's order of allocation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ReportTask } from '../scenario/report';
import { parseScenario } from '../scenario/parser';
import { INTRO_SCENARIO } from '../scenario/examples';
import { reportAtEvent } from './eventReport';
import { snapshotAt, stepReport, type Snapshot } from './sim';

const dir = new URL('../../scenarios/', import.meta.url);
/** The 1,500-client SGA pair are left to the golden tests: 1,500 tasks at each of their steps is minutes here. */
const FILES = readdirSync(dir).filter((f) => f.endsWith('.ptx') && !f.startsWith('sga-1500'));

function load(text: string) {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(r.errors[0]?.message);
  return r.scenario;
}

function snap(text: string, n: number, event?: number): Snapshot {
  const r = snapshotAt(text, load(text), n, [], event);
  if (!r.ok) throw new Error(r.failure.message);
  return r.snapshot;
}

/** What the panel reads of a task: levels held (a level at 0 and a missing one are the same), bytes. */
const figures = (t: ReportTask) => ({
  name: t.name,
  bytes: t.pgtables_bytes,
  tables: Object.fromEntries(Object.entries(t.table_pages).filter(([, n]) => n !== 0)),
});

describe('played to its last event, a step gives its own figures', () => {
  for (const [name, text] of [
    ['intro (built in)', INTRO_SCENARIO] as const,
    ...FILES.map((f) => [f, readFileSync(new URL(f, dir), 'utf8')] as const),
  ]) {
    it(name, () => {
      const steps = load(text).steps.length;
      let played = 0;
      for (let n = 1; n <= steps; n++) {
        const rep = stepReport(text, load(text), n);
        if (!rep || (rep.changes_omitted ?? 0) > 0) continue; // capped: such a step is shown whole
        const before = snap(text, n - 1);
        const after = snap(text, n);
        const at = reportAtEvent(
          { report: before.report, usedPages: before.memory.usedPages },
          after.report,
          rep.changes,
          rep.events.length,
        );
        if (!at) throw new Error(`step ${n}: the figures could not be played`);
        const running = (ts: ReportTask[]) => ts.filter((t) => t.state === 'running').map(figures);
        // A task the step ends is still listed here (its tables all freed); the step's report says it exited.
        expect(
          running(
            at.report.tasks.filter((t) => after.report.tasks.find((a) => a.name === t.name)?.state === 'running'),
          ),
          `step ${n}`,
        ).toEqual(running(after.report.tasks));
        expect(
          at.report.mshare.map((m) => [m.name, m.pgtables_bytes]),
          `step ${n}`,
        ).toEqual(after.report.mshare.map((m) => [m.name, m.pgtables_bytes]));
        expect(at.report.totals, `step ${n}`).toEqual(after.report.totals);
        expect(at.usedPages, `step ${n}`).toBe(after.memory.usedPages);
        played++;
      }
      expect(played).toBeGreaterThan(0);
    });
  }
});

describe('moments worked out by hand', () => {
  it("mshare v1, A's first write (step 5): the host's tables come one by one, charged to the host", () => {
    const text = readFileSync(new URL('mshare-v1-guest-fault.ptx', dir), 'utf8');
    const rep = stepReport(text, load(text), 5)!;
    const fns = rep.events.map((e) => e.fn);
    const after = (fn: string) => fns.indexOf(fn) + 1; // events done once `fn` has run
    expect(fns.indexOf('mmap_read_lock')).toBeGreaterThan(0);
    expect(fns.indexOf('mmap_read_lock')).toBeLessThan(fns.indexOf('pud_alloc'));
    const host = (s: Snapshot) => s.report.mshare.find((m) => m.name === 'sga')!.pgtables_bytes;
    // At mmap_read_lock nothing is allocated yet: the host mm has its PGD only (VmPTE 0), as A and B;
    // three PGD pages in use, nothing else.
    const locked = snap(text, 5, after('mmap_read_lock'));
    expect(host(locked)).toBe(0);
    expect(locked.report.totals.table_pages).toEqual({ pgd: 3, p4d: 0, pud: 0, pmd: 0, pte: 0 });
    expect(locked.memory.usedPages).toBe(3);
    // pud_alloc: one 4 KiB PUD page, the host's; then the PMD (8 KiB), the PTE page (12 KiB) and the data page.
    const pud = snap(text, 5, after('pud_alloc'));
    expect(host(pud)).toBe(4096);
    expect(pud.report.totals.table_pages.pud).toBe(1);
    expect(pud.memory.usedPages).toBe(4);
    expect(host(snap(text, 5, after('pmd_alloc')))).toBe(8192);
    // A and B pay nothing at any moment.
    for (const s of [locked, pud]) for (const t of s.report.tasks) expect(t.pgtables_bytes).toBe(0);
    // The whole step: 12 KiB, and 3 PGDs + PUD + PMD + PTE + one shmem page = 7 pages.
    const whole = snap(text, 5);
    expect(host(whole)).toBe(12288);
    expect(whole.memory.usedPages).toBe(7);
  });

  it('fork lists the child from dup_mm on; exit frees its tables one by one', () => {
    const text = ['spawn A', 'A: mmap 1T 4M rw private anon fixed', 'A: write 1T "x"', 'A: fork B', 'B: exit', ''].join(
      '\n',
    );
    // fork: dup_mm (event 1) allocates B's PGD; copy_page_range (event 2) its PUD, PMD and PTE pages (12 KiB).
    const dup = snap(text, 4, 1);
    expect(dup.report.tasks.map(figures)).toEqual([
      { name: 'A', bytes: 12288, tables: { pgd: 1, pud: 1, pmd: 1, pte: 1 } },
      { name: 'B', bytes: 0, tables: { pgd: 1 } },
    ]);
    // exit: after free_pgd_range's first call and pte_free_tlb (5 events), B's PTE page is gone: 8 KiB left.
    const rep = stepReport(text, load(text), 5)!;
    expect(rep.events.slice(0, 5).map((e) => e.fn)).toEqual([
      'do_exit',
      'exit_mmap',
      'unmap_vmas',
      'free_pgd_range',
      'pte_free_tlb',
    ]);
    const b = snap(text, 5, 5).report.tasks.find((t) => t.name === 'B')!;
    expect(figures(b)).toEqual({ name: 'B', bytes: 8192, tables: { pgd: 1, pud: 1, pmd: 1 } });
  });
});

describe('a moment whose figures the changes cannot tell', () => {
  it("mshare v1: the donor's tables recharged to the host at exit; the forest is the moment's, the figures the step's", () => {
    const text = [
      'kernel mshare-v1',
      'spawn A',
      'A: mmap 1T 512G rw shared anon fixed',
      'A: write 1T+0x1000 "x"',
      'A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600',
      'A: exit',
      '',
    ].join('\n');
    const rep = stepReport(text, load(text), 5)!;
    expect(rep.events.map((e) => e.fn)).toContain('check_mm');
    const before = snap(text, 4);
    const after = snap(text, 5);
    // check_mm moves A's donated PUD, PMD and PTE pages to the host: no table is allocated or freed, so no change
    // says which of A's levels went.
    const done = rep.events.findIndex((e) => e.fn === 'check_mm') + 1;
    expect(
      reportAtEvent({ report: before.report, usedPages: before.memory.usedPages }, after.report, rep.changes, done),
    ).toBeNull();
    const moment = snap(text, 5, done);
    expect(moment.event).toEqual({ done, of: rep.events.length, wholeFigures: true });
    expect(moment.report).toEqual(after.report);
  });
});

describe('a region the step frees', () => {
  it('its host stays listed, its tables going, until mm_free_pgd frees its PGD page', () => {
    // Every gallery step that frees a host, worked the same way.
    let seen = 0;
    for (const f of FILES) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      const steps = load(text).steps.length;
      for (let n = 1; n <= steps; n++) {
        const before = snap(text, n - 1);
        const after = snap(text, n);
        const gone = before.report.mshare.filter((m) => !after.report.mshare.some((a) => a.name === m.name));
        if (gone.length === 0) continue;
        const rep = stepReport(text, load(text), n)!;
        for (const m of gone) {
          const label = `mshare:${m.name}`;
          const free = rep.changes.find((c) => c.kind === 'table-free' && c.level === 'pgd' && c.mm === label);
          expect(free, `${f} step ${n}`).toBeDefined();
          const at = (done: number) =>
            reportAtEvent(
              { report: before.report, usedPages: before.memory.usedPages },
              after.report,
              rep.changes,
              done,
            );
          // After the first event it is there, with what it held before the step.
          const first = at(1);
          if (first === null) continue; // a recharge in this step: its moments are not played (tested above)
          expect(first.report.mshare.find((x) => x.name === m.name)?.pgtables_bytes, `${f} step ${n}`).toBe(
            m.pgtables_bytes,
          );
          // Just before its PGD page goes, it is there with no table left (VmPTE 0); just after, it is not.
          expect(at(free!.event)?.report.mshare.find((x) => x.name === m.name)?.pgtables_bytes).toBe(0);
          expect(at(free!.event + 1)?.report.mshare.some((x) => x.name === m.name)).toBe(false);
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
});
