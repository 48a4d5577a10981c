/**
 * zap (zap.ts) through madvise(MADV_DONTNEED): leaf entries cleared, data
 * pages unmapped; with CONFIG_PT_RECLAIM (Linux 6.14+, on in this machine's
 * kernel) a PTE page is freed when zap_pte_range() covered its whole 2 MiB:
 * reclaim_pt_is_enabled() tests `end - start >= PMD_SIZE` on the range of one
 * PMD entry, within one VMA (madvise works VMA by VMA).
 *
 * §6 of shared/reference/mshare-versions.md (measured on Linux 6.18): over the
 * whole of an 8 MiB touched range the 4 PTE pages go; over one page, or over
 * 2 MiB less a page, none.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import { walk } from './walk';
import { zapRange } from './zap';
import { T, G, M, K4, KiB, RW, PRIV, SHARED, mmOf } from './test-kit';

function touched(len: bigint, flags = PRIV): Kernel {
  const k = new Kernel({ paging: 4 });
  k.spawn('A');
  k.mmap('A', { addr: T, len, prot: RW, flags });
  k.touch('A', T, len, 'write');
  k.takeEvents();
  return k;
}

describe('MADV_DONTNEED and CONFIG_PT_RECLAIM', () => {
  it('over the whole 8 MiB frees the 4 PTE pages: 24 KiB → 8 KiB', () => {
    // Touched: PUD + PMD + 4 PTE = 6 pages = 24 KiB.
    const k = touched(8n * M);
    expect(mmOf(k).pgtablesBytes).toBe(24 * KiB);
    expect(k.madviseDontneed('A', T, 8n * M).outcome).toEqual({ kind: 'ok' });
    expect(mmOf(k).pgtablesBytes).toBe(8 * KiB);
    expect(mmOf(k).rssAnon).toBe(0);
    expect(k.m.frames.used).toBe(1 + 2); // PGD, PUD, PMD
    const ev = k.takeEvents();
    expect(ev.map((e) => e.fn)).toEqual(['madvise_dontneed_single_vma', 'free_pte', 'zap_page_range_single']);
    expect(ev[2]?.detail).toBe('2048 pages zapped, 4 PTE pages reclaimed');
    expect(k.invariants()).toEqual([]);
  });

  it('over 2 MiB less a page frees none', () => {
    const k = touched(8n * M);
    k.madviseDontneed('A', T, 2n * M - K4);
    expect(mmOf(k).pgtablesBytes).toBe(24 * KiB);
    expect(mmOf(k).rssAnon).toBe(2048 - 511);
    expect(k.invariants()).toEqual([]);
  });

  it('over a single page frees none', () => {
    const k = touched(8n * M);
    k.madviseDontneed('A', T + 5n * K4, K4);
    expect(mmOf(k).pgtablesBytes).toBe(24 * KiB);
    expect(walk(k.m, mmOf(k), Number((T + 5n * K4) >> 12n)).levels[3]?.entry).toBeNull();
    expect(walk(k.m, mmOf(k), Number((T + 6n * K4) >> 12n)).leaf).toBeDefined();
  });

  it('over 4 MiB from 1 MiB frees only the PTE page it covers whole ([2 MiB, 4 MiB))', () => {
    const k = touched(8n * M);
    k.madviseDontneed('A', T + M, 4n * M);
    expect(mmOf(k).pgtablesBytes).toBe(20 * KiB);
    expect(mmOf(k).rssAnon).toBe(2048 - 1024);
    expect(walk(k.m, mmOf(k), Number((T + 2n * M) >> 12n)).levels.map((l) => l.level)).toEqual(['pgd', 'pud', 'pmd']);
    expect(k.invariants()).toEqual([]);
  });

  it('a 2 MiB chunk split between two VMAs is zapped VMA by VMA: no PTE page freed', () => {
    // Two VMAs of 1 MiB each under one PMD entry (rw private and rw shared: never merged).
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    k.mmap('A', { addr: T + M, len: M, prot: RW, flags: SHARED });
    k.touch('A', T, 2n * M, 'write');
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    k.madviseDontneed('A', T, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    expect(mmOf(k).rssAnon + mmOf(k).rssShmem).toBe(0);
  });

  it('a middle 2 MiB of a 1 GiB block frees one PTE page', () => {
    const k = touched(G);
    k.madviseDontneed('A', T + 100n * M, 2n * M); // 100 MiB is 2 MiB aligned
    expect(mmOf(k).pgtablesBytes).toBe(2_105_344 - 4096);
    expect(mmOf(k).rssAnon).toBe(262_144 - 512);
    expect(k.invariants()).toEqual([]);
  });

  it('the whole of a 1 GiB block frees its 512 PTE pages, keeps PUD and PMD', () => {
    const k = touched(G);
    k.madviseDontneed('A', T, G);
    expect(mmOf(k).pgtablesBytes).toBe(8 * KiB);
    expect(k.invariants()).toEqual([]);
    // The memory is still mapped: a new fault allocates a PTE page again.
    k.write('A', T + 7n * M, new Uint8Array([1]));
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    expect(k.invariants()).toEqual([]);
  });

  it('shared memory: the PTEs go, the pages stay in the page cache and fault back', () => {
    const k = touched(2n * M, SHARED);
    const pfn = walk(k.m, mmOf(k), Number(T >> 12n)).leaf?.pfn;
    const used = k.m.frames.used;
    k.madviseDontneed('A', T, 2n * M);
    expect(mmOf(k).rssShmem).toBe(0);
    expect(mmOf(k).pgtablesBytes).toBe(8 * KiB);
    expect(k.m.frames.used).toBe(used - 1); // only the PTE page
    k.read('A', T, 1);
    expect(walk(k.m, mmOf(k), Number(T >> 12n)).leaf?.pfn).toBe(pfn);
    expect(mmOf(k).rssShmem).toBe(16); // fault-around
  });

  it('anonymous memory reads back as zeros after MADV_DONTNEED', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([0xab]));
    k.madviseDontneed('A', T, K4);
    expect(k.read('A', T, 1).outcome).toEqual({ kind: 'ok', value: '00' });
  });

  it('returns ENOMEM for a range with a hole, after zapping what is mapped', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    k.touch('A', T, M, 'write');
    expect(k.madviseDontneed('A', T, 2n * M).outcome).toMatchObject({ kind: 'errno', errno: 'ENOMEM' });
    expect(mmOf(k).rssAnon).toBe(0);
  });

  it('EINVAL for an unaligned start', () => {
    const k = touched(M);
    expect(k.madviseDontneed('A', T + 1n, K4).outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
  });
});

describe('the PT_RECLAIM threshold, at exactly PMD_SIZE (reclaim_pt_is_enabled(): end - start >= PMD_SIZE)', () => {
  // Worked by hand: touched 8 MiB = PUD + PMD + 4 PTE pages = 24 KiB; each PTE page freed takes 4 KiB off.
  it('exactly 2 MiB on a 2 MiB boundary is >= PMD_SIZE: its PTE page goes (24 → 20 KiB)', () => {
    const k = touched(8n * M);
    k.madviseDontneed('A', T + 2n * M, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(20 * KiB);
    expect(k.takeEvents().at(-1)?.detail).toBe('512 pages zapped, 1 PTE page reclaimed');
  });
  it('exactly 2 MiB a page off the boundary is two ranges under PMD_SIZE: nothing goes', () => {
    const k = touched(8n * M);
    k.madviseDontneed('A', T + 2n * M + K4, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(24 * KiB);
    expect(k.takeEvents().at(-1)?.detail).toBe('512 pages zapped, 0 PTE pages reclaimed');
  });
  it('2 MiB and a page from a boundary: one whole PMD range and one page: one PTE page goes', () => {
    const k = touched(8n * M);
    k.madviseDontneed('A', T, 2n * M + K4);
    expect(mmOf(k).pgtablesBytes).toBe(20 * KiB);
    expect(k.invariants()).toEqual([]);
  });
});

describe('zapRange without reclaim (munmap, exit)', () => {
  it('clears leaves and keeps every table page', () => {
    const k = touched(8n * M);
    const t = zapRange(k.m, mmOf(k), Number(T >> 12n), Number((T + 8n * M) >> 12n), { reclaim: false });
    expect(t).toEqual({ pages: 2048, reclaimed: 0 });
    expect(mmOf(k).pgtablesBytes).toBe(24 * KiB);
    expect(mmOf(k).rssAnon).toBe(0);
    expect(k.invariants()).toEqual([]);
  });

  it('counts zero-page mappings as zapped pages but frees no frame for them', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    k.touch('A', T, M, 'read');
    const used = k.m.frames.used;
    const t = zapRange(k.m, mmOf(k), Number(T >> 12n), Number((T + M) >> 12n), { reclaim: false });
    expect(t.pages).toBe(256);
    expect(k.m.frames.used).toBe(used);
  });
});
