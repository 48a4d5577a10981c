/**
 * Touching all of a huge hugetlb mapping (issue 13): the 2 MiB pages are
 * stored as Runs, so the whole user half (128 TiB, 67 million huge pages) is
 * a handful of objects, and with the default 4 TiB of RAM the touch ends as
 * Linux ends it, in the OOM kill, instead of at the work budget.
 *
 * Figures by hand, from Linux's rules (mm/hugetlb.c: one PMD entry with PS
 * per 2 MiB page, one PMD page per 1 GiB entry met, one PUD page per 512 GiB
 * entry met; hugetlb pages are not in RSS), worked out in each test.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import { FrameKind } from './frames';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_HUGETLB, MAP_SHARED, PROT_READ, PROT_WRITE } from './uapi';
import type { Table } from './table';
import { walk } from './walk';
import { inspect } from './inspect';

const HUGE = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_HUGETLB;
const RW = PROT_READ | PROT_WRITE;
const START = 0x200000n;
const LEN = 0x7fffffc00000n;

/**
 * Table objects and segments reachable from t through stored children (a Run's subtrees are arithmetic, not objects).
 */
function stored(t: Table): { tables: number; segs: number } {
  let tables = 1;
  let segs = t.segs.length;
  for (const s of t.segs) {
    if (s.lin === null && s.child) {
      const c = stored(s.child);
      tables += c.tables;
      segs += c.segs;
    }
  }
  return { tables, segs };
}

function bigTouch(memory?: bigint): { k: Kernel; outcome: unknown; events: Record<string, string> } {
  const k = new Kernel(memory === undefined ? { paging: 4 } : { paging: 4, memory });
  k.spawn('A');
  expect(k.mmap('A', { addr: START, len: LEN, prot: RW, flags: HUGE }).outcome).toEqual({
    kind: 'ok',
    value: '0x200000',
  });
  k.takeEvents();
  const r = k.touch('A', START, LEN, 'write');
  const events = Object.fromEntries(k.takeEvents().map((e) => [e.fn, e.detail ?? '']));
  return { k, outcome: r.outcome, events };
}

describe('touching all of a 128 TiB hugetlb mapping', () => {
  it('maps every 2 MiB page with a few stored objects, and the figures Linux gives', () => {
    // 256 TiB of RAM: everything fits. The range is [2 MiB, 128 TiB - 2 MiB): 2^26 - 2 huge pages.
    const { k, outcome, events } = bigTouch(256n << 40n);
    expect(outcome).toEqual({ kind: 'ok', value: `${Number(LEN / 4096n)} pages` });
    expect(events.hugetlb_fault).toBe('×67,108,862');
    expect(events.hugetlb_no_page).toBe('×67,108,862');
    // One PUD page per 512 GiB entry (256 of them), one PMD page per 1 GiB entry (2^17), no PTE page.
    expect(events.pud_alloc).toBe('×256');
    expect(events.pmd_alloc).toBe('×131,072');
    const mm = k.tasks.get('A')?.mm;
    if (!mm) throw new Error('A has no mm');
    expect(mm.tables).toEqual([0, 131_072, 256, 1, 0]);
    expect(mm.pgtablesBytes).toBe((131_072 + 256) * 4096);
    expect(mm.rssAnon + mm.rssShmem).toBe(0);
    // Frames: the PGD, the tables, and 512 per huge page.
    expect(k.m.frames.used).toBe(1 + 256 + 131_072 + 67_108_862 * 512);
    expect(k.invariants()).toEqual([]);

    // Bounded storage: counts of objects, not bytes or time.
    const s = stored(mm.pgd);
    expect(s.tables).toBeLessThan(10);
    expect(s.segs).toBeLessThan(20);
    let cacheExtents = 0;
    for (const v of mm.vmas) {
      if (!v.shmem) continue;
      k.shmemOf(v).pages.forEach(0, Number.MAX_SAFE_INTEGER, (p) => {
        if (p !== null) cacheExtents++;
      });
    }
    expect(cacheExtents).toBeLessThan(20);
    expect(k.m.frames.kinds.size).toBeLessThan(40);
    expect(k.m.frames.mapcount.size).toBeLessThan(40);
    // Pages simulated one at a time (the work budget's measure): a handful, not 67 million.
    expect(k.m.budget.pages).toBeLessThan(10);

    // What the views get: PGD entries 1-254 (512 GiB each, wholly inside) are one summary of
    // 254 PUD pages, 254 × 512 PMD pages and 254 × 512 × 512 huge pages; the view stays small.
    const forest = inspect(k.m, [{ label: 'A', mm }]);
    expect(forest.nodes['s4096:1']?.summary?.text).toBe(
      '254 PUD pages, 130,048 PMD pages, fully populated: 66,584,576 hugetlb pages of 2 MiB',
    );
    expect(Object.keys(forest.nodes).length).toBeLessThan(400);

    // A page in the middle: a 2 MiB leaf (PS), writable and dirty, in a hugetlb frame.
    const w = walk(k.m, mm, Number((1n << 46n) / 4096n) + 5 * 512 + 7);
    expect(w.fault).toBeUndefined();
    expect(w.leaf?.lvl).toBe(1);
    expect((w.leaf?.flags ?? 0) & 0xe7).toBe(0xe7);
    expect(k.m.frames.kindOf(w.leaf?.pfn ?? 0)).toBe(FrameKind.Huge);

    // And munmap gives it all back (the shmem file goes with its last mapping), except the
    // tables the [stack] VMA's range shares: spawn leaves [stack] at 0x7ffffffde000 (as
    // execve() does; the MAP_FIXED mapping replaced [vvar] and [vdso], which lay inside it),
    // and free_pgtables()' ceiling is its start, so the PMD page of the last 1 GiB
    // [0x7fffc0000000, 2^47) and the PUD page of the last 512 GiB stay (mm/memory.c,
    // free_pmd_range(): "if (end - 1 > ceiling - 1) return;"). Frames: the PGD, that PUD and that PMD page.
    expect(mm.vmas.map((v) => v.name ?? 'hugetlb')).toEqual(['hugetlb', '[stack]']);
    expect(k.munmap('A', START, LEN).outcome).toEqual({ kind: 'ok' });
    expect(mm.tables).toEqual([0, 1, 1, 1, 0]);
    expect(k.m.frames.used).toBe(3);
    expect(k.invariants()).toEqual([]);
  });

  it('with the default 4 TiB of RAM ends in the OOM kill where page-by-page faults would, not at the work budget', () => {
    // RAM 2^30 frames. When huge page N (from 0x200000) faults, 1 PGD + 8 PUD + 4,096 PMD
    // pages and N huge pages are in use: N = 2,097,143 leaves 2^30 - 4,105 - 512·N = 503
    // frames, fewer than a 2 MiB page. That page is at 0x200000 + N · 2 MiB = 0x3ffff000000.
    const { k, outcome, events } = bigTouch();
    expect(outcome).toMatchObject({ kind: 'signal', signal: 'SIGKILL', cause: 'out of memory at 0x3ffff000000' });
    expect(events.hugetlb_no_page).toBe('×2,097,143');
    expect(events.hugetlb_fault).toBe('×2,097,144');
    expect(events.pud_alloc).toBe('×8');
    expect(events.pmd_alloc).toBe('×4,096');
    expect(k.tasks.get('A')?.state).toBe('killed');
    expect(k.m.budget.pages).toBeLessThan(20);
    // The kill tore everything down: no frame left in use.
    expect(k.m.frames.used).toBe(0);
    expect(k.invariants()).toEqual([]);
  });
});
