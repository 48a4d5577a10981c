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
import { zoom, zoomIdentity, zoomTransform, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { CopyMove, PathStep } from '../store/derive';
import type { Selection } from '../store/store';
import { CULL_ABOVE, inView, type Rect } from './cull';
import { FIT_MAX, snapScale } from './fitScale';
import { nodeMarkup } from './nodeMarkup';
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
.ptx-tree.alt .walk .box { animation-name: ptx-walk-alt; }
.ptx-tree.alt .row.walk rect { animation-name: ptx-walk-row-alt; }
.ptx-tree.alt .edge.walk { animation-name: ptx-walk-edge-alt; }
@keyframes ptx-walk { to { stroke: var(--tree-walk); stroke-width: 4; } }
@keyframes ptx-walk-alt { to { stroke: var(--tree-walk); stroke-width: 4; } }
.ptx-tree .walk-static .box { stroke: var(--tree-walk); stroke-width: 4; }
.ptx-tree .row.walk-static rect { fill: var(--tree-walk-row); }
.ptx-tree .edge.walk-static { stroke: var(--tree-walk); stroke-width: 3.5; }
@keyframes ptx-walk-row { to { fill: var(--tree-walk-row); } }
@keyframes ptx-walk-edge { to { stroke: var(--tree-walk); stroke-width: 3.5; } }
@keyframes ptx-walk-row-alt { to { fill: var(--tree-walk-row); } }
@keyframes ptx-walk-edge-alt { to { stroke: var(--tree-walk); stroke-width: 3.5; } }
.ptx-tree .token rect { fill: var(--tree-walk-row); stroke: var(--tree-walk); stroke-width: 2; }
@media (prefers-reduced-motion: reduce) {
  .ptx-tree .walk .box, .ptx-tree .row.walk rect, .ptx-tree .edge.walk { animation-duration: 1ms; animation-delay: 0s; }
}
`;

const COPY_MS = 900;

/**
 * prefers-reduced-motion, asked once and then kept up to date by the
 * query's change event: a matchMedia() call at every step cost ~8 ms at
 * 10,000 nodes laid out (profiled on the 64-task bench scenario, inside the
 * tree's update, which runs after React changed the DOM).
 */
let motionQuery: MediaQueryList | null | undefined;
let reduced = false;
function reducedMotion(): boolean {
  if (motionQuery === undefined) {
    motionQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
    reduced = motionQuery?.matches ?? false;
    motionQuery?.addEventListener('change', (e) => {
      reduced = e.matches;
    });
  }
  return reduced;
}

function edgePath(e: Pick<LayoutEdge, 'x1' | 'y1' | 'x2' | 'y2'>): string {
  const mx = (e.x1 + e.x2) / 2;
  return `M${e.x1},${e.y1}C${mx},${e.y1} ${mx},${e.y2} ${e.x2},${e.y2}`;
}

type GSel<D> = D3Selection<SVGGElement, D, SVGGElement, unknown>;


/** Set an attribute (null: remove it) only when it differs. */
function setAttr(el: Element, name: string, value: string | null): void {
  if (el.getAttribute(name) === value) return;
  if (value === null) el.removeAttribute(name);
  else el.setAttribute(name, value);
}

function setClass(el: Element, name: string, on: boolean): void {
  if (el.classList.contains(name) !== on) el.classList.toggle(name, on);
}

/**
 * Mark el as on the walk (cls 'walk' or 'walk-static'), at position i.
 * Idempotent, and writes nothing that is already so: a class or an inline
 * style written again makes the browser restyle the element and, through
 * the inherited custom property, everything inside it.
 */
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

/** Move the elements whose attribute changed: at once, or in a transition of `dur` ms. */
function moveTo<E extends SVGElement, D>(sel: D3Selection<E, D, SVGGElement, unknown>, value: (d: D) => string, attr: string, dur: number): void {
  const moved = sel.filter(function (d) {
    return this.getAttribute(attr) !== value(d);
  });
  if (dur > 0) moved.transition('move').duration(dur).attr(attr, value);
  else moved.interrupt('move').attr(attr, value);
}

const wholeTree = new WeakMap<SVGSVGElement, <T>(fn: () => T) => T>();

/**
 * Run fn with every node of the tree drawn, then draw only the view again:
 * for exporting the whole tree where only the view is drawn (CULL_ABOVE).
 */
export function withWholeTree<T>(svgEl: SVGSVGElement, fn: () => T): T {
  const f = wholeTree.get(svgEl);
  return f ? f(fn) : fn();
}

export function createTreeView(svgEl: SVGSVGElement, cb: TreeCallbacks): TreeHandle {
  const svg = select(svgEl).classed('ptx-tree', true);
  svg.selectAll('*').remove();
  svg.append('style').text(TREE_CSS);
  const viewport = svg.append('g').attr('class', 'viewport');
  const colLayer = viewport.append('g').attr('class', 'columns');
  const edgeLayer = viewport.append('g').attr('class', 'edges');
  const nodeLayer = viewport.append('g').attr('class', 'nodes');
  const animLayer = viewport.append('g').attr('class', 'anim').attr('aria-hidden', 'true');

  let lastFitKey: string | null = null;
  let lastStepKey: string | null = null;
  /** Until the user pans or zooms, the view keeps the whole forest in sight. */
  let userMoved = false;

  // Its size is kept from the observer: reading it after the nodes changed
  // (clientWidth, or d3-zoom's default extent, which reads the <svg>'s
  // width.baseVal) would force a layout of the whole drawing on every step.
  let size: { w: number; h: number } | null = null;
  const svgSize = (): { w: number; h: number } => (size ??= { w: svgEl.clientWidth, h: svgEl.clientHeight });

  const zoomer: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([0.03, 4])
    .extent(() => {
      const { w, h } = svgSize();
      return [
        [0, 0],
        [w || 800, h || 500],
      ];
    })
    .on('zoom', (ev: { transform: ZoomTransform; sourceEvent: unknown }) => {
      if (ev.sourceEvent) userMoved = true;
      viewport.attr('transform', ev.transform.toString());
      scheduleRedraw();
    });
  svg.call(zoomer).on('dblclick.zoom', null);

  // The view keeps the forest fitted when its box changes (a panel hidden, the window resized).
  const resize =
    typeof ResizeObserver === 'function'
      ? new ResizeObserver((entries) => {
          const r = entries[entries.length - 1]?.contentRect;
          if (r) size = { w: r.width, h: r.height };
          if (last && !userMoved) fit();
        })
      : null;
  resize?.observe(svgEl);

  const fitTransform = (): ZoomTransform => {
    const layout = last?.m.layout;
    const { w: sw, h: sh } = svgSize();
    const w = sw || 800;
    const h = sh || 500;
    if (!layout || layout.nodes.length === 0) return zoomIdentity.translate(24, 40);
    const bw = layout.width + 48;
    const bh = layout.height + 72;
    // The whole forest when it can be read that way; else fit the width (pan down for more);
    // and never below a readable scale (on a phone: pan sideways too).
    const readable = w < 600 ? 0.6 : 0.45;
    let k = snapScale(Math.min(w / bw, h / bh, FIT_MAX));
    if (k < readable) k = Math.max(readable, snapScale(Math.min(w / bw, FIT_MAX)));
    const x = Math.max(12, (w - layout.width * k) / 2);
    return zoomIdentity.translate(x, 36 * Math.max(k, 0.6)).scale(k);
  };

  /** A fitting transition is running (its end is not where the view is yet). */
  let fitting = false;
  let fitTarget: ZoomTransform | null = null;
  const fit = (animate = false): void => {
    userMoved = false;
    const t = fitTransform();
    fitTarget = t;
    // Already there and not on the way elsewhere (the usual step: the forest's box did not change): nothing to do.
    const now = zoomTransform(svgEl);
    if (now.k === t.k && now.x === t.x && now.y === t.y && !fitting) return;
    svg.interrupt('fit');
    if (animate && !reducedMotion()) {
      fitting = true;
      svg
        .transition('fit')
        .duration(350)
        .call(zoomer.transform, t)
        .on('end interrupt', () => {
          fitting = false;
        });
    } else svg.call(zoomer.transform, t);
  };

  const renderColumns = (m: TreeModel): void => {
    const cols = colLayer
      .selectAll<SVGTextElement, Layout['columns'][number]>('text')
      .data(m.layout.nodes.length ? m.layout.columns : [], (d) => d.key)
      .join((enter) => enter.append('text').attr('class', 'col-label').attr('y', -14));
    // Written only when they differ: a text set again is a new text node
    // for the browser to lay out, at every step.
    cols.each(function (d) {
      setAttr(this, 'x', String(d.x + 4));
      if (this.textContent !== d.label) this.textContent = d.label;
      setClass(this, 'hover', d.key === m.hoverLevel);
    });
  };

  /**
   * Draw the inside of each node whose content changed since it was drawn
   * (its markup, nodeMarkup()); a step usually changes a handful of the
   * nodes on screen, and re-creating the rest would cost the browser a new
   * style and layout of all of them. What changes without the content (the
   * walk, the selection) is marked by draw() after it. The changed nodes'
   * markup is parsed at once, as SVG inside an HTML <template> (the HTML
   * standard's "rules for parsing tokens in foreign content"), and each
   * node takes its part.
   */
  const parser = svgEl.ownerDocument.createElement('template');
  const renderNodeContents = (g: GSel<LayoutNode>, m: TreeModel): void => {
    const changed: { el: SVGGElement; markup: string }[] = [];
    g.each(function (n) {
      const markup = nodeMarkup(n, m.layout, m.openTables.has(n.id));
      const holder = this as SVGGElement & { __ptxContent?: string };
      if (holder.__ptxContent === markup) return;
      holder.__ptxContent = markup;
      changed.push({ el: holder, markup });
    });
    if (!changed.length) return;
    parser.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg">${changed.map((c) => `<g>${c.markup}</g>`).join('')}</svg>`;
    const parts = parser.content.firstElementChild?.children;
    changed.forEach((c, k) => c.el.replaceChildren(...(parts?.[k]?.childNodes ?? [])));
    parser.innerHTML = '';
  };

  // Clicks and keys on what nodeMarkup() draws, for every node: the header
  // selects the node (opens a summary), a row its entry, "+N more" lists all.
  const act = (target: EventTarget | null, keyboard: boolean): boolean => {
    const t = target instanceof Element ? target : null;
    const nodeEl = t?.closest('g.node');
    const id = nodeEl?.getAttribute('data-node-id');
    if (!t || !nodeEl || id == null) return false;
    if (t.closest('g.more[role="button"]')) cb.onToggleOpenTable(id);
    else if (t.closest('g.header')) {
      if (nodeEl.getAttribute('data-kind') === 'summary') cb.onToggleExpand(id);
      else cb.onSelectNode(id);
    } else {
      const row = keyboard ? null : t.closest('g.row');
      if (!row) return false;
      cb.onSelectEntry(id, Number(row.getAttribute('data-index')));
    }
    return true;
  };
  nodeLayer
    .on('click', (ev: MouseEvent) => {
      if (act(ev.target, false)) ev.stopPropagation();
    })
    .on('keydown', (ev: KeyboardEvent) => {
      if ((ev.key === 'Enter' || ev.key === ' ') && act(ev.target, true)) {
        ev.preventDefault();
        ev.stopPropagation();
      }
    });

  /** Rows marked for the walk or the selection by the last update, to unmark without a search. */
  let markedRows: SVGGElement[] = [];
  let markedNodes: SVGGElement[] = [];
  let markedEdges: SVGPathElement[] = [];
  let stepParity = false;

  /** What update() computed for drawing; a pan or zoom draws again from it. */
  interface DrawState {
    m: TreeModel;
    motion: boolean;
    stepChanged: boolean;
    dur: number;
    walkNodes: Map<string, number>;
    /** Walk rows: node, entry index, position in the walk. */
    walkRows: [string, number, number][];
    walkEdges: Map<string, number>;
    copyEdges: Set<string>;
    walkClass: string;
  }
  let last: DrawState | null = null;
  /** The same drawing again, without a step's animations (a pan, an export). */
  const quiet = (st: DrawState): DrawState => ({ ...st, stepChanged: false, motion: false, dur: 0 });

  /**
   * Draw the nodes and edges of the layout: all of them, or (a big forest)
   * those within the view and a quarter of a view around it. Thousands of nodes
   * drawn at once cost the browser far more than one frame to style, lay
   * out and paint at every step; a pan or zoom draws what comes into view
   * (at most once a frame), so what is on screen is always drawn.
   */
  const draw = (st: DrawState, what: 'all' | 'view'): void => {
    const { m, motion, stepChanged, dur, walkNodes, walkRows, walkEdges, copyEdges, walkClass } = st;
    const shown = what === 'all' ? { nodes: m.layout.nodes, edges: m.layout.edges } : inView(m.layout, viewRect());
    setAttr(svgEl, 'data-layout-nodes', String(m.layout.nodes.length));
    setAttr(svgEl, 'data-drawn-nodes', String(shown.nodes.length));
    renderColumns(m);

    const nodes = nodeLayer
      .selectAll<SVGGElement, LayoutNode>('g.node')
      .data(shown.nodes, (d) => d.id)
      .join(
        (enter) => {
          const g = enter
            .append('g')
            .attr('class', 'node')
            .attr('transform', (d) => `translate(${d.x},${d.y})`);
          if (motion) g.style('opacity', 0).transition('fade').duration(dur).style('opacity', 1);
          return g;
        },
        (upd) => upd,
        (exit) => (motion ? exit.transition('fade').duration(200).style('opacity', 0).remove() : exit.remove()),
      );
    // Only what changed is written: a write of the same value still makes
    // the browser re-match styles for the element (attribute selectors).
    nodes.each(function (d) {
      setAttr(this, 'data-node-id', d.id);
      setAttr(this, 'data-kind', d.info.kind);
      setAttr(this, 'data-level', d.info.level);
      setAttr(this, 'data-pfn', String(d.info.pfn));
      setAttr(this, 'data-owner', d.info.owner);
      setAttr(this, 'data-parents', String(d.info.parents.length));
      setAttr(this, 'data-root', d.rootOf ?? null);
      setAttr(this, 'data-shared', d.shared ? 'true' : 'false');
      setClass(this, 'shared', d.shared);
      setClass(this, 'root', d.rootOf !== undefined);
      setClass(this, 'level-hover', m.hoverLevel !== null && d.info.level === m.hoverLevel);
      setClass(this, 'selected', m.selection?.kind === 'node' && m.selection.node === d.id);
    });
    moveTo(nodes, (d) => `translate(${d.x},${d.y})`, 'transform', dur);
    // A copied entry travels first; the walk lights up after it has arrived.
    if (m.copies.length && motion && stepChanged) svg.style('--walk-base', `${COPY_MS}ms`);
    else svg.style('--walk-base', null);
    renderNodeContents(nodes, m);

    const edges = edgeLayer
      .selectAll<SVGPathElement, LayoutEdge>('path.edge')
      .data(shown.edges, (d) => d.id)
      .join(
        (enter) => {
          const p = enter.append('path').attr('class', 'edge').attr('d', edgePath);
          if (motion) {
            // Drawn in along its length: pathLength="1" makes the dash
            // pattern relative (SVG 2, §9.4 pathLength), so no getTotalLength(),
            // which would force a layout of the whole drawing per edge.
            p.attr('pathLength', 1)
              .attr('stroke-dasharray', '1 1')
              .attr('stroke-dashoffset', 1)
              .transition('draw')
              .delay((d) => (copyEdges.has(d.id) && stepChanged ? COPY_MS : 0))
              .duration(500)
              .attr('stroke-dashoffset', 0)
              .on('end', function () {
                select(this).attr('stroke-dasharray', null).attr('stroke-dashoffset', null).attr('pathLength', null);
              });
          }
          return p;
        },
        (upd) => upd,
        (exit) => (motion ? exit.transition('fade').duration(150).style('opacity', 0).remove() : exit.remove()),
      );
    edges.each(function (d) {
      setAttr(this, 'data-edge-id', d.id);
      setAttr(this, 'data-from', d.from);
      setAttr(this, 'data-to', d.to);
      setAttr(this, 'data-index', String(d.index));
      setClass(this, 'to-shared', m.layout.byId.get(d.to)?.shared ?? false);
    });
    moveTo(edges, edgePath, 'd', dur);

    // The walk and the selection: mark anew (mark() leaves what already is
    // so), then unmark what the last update marked and this one did not. A
    // new step's walk restarts its animation by switching to the other,
    // identical set of keyframes (.alt): a changed animation-name starts
    // over, without forcing a style pass in between.
    const before = new Set<SVGElement>([...markedNodes, ...markedEdges]);
    const rowsBefore = new Set(markedRows);
    markedNodes = [];
    markedEdges = [];
    markedRows = [];
    if (stepChanged) {
      stepParity = !stepParity;
      svg.classed('alt', stepParity);
    }
    const nodeEls = new Map<string, SVGGElement>();
    nodes.each(function (d) {
      nodeEls.set(d.id, this);
    });
    for (const [id, i] of walkNodes) {
      const el = nodeEls.get(id);
      if (el) markedNodes.push(mark(el, walkClass, i));
    }
    if (walkEdges.size) {
      edges.each(function (d) {
        const i = walkEdges.get(d.id);
        if (i !== undefined) markedEdges.push(mark(this, walkClass, i));
      });
    }
    const rowEl = (node: string, index: number): SVGGElement | null => nodeEls.get(node)?.querySelector<SVGGElement>(`:scope > g.row[data-index="${index}"]`) ?? null;
    const walked = new Set<SVGGElement>();
    for (const [node, index, i] of walkRows) {
      const el = rowEl(node, index);
      if (el) walked.add(mark(el, walkClass, i));
    }
    const chosen = m.selection?.kind === 'entry' ? rowEl(m.selection.node, m.selection.index) : null;
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
  };

  /** Past this many nodes, only what is in and around the view is drawn. */
  const culling = (m: TreeModel): boolean => m.layout.nodes.length > CULL_ABOVE;
  /** The view in layout coordinates (where the fit is going, while it goes), with a quarter of a view around it. */
  const viewRect = (): Rect => {
    const t = fitting && fitTarget ? fitTarget : zoomTransform(svgEl);
    const { w: sw, h: sh } = svgSize();
    const w = (sw || 800) / t.k;
    const h = (sh || 500) / t.k;
    const x = -t.x / t.k;
    const y = -t.y / t.k;
    return { x0: x - w / 4, y0: y - h / 4, x1: x + w * 1.25, y1: y + h * 1.25 };
  };
  let redraw = 0;
  const scheduleRedraw = (): void => {
    if (redraw || !last || !culling(last.m)) return;
    redraw = requestAnimationFrame(() => {
      redraw = 0;
      if (last) draw(quiet(last), 'view');
    });
  };

  const update = (m: TreeModel): void => {
    const motion = !reducedMotion();
    const stepChanged = m.stepKey !== lastStepKey;
    lastStepKey = m.stepKey;
    const dur = motion ? 350 : 0;

    // The walk: node → its level's position in the walk (for the delay), entry rows, edges.
    const walkNodes = new Map<string, number>();
    const walkRows: [string, number, number][] = [];
    const walkEdges = new Map<string, number>();
    if (m.animateWalk) {
      m.walk.forEach((p, i) => {
        walkNodes.set(p.node, i);
        walkRows.push([p.node, p.index, i]);
        if (p.target !== undefined) {
          walkEdges.set(`${p.node}:${p.index}`, i + 0.5);
          if (!walkNodes.has(p.target)) walkNodes.set(p.target, i + 1);
        }
      });
    }
    // A copied entry's new edge waits for the travelling token.
    const copyEdges = new Set(m.copies.map((c) => `${c.to.node}:${c.to.index}`));

    // A new step animates the walk; any other update (hover, selection) shows it lit already.
    last = { m, motion, stepChanged, dur, walkNodes, walkRows, walkEdges, copyEdges, walkClass: stepChanged && motion ? 'walk' : 'walk-static' };
    if (m.fitKey !== lastFitKey) {
      lastFitKey = m.fitKey;
      fit();
    } else if (!userMoved) fit(stepChanged);
    draw(last, culling(m) ? 'view' : 'all');

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
  };

  wholeTree.set(svgEl, <T>(fn: () => T): T => {
    if (!last || !culling(last.m)) return fn();
    const st = quiet(last);
    draw(st, 'all');
    try {
      return fn();
    } finally {
      draw(st, 'view');
    }
  });

  return {
    update,
    fit: () => fit(true),
    zoomBy(factor) {
      svg.transition('zoom').duration(reducedMotion() ? 0 : 200).call(zoomer.scaleBy, factor);
    },
    destroy() {
      if (redraw) cancelAnimationFrame(redraw);
      wholeTree.delete(svgEl);
      resize?.disconnect();
      svg.on('.zoom', null);
      svg.selectAll('*').interrupt().remove();
    },
  };
}
