/**
 * What a big forest draws: the nodes in and around the view, and the edges
 * leaving them (src/views/treeView.ts draws these past CULL_ABOVE nodes).
 * Pure: no DOM.
 */
import type { Layout, LayoutEdge, LayoutNode } from './treeLayout';

/**
 * Past this many nodes in the layout, the view draws only what is in and
 * around its viewport: about what a view holds at the fit's readable scale.
 * Every gallery scenario but the two SGAs stays below it (at most 34 nodes);
 * the SGAs lay out 64–192 nodes of which a view shows ~5–18, and drawing
 * them all took ~25 ms of a step's work more (profiled: 2,635 SVG elements
 * at the mainline SGA's last step, 257 culled).
 */
export const CULL_ABOVE = 40;

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * A layout's nodes by column, each column in order of y with a running
 * maximum of the nodes' bottoms, and its edges by the node they leave
 * (compressed rows: edgeStart[i]..edgeStart[i+1] in edgeIdx): a query then
 * reads only what meets the rectangle (a binary search per column) where a
 * scan read all ~10,000 nodes and ~17,000 edges of a 64-task forest
 * (~2–5 ms at every step and every pan). Nodes and edges are kept by their
 * index in the layout, to return them in the layout's order.
 */
interface CullIndex {
  cols: { x0: number; x1: number; nodes: Int32Array; bottoms: Float64Array }[];
  edgeStart: Int32Array;
  edgeIdx: Int32Array;
}

const indexes = new WeakMap<Layout, CullIndex>();

/** The index of a layout: built once (treeModel.ts builds it in idle time, with the layout). */
export function cullIndex(layout: Layout): CullIndex {
  const have = indexes.get(layout);
  if (have) return have;
  const all = layout.nodes;
  const at = new Map<string, number>();
  const byCol: number[][] = [];
  for (let i = 0; i < all.length; i++) {
    const n = all[i] as LayoutNode;
    at.set(n.id, i);
    (byCol[n.column] ??= []).push(i);
  }
  const cols: CullIndex['cols'] = [];
  for (const list of byCol) {
    if (!list) continue;
    // The layout packs each column top-down, so this is already in order of y; sorted in case it is not.
    const y = (i: number): number => (all[i] as LayoutNode).y;
    if (list.some((v, k) => k > 0 && y(v) < y(list[k - 1] as number))) list.sort((a, b) => y(a) - y(b));
    const bottoms = new Float64Array(list.length);
    let x0 = Infinity;
    let x1 = -Infinity;
    let max = -Infinity;
    list.forEach((i, k) => {
      const n = all[i] as LayoutNode;
      max = Math.max(max, n.y + n.h);
      bottoms[k] = max;
      x0 = Math.min(x0, n.x);
      x1 = Math.max(x1, n.x + n.w);
    });
    cols.push({ x0, x1, nodes: Int32Array.from(list), bottoms });
  }
  // Counting sort of the edges by the node they leave (edges from a node not laid out are never drawn).
  const edgeStart = new Int32Array(all.length + 1);
  const from = new Int32Array(layout.edges.length);
  layout.edges.forEach((e, k) => {
    const i = at.get(e.from) ?? -1;
    from[k] = i;
    if (i >= 0) edgeStart[i + 1] = (edgeStart[i + 1] as number) + 1;
  });
  for (let i = 0; i < all.length; i++) edgeStart[i + 1] = (edgeStart[i + 1] as number) + (edgeStart[i] as number);
  const fill = edgeStart.slice(0, all.length);
  const edgeIdx = new Int32Array(edgeStart[all.length] as number);
  from.forEach((i, k) => {
    if (i < 0) return;
    edgeIdx[fill[i] as number] = k;
    fill[i] = (fill[i] as number) + 1;
  });
  const ix = { cols, edgeStart, edgeIdx };
  indexes.set(layout, ix);
  return ix;
}

/** The first i with bottoms[i] > y (bottoms is non-decreasing). */
function firstBelow(bottoms: Float64Array, y: number): number {
  let lo = 0;
  let hi = bottoms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bottoms[mid] as number) > y) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The nodes of the layout that meet the rectangle, and the edges leaving
 * them: an edge is drawn with the entry it comes from. (Not by its bounding
 * box: a page shared by 64 forked tasks has 63 edges from all over the
 * forest, and drawing every one that crosses the view would draw most of
 * them wherever the view is; the node's "shared ×N" badge says how many.)
 * Both in the layout's order, the order they are drawn in.
 */
export function inView(layout: Layout, r: Rect): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const { cols, edgeStart, edgeIdx } = cullIndex(layout);
  const hit: number[] = [];
  for (const c of cols) {
    if (c.x0 >= r.x1 || c.x1 <= r.x0) continue;
    // Nodes before k end above the rectangle; in order of y, the scan stops at the first starting below it.
    for (let k = firstBelow(c.bottoms, r.y0); k < c.nodes.length; k++) {
      const i = c.nodes[k] as number;
      const n = layout.nodes[i] as LayoutNode;
      if (n.y >= r.y1) break;
      if (n.x < r.x1 && n.x + n.w > r.x0 && n.y + n.h > r.y0) hit.push(i);
    }
  }
  const nodeIdx = Int32Array.from(hit).sort();
  let count = 0;
  for (const i of nodeIdx) count += (edgeStart[i + 1] as number) - (edgeStart[i] as number);
  const edgesAt = new Int32Array(count);
  let k = 0;
  for (const i of nodeIdx)
    for (let e = edgeStart[i] as number; e < (edgeStart[i + 1] as number); e++) edgesAt[k++] = edgeIdx[e] as number;
  edgesAt.sort();
  return {
    nodes: Array.from(nodeIdx, (i) => layout.nodes[i] as LayoutNode),
    edges: Array.from(edgesAt, (e) => layout.edges[e] as LayoutEdge),
  };
}
