/**
 * The copied entry made unmistakable (issue 12): on set_pgd, set_p4d and
 * huge_pmd_share the entry's value travels from the host's slot to the
 * guest's along a lane left of their column, where no tree is drawn (for a
 * PGD entry: left of every tree; one level down: the gap between columns),
 * so it never passes over another mm's entry, as the old straight slide over
 * A's PGD[2] made it look as if A's entry were written. It takes COPY_MS,
 * with a label readable at the view's scale; replay() runs it again; under
 * reduced motion it is drawn at once where it ends, with its path. The
 * guest's row keeps its changed mark afterwards (nodeMarkup's .changed).
 */
import type { Selection as D3Selection } from 'd3-selection';
import 'd3-transition';
import type { CopyMove } from '../store/derive';
import { shortHex } from './treeChanges';
import { GEOMETRY as G, type Layout, type LayoutNode } from './treeLayout';

/** The whole travel: out of the host's slot, down the lane, into the guest's slot. */
export const COPY_MS = 1800;
/** Room the lane and the token need left of the column, in layout units. */
export const COPY_GUTTER = 150;
const TOKEN_W = 132;
const TOKEN_H = 38;

export interface CopyPlan {
  move: CopyMove;
  /** Anchor points (the token's right edge, mid-height): host slot, lane top, lane bottom, guest slot. */
  points: [[number, number], [number, number], [number, number], [number, number]];
  label: string;
  value: string;
  /** Left edges of the host's and the guest's tables (where the drawn path starts and ends). */
  fromX: number;
  toX: number;
}

const rowMid = (n: LayoutNode, index: number): number => {
  const r = n.rows.find((x) => x.index === index);
  return n.y + (r ? r.y : G.headerHeight) + G.rowHeight / 2;
};

/** Pure: where each copy travels (exported for tests). */
export function planCopies(layout: Layout, copies: readonly CopyMove[]): CopyPlan[] {
  const out: CopyPlan[] = [];
  for (const c of copies) {
    const from = layout.byId.get(c.from.node);
    const to = layout.byId.get(c.to.node);
    if (!from || !to) continue;
    const lane = Math.min(from.x, to.x) - 14;
    const y0 = rowMid(from, c.from.index);
    const y1 = rowMid(to, c.to.index);
    const entry = to.info.entries.find((e) => e.index === c.to.index);
    out.push({
      move: c,
      points: [
        [from.x + TOKEN_W * 0.6, y0],
        [lane, y0],
        [lane, y1],
        [to.x + TOKEN_W * 0.6, y1],
      ],
      label: c.fn,
      value: entry ? shortHex(entry.value) : '',
      fromX: from.x,
      toX: to.x,
    });
  }
  return out;
}

type Layer = D3Selection<SVGGElement, unknown, null, undefined>;

export interface CopyAnimation {
  /** Show this step's copies: travelling (ms > 0) or at once. */
  play(layout: Layout, copies: readonly CopyMove[], travel: boolean): void;
  replay(): void;
  /** Jump to the end (the token gone, the path drawn). */
  settle(): void;
  destroy(): void;
}

export function createCopyAnimation(layer: Layer): CopyAnimation {
  let last: { layout: Layout; copies: readonly CopyMove[] } | null = null;

  const clear = (): void => {
    layer.selectAll('*').interrupt('copy');
    layer.selectAll('*').remove();
  };

  const draw = (layout: Layout, copies: readonly CopyMove[], travel: boolean): void => {
    clear();
    for (const p of planCopies(layout, copies)) {
      // The path leaves the host's row at its left edge and enters the guest's there: it never runs over an entry's
      // text.
      const [[, y0], a, b, [, y1]] = p.points;
      const d = `M${p.fromX},${y0}L${a[0]},${a[1]}L${b[0]},${b[1]}L${p.toX - 2},${y1}`;
      layer.append('path').attr('class', 'token-path').attr('d', d).attr('marker-end', 'url(#ptx-arrow)');
      const end = p.points[3];
      const at = (pt: [number, number]): string => `translate(${pt[0] - TOKEN_W},${pt[1] - TOKEN_H / 2})`;
      const token = layer
        .append('g')
        .attr('class', 'token')
        .attr('data-copy', `${p.move.from.node}:${p.move.from.index}->${p.move.to.node}:${p.move.to.index}`)
        .attr('transform', at(travel ? p.points[0] : end));
      token.append('rect').attr('width', TOKEN_W).attr('height', TOKEN_H).attr('rx', 6);
      token.append('text').attr('x', 8).attr('y', 16).text(`${p.label}`);
      token.append('text').attr('class', 'mono').attr('x', 8).attr('y', 32).text(p.value);
      if (!travel) continue;
      // Three legs, timed by length so the token moves at one speed (each eased in and out, d3's default).
      const legs = p.points.slice(1).map((pt, k) => {
        const [x0, y0] = p.points[k] as [number, number];
        return { pt, len: Math.hypot(pt[0] - x0, pt[1] - y0) };
      });
      const total = legs.reduce((s, l) => s + l.len, 0) || 1;
      let t = token.transition('copy').delay(150).duration(0);
      for (const l of legs)
        t = t
          .transition()
          .duration(Math.max(120, (COPY_MS - 150) * (l.len / total)))
          .attr('transform', at(l.pt));
      t.transition().delay(700).duration(400).style('opacity', 0).remove();
    }
  };

  return {
    play(layout, copies, travel) {
      last = { layout, copies };
      if (!copies.length) return clear();
      draw(layout, copies, travel);
    },
    replay() {
      if (last) draw(last.layout, last.copies, true);
    },
    settle() {
      layer.selectAll('g.token').interrupt('copy').remove();
    },
    destroy: clear,
  };
}
