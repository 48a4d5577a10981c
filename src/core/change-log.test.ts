/**
 * A step's changes on the cases the issues name, with expected values worked
 * out by hand: PFNs from the allocator's order on a fresh machine (task PGDs
 * 0x1000, 0x1001, … in spawn order, then tables and pages as allocated:
 * docs/core.md "Frames"), entry values from Linux's bits (_PAGE_TABLE = 0x67
 * for a non-leaf entry; P|RW|US|A|D|NX for a written private page).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Play } from './play.test-helper';
import { describeChange } from './describe-changes';
import { blockEntry, hex16 } from './change-log';
import fc from 'fast-check';
import { entryValue } from './paging';
import { applyChanges, cloneState, snapshot } from './changes.test-helper';
import type { StepChange } from './changes';

const seed = readFileSync(new URL('../../scenarios/mshare-v1-guest-fault.ptx', import.meta.url), 'utf8');

/** The state before a step, then each event's: what issue 14's "state after event k" is. */
function perEvent(p: Play): { events: string[]; states: ReturnType<typeof snapshot>[] } {
  const before = snapshot(p.k);
  const s = p.next();
  const states = s.events.map((_, k) => {
    const st = cloneState(before);
    applyChanges(
      st,
      s.changes.filter((c) => c.event <= k),
    );
    return st;
  });
  return { events: s.events.map((e) => e.fn), states };
}

describe('the seed: mshare v1, the guest copies the host PGD entry', () => {
  it("B's first read: PGD[2] is none at handle_mm_fault and find_shared_vma, the host's entry at set_pgd", () => {
    const p = new Play(seed);
    p.run(6); // spawn A, spawn B, mmap, mshare, A's write, B attaches
    const { events, states } = perEvent(p);
    expect(events).toEqual(['handle_mm_fault', 'find_shared_vma', 'set_pgd', 'VM_FAULT_NOPAGE']);
    // B's PGD is 0x1001 (second spawn); the host's PGD[2] points at the host's PUD page 0x1003: 0x1003000 | 0x67.
    const bPgd = (k: number) => states[k]?.tables.get(0x1001)?.entries.get(2) ?? null;
    expect([bPgd(0), bPgd(1), bPgd(2), bPgd(3)]).toEqual([null, null, '0000000001003067', '0000000001003067']);
    expect(states[2]?.tables.get(0x1002)?.entries.get(2)).toBe('0000000001003067');
    const changes = p.steps[6]?.changes;
    expect(changes).toEqual([
      {
        kind: 'entry-set',
        event: 2,
        fn: 'set_pgd',
        mm: 'B',
        level: 'pgd',
        table: 0x1001,
        index: 2,
        old: null,
        new: '0000000001003067',
      },
    ]);
    expect(changes?.map(describeChange)).toEqual(['B PGD[2]: none → 0x0000000001003067 (set_pgd)']);
  });

  it("the host's first fault: PUD, PMD and PTE pages at pud_alloc, pmd_alloc and pte_alloc, charged to the host", () => {
    const p = new Play(seed);
    p.run(4);
    const s = p.next();
    const at = (fn: string): number => s.events.findIndex((e) => e.fn === fn);
    const tables = s.changes.filter((c) => c.kind === 'table-alloc');
    // Host PGD 0x1002 (mm_alloc at mshare()); then PUD 0x1003, PMD 0x1004, PTE 0x1005; the shmem page 0x1006.
    expect(tables).toEqual([
      { kind: 'table-alloc', event: at('pud_alloc'), fn: 'pud_alloc', mm: 'mshare:sga', level: 'pud', pfn: 0x1003 },
      { kind: 'table-alloc', event: at('pmd_alloc'), fn: 'pmd_alloc', mm: 'mshare:sga', level: 'pmd', pfn: 0x1004 },
      { kind: 'table-alloc', event: at('pte_alloc'), fn: 'pte_alloc', mm: 'mshare:sga', level: 'pte', pfn: 0x1005 },
    ]);
    expect(s.changes.filter((c) => c.kind === 'pgtables').map((c) => [c.fn, (c as { to: number }).to])).toEqual([
      ['pud_alloc', 4096],
      ['pmd_alloc', 8192],
      ['pte_alloc', 12288],
    ]);
    expect(s.changes.filter((c) => c.kind === 'data-alloc')).toEqual([
      { kind: 'data-alloc', event: at('shmem_fault'), fn: 'shmem_fault', pfn: 0x1006, what: 'shmem page cache' },
    ]);
    // The written PTE: PAGE_SHARED (P|RW|US|A|NX) + D from the write = 0x8000000000000067 | 0x1006 << 12.
    expect(s.changes.find((c) => c.kind === 'entry-set' && c.level === 'pte')).toMatchObject({
      fn: 'finish_fault',
      table: 0x1005,
      index: 1,
      old: null,
      new: '8000000001006067',
    });
    // A's own PGD entry comes last, from the second pass: set_pgd.
    expect(s.changes[s.changes.length - 1]).toEqual({
      kind: 'entry-set',
      event: at('set_pgd'),
      fn: 'set_pgd',
      mm: 'A',
      level: 'pgd',
      table: 0x1000,
      index: 2,
      old: null,
      new: '0000000001003067',
    });
  });
});

describe('fork and munmap', () => {
  it("fork write-protects the parent's PTE: RW 1→0, and D moves to SAVED_DIRTY (pte_wrprotect())", () => {
    const p = new Play(['spawn A', 'A: mmap 1T 4K rw private anon fixed', 'A: write 1T "x"', 'A: fork B'].join('\n'));
    p.run(3);
    const s = p.next();
    expect(s.events.map((e) => e.fn)).toEqual(['dup_mm', 'copy_page_range']);
    // A: PGD 0x1000, PUD 0x1001, PMD 0x1002, PTE 0x1003, page 0x1004; B: PGD 0x1005, then its PUD/PMD/PTE
    // 0x1006-0x1008.
    // A's PTE 0x8000000001004067 (P|RW|US|A|D|NX) → RW and D cleared, bit 58 (SAVED_DIRTY) set: 0x8400000001004025.
    // B's copy is also old (pte_mkold): 0x8400000001004005.
    const parent = s.changes.find((c) => c.kind === 'entry-set' && c.mm === 'A' && c.level === 'pte');
    expect(parent).toEqual({
      kind: 'entry-set',
      event: 1,
      fn: 'copy_page_range',
      mm: 'A',
      level: 'pte',
      table: 0x1003,
      index: 0,
      old: '8000000001004067',
      new: '8400000001004025',
      flags: [
        { name: 'RW', from: 1, to: 0 },
        { name: 'D', from: 1, to: 0 },
        { name: 'SAVED_DIRTY', from: 0, to: 1 },
      ],
    });
    expect(describeChange(parent as StepChange)).toBe(
      'A PTE[0]: 0x8000000001004067 → 0x8400000001004025 [RW 1→0, D 1→0, SAVED_DIRTY 0→1] (copy_page_range)',
    );
    expect(
      s.changes.filter((c) => c.kind === 'table-alloc' && c.mm === 'B').map((c) => [c.fn, (c as { pfn: number }).pfn]),
    ).toEqual([
      ['dup_mm', 0x1005],
      ['copy_page_range', 0x1006],
      ['copy_page_range', 0x1007],
      ['copy_page_range', 0x1008],
    ]);
    expect(s.changes.find((c) => c.kind === 'entry-set' && c.mm === 'B' && c.level === 'pte')).toMatchObject({
      table: 0x1008,
      index: 0,
      old: null,
      new: '8400000001004005',
    });
  });

  it('munmap: unmap_vmas clears the PTE and frees the page, free_pgtables frees PTE, PMD and PUD pages', () => {
    const p = new Play(
      ['spawn A', 'A: mmap 1T 2M rw private anon fixed', 'A: write 1T "x"', 'A: munmap 1T 2M'].join('\n'),
    );
    p.run(3);
    const s = p.next();
    expect(s.events.map((e) => e.fn)).toEqual([
      'do_vmi_munmap',
      'unmap_vmas',
      'free_pgd_range',
      'pte_free_tlb',
      'pmd_free_tlb',
      'pud_free_tlb',
    ]);
    // No VMA left anywhere: floor 0, ceiling 0, so the PTE page 0x1003, PMD 0x1002 and PUD 0x1001 all go, each with its
    // parent entry.
    expect(s.changes.map(describeChange)).toEqual([
      'anonymous page PFN 0x1004 freed (unmap_vmas)',
      'A PTE[0]: 0x8000000001004067 → none (unmap_vmas)',
      'A PMD[0]: 0x0000000001003067 → none (pte_free_tlb)',
      'A: PTE page PFN 0x1003 freed (pte_free_tlb)',
      'A VmPTE: 12 KiB → 8 KiB (pte_free_tlb)',
      'A PUD[0]: 0x0000000001002067 → none (pmd_free_tlb)',
      'A: PMD page PFN 0x1002 freed (pmd_free_tlb)',
      'A VmPTE: 8 KiB → 4 KiB (pmd_free_tlb)',
      'A PGD[2]: 0x0000000001001067 → none (pud_free_tlb)',
      'A: PUD page PFN 0x1001 freed (pud_free_tlb)',
      'A VmPTE: 4 KiB → 0 KiB (pud_free_tlb)',
    ]);
    expect(s.changes.map((c) => c.event)).toEqual([1, 1, 3, 3, 3, 4, 4, 4, 5, 5, 5]);
  });
});

describe('bulk changes are blocks, not one change per entry', () => {
  it('a 2 MiB-aligned touch of 4 MiB: two PTE pages and their 1,024 entries as one block each', () => {
    const p = new Play(['spawn A', 'A: mmap 1T 4M rw private anon fixed', 'A: touch 1T 4M write'].join('\n'));
    p.run(2);
    const s = p.next();
    // PUD 0x1001 and PMD 0x1002 one by one; then the 1,024 data pages 0x1003-0x1402 and the two PTE pages 0x1403-0x1404
    // as extents.
    const pte = s.changes.find((c) => c.kind === 'entry-set' && c.level === 'pte') as StepChange & {
      kind: 'entry-set';
    };
    expect(pte).toMatchObject({ table: 0x1403, index: 0, count: 1024, stride: 1, old: null, new: '8000000001003067' });
    // Entry 513 of the block: the second PTE page, index 1, data page 0x1003 + 513 = 0x1204.
    expect(blockEntry(pte, 513)).toEqual({ table: 0x1404, index: 1, old: null, new: '8000000001204067' });
    expect(s.changes.find((c) => c.kind === 'table-alloc' && c.level === 'pte')).toMatchObject({
      pfn: 0x1403,
      count: 2,
    });
    expect(s.changes.find((c) => c.kind === 'data-alloc')).toMatchObject({
      pfn: 0x1003,
      count: 1024,
      what: 'anonymous page',
    });
    expect(s.changes.find((c) => c.kind === 'entry-set' && c.level === 'pmd')).toMatchObject({
      table: 0x1002,
      index: 0,
      count: 2,
      stride: 1,
      new: '0000000001403067',
    });
    expect(s.changes.length).toBeLessThan(12);
  });

  it('a hugetlb touch of 1 GiB: the first 2 MiB page by its fault, the other 511 as one block of PMD leaves, 512 frames apart', () => {
    const p = new Play(['spawn A', 'A: mmap 1T 1G rw shared anon hugetlb fixed', 'A: touch 1T 1G write'].join('\n'));
    p.run(2);
    const s = p.next();
    // PUD 0x1001 and PMD 0x1002, the first huge page 0x1200 (the next 2 MiB-aligned extent after the tables), then
    // 0x1400 on.
    const pmd = s.changes.filter(
      (c): c is StepChange & { kind: 'entry-set' } => c.kind === 'entry-set' && c.level === 'pmd',
    );
    expect(pmd.map((c) => [c.index, c.count ?? 1, c.stride, c.new])).toEqual([
      [0, 1, undefined, '80000000012000e7'],
      [1, 511, 512, '80000000014000e7'],
    ]);
    // Entry 510 of the block is PMD[511]: huge page 0x1400 + 510 · 512 = 0x41000 (P|RW|US|A|D|PS and NX).
    expect(blockEntry(pmd[1] as StepChange & { kind: 'entry-set' }, 510)).toEqual({
      table: 0x1002,
      index: 511,
      old: null,
      new: '80000000410000e7',
    });
    expect(s.changes.flatMap((c) => (c.kind === 'data-alloc' ? [[c.pfn, c.count ?? 1]] : []))).toEqual([
      [0x1200, 512],
      [0x1400, 511 * 512],
    ]);
  });
});

describe('hex16', () => {
  it("writes an entry as paging.ts entryValue() does, PROT_NONE's inverted PFN, NX and SAVED_DIRTY included", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), fc.integer({ min: 0, max: 0x3fffff }), (pfn, flags) => {
        expect(hex16({ pfn, flags })).toBe(entryValue(pfn, flags).toString(16).padStart(16, '0'));
      }),
      { numRuns: 500, seed: 12 },
    );
  });
});
