/**
 * What a big forest draws: the nodes in and around the view, and the edges
 * leaving them (src/views/treeView.ts draws these past CULL_ABOVE nodes).
 * Pure: no DOM.
 */
import type { Layout, LayoutEdge, LayoutNode } from './treeLayout';

/** Past this many nodes in the layout, the view draws only what is in and around its viewport. */
export const CULL_ABOVE = 300;

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The nodes of the layout that meet the rectangle, and the edges leaving
 * them: an edge is drawn with the entry it comes from. (Not by its bounding
 * box: a page shared by 64 forked tasks has 63 edges from all over the
 * forest, and drawing every one that crosses the view would draw most of
 * them wherever the view is; the node's "shared ×N" badge says how many.)
 */
export function inView(layout: Layout, r: Rect): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const nodes = layout.nodes.filter((n) => n.x < r.x1 && n.x + n.w > r.x0 && n.y < r.y1 && n.y + n.h > r.y0);
  const drawn = new Set(nodes.map((n) => n.id));
  const edges = layout.edges.filter((e) => drawn.has(e.from));
  return { nodes, edges };
}
