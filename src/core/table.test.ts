/**
 * Table segments (table.ts): Singles and Runs, the arithmetic of a Run's
 * entries (runEntry/runChild), and splitAt/isolate/materialize/putRun/
 * mergeRuns/clearRange keeping the segments sorted, disjoint and exact.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameKind, ZERO_PFN } from './frames';
import { PAGE_COPY, _PAGE_DIRTY, _PAGE_RW, _PAGE_SPECIAL, _PAGE_TABLE } from './paging';
import {
  Table,
  clearRange,
  entryAt,
  entryVpn,
  findSeg,
  isEmpty,
  isolate,
  materialize,
  mergeRuns,
  putRun,
  runChild,
  runEntry,
  runLeaves,
  runTablePages,
  setSingle,
  splitAt,
  type Charge,
  type Lin,
  type Seg,
} from './table';

const B = 2 ** 28; // vpn of 1 TiB
const LEAF = PAGE_COPY | _PAGE_RW | _PAGE_DIRTY;
const mm = (): Charge => ({ id: 1, tables: [0, 0, 0, 0, 0] });

function lin(over: Partial<Lin> = {}): Lin {
  return {
    vpn0: B,
    data0: 0x10000,
    dstride: 1,
    dataKind: FrameKind.Anon,
    tab0: [0x3000, 0x2000],
    leaf: LEAF,
    bottom: 0,
    mm: mm(),
    ...over,
  };
}

function shape(t: Table): string {
  return t.segs.map((s) => (s.lin ? `R${s.start}+${s.count}` : `S${s.start}`)).join(' ');
}

describe('runEntry/runChild: the arithmetic of a Run', () => {
  it('computes table PFNs level by level from tab0', () => {
    // A PUD table at 1 TiB whose entries 0..1 are one populated block.
    const l = lin();
    const pud = new Table(2, 0x1001, B, l.mm);
    putRun(pud, 0, 2, l);
    // Entry 1 covers 1 TiB + 1 GiB: its PMD table is tab0[1] + (1 GiB / 1 GiB) = 0x2001.
    const e1 = runEntry(pud, 1, l)!;
    expect(e1.pfn).toBe(0x2001);
    expect(e1.flags).toBe(_PAGE_TABLE);
    const pmd = e1.child!;
    expect(pmd.lvl).toBe(1);
    expect(pmd.base).toBe(B + 512 * 512);
    expect(shape(pmd)).toBe('R0+512');
    // PMD entry 3 of that table: PTE page tab0[0] + (512 + 3) = 0x3203.
    const e3 = runEntry(pmd, 3, l)!;
    expect(e3.pfn).toBe(0x3203);
    // PTE 7 of that page maps vpn B + 262144 + 1536 + 7: data 0x10000 + 263687 = 0x50607.
    const pte = e3.child!;
    expect(pte.base).toBe(B + 262144 + 1536);
    const leaf = runEntry(pte, 7, l)!;
    expect(leaf.pfn).toBe(0x50607);
    expect(leaf.flags).toBe(LEAF);
    expect(leaf.child).toBeNull();
  });

  it('maps every page of a zero-page Run to the zero pfn (stride 0)', () => {
    const l = lin({
      data0: ZERO_PFN,
      dstride: 0,
      dataKind: FrameKind.Zero,
      leaf: PAGE_COPY | _PAGE_SPECIAL,
      tab0: [0x3000],
    });
    const pmd = new Table(1, 0x1002, B, l.mm);
    putRun(pmd, 0, 4, l);
    const pte = runEntry(pmd, 3, l)!.child!;
    expect(pte.pfn).toBe(0x3003);
    expect(runEntry(pte, 0, l)!.pfn).toBe(ZERO_PFN);
    expect(runEntry(pte, 511, l)!.pfn).toBe(ZERO_PFN);
  });

  it('a zapped Run (leaf 0) keeps its PTE pages but has no leaves', () => {
    const l = lin({ leaf: 0, tab0: [0x3000] });
    const pmd = new Table(1, 0x1002, B, l.mm);
    putRun(pmd, 0, 2, l);
    const e = runEntry(pmd, 1, l)!;
    expect(e.pfn).toBe(0x3001);
    expect(isEmpty(e.child!)).toBe(true);
    expect(runEntry(e.child!, 0, l)).toBeNull();
  });

  it('a reclaimed Run (bottom 1) has PMD tables without PTE pages', () => {
    const l = lin({ leaf: 0, bottom: 1, tab0: [undefined as unknown as number, 0x2000] });
    const pud = new Table(2, 0x1001, B, l.mm);
    putRun(pud, 0, 1, l);
    const pmd = runEntry(pud, 0, l)!.child!;
    expect(pmd.pfn).toBe(0x2000);
    expect(isEmpty(pmd)).toBe(true);
    expect(runEntry(pmd, 0, l)).toBeNull();
    expect(runChild(pud, 0, l).segs).toEqual([]);
  });

  it('counts the table pages and leaves under a Run', () => {
    // 3 PUD entries fully populated: 3 PMD pages and 3·512 = 1,536 PTE pages.
    expect(runTablePages(2, 3, 0)).toEqual([1536, 3]);
    // With bottom 1 (PTE pages reclaimed), only the 3 PMD pages.
    const reclaimed = runTablePages(2, 3, 1);
    expect(reclaimed[1]).toBe(3);
    expect(reclaimed[0]).toBeUndefined();
    expect(runLeaves(1, 2)).toBe(1024);
    expect(runLeaves(2, 1)).toBe(262144);
  });

  it('entryVpn: entry i of a table maps base + i·512^lvl', () => {
    const t = new Table(2, 1, B, mm());
    expect(entryVpn(t, 3)).toBe(B + 3 * 262144);
  });
});

describe('segment surgery', () => {
  it('splitAt cuts a Run in two (and ignores a boundary or a Single)', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 10, 20, l);
    splitAt(t, 15);
    expect(shape(t)).toBe('R10+5 R15+15');
    splitAt(t, 15);
    splitAt(t, 10);
    splitAt(t, 512);
    expect(shape(t)).toBe('R10+5 R15+15');
  });

  it('isolate returns the segments wholly inside [a, b)', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 0, 100, l);
    setSingle(t, 200, 5, _PAGE_TABLE, null);
    const [first, end] = isolate(t, 50, 300);
    expect(shape(t)).toBe('R0+50 R50+50 S200');
    expect([first, end]).toEqual([1, 3]);
  });

  it('materialize turns one Run entry into a Single with the same value and a real child', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 0, 4, l);
    const before = entryAt(t, 2)!;
    const s = materialize(t, 2)!;
    expect(shape(t)).toBe('R0+2 S2 R3+1');
    expect(s.pfn).toBe(before.pfn);
    expect(s.flags).toBe(_PAGE_TABLE);
    expect(s.child!.pfn).toBe(0x3002);
    expect(materialize(t, 2)).toBe(s); // a Single stays itself
    expect(materialize(t, 100)).toBeNull(); // none
    // The child's entries are still the Run's leaves.
    expect(entryAt(s.child!, 5)!.pfn).toBe(0x10000 + 2 * 512 + 5);
  });

  it('materialize of a Run entry that is none removes it', () => {
    const l = lin({ tab0: [0x3000], leaf: 0 });
    const pte = new Table(0, 0x3000, B, l.mm);
    putRun(pte, 0, 8, l);
    expect(materialize(pte, 3)).toBeNull();
    expect(shape(pte)).toBe('R0+3 R4+4');
  });

  it('putRun merges with neighbouring Runs of the same Lin, not of another', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 0, 2, l);
    putRun(t, 3, 2, l);
    expect(shape(t)).toBe('R0+2 R3+2');
    putRun(t, 2, 1, l);
    expect(shape(t)).toBe('R0+5');
    putRun(t, 5, 1, lin({ tab0: [0x3000] }));
    expect(shape(t)).toBe('R0+5 R5+1');
  });

  it('mergeRuns rejoins a Run that was split', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 0, 8, l);
    splitAt(t, 3);
    splitAt(t, 5);
    expect(t.segs.length).toBe(3);
    mergeRuns(t);
    expect(shape(t)).toBe('R0+8');
  });

  it('clearRange removes entries and splits Runs at the edges', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 0, 10, l);
    clearRange(t, 2, 4);
    expect(shape(t)).toBe('R0+2 R4+6');
    expect(entryAt(t, 3)).toBeNull();
    expect(entryAt(t, 4)!.pfn).toBe(0x3004);
    clearRange(t, 0, 512);
    expect(isEmpty(t)).toBe(true);
  });

  it('findSeg finds the segment holding an index, or -1', () => {
    const l = lin({ tab0: [0x3000] });
    const t = new Table(1, 1, B, l.mm);
    putRun(t, 10, 5, l);
    setSingle(t, 100, 1, 0, null);
    expect([findSeg(t, 9), findSeg(t, 10), findSeg(t, 14), findSeg(t, 15), findSeg(t, 100)]).toEqual([-1, 0, 0, -1, 1]);
  });
});

describe('segment surgery against a per-entry model (fast-check)', () => {
  const opArb = fc.record({
    k: fc.constantFrom('single' as const, 'clear' as const, 'run' as const, 'mat' as const),
    a: fc.integer({ min: 0, max: 511 }),
    n: fc.integer({ min: 1, max: 80 }),
  });

  it('entryAt agrees with the model and segments stay sorted and disjoint', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const l = lin({ tab0: [0x3000] });
        const t = new Table(1, 0x1002, B, l.mm);
        const model: (number | null)[] = new Array(512).fill(null); // pfn of the PTE page, or null
        ops.forEach((op, k) => {
          const b = Math.min(512, op.a + op.n);
          if (op.k === 'single') {
            setSingle(t, op.a, 0x9000 + k, _PAGE_TABLE, null);
            model[op.a] = 0x9000 + k;
          } else if (op.k === 'clear') {
            clearRange(t, op.a, b);
            for (let i = op.a; i < b; i++) model[i] = null;
          } else if (op.k === 'run') {
            putRun(t, op.a, b - op.a, l);
            for (let i = op.a; i < b; i++) model[i] = 0x3000 + i;
          } else {
            materialize(t, op.a);
          }
          let prevEnd = 0;
          for (const s of t.segs as Seg[]) {
            expect(s.start).toBeGreaterThanOrEqual(prevEnd);
            expect(s.count).toBeGreaterThan(0);
            prevEnd = s.start + s.count;
          }
          expect(prevEnd).toBeLessThanOrEqual(512);
        });
        for (let i = 0; i < 512; i++) expect(entryAt(t, i)?.pfn ?? null).toBe(model[i]);
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
