import { describe, expect, it } from 'vitest';
import type { Forest, NodeInfo } from '../core/inspect';
import { GEOMETRY, layoutForest } from './treeLayout';

function table(id: string, level: NodeInfo['level'], targets: string[], parents: string[] = []): NodeInfo {
  return {
    id,
    kind: 'table',
    level,
    pfn: 1,
    owner: 'x',
    entries: targets.map((t, i) => ({
      index: i,
      value: '0x0',
      flags: 1,
      pfn: 1,
      target: t,
      from: '0x0',
      to: '0x1000',
    })),
    present: targets.length,
    parents,
  };
}

describe('the forest layout', () => {
  // Two PGDs whose entries both point at one PUD page (mshare's set_pgd).
  const forest: Forest = {
    roots: [
      { mm: 'host', node: 'h' },
      { mm: 'B', node: 'b' },
    ],
    nodes: {
      h: table('h', 'pgd', ['pud']),
      b: table('b', 'pgd', ['pud']),
      pud: table('pud', 'pud', [], ['h', 'b']),
    },
  };

  it('draws a shared page once, with an edge from every entry pointing to it', () => {
    const l = layoutForest(forest, { paging: 4 });
    expect(l.nodes.filter((n) => n.id === 'pud')).toHaveLength(1);
    expect(l.byId.get('pud')?.shared).toBe(true);
    expect(
      l.edges
        .filter((e) => e.to === 'pud')
        .map((e) => e.from)
        .sort(),
    ).toEqual(['b', 'h']);
    // Every edge ends on its target's left side.
    for (const e of l.edges) expect(e.x2).toBe(l.byId.get(e.to)?.x);
  });

  it('puts levels in columns and each root in a band below the previous one', () => {
    const l = layoutForest(forest, { paging: 4 });
    const h = l.byId.get('h')!;
    const b = l.byId.get('b')!;
    const pud = l.byId.get('pud')!;
    expect(h.x).toBe(0);
    expect(b.x).toBe(0);
    expect(pud.x).toBe(GEOMETRY.tableWidth + GEOMETRY.columnGap);
    expect(b.y).toBeGreaterThan(h.y + h.h);
    expect(l.byId.get('b')?.rootOf).toBe('B');
  });

  it('lists a few entries, plus any that must be shown, and counts the rest', () => {
    const many = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const nodes: Forest['nodes'] = { t: table('t', 'pte', many) };
    for (const d of many)
      nodes[d] = {
        id: d,
        kind: 'data',
        level: 'data',
        pfn: 2,
        owner: 'anonymous page',
        entries: [],
        present: 0,
        parents: ['t'],
      };
    const f: Forest = { roots: [{ mm: 'A', node: 't' }], nodes };
    const l = layoutForest(f, { paging: 4, maxRows: 8, mustShow: new Map([['t', new Set([15])]]) });
    const t = l.byId.get('t')!;
    expect(t.rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 15]);
    expect(t.more).toBe(11);
    expect(t.hidden).toBe(11);
    const open = layoutForest(f, { paging: 4, openTables: new Set(['t']) });
    expect(open.byId.get('t')!.rows).toHaveLength(20);
  });

  it('is a pure function of its input', () => {
    expect(JSON.stringify(layoutForest(forest, { paging: 4 }).nodes)).toBe(
      JSON.stringify(layoutForest(forest, { paging: 4 }).nodes),
    );
  });
});
