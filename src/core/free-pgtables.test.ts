/**
 * free_pgtables()/free_pgd_range() (free-pgtables.ts, mm/memory.c): after
 * munmap zaps a range, a table page is freed only if the whole range it
 * covers lies between `floor` (end of the previous VMA) and `ceiling` (start
 * of the next one), each rounded as the kernel does:
 *   free_pgd_range: addr &= PMD_MASK, += PMD_SIZE if below floor;
 *                   ceiling &= PMD_MASK; end -= PMD_SIZE if end-1 > ceiling-1;
 *   free_pmd_range tail: free the PMD page unless start&PUD_MASK < floor or
 *                   end-1 > (ceiling&PUD_MASK)-1; likewise one level up.
 * §6 (measured on 6.18): munmap of a fully covered 2 MiB piece frees its PTE
 * page; unmapping the last VMA under a PUD frees the PMD and PUD pages too.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import type { Mm } from './mm';
import { PROT_READ } from './uapi';
import { freePgdRange } from './free-pgtables';
import { zapRange } from './zap';
import { T, G, M, K4, KiB, RW, PRIV, SHARED, mmOf, vpn } from './test-kit';

function kernel(): Kernel {
  const k = new Kernel({ paging: 4 });
  k.spawn('A');
  return k;
}

/** mmap + write-touch, for each [addr, len, prot]. */
function mapped(...maps: [bigint, bigint, number?][]): Kernel {
  const k = kernel();
  for (const [a, len, prot] of maps) {
    k.mmap('A', { addr: a, len, prot: prot ?? RW, flags: PRIV });
    k.touch('A', a, len, prot === PROT_READ ? 'read' : 'write');
  }
  k.takeEvents();
  return k;
}

describe('munmap frees table pages between floor and ceiling', () => {
  it('the middle 2 MiB of 6 MiB: its PTE page goes (20 → 16 KiB), the PMD stays', () => {
    // floor = 1T+2M (end of the left piece), ceiling = 1T+4M: the PTE page of [2M, 4M) lies
    // wholly between them; the PMD's range starts at 1T < floor.
    const k = mapped([T, 6n * M]);
    expect(mmOf(k).pgtablesBytes).toBe(20 * KiB);
    expect(k.munmap('A', T + 2n * M, 2n * M).outcome).toEqual({ kind: 'ok' });
    expect(mmOf(k).pgtablesBytes).toBe(16 * KiB);
    expect(mmOf(k).rssAnon).toBe(1024);
    expect(
      mmOf(k)
        .vmas.filter((v) => !v.name)
        .map((v) => [v.start - vpn(T), v.end - vpn(T)]),
    ).toEqual([
      [0, 512],
      [1024, 1536],
    ]);
    expect(k.takeEvents().map((e) => e.fn)).toEqual(['do_vmi_munmap', 'unmap_vmas', 'free_pgd_range', 'pte_free_tlb']);
    expect(k.invariants()).toEqual([]);
  });

  it('an unaligned 2 MiB from 1 MiB frees nothing: both PTE pages are still needed', () => {
    // addr = 1T+1M & PMD_MASK = 1T < floor → 1T+2M; ceiling 1T+3M → 1T+2M; end 1T+3M → 1T+1M;
    // addr > end - 1: return.
    const k = mapped([T, 6n * M]);
    k.munmap('A', T + M, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(20 * KiB);
    expect(mmOf(k).rssAnon).toBe(1536 - 512);
    expect(k.takeEvents().map((e) => e.fn)).not.toContain('free_pgd_range');
  });

  it('a neighbour VMA under the same PMD entry keeps the PTE page', () => {
    // [1T, 1T+1M) rw and [1T+1M, 1T+2M) r (different flags: never merged).
    // munmap of the first: ceiling 1T+1M & PMD_MASK = 1T; end 1T+1M - 2M < addr: nothing freed.
    const k = mapped([T, M], [T + M, M, PROT_READ]);
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(2);
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    k.munmap('A', T, M);
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    // Then the neighbour goes too: floor 0, ceiling 0 — PTE, PMD and PUD pages all freed.
    k.munmap('A', T + M, M);
    expect(mmOf(k).pgtablesBytes).toBe(0);
    expect(k.m.frames.used).toBe(1);
    expect(k.invariants()).toEqual([]);
  });

  it('the PMD page stays while another VMA lives in the same 1 GiB', () => {
    // A at 1T, B at 1T+512M: PUD + PMD + 2 PTE = 16 KiB. munmap A: its PTE page goes;
    // the PMD's range [1T, 1T+1G) reaches past ceiling 1T+512M: kept. 12 KiB.
    const k = mapped([T, 2n * M], [T + 512n * M, 2n * M]);
    expect(mmOf(k).pgtablesBytes).toBe(16 * KiB);
    k.munmap('A', T, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    expect(mmOf(k).tables.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('a VMA alone in its 1 GiB loses its PMD page; the PUD stays for the next GiB', () => {
    // A at 1T, B at 1T+1G: PUD + 2 PMD + 2 PTE = 20 KiB. munmap A: ceiling 1T+1G;
    // PMD of [1T, 1T+1G) is within → freed; the PUD covers [1T, 1T+512G) → kept. 12 KiB.
    const k = mapped([T, 2n * M], [T + G, 2n * M]);
    expect(mmOf(k).pgtablesBytes).toBe(20 * KiB);
    k.munmap('A', T, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    expect(mmOf(k).tables.slice(0, 3)).toEqual([1, 1, 1]);
    expect(k.takeEvents().map((e) => e.fn)).toEqual([
      'do_vmi_munmap',
      'unmap_vmas',
      'free_pgd_range',
      'pte_free_tlb',
      'pmd_free_tlb',
    ]);
  });

  it('the last VMA under a PUD takes the PMD and PUD pages with it', () => {
    const k = mapped([T, 2n * M]);
    k.munmap('A', T, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(0);
    expect(k.takeEvents().map((e) => e.fn)).toEqual([
      'do_vmi_munmap',
      'unmap_vmas',
      'free_pgd_range',
      'pte_free_tlb',
      'pmd_free_tlb',
      'pud_free_tlb',
    ]);
  });

  it('a VMA in another 512 GiB keeps its own PUD: only the unmapped one goes', () => {
    // 1T is PGD entry 2, 1.5T = 1T + 512G is PGD entry 3: each has its own PUD page.
    const k = mapped([T, 2n * M], [T + 512n * G, 2n * M]);
    expect(mmOf(k).pgtablesBytes).toBe(24 * KiB);
    k.munmap('A', T + 512n * G, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
  });

  it('a whole 1 GiB block (a Run) goes at once', () => {
    const k = mapped([T, G]);
    k.munmap('A', T, G);
    expect(mmOf(k).pgtablesBytes).toBe(0);
    expect(k.m.frames.used).toBe(1);
    expect(k.invariants()).toEqual([]);
  });

  it('the middle 2 MiB of a 1 GiB Run frees one PTE page and 512 data pages', () => {
    const k = mapped([T, G]);
    k.munmap('A', T + 200n * M, 2n * M);
    expect(mmOf(k).pgtablesBytes).toBe(2_105_344 - 4096);
    expect(mmOf(k).rssAnon).toBe(262_144 - 512);
    expect(k.m.frames.used).toBe(1 + 513 + 262_144 - 512);
    expect(k.invariants()).toEqual([]);
  });

  it('a 1 GiB-aligned hole in 3 GiB frees that PMD page and its 512 PTE pages', () => {
    const k = mapped([T, 3n * G]);
    k.munmap('A', T + G, G);
    // PUD + 2 PMD + 1024 PTE = 1,027 pages.
    expect(mmOf(k).pgtablesBytes).toBe(1027 * 4096);
    expect(k.invariants()).toEqual([]);
  });

  it('unmapping nothing changes nothing; bad arguments are EINVAL', () => {
    const k = mapped([T, 2n * M]);
    expect(k.munmap('A', T + G, 2n * M).outcome).toEqual({ kind: 'ok' });
    expect(mmOf(k).pgtablesBytes).toBe(12 * KiB);
    expect(k.munmap('A', T + 1n, K4).outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(k.munmap('A', T, 0n).outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
  });

  it('shared memory: munmap of the only mapping frees its page cache too', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: 2n * M, prot: RW, flags: SHARED });
    k.touch('A', T, 2n * M, 'write');
    expect(k.m.frames.used).toBe(1 + 3 + 512);
    k.munmap('A', T, 2n * M);
    expect(k.m.frames.used).toBe(1);
    expect(k.shmems.size).toBe(0);
  });

  it('MAP_FIXED over a mapping unmaps it first (with its tables) and maps anew', () => {
    const k = mapped([T, 2n * M]);
    k.mmap('A', { addr: T, len: 2n * M, prot: RW, flags: SHARED });
    expect(mmOf(k).pgtablesBytes).toBe(0);
    expect(mmOf(k).rssAnon).toBe(0);
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(1);
  });
});

describe('freePgdRange arithmetic (called directly after a zap)', () => {
  function zapped(): { k: Kernel; mm: Mm } {
    const k = mapped([T, 8n * M]);
    const mm = mmOf(k);
    zapRange(k.m, mm, vpn(T), vpn(T + 8n * M), { reclaim: false });
    return { k, mm };
  }

  it('floor and ceiling inside the same PMD entry: nothing', () => {
    const { k, mm } = zapped();
    freePgdRange(k.m, mm, vpn(T + M), vpn(T + M + K4), vpn(T + M), vpn(T + M + K4));
    expect(mm.pgtablesBytes).toBe(24 * KiB);
  });

  it('[2M, 6M) between floor 2M and ceiling 6M: two PTE pages', () => {
    const { k, mm } = zapped();
    freePgdRange(k.m, mm, vpn(T + 2n * M), vpn(T + 6n * M), vpn(T + 2n * M), vpn(T + 6n * M));
    expect(mm.pgtablesBytes).toBe(16 * KiB);
  });

  it('floor 0 and ceiling 0 (exit): every level goes', () => {
    const { k, mm } = zapped();
    freePgdRange(k.m, mm, vpn(T), vpn(T + 8n * M), 0, 0);
    expect(mm.pgtablesBytes).toBe(0);
    // The mm has no VMA left to check against, so only the count is asserted.
  });

  it('a ceiling in the next PMD entry: the last PTE page is kept (end -= PMD_SIZE)', () => {
    const { k, mm } = zapped();
    freePgdRange(k.m, mm, vpn(T), vpn(T + 8n * M), 0, vpn(T + 8n * M + K4));
    // ceiling 8M+4K rounds down to 8M; end-1 > 8M-1? no → all four PTE pages go.
    // The PMD page: ceiling & PUD_MASK = 1T, end-1 > 1T-1 → kept; so is the PUD.
    expect(mm.tables.slice(0, 3)).toEqual([0, 1, 1]);
  });

  it('the floor, worked by hand: exactly at the range start nothing is kept; a page above it keeps the first PTE page and every level above', () => {
    // floor = 1T: addr = 1T & PMD_MASK = 1T, not below floor → all four PTE pages; free_pmd_range's tail:
    // 1T & PUD_MASK = 1T is not below floor and ceiling 0 is no limit → the PMD page; likewise the PUD page.
    const at = zapped();
    freePgdRange(at.k.m, at.mm, vpn(T), vpn(T + 8n * M), vpn(T), 0);
    expect(at.mm.tables.slice(0, 3)).toEqual([0, 0, 0]);
    // floor = 1T+4K: addr 1T < floor → addr += PMD_SIZE: [1T, 1T+2M) keeps its PTE page;
    // 1T & PUD_MASK = 1T < floor → the PMD page stays, and so the PUD page.
    const above = zapped();
    freePgdRange(above.k.m, above.mm, vpn(T), vpn(T + 8n * M), vpn(T + K4), 0);
    expect(above.mm.tables.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('a ceiling inside the last PTE page keeps that page', () => {
    const { k, mm } = zapped();
    freePgdRange(k.m, mm, vpn(T), vpn(T + 8n * M), 0, vpn(T + 7n * M));
    // ceiling 7M → 6M; end 8M - 1 > 6M - 1 → end = 6M: three PTE pages go, [6M, 8M) stays.
    expect(mm.tables.slice(0, 3)).toEqual([1, 1, 1]);
  });
});
