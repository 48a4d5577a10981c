import { describe, expect, it } from 'vitest';
import type { Forest } from '../core/inspect';
import type { FreedTable } from './treeChanges';
import { GEOMETRY as G, layoutForest } from './treeLayout';
import { GHOSTS_PER_COLUMN, ghostPlaces, ghostsIn } from './treeDraw';

const freed = (level: string, n: number, from: number): FreedTable[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `t${from + i}`,
    level,
    pfn: from + i,
    mm: 'A',
    fn: 'free_pgd_range',
    event: 0,
  }));

describe('ghostPlaces', () => {
  const empty: Forest = { roots: [], nodes: {} };
  const layout = layoutForest(empty, { paging: 4 });
  const col = (key: string) => layout.columns.find((c) => c.key === key)!;

  it('stacks at most GHOSTS_PER_COLUMN ghosts per column and counts the rest under them', () => {
    expect(GHOSTS_PER_COLUMN).toBe(6);
    const p = ghostPlaces(layout, [...freed('pte', 10, 0x100), ...freed('pmd', 2, 0x200)]);
    // 6 of the 10 PTE tables and both PMD tables have a ghost.
    expect(p.at.map((a) => a.g.id)).toEqual(['t256', 't257', 't258', 't259', 't260', 't261', 't512', 't513']);
    // One under the other in their level's column, from the column's foot (an empty forest: y 0 + bandGap).
    const step = G.headerHeight + 16 + G.nodeGap;
    expect(p.at[0]).toMatchObject({ x: col('pte').x, y: G.bandGap, w: col('pte').w });
    expect(p.at[5]).toMatchObject({ x: col('pte').x, y: G.bandGap + 5 * step, w: col('pte').w });
    expect(p.at[6]).toMatchObject({ x: col('pmd').x, y: G.bandGap });
    // The 4 others: one count, where a 7th ghost would have gone; none for the PMD column.
    expect(p.more).toEqual([{ key: 'pte', x: col('pte').x, y: G.bandGap + 6 * step, count: 4 }]);
  });

  it('draws every ghost, with no count, when a column frees few', () => {
    const p = ghostPlaces(layout, freed('pud', GHOSTS_PER_COLUMN, 0x300));
    expect(p.at).toHaveLength(GHOSTS_PER_COLUMN);
    expect(p.more).toEqual([]);
  });

  it('a PFN freed twice in one step (reused between) is two ghosts, one under the other', () => {
    const twice = [...freed('pte', 1, 0x400), ...freed('pte', 1, 0x400)];
    const p = ghostPlaces(layout, twice);
    expect(p.at.map((a) => a.y)).toEqual([G.bandGap, G.bandGap + G.headerHeight + 16 + G.nodeGap]);
  });
});

describe('ghostsIn', () => {
  const empty: Forest = { roots: [], nodes: {} };
  const layout = layoutForest(empty, { paging: 4 });
  const col = (key: string) => layout.columns.find((c) => c.key === key)!;
  const p = ghostPlaces(layout, [...freed('pte', 10, 0x100), ...freed('pgd', 1, 0x200)]);
  const step = G.headerHeight + 16 + G.nodeGap;

  it('keeps the ghosts and counts that meet the rectangle, and only those', () => {
    // Around the PTE column's first two ghosts: [bandGap, bandGap + step + 1) across the column.
    const pte = col('pte');
    const r = { x0: pte.x + 1, y0: G.bandGap + 1, x1: pte.x + 2, y1: G.bandGap + step + 1 };
    expect(ghostsIn(p, r).at.map((a) => a.g.id)).toEqual(['t256', 't257']);
    expect(ghostsIn(p, r).more).toEqual([]);
    // Further down the column: its last ghost and the "+4 more freed" under it.
    const low = { x0: pte.x, y0: G.bandGap + 5 * step + 1, x1: pte.x + pte.w, y1: G.bandGap + 7 * step };
    expect(ghostsIn(p, low).at.map((a) => a.g.id)).toEqual(['t261']);
    expect(ghostsIn(p, low).more.map((m) => m.count)).toEqual([4]);
  });

  it('keeps none left or right of the rectangle, and all of a rectangle over everything', () => {
    const pgd = col('pgd');
    const pte = col('pte');
    expect(ghostsIn(p, { x0: pgd.x + pgd.w, y0: -1e6, x1: pte.x, y1: 1e6 }).at).toEqual([]);
    expect(ghostsIn(p, { x0: -1e6, y0: -1e6, x1: 1e6, y1: 1e6 })).toEqual(p);
  });
});
