/**
 * The page-table trees drawn with d3 into an <svg>. React owns the <svg>
 * element; this behaviour owns what is inside it: createTreeView() →
 * { update, fit, zoomBy, replayCopy, destroy }. It puts together modules
 * that each own one thing (issue 12):
 *
 * - ./treeViewport.ts: pan, zoom, fit, resize, and following the step's focus
 *   where the forest does not fit at a readable scale;
 * - ./treeDraw.ts: the nodes, edges, column labels and ghosts, joined by an
 *   identity that never collides across loads;
 * - ./treeMarks.ts: the walk, the selection, what a trace event touched;
 * - ./treeAnimation.ts: transitions that, interrupted, always settle;
 * - ./treeCopy.ts: the copied entry's travel from the host's slot to the guest's.
 *
 * Every animation is skipped when the user prefers reduced motion.
 */
import { select } from 'd3-selection';
import type { CopyMove, PathStep } from '../store/derive';
import type { Selection } from '../store/store';
import { CULL_ABOVE, inView, type Rect } from './cull';
import { createAnimator } from './treeAnimation';
import { NO_CHANGES, type ChangeMarks } from './treeChanges';
import { COPY_GUTTER, COPY_MS, createCopyAnimation, planCopies } from './treeCopy';
import {
  createDrawing,
  ghostPlaces,
  ghostsIn,
  NO_ROLES,
  type DrawInput,
  type GhostPlaces,
  type Roles,
} from './treeDraw';
import type { Layout } from './treeLayout';
import { setAttr } from './domWrite';
import { createMarks, type WalkMarks } from './treeMarks';
import { TREE_CSS } from './treeStyle';
import { createViewport, type ViewportModel } from './treeViewport';

export { TREE_CSS } from './treeStyle';

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
  /** Changes when another scenario is loaded: the view fits itself again, and nothing of the old drawing is reused. */
  fitKey: string;
  /** Tables listing all their entries. */
  openTables: ReadonlySet<string>;
  /** What this step changed (absent: nothing is marked). */
  changes?: ChangeMarks;
  /** Trees labelled by role: root mm → label. */
  roles?: Roles;
  /** What the hovered or selected trace event touched. */
  traceHit?: { nodes: ReadonlySet<string>; rows: ReadonlySet<string> };
  /** Smallest on-screen text size, CSS px (9 normally, 12 in Present mode). */
  minTextPx?: number;
}

export interface TreeCallbacks {
  onSelectNode(id: string): void;
  onSelectEntry(id: string, index: number): void;
  onToggleExpand(id: string): void;
  onToggleOpenTable(id: string): void;
}

export interface TreeHandle {
  update(model: TreeModel): void;
  /** Draw ahead, hidden, the new nodes of the next step's model (computed ahead): its click then only shows them. */
  prepare(model: TreeModel): number;
  fit(): void;
  zoomBy(factor: number): void;
  /** Run the step's copy animation again. */
  replayCopy(): void;
  destroy(): void;
}

/**
 * prefers-reduced-motion, asked once and then kept up to date by the
 * query's change event: a matchMedia() per step was measurable
 * (docs/PERFORMANCE.md, "Reduced motion").
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

const wholeTree = new WeakMap<SVGSVGElement, <T>(fn: () => T) => T>();

/**
 * Run fn with every node of the tree drawn, then draw only the view again:
 * for exporting the whole tree where only the view is drawn (CULL_ABOVE).
 */
export function withWholeTree<T>(svgEl: SVGSVGElement, fn: () => T): T {
  const f = wholeTree.get(svgEl);
  return f ? f(fn) : fn();
}

const NO_HIT = { nodes: new Set<string>(), rows: new Set<string>() };

/** The walk as marks: node → position, rows, edges. */
function walkMarks(m: TreeModel, animate: boolean): WalkMarks {
  const nodes = new Map<string, number>();
  const rows: [string, number, number][] = [];
  const edges = new Map<string, number>();
  if (m.animateWalk) {
    m.walk.forEach((p, i) => {
      nodes.set(p.node, i);
      rows.push([p.node, p.index, i]);
      if (p.target !== undefined) {
        edges.set(`${p.node}:${p.index}`, i + 0.5);
        if (!nodes.has(p.target)) nodes.set(p.target, i + 1);
      }
    });
  }
  return { nodes, rows, edges, cls: animate ? 'walk' : 'walk-static' };
}

const sameRect = (a: Rect | null, b: Rect): boolean =>
  a !== null && a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;

/** What the step is about, in layout coordinates: its walk, its copies' lanes, its changed and new nodes. */
function focusOf(m: TreeModel, changes: ChangeMarks, ghosts: GhostPlaces): Rect | null {
  const r = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  const add = (x0: number, y0: number, x1: number, y1: number): void => {
    r.x0 = Math.min(r.x0, x0);
    r.y0 = Math.min(r.y0, y0);
    r.x1 = Math.max(r.x1, x1);
    r.y1 = Math.max(r.y1, y1);
  };
  const node = (id: string): void => {
    const n = m.layout.byId.get(id);
    if (n) add(n.x, n.y, n.x + n.w, n.y + n.h);
  };
  // A copy: its lane and both slots. Else the walk's deepest tables (where the access ends: a
  // view too narrow for the whole walk shows its end). Else what the step changed.
  for (const c of planCopies(m.layout, m.copies))
    for (const [x, y] of c.points) add(x - COPY_GUTTER, y - 30, x, y + 30);
  if (r.x0 === Infinity) for (const p of m.walk.slice(-3)) node(p.node);
  if (r.x0 === Infinity && m.walk.length) {
    const t = m.walk[m.walk.length - 1]?.target;
    if (t !== undefined) node(t);
  }
  if (r.x0 === Infinity) {
    for (const id of changes.rows.keys()) node(id);
    for (const id of changes.added) node(id);
    for (const g of ghosts.at) add(g.x, g.y, g.x + g.w, g.y + 60);
  }
  return r.x0 === Infinity ? null : r;
}

/**
 * The tree's fonts at scale k, made while the page is idle (fontWarm.ts, a chunk of its own): SVG text is drawn at its
 * size on screen, so a step that first shows a style (a bold copied entry) or a new scale does not make its fonts in
 * its frame.
 */
const warmTreeFonts = (k: number): void => {
  // Asked at every step and every step drawn ahead, nearly always at a scale already warmed: nothing then.
  if (warmedScales.has(k)) return;
  warmedScales.add(k);
  void import('./fontWarm').then((m) => m.warmTreeFonts(k)).catch(() => undefined);
};
const warmedScales = new Set<number>();

/** What the viewport fits and follows for model m. */
function viewportModel(m: TreeModel, changes: ChangeMarks, ghosts: GhostPlaces): ViewportModel {
  return {
    layout: m.layout,
    leftGutter: m.copies.length ? COPY_GUTTER : 0,
    focus: focusOf(m, changes, ghosts),
    focusAnchor: m.copies.length ? 'end' : 'start',
    minTextPx: m.minTextPx ?? 9,
  };
}

export function createTreeView(svgEl: SVGSVGElement, cb: TreeCallbacks): TreeHandle {
  const svg = select(svgEl).classed('ptx-tree', true);
  svg.selectAll('*').remove();
  svg.append('style').text(TREE_CSS);
  svg
    .append('defs')
    .html(
      '<marker id="ptx-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="var(--tree-walk)"/></marker>',
    );
  const viewportG = svg.append('g').attr('class', 'viewport');
  const layers = {
    columns: viewportG.append('g').attr('class', 'columns'),
    ghosts: viewportG.append('g').attr('class', 'ghosts'),
    halos: viewportG.append('g').attr('class', 'halos').attr('aria-hidden', 'true'),
    edges: viewportG.append('g').attr('class', 'edges'),
    nodes: viewportG.append('g').attr('class', 'nodes'),
    anim: viewportG.append('g').attr('class', 'anim').attr('aria-hidden', 'true'),
  };

  const anim = createAnimator();
  const drawing = createDrawing(layers, anim);
  const marks = createMarks(layers.halos);
  const copy = createCopyAnimation(layers.anim);

  /** Past this many nodes, only what is in and around the view is drawn. */
  const culling = (m: TreeModel): boolean => m.layout.nodes.length > CULL_ABOVE;

  let last: { m: TreeModel; input: DrawInput; walk: WalkMarks } | null = null;
  let lastFitKey: string | null = null;
  let lastStepKey: string | null = null;
  let generation = 0;
  let stepParity = false;

  /** The view rectangle the last culled draw was for (null: all was drawn). */
  let drawnRect: Rect | null = null;
  const draw = (st: NonNullable<typeof last>, what: 'all' | 'view'): void => {
    const rect = what === 'all' ? null : vp.viewRect();
    drawnRect = rect;
    const shown = rect ? inView(st.m.layout, rect) : { nodes: st.m.layout.nodes, edges: st.m.layout.edges };
    const ghosts = rect ? ghostsIn(st.input.ghosts, rect) : st.input.ghosts;
    setAttr(svgEl, 'data-layout-nodes', String(st.m.layout.nodes.length));
    setAttr(svgEl, 'data-drawn-nodes', String(shown.nodes.length));
    const { nodeEls, edgeEls } = drawing.draw({ ...st.input, shown, ghosts });
    marks.update({
      layout: st.m.layout,
      walk: st.walk,
      selection: st.m.selection,
      hit: st.m.traceHit ?? NO_HIT,
      nodeEls,
      edgeEls,
    });
  };
  /** The same drawing again, without a step's animations (a pan, an export). */
  const quiet = (st: NonNullable<typeof last>): NonNullable<typeof last> => ({
    ...st,
    input: { ...st.input, dur: 0, exitDur: 0 },
    walk: { ...st.walk, cls: 'walk-static' },
  });

  let redraw = 0;
  const vp = createViewport(svgEl, svg, viewportG, {
    moved: () => {
      if (redraw || !last || !culling(last.m)) return;
      redraw = requestAnimationFrame(() => {
        redraw = 0;
        // A step's own fit moves the view before that step draws for it: the frame after has nothing to draw again
        // (docs/PERFORMANCE.md, session 11).
        if (last && !sameRect(drawnRect, vp.viewRect())) draw(quiet(last), 'view');
      });
    },
  });

  // Clicks and keys on what nodeMarkup() draws, for every node: the header
  // selects the node (opens a summary), a row its entry, "+N more" lists all.
  const act = (target: EventTarget | null): boolean => {
    const t = target instanceof Element ? target : null;
    const nodeEl = t?.closest('g.node');
    const id = nodeEl?.getAttribute('data-node-id');
    if (!t || !nodeEl || id == null) return false;
    if (t.closest('g.more[role="button"]')) cb.onToggleOpenTable(id);
    else if (t.closest('g.header')) {
      if (nodeEl.getAttribute('data-kind') === 'summary') cb.onToggleExpand(id);
      else cb.onSelectNode(id);
    } else {
      const row = t.closest('g.row');
      if (!row) return false;
      cb.onSelectEntry(id, Number(row.getAttribute('data-index')));
    }
    return true;
  };
  /** ↑/↓ inside a table node: from its header to its rows and between them. */
  const moveFocus = (target: EventTarget | null, dir: 1 | -1): boolean => {
    const t = target instanceof Element ? target : null;
    const nodeEl = t?.closest('g.node');
    if (!t || !nodeEl) return false;
    const stops = [
      nodeEl.querySelector<SVGGElement>(':scope > g.header'),
      ...nodeEl.querySelectorAll<SVGGElement>(':scope > g.row'),
    ].filter((x): x is SVGGElement => !!x);
    const at = stops.findIndex((s) => s === t.closest('g.header, g.row'));
    const next = stops[at + dir];
    if (at < 0 || !next) return false;
    next.focus();
    return true;
  };
  layers.nodes
    .on('click', (ev: MouseEvent) => {
      if (act(ev.target)) ev.stopPropagation();
    })
    .on('keydown', (ev: KeyboardEvent) => {
      const handled =
        ev.key === 'Enter' || ev.key === ' '
          ? act(ev.target)
          : ev.key === 'ArrowDown'
            ? moveFocus(ev.target, 1)
            : ev.key === 'ArrowUp'
              ? moveFocus(ev.target, -1)
              : false;
      if (handled) {
        ev.preventDefault();
        ev.stopPropagation();
      }
    });

  const update = (m: TreeModel): void => {
    const motion = !reducedMotion();
    const stepChanged = m.stepKey !== lastStepKey;
    const loaded = m.fitKey !== lastFitKey;
    lastStepKey = m.stepKey;
    lastFitKey = m.fitKey;
    if (loaded) generation++;
    // A new step or scenario: what the last one was still animating ends now, whole.
    if (stepChanged || loaded || m.layout !== last?.m.layout) {
      anim.settle();
      copy.settle();
    }
    const changes = m.changes ?? NO_CHANGES;
    const ghosts = ghostPlaces(m.layout, changes.freed);
    const copyEdges = new Set(m.copies.map((c) => `${c.to.node}:${c.to.index}`));
    const travel = motion && stepChanged && m.copies.length > 0;
    const dur = motion && !loaded ? 350 : 0;
    // The walk's keyframes alternate by step so that a level walked twice in a row runs them again. Only when the
    // walk is animated: the alt rules' selectors end in `rect` and `.edge`, so a toggle restyles every row and edge
    // (docs/PERFORMANCE.md, session 11); a static walk has nothing to restart.
    if (stepChanged && motion) {
      stepParity = !stepParity;
      svg.classed('alt', stepParity);
    }
    // A copied entry travels first; the walk lights up after it has arrived.
    if (travel) svgEl.style.setProperty('--walk-base', `${COPY_MS}ms`);
    else svgEl.style.removeProperty('--walk-base');
    const input: DrawInput = {
      layout: m.layout,
      shown: { nodes: [], edges: [] },
      generation,
      hoverLevel: m.hoverLevel,
      selection: m.selection,
      openTables: m.openTables,
      changes,
      roles: m.roles ?? NO_ROLES,
      ghosts,
      dur,
      exitDur: motion && !loaded ? 200 : 0,
      edgeDelay: (e) => (travel && copyEdges.has(e.id) ? COPY_MS : 0),
      keepAhead: !stepChanged && !loaded,
    };
    last = { m, input, walk: walkMarks(m, stepChanged && motion) };
    vp.update(viewportModel(m, changes, ghosts), { refit: loaded, animate: motion && stepChanged });
    draw(last, culling(m) ? 'view' : 'all');
    setAttr(svgEl, 'data-scale', vp.scale().toFixed(4));
    warmTreeFonts(vp.scale());
    if (stepChanged || loaded) copy.play(m.layout, m.copies, travel);
  };

  /**
   * Draw the next step's new nodes ahead, hidden (treeDraw.ts, prepare()), when it is of the scenario drawn now.
   * A big forest is drawn culled to the view: then what the view will show, where the fit will follow the next
   * step's focus (the drawing takes what it finds and draws the rest, were the guess wrong). Returns how many.
   */
  const prepare = (m: TreeModel): number => {
    if (!last || m.fitKey !== lastFitKey || m.stepKey === lastStepKey) return 0;
    const changes = m.changes ?? NO_CHANGES;
    const ghosts = ghostPlaces(m.layout, changes.freed);
    const next = viewportModel(m, changes, ghosts);
    if (last.m.layout.nodes.length === 0) {
      vp.lead(next);
      setAttr(svgEl, 'data-scale', vp.scale().toFixed(4));
    }
    warmTreeFonts(vp.scaleFor(next));
    const rect = culling(m) ? vp.viewRectFor(next) : null;
    return drawing.prepare({
      ...last.input,
      layout: m.layout,
      shown: rect ? inView(m.layout, rect) : { nodes: m.layout.nodes, edges: m.layout.edges },
      ghosts: rect ? ghostsIn(ghosts, rect) : ghosts,
      openTables: m.openTables,
      changes,
      roles: m.roles ?? NO_ROLES,
    });
  };

  wholeTree.set(svgEl, <T>(fn: () => T): T => {
    // What is drawn ahead is hidden, but an export's box (getBBox) and copy would take it in.
    drawing.discardAhead();
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
    prepare,
    fit: () => vp.fit(!reducedMotion()),
    zoomBy: (factor) => vp.zoomBy(factor, reducedMotion() ? 0 : 200),
    replayCopy: () => {
      if (!reducedMotion()) copy.replay();
    },
    destroy() {
      drawing.discardAhead();
      if (redraw) cancelAnimationFrame(redraw);
      wholeTree.delete(svgEl);
      anim.destroy();
      copy.destroy();
      marks.destroy();
      vp.destroy();
      svg.selectAll('*').interrupt().remove();
    },
  };
}
