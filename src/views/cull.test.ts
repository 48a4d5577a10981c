import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Forest, NodeInfo } from '../core/inspect';
import { inView, type Rect } from './cull';
import { layoutForest } from './treeLayout';

function table(id: string, level: NodeInfo['level'], targets: string[]): NodeInfo {
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
    parents: [],
  };
}

const data = (id: string, parents: string[]): NodeInfo => ({
  id,
  kind: 'data',
  level: 'data',
  pfn: 2,
  owner: 'anonymous page',
  entries: [],
  present: 0,
  parents,
});

describe('what a big forest draws', () => {
  // Ten tasks, each PGD → PUD → PMD → PTE → one page they all share (a fork).
  const nodes: Record<string, NodeInfo> = { page: data('page', []) };
  const roots: Forest['roots'] = [];
  for (let t = 0; t < 10; t++) {
    nodes[`g${t}`] = table(`g${t}`, 'pgd', [`u${t}`]);
    nodes[`u${t}`] = table(`u${t}`, 'pud', [`m${t}`]);
    nodes[`m${t}`] = table(`m${t}`, 'pmd', [`e${t}`]);
    nodes[`e${t}`] = table(`e${t}`, 'pte', ['page']);
    (nodes.page as NodeInfo).parents.push(`e${t}`);
    roots.push({ mm: `T${t}`, node: `g${t}` });
  }
  const layout = layoutForest({ roots, nodes }, { paging: 4 });

  it('the nodes meeting the rectangle, and only the edges leaving them', () => {
    const top = layout.byId.get('g5');
    const bottom = layout.byId.get('e5');
    if (!top || !bottom) throw new Error('no task 5');
    // A band around task 5's tree only (bands are stacked top to bottom, each a step lower).
    expect(layout.byId.get('g6')?.y).toBeGreaterThan(bottom.y + bottom.h);
    const r = { x0: -1, y0: top.y - 1, x1: layout.width + 1, y1: bottom.y + bottom.h };
    const got = inView(layout, r);
    expect(got.nodes.map((n) => n.id).sort()).toEqual(['e5', 'g5', 'm5', 'u5']);
    // The shared page (placed with task 0, far above) gets the edge from e5 only, not the nine others crossing the
    // band.
    expect(got.edges.map((e) => e.id).sort()).toEqual(['e5:0', 'g5:0', 'm5:0', 'u5:0']);
    expect(got.edges.find((e) => e.from === 'e5')?.to).toBe('page');
  });

  it('everything, for a rectangle around the whole forest', () => {
    const got = inView(layout, { x0: -10, y0: -10, x1: layout.width + 10, y1: layout.height + 10 });
    expect(got.nodes).toHaveLength(41);
    expect(got.edges).toHaveLength(40);
  });

  it('nothing, for a rectangle beside it', () => {
    expect(inView(layout, { x0: layout.width + 10, y0: 0, x1: layout.width + 100, y1: 100 }).nodes).toHaveLength(0);
  });
});

describe('culling through the index gives what a scan of every node and edge gives', () => {
  // A forest of fifteen forked tasks sharing pages, laid out as the app lays it out.
  const nodes: Record<string, NodeInfo> = {};
  const roots: Forest['roots'] = [];
  const pages = ['p0', 'p1', 'p2'];
  for (const p of pages) nodes[p] = data(p, []);
  for (let t = 0; t < 15; t++) {
    const ptes = [0, 1, 2].map((k) => `e${t}.${k}`);
    ptes.forEach((id, k) => {
      nodes[id] = table(id, 'pte', pages.slice(0, k + 1));
      for (const p of pages.slice(0, k + 1)) (nodes[p] as NodeInfo).parents.push(id);
    });
    nodes[`m${t}`] = table(`m${t}`, 'pmd', ptes);
    nodes[`u${t}`] = table(`u${t}`, 'pud', [`m${t}`]);
    nodes[`g${t}`] = table(`g${t}`, 'pgd', [`u${t}`]);
    roots.push({ mm: `T${t}`, node: `g${t}` });
  }
  const layout = layoutForest({ roots, nodes }, { paging: 4 });
  /** The definition: every node meeting the rectangle, every edge leaving one, in the layout's order. */
  const scan = (r: Rect) => {
    const hit = layout.nodes.filter((n) => n.x < r.x1 && n.x + n.w > r.x0 && n.y < r.y1 && n.y + n.h > r.y0);
    const ids = new Set(hit.map((n) => n.id));
    return { nodes: hit, edges: layout.edges.filter((e) => ids.has(e.from)) };
  };

  it('for any rectangle, in the same order', () => {
    const coord = (max: number) => fc.double({ min: -200, max: max + 200, noNaN: true });
    fc.assert(
      fc.property(
        coord(layout.width),
        coord(layout.height),
        fc.double({ min: 0, max: 3000, noNaN: true }),
        fc.double({ min: 0, max: 3000, noNaN: true }),
        (x, y, w, h) => {
          const r = { x0: x, y0: y, x1: x + w, y1: y + h };
          const got = inView(layout, r);
          const want = scan(r);
          expect(got.nodes.map((n) => n.id)).toEqual(want.nodes.map((n) => n.id));
          expect(got.edges.map((e) => e.id)).toEqual(want.edges.map((e) => e.id));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the forest is big enough for the index to matter: several columns, nodes stacked in each', () => {
    expect(layout.nodes.length).toBe(3 + 15 * 6);
    expect(new Set(layout.nodes.map((n) => n.column)).size).toBe(5);
    // A rectangle holding one node's middle finds that node and no node of another column.
    const n = layout.byId.get('m7') as (typeof layout.nodes)[number];
    const got = inView(layout, { x0: n.x + 1, y0: n.y + 1, x1: n.x + 2, y1: n.y + 2 });
    expect(got.nodes.map((x) => x.id)).toEqual(['m7']);
    expect(got.edges.map((e) => e.id)).toEqual(['m7:0', 'm7:1', 'm7:2']);
  });
});
