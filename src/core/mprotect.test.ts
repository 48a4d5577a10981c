/**
 * mprotect (mprotect.ts, mm/mprotect.c change_pte_range()): present leaves
 * take the new protection through pte_modify() (keeping A, D, SPECIAL and the
 * PFN); a private writable VMA gets RW back only on pages this mm maps
 * exclusively (can_change_pte_writable()), never on the zero page; the VMA is
 * split around the range and merged back when its flags match again.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import { _PAGE_NX, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER } from './paging';
import { PROT_EXEC, PROT_NONE, PROT_READ } from './uapi';
import { walk } from './walk';
import { T, G, M, K4, RW, PRIV, SHARED, mmOf } from './test-kit';

const entry = (k: Kernel, a: bigint, n = 'A'): string | null => {
  const w = walk(k.m, mmOf(k, n), Number(a >> 12n));
  return w.levels.length === 4 ? (w.levels[3]?.entry ?? null) : null;
};
const flagsAt = (k: Kernel, a: bigint, n = 'A'): number =>
  walk(k.m, mmOf(k, n), Number(a >> 12n)).levels[3]?.flags ?? -1;

function written(flags = PRIV, len = G): Kernel {
  const k = new Kernel({ paging: 4 });
  k.spawn('A');
  k.mmap('A', { addr: T, len, prot: RW, flags });
  k.write('A', T, new Uint8Array([5])); // data pfn 0x1004
  k.takeEvents();
  return k;
}

describe('mprotect: entries', () => {
  it('rw → r clears RW and keeps the page; the VMA is split', () => {
    const k = written();
    expect(k.mprotect('A', T, K4, PROT_READ).outcome).toEqual({ kind: 'ok' });
    const f = flagsAt(k, T);
    expect(f & _PAGE_RW).toBe(0);
    expect(f & (_PAGE_PRESENT | _PAGE_USER | _PAGE_NX)).toBe(_PAGE_PRESENT | _PAGE_USER | _PAGE_NX);
    expect(walk(k.m, mmOf(k), Number(T >> 12n)).leaf?.pfn).toBe(0x1004);
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(2);
    expect(k.takeEvents().map((e) => [e.fn, e.detail])).toEqual([
      ['do_mprotect_pkey', undefined],
      ['change_protection', '1 present entry updated'],
    ]);
    expect(k.write('A', T, new Uint8Array([1])).outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
  });

  it('r → rw on an exclusive anonymous page restores RW and D: 0x8000000001004067', () => {
    // pte_modify(PAGE_COPY) then pte_mkwrite() (can_change_private_pte_writable: PageAnonExclusive).
    const k = written();
    k.mprotect('A', T, K4, PROT_READ);
    k.mprotect('A', T, K4, RW);
    expect(entry(k, T)).toBe('0x8000000001004067');
    // The VMA merges back into one (VM_ACCOUNT dropped and re-added, same flags as the rest).
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(1);
    k.takeEvents();
    k.write('A', T, new Uint8Array([1]));
    expect(k.takeEvents()).toEqual([]); // writable: no fault
  });

  it('rw → none → rw round-trips to the same entry', () => {
    const k = written();
    k.mprotect('A', T, K4, PROT_NONE);
    const w = walk(k.m, mmOf(k), Number(T >> 12n));
    expect(w.fault).toBe('not-present');
    expect(w.levels[3]?.entry).not.toBeNull();
    k.mprotect('A', T, K4, RW);
    expect(entry(k, T)).toBe('0x8000000001004067');
    expect(k.read('A', T, 1).outcome).toEqual({ kind: 'ok', value: '05' });
  });

  it('PROT_NONE makes a present page fault with SIGSEGV', () => {
    const k = written();
    k.mprotect('A', T, K4, PROT_NONE);
    expect(k.read('A', T, 1).outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
  });

  it('the zero page never becomes writable: 0x8000000000a3c225 after r → rw', () => {
    const k = written();
    k.read('A', T + K4, 1);
    k.mprotect('A', T + K4, K4, PROT_READ);
    k.mprotect('A', T + K4, K4, RW);
    expect(entry(k, T + K4)).toBe('0x8000000000a3c225');
  });

  it('a page shared with a forked child stays read-only after r → rw (not exclusive)', () => {
    const k = written();
    k.fork('A', 'B');
    k.mprotect('A', T, K4, PROT_READ);
    k.mprotect('A', T, K4, RW);
    expect(flagsAt(k, T) & _PAGE_RW).toBe(0);
    k.takeEvents();
    k.write('A', T, new Uint8Array([1]));
    expect(k.takeEvents().map((e) => e.fn)).toContain('wp_page_copy');
  });

  it('a shared mapping gets RW back from PAGE_SHARED itself', () => {
    const k = written(SHARED);
    k.mprotect('A', T, K4, PROT_READ);
    expect(flagsAt(k, T) & _PAGE_RW).toBe(0);
    k.mprotect('A', T, K4, RW);
    // pte_modify(PAGE_SHARED): P|RW|US|A|NX, D kept.
    expect(entry(k, T)).toBe('0x8000000001004067');
  });

  it('PROT_EXEC drops NX', () => {
    const k = written();
    k.mprotect('A', T, K4, PROT_READ | PROT_EXEC);
    expect(flagsAt(k, T) & _PAGE_NX).toBe(0);
    expect(k.exec('A', T).outcome.kind).toBe('ok');
  });

  it('changes a whole populated 1 GiB block and back', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, G, 'write');
    k.mprotect('A', T, G, PROT_READ);
    for (const a of [T, T + 123n * M + 5n * K4, T + G - K4]) expect(flagsAt(k, a) & _PAGE_RW).toBe(0);
    k.mprotect('A', T, G, RW);
    for (const a of [T, T + 123n * M + 5n * K4, T + G - K4]) expect(flagsAt(k, a) & _PAGE_RW).toBe(_PAGE_RW);
    expect(mmOf(k).pgtablesBytes).toBe(2_105_344);
    expect(k.invariants()).toEqual([]);
  });

  it('a 2 MiB window in the middle of a block changes only there', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, G, 'write');
    k.mprotect('A', T + 10n * M + 3n * K4, 2n * M, PROT_READ);
    expect(flagsAt(k, T + 10n * M + 2n * K4) & _PAGE_RW).toBe(_PAGE_RW);
    expect(flagsAt(k, T + 10n * M + 3n * K4) & _PAGE_RW).toBe(0);
    expect(flagsAt(k, T + 12n * M + 2n * K4) & _PAGE_RW).toBe(0);
    expect(flagsAt(k, T + 12n * M + 3n * K4) & _PAGE_RW).toBe(_PAGE_RW);
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(3);
    expect(k.invariants()).toEqual([]);
  });
});

describe('mprotect: errors', () => {
  it('ENOMEM at a hole, after changing what comes before it', () => {
    const k = written(PRIV, M);
    expect(k.mprotect('A', T, 2n * M, PROT_READ).outcome).toMatchObject({ kind: 'errno', errno: 'ENOMEM' });
    expect(flagsAt(k, T) & _PAGE_RW).toBe(0);
  });

  it('ENOMEM when nothing is mapped at the start', () => {
    const k = written(PRIV, M);
    expect(k.mprotect('A', T + G, K4, PROT_READ).outcome).toMatchObject({ kind: 'errno', errno: 'ENOMEM' });
  });

  it('EINVAL for an unaligned address; a zero length is a no-op', () => {
    const k = written(PRIV, M);
    expect(k.mprotect('A', T + 8n, K4, PROT_READ).outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(k.mprotect('A', T, 0n, PROT_READ).outcome).toEqual({ kind: 'ok' });
    expect(flagsAt(k, T) & _PAGE_RW).toBe(_PAGE_RW);
  });
});
