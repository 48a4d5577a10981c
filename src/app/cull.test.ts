import { describe, expect, it } from 'vitest';
import type { Forest, NodeInfo } from '../core/inspect';
import { inView } from '../views/cull';
import { layoutForest } from '../views/treeLayout';

function table(id: string, level: NodeInfo['level'], targets: string[]): NodeInfo {
  return {
    id,
    kind: 'table',
    level,
    pfn: 1,
    owner: 'x',
    entries: targets.map((t, i) => ({ index: i, value: '0x0', flags: 1, pfn: 1, target: t, from: '0x0', to: '0x1000' })),
    present: targets.length,
    parents: [],
  };
}

const data = (id: string, parents: string[]): NodeInfo => ({ id, kind: 'data', level: 'data', pfn: 2, owner: 'anonymous page', entries: [], present: 0, parents });

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
    // The shared page (placed with task 0, far above) gets the edge from e5 only, not the nine others crossing the band.
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
