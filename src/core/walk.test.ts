/**
 * The MMU walk (walk.ts, SDM Vol. 3A §4.5.4 and §4.6): each level's entry
 * must be present; at the leaf, RW decides writes, NX decides fetches.
 * A walk changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import { PROT_EXEC, PROT_READ } from './uapi';
import { walk } from './walk';
import { ZERO_PFN } from './frames';
import { T, RW, PRIV, SHARED, mmOf, vpn } from './test-kit';

function setup(paging: 4 | 5 = 4): Kernel {
  const k = new Kernel({ paging });
  k.spawn('A');
  return k;
}

describe('walk', () => {
  it('of an empty mm stops at the PGD with a none entry', () => {
    const k = setup();
    const w = walk(k.m, mmOf(k, 'A'), vpn(T));
    expect(w.fault).toBe('not-present');
    expect(w.levels).toEqual([{ level: 'pgd', index: 2, tablePfn: 0x1000, entry: null, pfn: null, flags: 0 }]);
    expect(w.leaf).toBeUndefined();
  });

  it('after a first write at 1 TiB shows four levels with the allocated PFNs', () => {
    // Fresh machine: PGD 0x1000, then pud_alloc 0x1001, pmd_alloc 0x1002, pte_alloc 0x1003, data 0x1004.
    const k = setup();
    k.mmap('A', { addr: T, len: 1n << 30n, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    const w = walk(k.m, mmOf(k, 'A'), vpn(T), 'write');
    expect(w.fault).toBeUndefined();
    expect(w.levels.map((l) => [l.level, l.index, l.tablePfn, l.entry])).toEqual([
      ['pgd', 2, 0x1000, '0x0000000001001067'],
      ['pud', 0, 0x1001, '0x0000000001002067'],
      ['pmd', 0, 0x1002, '0x0000000001003067'],
      ['pte', 0, 0x1003, '0x8000000001004067'],
    ]);
    expect(w.leaf).toEqual({ pfn: 0x1004, flags: w.levels[3]?.flags, lvl: 0 });
  });

  it('stops at the first none entry below a present one', () => {
    const k = setup();
    k.mmap('A', { addr: T, len: 4n << 30n, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    // 1 TiB + 1 GiB: same PGD entry and PUD table, PUD entry 1 is none.
    const w = walk(k.m, mmOf(k, 'A'), vpn(T + (1n << 30n)));
    expect(w.levels.map((l) => l.level)).toEqual(['pgd', 'pud']);
    expect(w.levels[1]).toMatchObject({ index: 1, entry: null });
    expect(w.fault).toBe('not-present');
    // 1 TiB + 2 MiB: PMD entry 1 is none.
    const w2 = walk(k.m, mmOf(k, 'A'), vpn(T + (2n << 20n)));
    expect(w2.levels.map((l) => [l.level, l.index, l.entry])).toEqual([
      ['pgd', 2, '0x0000000001001067'],
      ['pud', 0, '0x0000000001002067'],
      ['pmd', 1, null],
    ]);
    // 1 TiB + 4 KiB: the PTE itself is none.
    const w3 = walk(k.m, mmOf(k, 'A'), vpn(T + 4096n));
    expect(w3.levels.map((l) => l.level)).toEqual(['pgd', 'pud', 'pmd', 'pte']);
    expect(w3.levels[3]).toMatchObject({ index: 1, entry: null });
  });

  it('faults with "protection" on a write to the read-only zero page and an exec of an NX page', () => {
    const k = setup();
    k.mmap('A', { addr: T, len: 1n << 20n, prot: RW, flags: PRIV });
    k.read('A', T, 1);
    const m = mmOf(k, 'A');
    expect(walk(k.m, m, vpn(T), 'read').fault).toBeUndefined();
    const w = walk(k.m, m, vpn(T), 'write');
    expect(w.fault).toBe('protection');
    expect(w.leaf?.pfn).toBe(ZERO_PFN);
    expect(walk(k.m, m, vpn(T), 'exec').fault).toBe('protection');
  });

  it('allows an exec of a page without NX (PROT_EXEC)', () => {
    const k = setup();
    k.mmap('A', { addr: T, len: 4096n, prot: PROT_READ | PROT_EXEC, flags: PRIV });
    expect(k.exec('A', T).outcome.kind).toBe('ok');
    const w = walk(k.m, mmOf(k, 'A'), vpn(T), 'exec');
    expect(w.fault).toBeUndefined();
    // PAGE_READONLY_EXEC | SPECIAL on the zero page: P|US|A + SPECIAL, no NX.
    expect(w.levels[3]?.entry).toBe('0x0000000000a3c225');
  });

  it('treats a PROT_NONE PTE as not present to the CPU, though the entry is there', () => {
    const k = setup();
    k.mmap('A', { addr: T, len: 4096n, prot: RW, flags: SHARED });
    k.write('A', T, new Uint8Array([1]));
    k.mprotect('A', T, 4096n, 0);
    const w = walk(k.m, mmOf(k, 'A'), vpn(T));
    expect(w.fault).toBe('not-present');
    expect(w.levels).toHaveLength(4);
    expect(w.levels[3]?.entry).not.toBeNull();
  });

  it('walks five levels with LA57, the P4D between PGD and PUD', () => {
    const k = setup(5);
    const a = 1n << 55n; // 32 PiB: PGD index 128, all else 0
    expect(k.mmap('A', { addr: a, len: 1n << 21n, prot: RW, flags: PRIV }).outcome).toEqual({
      kind: 'ok',
      value: '0x80000000000000',
    });
    k.write('A', a + 0x3000n, new Uint8Array([1]));
    const w = walk(k.m, mmOf(k, 'A'), vpn(a + 0x3000n));
    expect(w.levels.map((l) => [l.level, l.index])).toEqual([
      ['pgd', 128],
      ['p4d', 0],
      ['pud', 0],
      ['pmd', 0],
      ['pte', 3],
    ]);
    // PGD 0x1000, p4d_alloc 0x1001, pud 0x1002, pmd 0x1003, pte 0x1004, data 0x1005.
    expect(w.levels.map((l) => l.entry)).toEqual([
      '0x0000000001001067',
      '0x0000000001002067',
      '0x0000000001003067',
      '0x0000000001004067',
      '0x8000000001005067',
    ]);
  });

  it('changes nothing: no frames, no events, same answer twice', () => {
    const k = setup();
    k.mmap('A', { addr: T, len: 1n << 20n, prot: RW, flags: PRIV });
    k.takeEvents();
    const used = k.m.frames.used;
    const a = walk(k.m, mmOf(k, 'A'), vpn(T), 'write');
    const b = walk(k.m, mmOf(k, 'A'), vpn(T), 'write');
    expect(a).toEqual(b);
    expect(k.m.frames.used).toBe(used);
    expect(k.takeEvents()).toEqual([]);
  });

  it('reads a Run (a bulk touch) the same as page-by-page tables would show', () => {
    const k = setup();
    k.mmap('A', { addr: T, len: 1n << 30n, prot: RW, flags: PRIV });
    k.touch('A', T, 1n << 30n, 'read');
    const w = walk(k.m, mmOf(k, 'A'), vpn(T + (5n << 21n) + 7n * 4096n));
    expect(w.levels.map((l) => l.index)).toEqual([2, 0, 5, 7]);
    expect(w.leaf?.pfn).toBe(ZERO_PFN);
    expect(w.levels[3]?.entry).toBe('0x8000000000a3c225');
  });
});
