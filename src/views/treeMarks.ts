/**
 * Marks on what is drawn, which change without a node's content: the walk
 * (nodes, entry rows and edges, lit level by level), the selection, and what
 * a hovered or selected trace event touched. A shared edge on the walk keeps
 * the shared colour and the walk is drawn as an outline under it (a halo
 * path), so a guest's link to the host's tables never looks like an ordinary
 * walk (issue 12).
 *
 * Every mark is written only when it differs (a class or an inline style
 * written again makes the browser restyle the element and, through the
 * inherited custom property, everything inside it), and what the last update
 * marked is remembered, to unmark without a search.
 */
import type { Selection as D3Selection } from 'd3-selection';
import type { Selection } from '../store/store';
import { setClass } from './domWrite';
import { edgePath } from './treeDraw';
import type { Layout } from './treeLayout';

export interface WalkMarks {
  /** Node → its level's position in the walk (for the delay). */
  nodes: Map<string, number>;
  /** Rows: node, entry index, position in the walk. */
  rows: [string, number, number][];
  /** Edge id → position. */
  edges: Map<string, number>;
  /** 'walk' animates (a new step), 'walk-static' shows it lit. */
  cls: 'walk' | 'walk-static';
}

export interface MarkInput {
  layout: Layout;
  walk: WalkMarks;
  selection: Selection;
  /** What the trace's hovered or selected event touched. */
  hit: { nodes: ReadonlySet<string>; rows: ReadonlySet<string> };
  nodeEls: ReadonlyMap<string, SVGGElement>;
  edgeEls: ReadonlyMap<string, SVGPathElement>;
}

/** Mark el as on the walk (cls 'walk' or 'walk-static'), at position i. Idempotent. */
function mark<E extends SVGElement>(el: E, cls: string, i: number): E {
  setClass(el, cls === 'walk' ? 'walk-static' : 'walk', false);
  setClass(el, cls, true);
  // Only the animation's delay reads the position.
  const v = cls === 'walk' ? String(i) : '';
  if (el.style.getPropertyValue('--walk-i') !== v) {
    if (v) el.style.setProperty('--walk-i', v);
    else el.style.removeProperty('--walk-i');
  }
  return el;
}

function unmark(el: SVGElement): void {
  setClass(el, 'walk', false);
  setClass(el, 'walk-static', false);
  if (el.style.getPropertyValue('--walk-i') !== '') el.style.removeProperty('--walk-i');
}

export interface Marks {
  update(m: MarkInput): void;
  destroy(): void;
}

export function createMarks(haloLayer: D3Selection<SVGGElement, unknown, null, undefined>): Marks {
  let markedRows: SVGGElement[] = [];
  let markedNodes: SVGGElement[] = [];
  let markedEdges: SVGPathElement[] = [];
  let hitEls: SVGElement[] = [];
  let haloKey = '';

  const rowEl = (nodeEls: ReadonlyMap<string, SVGGElement>, node: string, index: number): SVGGElement | null =>
    nodeEls.get(node)?.querySelector<SVGGElement>(`:scope > g.row[data-index="${index}"]`) ?? null;

  return {
    update({ layout, walk, selection, hit, nodeEls, edgeEls }) {
      const before = new Set<SVGElement>([...markedNodes, ...markedEdges]);
      const rowsBefore = new Set(markedRows);
      markedNodes = [];
      markedEdges = [];
      markedRows = [];
      for (const [id, i] of walk.nodes) {
        const el = nodeEls.get(id);
        if (el) markedNodes.push(mark(el, walk.cls, i));
      }
      const halos: { d: string; i: number }[] = [];
      for (const [id, i] of walk.edges) {
        const el = edgeEls.get(id);
        if (!el) continue;
        markedEdges.push(mark(el, walk.cls, i));
        const e = layout.edges.find((x) => x.id === id);
        if (e && layout.byId.get(e.to)?.shared) halos.push({ d: edgePath(e), i });
      }
      const walked = new Set<SVGGElement>();
      for (const [node, index, i] of walk.rows) {
        const el = rowEl(nodeEls, node, index);
        if (el) walked.add(mark(el, walk.cls, i));
      }
      const chosen = selection?.kind === 'entry' ? rowEl(nodeEls, selection.node, selection.index) : null;
      if (chosen) setClass(chosen, 'selected', true);
      markedRows = [...walked];
      if (chosen && !walked.has(chosen)) markedRows.push(chosen);
      for (const el of rowsBefore) {
        if (el !== chosen) setClass(el, 'selected', false);
        if (!walked.has(el)) unmark(el);
      }
      for (const el of markedNodes) before.delete(el);
      for (const el of markedEdges) before.delete(el);
      for (const el of before) unmark(el);

      // The outline of the walk under shared edges: redrawn only when it changes (a new step restarts its animation).
      const key = `${walk.cls}|${halos.map((h) => `${h.d}@${h.i}`).join(';')}`;
      if (key !== haloKey || walk.cls === 'walk') {
        haloKey = key;
        haloLayer.selectAll('*').remove();
        for (const h of halos) {
          const p = haloLayer.append('path').attr('class', `walk-halo ${walk.cls}`).attr('d', h.d).node();
          if (p && walk.cls === 'walk') p.style.setProperty('--walk-i', String(h.i));
        }
      }

      // What the trace's event touched.
      for (const el of hitEls) setClass(el, 'trace-hit', false);
      hitEls = [];
      for (const id of hit.nodes) {
        const el = nodeEls.get(id);
        if (el) hitEls.push(el);
      }
      for (const key of hit.rows) {
        const at = key.lastIndexOf(':');
        const el = rowEl(nodeEls, key.slice(0, at), Number(key.slice(at + 1)));
        if (el) hitEls.push(el);
      }
      for (const el of hitEls) setClass(el, 'trace-hit', true);
    },
    destroy() {
      haloLayer.selectAll('*').remove();
    },
  };
}
