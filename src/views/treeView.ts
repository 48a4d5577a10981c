/**
 * The page-table trees drawn with d3 into an <svg>: nodes and edges joined
 * by id (so a table that stays keeps its element and moves smoothly), pan
 * and zoom with d3-zoom, the walk lit level by level, and a copied entry
 * (set_pgd, set_p4d, huge_pmd_share) travelling from the host's slot to the
 * guest's before the new edge draws in. React owns the <svg> element; this
 * behaviour owns what is inside it: createTreeView() → { update, destroy }.
 *
 * Every animation is skipped when the user prefers reduced motion.
 */
import { select, type Selection as D3Selection } from 'd3-selection';
import 'd3-transition';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import { flagNames } from '../core/inspect';
import type { CopyMove, PathStep } from '../store/derive';
import type { Selection } from '../store/store';
import { GEOMETRY as G, type Layout, type LayoutEdge, type LayoutNode } from './treeLayout';

export interface TreeModel {
  layout: Layout;
  /** The walk of the step's address, top level first. */
  walk: PathStep[];
  /** Light the walk up (an access or translate step). */
  animateWalk: boolean;
  /** Changes whenever the step changes: replays the step's animations. */
  stepKey: string;
  hoverLevel: string | null;
  selection: Selection;
  copies: CopyMove[];
  /** Changes when another scenario is loaded: the view fits itself again. */
  fitKey: string;
  /** Tables listing all their entries. */
  openTables: ReadonlySet<string>;
}

export interface TreeCallbacks {
  onSelectNode(id: string): void;
  onSelectEntry(id: string, index: number): void;
  onToggleExpand(id: string): void;
  onToggleOpenTable(id: string): void;
}

export interface TreeHandle {
  update(model: TreeModel): void;
  fit(): void;
  zoomBy(factor: number): void;
  destroy(): void;
}

/** The tree's own stylesheet, inside the <svg> so an exported SVG carries it. */
export const TREE_CSS = `
.ptx-tree text { font-family: var(--tree-font, ui-sans-serif, system-ui, sans-serif); fill: var(--tree-text); }
.ptx-tree .mono { font-family: var(--tree-mono, ui-monospace, "DejaVu Sans Mono", monospace); font-size: 11px; }
.ptx-tree .col-label { font-size: 13px; font-weight: 700; fill: var(--tree-muted); letter-spacing: .06em; }
.ptx-tree .col-label.hover { fill: var(--tree-accent); }
.ptx-tree .box { fill: var(--tree-node); stroke: var(--tree-border); stroke-width: 1.5; }
.ptx-tree .node[data-kind="data"] .box { fill: var(--tree-data); }
.ptx-tree .node[data-kind="summary"] .box { fill: var(--tree-summary); stroke-dasharray: 6 3; }
.ptx-tree .node.shared .box { stroke: var(--tree-shared); stroke-width: 3; }
.ptx-tree .node.root .box { stroke: var(--tree-root); stroke-width: 2.5; }
.ptx-tree .node.level-hover .box { stroke: var(--tree-accent); stroke-width: 3; }
.ptx-tree .node.selected .box { stroke: var(--tree-select); stroke-width: 3.5; }
.ptx-tree .title { font-size: 13px; font-weight: 700; }
.ptx-tree .sub { font-size: 11px; fill: var(--tree-muted); }
.ptx-tree .badge rect { fill: var(--tree-shared); }
.ptx-tree .badge text { fill: var(--tree-badge-text); font-size: 10px; font-weight: 700; }
.ptx-tree .header { cursor: pointer; }
.ptx-tree .header:focus { outline: none; }
.ptx-tree .header:focus-visible .focus-ring { stroke: var(--tree-select); stroke-width: 2; fill: none; }
.ptx-tree .row { cursor: pointer; }
.ptx-tree .row rect { fill: transparent; }
.ptx-tree .row:hover rect { fill: var(--tree-row-hover); }
.ptx-tree .row.selected rect { fill: var(--tree-row-select); }
.ptx-tree .row .flags { fill: var(--tree-muted); }
.ptx-tree .more { cursor: pointer; }
.ptx-tree .more text { fill: var(--tree-accent); font-size: 11px; }
.ptx-tree .open-summary text { fill: var(--tree-accent); font-size: 11px; font-weight: 700; }
.ptx-tree .edge { fill: none; stroke: var(--tree-edge); stroke-width: 1.5; }
.ptx-tree .edge.to-shared { stroke: var(--tree-shared); stroke-width: 2.5; }
.ptx-tree .walk .box, .ptx-tree .row.walk rect, .ptx-tree .edge.walk {
  animation: ptx-walk .45s ease-out both; animation-delay: calc(var(--walk-base, 0s) + var(--walk-i, 0) * .35s);
}
.ptx-tree .row.walk rect { animation-name: ptx-walk-row; }
.ptx-tree .edge.walk { animation-name: ptx-walk-edge; }
@keyframes ptx-walk { to { stroke: var(--tree-walk); stroke-width: 4; } }
.ptx-tree .walk-static .box { stroke: var(--tree-walk); stroke-width: 4; }
.ptx-tree .row.walk-static rect { fill: var(--tree-walk-row); }
.ptx-tree .edge.walk-static { stroke: var(--tree-walk); stroke-width: 3.5; }
@keyframes ptx-walk-row { to { fill: var(--tree-walk-row); } }
@keyframes ptx-walk-edge { to { stroke: var(--tree-walk); stroke-width: 3.5; } }
.ptx-tree .token rect { fill: var(--tree-walk-row); stroke: var(--tree-walk); stroke-width: 2; }
@media (prefers-reduced-motion: reduce) {
  .ptx-tree .walk .box, .ptx-tree .row.walk rect, .ptx-tree .edge.walk { animation-duration: 1ms; animation-delay: 0s; }
}
`;

const COPY_MS = 900;

function reducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

const hex = (n: number): string => '0x' + n.toString(16);

function levelWord(level: string): string {
  return level === 'data' ? 'page' : level.toUpperCase();
}

function shortFlags(flags: number): string {
  return flagNames(flags)
    .filter((f) => f.set)
    .map((f) => f.name)
    .join(' ');
}

function titleOf(n: LayoutNode): string {
  const i = n.info;
  if (i.kind === 'data') return i.id === 'zero' ? 'zero page' : i.owner.startsWith('anon') ? 'anon page' : i.owner.startsWith('shmem') ? 'shmem page' : 'page';
  if (i.kind === 'summary') return `${levelWord(i.level)} pages`;
  const who = n.rootOf ?? i.owner;
  return who ? `${levelWord(i.level)} · ${who}` : levelWord(i.level);
}

/** Cut a label to about `px` pixels of text at `charPx` per character. */
function clip(text: string, px: number, charPx: number): string {
  const max = Math.max(4, Math.floor(px / charPx));
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

function subtitleOf(n: LayoutNode): string {
  const i = n.info;
  if (i.kind === 'data') return `pfn ${hex(i.pfn)}`;
  if (i.kind === 'summary') return `owner ${i.owner || '?'}`;
  return `pfn ${hex(i.pfn)} · ${i.present.toLocaleString('en-US')} entr${i.present === 1 ? 'y' : 'ies'}`;
}

export function ariaLabelOf(n: LayoutNode): string {
  const i = n.info;
  if (i.kind === 'summary') return `Summary node: ${i.summary?.text ?? ''}. Press Enter to open it.`;
  const shared = n.shared ? `, shared: ${i.parents.length} entries point to it` : '';
  if (i.kind === 'data') return `${titleOf(n)}, pfn ${hex(i.pfn)}${shared}`;
  const root = n.rootOf !== undefined ? ` of ${n.rootOf}` : '';
  return `${levelWord(i.level)} page${root}, pfn ${hex(i.pfn)}, ${i.present} present entries${i.owner ? `, allocated by ${i.owner}` : ''}${shared}`;
}

/** Wrap a summary's text into lines of about `width` characters. */
function wrap(text: string, width: number, maxLines: number): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && (line + ' ' + w).length > width) {
      lines.push(line);
      line = w;
    } else line = line ? line + ' ' + w : w;
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = (kept[maxLines - 1] as string).replace(/.{0,1}$/, '…');
    return kept;
  }
  return lines;
}

function edgePath(e: Pick<LayoutEdge, 'x1' | 'y1' | 'x2' | 'y2'>): string {
  const mx = (e.x1 + e.x2) / 2;
  return `M${e.x1},${e.y1}C${mx},${e.y1} ${mx},${e.y2} ${e.x2},${e.y2}`;
}

type GSel<D> = D3Selection<SVGGElement, D, SVGGElement, unknown>;

export function createTreeView(svgEl: SVGSVGElement, cb: TreeCallbacks): TreeHandle {
  const svg = select(svgEl).classed('ptx-tree', true);
  svg.selectAll('*').remove();
  svg.append('style').text(TREE_CSS);
  const viewport = svg.append('g').attr('class', 'viewport');
  const colLayer = viewport.append('g').attr('class', 'columns');
  const edgeLayer = viewport.append('g').attr('class', 'edges');
  const nodeLayer = viewport.append('g').attr('class', 'nodes');
  const animLayer = viewport.append('g').attr('class', 'anim').attr('aria-hidden', 'true');

  let current: TreeModel | null = null;
  let lastFitKey: string | null = null;
  let lastStepKey: string | null = null;
  /** Until the user pans or zooms, the view keeps the whole forest in sight. */
  let userMoved = false;

  const zoomer: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([0.03, 4])
    .on('zoom', (ev: { transform: ZoomTransform; sourceEvent: unknown }) => {
      if (ev.sourceEvent) userMoved = true;
      viewport.attr('transform', ev.transform.toString());
    });
  svg.call(zoomer).on('dblclick.zoom', null);

  // The view keeps the forest fitted when its box changes (a panel hidden, the window resized).
  const resize = typeof ResizeObserver === 'function' ? new ResizeObserver(() => current && !userMoved && fit()) : null;
  resize?.observe(svgEl);

  const fitTransform = (): ZoomTransform => {
    const layout = current?.layout;
    const w = svgEl.clientWidth || 800;
    const h = svgEl.clientHeight || 500;
    if (!layout || layout.nodes.length === 0) return zoomIdentity.translate(24, 40);
    const bw = layout.width + 48;
    const bh = layout.height + 72;
    // The whole forest when it can be read that way; else fit the width (pan down for more);
    // and never below a readable scale (on a phone: pan sideways too).
    const readable = w < 600 ? 0.6 : 0.45;
    let k = Math.min(w / bw, h / bh, 1.25);
    if (k < readable) k = Math.max(readable, Math.min(w / bw, 1.25));
    const x = Math.max(12, (w - layout.width * k) / 2);
    return zoomIdentity.translate(x, 36 * Math.max(k, 0.6)).scale(k);
  };

  const fit = (animate = false): void => {
    userMoved = false;
    svg.interrupt('fit');
    if (animate && !reducedMotion()) svg.transition('fit').duration(350).call(zoomer.transform, fitTransform());
    else svg.call(zoomer.transform, fitTransform());
  };

  const renderColumns = (m: TreeModel): void => {
    const cols = colLayer
      .selectAll<SVGTextElement, Layout['columns'][number]>('text')
      .data(m.layout.nodes.length ? m.layout.columns : [], (d) => d.key)
      .join('text')
      .attr('class', 'col-label')
      .attr('x', (d) => d.x + 4)
      .attr('y', -14)
      .text((d) => d.label);
    cols.classed('hover', (d) => d.key === m.hoverLevel);
  };

  const renderNodeContents = (g: GSel<LayoutNode>, m: TreeModel, walkRows: Map<string, number>, walkClass: string): void => {
    g.each(function (n) {
      const el = select(this);
      el.selectAll('*').remove();
      el.append('rect').attr('class', 'box').attr('width', n.w).attr('height', n.h).attr('rx', 6);
      const header = el
        .append('g')
        .attr('class', 'header')
        .attr('role', 'button')
        .attr('tabindex', 0)
        .attr('aria-label', ariaLabelOf(n))
        .on('click', (ev: MouseEvent) => {
          ev.stopPropagation();
          if (n.info.kind === 'summary') cb.onToggleExpand(n.id);
          else cb.onSelectNode(n.id);
        })
        .on('keydown', (ev: KeyboardEvent) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            ev.stopPropagation();
            if (n.info.kind === 'summary') cb.onToggleExpand(n.id);
            else cb.onSelectNode(n.id);
          }
        });
      const headerH = n.info.kind === 'table' ? G.headerHeight : n.h;
      header.append('rect').attr('width', n.w).attr('height', headerH).attr('fill', 'transparent').attr('rx', 6);
      header.append('rect').attr('class', 'focus-ring').attr('x', 2).attr('y', 2).attr('width', n.w - 4).attr('height', headerH - 4).attr('rx', 5).attr('fill', 'none');
      const badgeText = n.shared ? `shared ×${n.info.parents.length}` : '';
      const bw = n.shared ? 8 + badgeText.length * 6 : 0;
      const title = titleOf(n);
      const titleEl = header.append('text').attr('class', 'title').attr('x', 8).attr('y', 17).text(clip(title, n.w - 16 - (bw ? bw + 6 : 0), 7.6));
      if (titleEl.text() !== title) titleEl.append('title').text(title);
      header.append('text').attr('class', 'sub').attr('x', 8).attr('y', 32).text(clip(subtitleOf(n), n.w - 16, 6.2));
      if (n.shared) {
        const badge = el.append('g').attr('class', 'badge').attr('transform', `translate(${n.w - bw - 6},6)`);
        badge.append('rect').attr('width', bw).attr('height', 15).attr('rx', 7);
        badge.append('text').attr('x', bw / 2).attr('y', 11).attr('text-anchor', 'middle').text(badgeText);
      }
      if (n.info.kind === 'summary') {
        const lines = wrap(n.info.summary?.text ?? '', 31, 2);
        lines.forEach((line, i) => header.append('text').attr('class', 'sub').attr('x', 8).attr('y', 47 + i * 13).text(line));
        const open = header.append('g').attr('class', 'open-summary');
        open.append('text').attr('x', n.w - 8).attr('y', n.h - 7).attr('text-anchor', 'end').text('open ▸');
      }
      for (const row of n.rows) {
        const key = `${n.id}:${row.index}`;
        const r = el
          .append('g')
          .attr('class', 'row')
          .attr('data-index', row.index)
          .attr('transform', `translate(0,${row.y})`)
          .on('click', (ev: MouseEvent) => {
            ev.stopPropagation();
            cb.onSelectEntry(n.id, row.index);
          });
        const wi = walkRows.get(key);
        if (wi !== undefined) r.classed(walkClass, true).style('--walk-i', String(wi));
        r.classed('selected', m.selection?.kind === 'entry' && m.selection.node === n.id && m.selection.index === row.index);
        r.append('rect').attr('x', 3).attr('width', n.w - 6).attr('height', G.rowHeight).attr('rx', 3);
        const run = m.layout.byId.get(row.entry.target)?.info.summary?.entries;
        r.append('text').attr('class', 'mono').attr('x', 8).attr('y', 14).text(run && run > 1 ? `[${row.index}…${row.index + run - 1}]` : `[${row.index}]`);
        const idxChars = run && run > 1 ? `[${row.index}…${row.index + run - 1}]`.length : `[${row.index}]`.length;
        const flagsX = Math.max(48, 14 + idxChars * 6.6);
        const pfnText = hex(row.entry.pfn);
        const room = n.w - 8 - pfnText.length * 6.6 - 6 - flagsX;
        r.append('text').attr('class', 'mono flags').attr('x', flagsX).attr('y', 14).text(clip(shortFlags(row.entry.flags), room, 6.6));
        r.append('text').attr('class', 'mono').attr('x', n.w - 8).attr('y', 14).attr('text-anchor', 'end').text(pfnText);
        r.append('title').text(`entry ${row.index}: ${row.entry.value}, maps ${row.entry.from}–${row.entry.to}`);
      }
      const opened = m.openTables.has(n.id);
      if (n.more > 0 || opened) {
        const moreY = G.headerHeight + n.rows.length * G.rowHeight;
        const canOpen = n.hidden > 0;
        const label = canOpen ? `+${n.more} more: show all` : opened ? 'show fewer' : `+${n.more} more (not listed)`;
        const more = el.append('g').attr('class', 'more').attr('transform', `translate(0,${moreY})`);
        if (canOpen || opened) {
          more
            .attr('role', 'button')
            .attr('tabindex', 0)
            .attr('aria-label', canOpen ? `Show all entries of this ${levelWord(n.info.level)} page` : `Show fewer entries of this ${levelWord(n.info.level)} page`)
            .on('click', (ev: MouseEvent) => {
              ev.stopPropagation();
              cb.onToggleOpenTable(n.id);
            })
            .on('keydown', (ev: KeyboardEvent) => {
              if (ev.key === 'Enter' || ev.key === ' ') {
                ev.preventDefault();
                ev.stopPropagation();
                cb.onToggleOpenTable(n.id);
              }
            });
        }
        more.append('rect').attr('width', n.w).attr('height', G.rowHeight).attr('fill', 'transparent');
        more.append('text').attr('x', 8).attr('y', 14).text(label);
      }
    });
  };

  const update = (m: TreeModel): void => {
    current = m;
    const motion = !reducedMotion();
    const stepChanged = m.stepKey !== lastStepKey;
    lastStepKey = m.stepKey;
    const dur = motion ? 350 : 0;

    // The walk: node → its level's position in the walk (for the delay), entry rows, edges.
    const walkNodes = new Map<string, number>();
    const walkRows = new Map<string, number>();
    const walkEdges = new Map<string, number>();
    if (m.animateWalk) {
      m.walk.forEach((p, i) => {
        walkNodes.set(p.node, i);
        walkRows.set(`${p.node}:${p.index}`, i);
        if (p.target !== undefined) {
          walkEdges.set(`${p.node}:${p.index}`, i + 0.5);
          if (!walkNodes.has(p.target)) walkNodes.set(p.target, i + 1);
        }
      });
    }
    // A copied entry's new edge waits for the travelling token.
    const copyEdges = new Set(m.copies.map((c) => `${c.to.node}:${c.to.index}`));

    renderColumns(m);

    const nodes = nodeLayer
      .selectAll<SVGGElement, LayoutNode>('g.node')
      .data(m.layout.nodes, (d) => d.id)
      .join(
        (enter) =>
          enter
            .append('g')
            .attr('class', 'node')
            .attr('transform', (d) => `translate(${d.x},${d.y})`)
            .style('opacity', motion ? 0 : 1)
            .call((s) => s.transition('fade').duration(dur).style('opacity', 1)),
        (upd) => upd,
        (exit) => exit.transition('fade').duration(motion ? 200 : 0).style('opacity', 0).remove(),
      );
    nodes
      .attr('data-node-id', (d) => d.id)
      .attr('data-kind', (d) => d.info.kind)
      .attr('data-level', (d) => d.info.level)
      .attr('data-pfn', (d) => d.info.pfn)
      .attr('data-owner', (d) => d.info.owner)
      .attr('data-parents', (d) => d.info.parents.length)
      .attr('data-root', (d) => d.rootOf ?? null)
      .attr('data-shared', (d) => (d.shared ? 'true' : 'false'))
      .classed('shared', (d) => d.shared)
      .classed('root', (d) => d.rootOf !== undefined)
      .classed('level-hover', (d) => m.hoverLevel !== null && d.info.level === m.hoverLevel)
      .classed('selected', (d) => m.selection?.kind === 'node' && m.selection.node === d.id)
      .classed('walk', false)
      .classed('walk-static', false)
      .style('--walk-i', null);
    nodes.transition('move').duration(dur).attr('transform', (d) => `translate(${d.x},${d.y})`);
    // A copied entry travels first; the walk lights up after it has arrived.
    if (m.copies.length && motion && stepChanged) svg.style('--walk-base', `${COPY_MS}ms`);
    else svg.style('--walk-base', null);
    // A new step animates the walk; any other update (hover, selection) shows it lit already.
    const walkClass = stepChanged && motion ? 'walk' : 'walk-static';
    renderNodeContents(nodes, m, walkRows, walkClass);

    const edges = edgeLayer
      .selectAll<SVGPathElement, LayoutEdge>('path.edge')
      .data(m.layout.edges, (d) => d.id)
      .join(
        (enter) => {
          const p = enter.append('path').attr('class', 'edge').attr('d', edgePath);
          if (motion) {
            p.each(function (d) {
              const len = this.getTotalLength?.() ?? 0;
              if (!len) return;
              const delay = copyEdges.has(d.id) && stepChanged ? COPY_MS : 0;
              select(this)
                .attr('stroke-dasharray', `${len} ${len}`)
                .attr('stroke-dashoffset', len)
                .transition('draw')
                .delay(delay)
                .duration(500)
                .attr('stroke-dashoffset', 0)
                .on('end', function () {
                  select(this).attr('stroke-dasharray', null).attr('stroke-dashoffset', null);
                });
            });
          }
          return p;
        },
        (upd) => upd,
        (exit) => exit.transition('fade').duration(motion ? 150 : 0).style('opacity', 0).remove(),
      );
    edges
      .attr('data-edge-id', (d) => d.id)
      .attr('data-from', (d) => d.from)
      .attr('data-to', (d) => d.to)
      .attr('data-index', (d) => d.index)
      .classed('to-shared', (d) => m.layout.byId.get(d.to)?.shared ?? false)
      .classed('walk', false)
      .classed('walk-static', false)
      .style('--walk-i', null);
    edges.transition('move').duration(dur).attr('d', edgePath);

    // Restart the walk animation: drop the classes, force a style pass, set them again.
    if (stepChanged) void svgEl.getBoundingClientRect();
    nodes.filter((d) => walkNodes.has(d.id)).classed(walkClass, true).style('--walk-i', (d) => String(walkNodes.get(d.id)));
    edges.filter((d) => walkEdges.has(d.id)).classed(walkClass, true).style('--walk-i', (d) => String(walkEdges.get(d.id)));

    // The copied entry travels from the host's slot to the guest's.
    animLayer.selectAll('*').interrupt().remove();
    if (motion && stepChanged) {
      for (const c of m.copies) {
        const from = m.layout.byId.get(c.from.node);
        const to = m.layout.byId.get(c.to.node);
        if (!from || !to) continue;
        const rowY = (n: LayoutNode, index: number): number => n.y + (n.rows.find((r) => r.index === index)?.y ?? G.headerHeight);
        const entry = to.info.entries.find((e) => e.index === c.to.index);
        const token = animLayer
          .append('g')
          .attr('class', 'token')
          .attr('transform', `translate(${from.x + 3},${rowY(from, c.from.index)})`);
        token.append('rect').attr('width', from.w - 6).attr('height', G.rowHeight).attr('rx', 3);
        token.append('text').attr('class', 'mono').attr('x', 8).attr('y', 14).text(`${c.fn}: ${entry?.value ?? ''}`);
        token
          .transition('copy')
          .duration(COPY_MS)
          .attr('transform', `translate(${to.x + 3},${rowY(to, c.to.index)})`)
          .transition()
          .duration(400)
          .style('opacity', 0)
          .remove();
      }
    }

    if (m.fitKey !== lastFitKey) {
      lastFitKey = m.fitKey;
      fit();
    } else if (!userMoved) fit(stepChanged);
  };

  return {
    update,
    fit: () => fit(true),
    zoomBy(factor) {
      svg.transition('zoom').duration(reducedMotion() ? 0 : 200).call(zoomer.scaleBy, factor);
    },
    destroy() {
      resize?.disconnect();
      svg.on('.zoom', null);
      svg.selectAll('*').interrupt().remove();
    },
  };
}
