/**
 * inspect() (inspect.ts): the read-only picture of every mm's tables for the
 * views. Table pages are nodes `t<pfn>`, data frames `d<pfn>` (the zero page is
 * `zero`), a collapsed Run is a summary node `s<table pfn>:<first entry>`.
 * A frame reached from several entries (COW pages after fork, shmem pages) is
 * one node with several parents.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import type { Mm } from './mm';
import { flagNames, inspect } from './inspect';
import { T, G, M, RW, PRIV, SHARED, mmOf } from './test-kit';

const all = (k: Kernel): { label: string; mm: Mm }[] =>
  k
    .taskList()
    .filter((t) => t.mm)
    .map((t) => ({ label: t.name, mm: t.mm as Mm }));

function kernel(): Kernel {
  const k = new Kernel({ paging: 4 });
  k.spawn('A');
  return k;
}

describe('inspect', () => {
  it('an empty mm is one PGD node with no entries', () => {
    const k = kernel();
    const f = inspect(k.m, all(k));
    expect(f.roots).toEqual([{ mm: 'A', node: 't4096' }]);
    expect(f.nodes['t4096']).toMatchObject({
      kind: 'table',
      level: 'pgd',
      pfn: 0x1000,
      owner: 'A',
      entries: [],
      present: 0,
      parents: [],
    });
  });

  it('a first write: PGD → PUD → PMD → PTE → data, with values, targets and address ranges', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T + 0x3000n, new Uint8Array([1])); // PUD 0x1001, PMD 0x1002, PTE 0x1003, data 0x1004
    const f = inspect(k.m, all(k));
    expect(Object.keys(f.nodes).sort()).toEqual(['d4100', 't4096', 't4097', 't4098', 't4099']);
    expect(f.nodes['t4096']?.entries).toEqual([
      // PGD entry 2 spans [1 TiB, 1.5 TiB).
      {
        index: 2,
        value: '0x0000000001001067',
        flags: 0x67,
        pfn: 0x1001,
        target: 't4097',
        from: '0x10000000000',
        to: '0x18000000000',
      },
    ]);
    expect(f.nodes['t4097']).toMatchObject({ level: 'pud', parents: ['t4096'], present: 1 });
    expect(f.nodes['t4098']?.entries[0]).toMatchObject({
      index: 0,
      target: 't4099',
      from: '0x10000000000',
      to: '0x10000200000',
    });
    const pte = f.nodes['t4099'];
    expect(pte?.level).toBe('pte');
    expect(pte?.entries).toHaveLength(1);
    expect(pte?.entries[0]).toMatchObject({
      index: 3,
      value: '0x8000000001004067',
      target: 'd4100',
      from: '0x10000003000',
      to: '0x10000004000',
    });
    expect(f.nodes['d4100']).toMatchObject({
      kind: 'data',
      level: 'data',
      owner: 'anonymous page',
      parents: ['t4099'],
    });
  });

  it('zero-page mappings all point at one `zero` node', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.read('A', T, 1);
    k.read('A', T + 0x5000n, 1);
    const f = inspect(k.m, all(k));
    expect(f.nodes['zero']).toMatchObject({ owner: 'zero page', parents: ['t4099'] });
    expect(f.nodes['t4099']?.entries.map((e) => e.target)).toEqual(['zero', 'zero']);
  });

  it('after fork, a COW page is one node with a parent in each mm; the tables are separate', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    k.fork('A', 'B'); // B: PGD 0x1005, PUD 0x1006, PMD 0x1007, PTE 0x1008
    const f = inspect(k.m, all(k));
    expect(f.roots).toEqual([
      { mm: 'A', node: 't4096' },
      { mm: 'B', node: 't4101' },
    ]);
    expect(f.nodes['d4100']?.parents).toEqual(['t4099', 't4104']);
    expect(f.nodes['t4104']?.owner).toBe('B');
  });

  it('shared memory: both mms point at the same page-cache node', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: 2n * M, prot: RW, flags: SHARED });
    k.write('A', T, new Uint8Array([1]));
    k.fork('A', 'B');
    k.read('B', T, 1);
    const f = inspect(k.m, all(k));
    const data = Object.values(f.nodes).filter((n) => n.kind === 'data');
    expect(data).toHaveLength(1);
    expect(data[0]?.owner).toBe('shmem page cache');
    expect(data[0]?.parents).toHaveLength(2);
  });

  it('a populated 1 GiB block is one summary node unless expanded', () => {
    // touch 1 GiB write on a fresh mm: PUD 0x1001, then the block: 262,144 data pages from
    // 0x1002, its PMD page at 0x41002 and 512 PTE pages from 0x41003.
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, G, 'write');
    const f = inspect(k.m, all(k));
    expect(Object.keys(f.nodes).sort()).toEqual(['s4097:0', 't4096', 't4097']);
    expect(f.nodes['t4097']?.entries[0]).toMatchObject({
      index: 0,
      value: '0x0000000041002067',
      target: 's4097:0',
      to: '0x10040000000',
    });
    expect(f.nodes['s4097:0']).toMatchObject({
      kind: 'summary',
      level: 'pmd',
      pfn: 0x41002,
      owner: 'A',
      present: 1,
      parents: ['t4097'],
      summary: {
        entries: 1,
        tables: { pmd: 1, pte: 512 },
        dataPages: 262_144,
        text: '1 PMD page, 512 PTE pages, fully populated: 262,144 data pages',
      },
    });
    // Expanded: the PMD page is a real node whose 512 entries are again one summary.
    const g = inspect(k.m, all(k), { expand: new Set(['s4097:0']) });
    expect(g.nodes['t266242']).toMatchObject({ level: 'pmd', present: 512 });
    expect(g.nodes['s266242:0']?.summary).toMatchObject({ entries: 512, tables: { pte: 512 }, dataPages: 262_144 });
    expect(g.nodes['s266242:0']?.pfn).toBe(0x41003);
  });

  it('a zero-page block says so in its summary', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, G, 'read');
    const s = inspect(k.m, all(k)).nodes['s4097:0']?.summary;
    expect(s?.text).toBe('1 PMD page, 512 PTE pages, fully populated: 262,144 zero-page mappings');
  });

  it('cuts a table at maxEntries but counts every present entry', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    // One block: PMD 0x1002 holds a Run of one entry: data 0x1003.., its PTE page 0x1203.
    k.touch('A', T, 2n * M, 'write');
    const f = inspect(k.m, all(k), { maxEntries: 10, expand: new Set(['s4098:0']) });
    const pte = f.nodes['t4611'];
    expect(pte?.level).toBe('pte');
    expect(pte?.entries).toHaveLength(10);
    expect(pte?.present).toBe(512);
  });

  it('changes nothing', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.touch('A', T, G, 'write');
    const before = {
      used: k.m.frames.used,
      tables: [...mmOf(k).tables],
      segs: JSON.stringify(mmOf(k).pgd.segs.length),
    };
    inspect(k.m, all(k), { expand: new Set(['s4097:0']) });
    expect({
      used: k.m.frames.used,
      tables: [...mmOf(k).tables],
      segs: JSON.stringify(mmOf(k).pgd.segs.length),
    }).toEqual(before);
    expect(k.invariants()).toEqual([]);
    expect(k.takeEvents().filter((e) => e.fn === 'walk')).toEqual([]);
  });

  it('flagNames lists the flags in bit order with their state', () => {
    expect(
      flagNames(0x67)
        .filter((f) => f.set)
        .map((f) => f.name),
    ).toEqual(['P', 'RW', 'US', 'A', 'D']);
  });
});
