/**
 * fork: dup_mmap() copies every VMA, copy_page_range() copies tables only
 * where vma_needs_copy() (the VMA has an anon_vma); __copy_present_ptes()
 * write-protects COW pages in both mms and marks the child's copy old;
 * copy_pte_range()/copy_pmd_range() allocate the child's table before looking
 * at the source entries, so an empty source table is copied as an empty one.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import { ZERO_PFN } from './frames';
import { _PAGE_ACCESSED, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_RW } from './paging';
import { PROT_NONE } from './uapi';
import { walk } from './walk';
import { T, G, M, K4, KiB, RW, PRIV, SHARED, mmOf } from './test-kit';

const leaf = (k: Kernel, n: string, a: bigint): { pfn: number; flags: number } => {
  const w = walk(k.m, mmOf(k, n), Number(a >> 12n));
  const l = w.levels[w.levels.length - 1];
  return { pfn: l?.pfn ?? -1, flags: l?.flags ?? 0 };
};

function kernel(memory?: bigint): Kernel {
  const k = new Kernel(memory === undefined ? { paging: 4 } : { paging: 4, memory });
  k.spawn('A');
  return k;
}

describe('fork copies tables of private VMAs with an anon_vma', () => {
  it('a written private page: the child gets PUD+PMD+PTE (12 KiB) and both PTEs are write-protected', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([7]));
    k.takeEvents();
    expect(k.fork('A', 'B').outcome).toEqual({ kind: 'ok', value: '2' });
    expect(k.takeEvents().map((e) => e.fn)).toEqual(['dup_mm', 'copy_page_range']);
    expect(mmOf(k, 'B').pgtablesBytes).toBe(12 * KiB);
    const a = leaf(k, 'A', T);
    const b = leaf(k, 'B', T);
    expect(a.pfn).toBe(0x1004);
    expect(b.pfn).toBe(0x1004);
    expect(a.flags & _PAGE_RW).toBe(0); // wrprotect_ptes() in the parent
    expect(b.flags & _PAGE_RW).toBe(0); // pte_wrprotect() for the child
    expect(a.flags & _PAGE_ACCESSED).toBe(_PAGE_ACCESSED);
    expect(b.flags & _PAGE_ACCESSED).toBe(0); // pte_mkold() for the child
    expect(k.m.frames.mapcount.get(0x1004)).toBe(2);
    expect(mmOf(k, 'B').rssAnon).toBe(1);
    // The child's VMA has an anon_vma of its own, chained to the parent's (anon_vma_fork()).
    expect(mmOf(k, 'B').vmas[0]?.anonVma).toBeGreaterThan(0);
    expect(mmOf(k, 'B').vmas[0]?.anonVma).not.toBe(mmOf(k, 'A').vmas[0]?.anonVma);
    expect(k.read('B', T, 1).outcome).toEqual({ kind: 'ok', value: '07' });
    expect(k.invariants()).toEqual([]);
  });

  it('pte_mkold() on every child PTE, bulk-touched pages too (mm/memory.c __copy_present_ptes: pte = pte_mkold(pte)); the parent keeps Accessed', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, 4n * M, 'write');
    k.fork('A', 'B');
    for (const at of [T, T + 5n * K4, T + 2n * M + 511n * K4]) {
      expect(leaf(k, 'A', at).flags & _PAGE_ACCESSED).toBe(_PAGE_ACCESSED);
      expect(leaf(k, 'B', at).flags & _PAGE_ACCESSED).toBe(0);
      expect(leaf(k, 'B', at).pfn).toBe(leaf(k, 'A', at).pfn);
    }
    // The child's own access sets it again (the MMU sets A on a walk), only where it touched.
    k.read('B', T + 5n * K4, 1);
    expect(leaf(k, 'B', T + 5n * K4).flags & _PAGE_ACCESSED).toBe(_PAGE_ACCESSED);
    expect(leaf(k, 'B', T).flags & _PAGE_ACCESSED).toBe(0);
    expect(k.invariants()).toEqual([]);
  });

  it('the child of a zero-page-only VMA (no anon_vma) gets no tables and faults on its own', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, 4n * M, 'read');
    k.fork('A', 'B');
    expect(mmOf(k, 'B').pgtablesBytes).toBe(0);
    expect(k.takeEvents().find((e) => e.fn === 'copy_page_range')?.detail).toMatch(/^2 of 5 VMAs/); // [vvar] and [vvar_vclock] (VM_PFNMAP), untouched: nothing to copy
    k.read('B', T, 1);
    expect(mmOf(k, 'B').pgtablesBytes).toBe(12 * KiB);
    expect(leaf(k, 'B', T).pfn).toBe(ZERO_PFN);
  });

  it('shared anonymous memory is not copied: the child pays again when it touches (§6: 2,056 KiB)', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: SHARED });
    k.touch('A', T, G, 'write');
    k.fork('A', 'B');
    expect(mmOf(k, 'B').pgtablesBytes).toBe(0);
    k.touch('B', T, G, 'write');
    expect(mmOf(k, 'B').pgtablesBytes).toBe(2056 * KiB);
    // Same page cache: same frames, no new data pages.
    expect(leaf(k, 'B', T + 5n * M).pfn).toBe(leaf(k, 'A', T + 5n * M).pfn);
    expect(k.invariants()).toEqual([]);
  });

  it('a 1 GiB populated block is copied as one: 514 table pages for the child, data shared', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, G, 'write');
    const used = k.m.frames.used;
    k.fork('A', 'B');
    expect(mmOf(k, 'B').pgtablesBytes).toBe(2_105_344);
    expect(k.m.frames.used).toBe(used + 1 + 514);
    expect(mmOf(k, 'B').rssAnon).toBe(262_144);
    const mid = T + 300n * M + 9n * K4;
    expect(leaf(k, 'B', mid).pfn).toBe(leaf(k, 'A', mid).pfn);
    expect(leaf(k, 'A', mid).flags & _PAGE_RW).toBe(0);
    expect(k.m.frames.mapcount.get(leaf(k, 'A', mid).pfn)).toBe(2);
    expect(k.invariants()).toEqual([]);
  });

  it('copies a PTE page whose entries were all zapped (copy_pte_range allocates first)', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    k.madviseDontneed('A', T, K4); // one page: the PTE page stays, now empty
    expect(mmOf(k, 'A').pgtablesBytes).toBe(12 * KiB);
    k.fork('A', 'B');
    expect(mmOf(k, 'B').pgtablesBytes).toBe(12 * KiB);
    expect(mmOf(k, 'B').rssAnon).toBe(0);
  });

  it('copies a PMD page whose PTE pages were reclaimed (pmd_alloc before the loop)', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    k.madviseDontneed('A', T, 2n * M); // the PTE page is reclaimed
    expect(mmOf(k, 'A').pgtablesBytes).toBe(8 * KiB);
    k.fork('A', 'B');
    expect(mmOf(k, 'B').pgtablesBytes).toBe(8 * KiB);
    expect(k.invariants()).toEqual([]);
  });

  it('after the child exits, the parent is the only mapper and reuses its page on write', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    k.fork('A', 'B');
    k.exit('B');
    expect(k.m.frames.mapcount.get(0x1004)).toBe(1);
    k.takeEvents();
    k.write('A', T, new Uint8Array([2]));
    expect(k.takeEvents().map((e) => e.fn)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'do_wp_page',
      'wp_page_reuse',
    ]);
    expect(leaf(k, 'A', T).pfn).toBe(0x1004);
  });

  it('copies PROT_NONE entries (present to Linux) and their map count', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: 2n * M, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    k.mprotect('A', T, K4, PROT_NONE);
    k.fork('A', 'B');
    const b = leaf(k, 'B', T);
    expect(b.pfn).toBe(0x1004);
    expect(b.flags & _PAGE_PRESENT).toBe(0);
    expect(b.flags & _PAGE_PROTNONE).toBe(_PAGE_PROTNONE);
    expect(k.m.frames.mapcount.get(0x1004)).toBe(2);
    expect(mmOf(k, 'B').rssAnon).toBe(1);
    expect(k.invariants()).toEqual([]);
  });

  it('grandchildren share pages three ways; everything is freed when all exit', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, 5n * M, 'write');
    k.fork('A', 'B');
    k.fork('B', 'C');
    expect(k.m.frames.mapcount.get(leaf(k, 'C', T + M).pfn)).toBe(3);
    k.write('C', T + M, new Uint8Array([9]));
    expect(k.invariants()).toEqual([]);
    for (const t of ['A', 'B', 'C']) k.exit(t);
    expect(k.m.frames.used).toBe(0);
  });

  it('fails with ENOMEM, leaving nothing behind, when the child cannot get its tables', () => {
    // Parent: PGD, PUD, PMD, PTE, data = 5 frames. Child: PGD, PUD, PMD fit in 8; its PTE page does not.
    const k = kernel(8n * K4);
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    expect(k.fork('A', 'B').outcome).toMatchObject({ kind: 'errno', errno: 'ENOMEM' });
    expect(k.tasks.has('B')).toBe(false);
    expect(k.m.frames.used).toBe(5);
    expect(k.invariants()).toEqual([]);
  });
});
