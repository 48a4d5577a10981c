/**
 * Drawing: the column labels, the nodes and the edges of a layout joined to
 * <g>/<path> elements by identity, a node's inside drawn from its markup
 * (./nodeMarkup.ts) only when that changed, and the ghosts of tables freed at
 * this step. How things enter, leave and move is ./treeAnimation.ts's.
 *
 * Identity (issue 12, "Nothing vanishes"): a node's key is its id with its
 * kind, level and tree, so a freed PFN reused for another level or another
 * mm is never matched with the old one's element; an edge's key adds its
 * target, so an entry pointed elsewhere draws a new edge. Keys start with the
 * loaded scenario's generation, but d3 keys a drawn element by its bound
 * datum under the generation drawn now: a node of the last scenario with the
 * same id, kind, level and tree is matched and updated in place, not left
 * and entered again. Leaving elements stop being `.node`/`.edge` at once, so
 * no join ever sees them.
 */
import type { Selection as D3Selection } from 'd3-selection';
import type { Selection } from '../store/store';
import type { Animator } from './treeAnimation';
import type { ChangeMarks, FreedTable } from './treeChanges';
import { esc, ghostMarkup, nodeMarkup, type NodeMarks } from './nodeMarkup';
import { setAttr, setClass } from './domWrite';
import { groupDigits } from '../core/events';
import { GEOMETRY as G, type Layout, type LayoutEdge, type LayoutNode } from './treeLayout';
import type { Rect } from './cull';

export function edgePath(e: Pick<LayoutEdge, 'x1' | 'y1' | 'x2' | 'y2'>): string {
  const mx = (e.x1 + e.x2) / 2;
  return `M${e.x1},${e.y1}C${mx},${e.y1} ${mx},${e.y2} ${e.x2},${e.y2}`;
}

/** The trees' labels by role: root mm → label, or undefined for a tree with none (treeModel.ts, rolesOf()). */
export interface Roles {
  get(mm: string): string | undefined;
}

/** No tree has a role. */
export const NO_ROLES: Roles = { get: () => undefined };

export interface DrawInput {
  layout: Layout;
  /** What to draw: all of the layout, or what is in view (a big forest). */
  shown: { nodes: LayoutNode[]; edges: LayoutEdge[] };
  /** The loaded scenario's generation (changes with each load). */
  generation: number;
  hoverLevel: string | null;
  selection: Selection;
  openTables: ReadonlySet<string>;
  changes: ChangeMarks;
  /** Labels of the trees by role, root node's mm → label. */
  roles: Roles;
  /** The ghosts of the tables freed at this step, and per column the count of those not drawn (ghostPlaces()). */
  ghosts: GhostPlaces;
  /** Durations (0: at once): entering and moving nodes, leaving ones. */
  dur: number;
  exitDur: number;
  /** Edges drawn in after this delay (a copied entry's new edge waits for the token). */
  edgeDelay: (e: LayoutEdge) => number;
  /** The same step drawn again (a hover, a selection): the nodes drawn ahead for the next one are kept. */
  keepAhead?: boolean;
}

export interface Drawn {
  nodeEls: Map<string, SVGGElement>;
  edgeEls: Map<string, SVGPathElement>;
}

type Layer = D3Selection<SVGGElement, unknown, null, undefined>;

const SVG_NS = 'http://www.w3.org/2000/svg';
/** A node drawn ahead for the next step, hidden (TREE_CSS) and not yet a `.node`: no join, no locator sees it. */
const AHEAD_CLASS = 'node-ahead';
/** The same for a ghost (not yet a `.ghost`). */
const GHOST_AHEAD_CLASS = 'ghost-ahead';

/** A node's data attributes (null: absent), read by the view's handlers, the tests and the CSS. */
function nodeAttrs(d: LayoutNode, m: Pick<DrawInput, 'changes'>): [string, string | null][] {
  return [
    ['data-node-id', d.id],
    ['data-kind', d.info.kind],
    ['data-level', d.info.level],
    ['data-pfn', String(d.info.pfn)],
    ['data-owner', d.info.owner],
    ['data-parents', String(d.info.parents.length)],
    ['data-root', d.rootOf ?? null],
    ['data-shared', d.shared ? 'true' : 'false'],
    ['data-new', m.changes.added.has(d.id) ? 'true' : null],
  ];
}

/**
 * The part of node el that has the keyboard focus (its header, the row of an entry, its "more" line), as a selector
 * its next self answers, or null. A step that changes a node's inside replaces it (or its children): the focus kept
 * on the same part, not dropped to the page, is where a keyboard user was reading.
 */
function focusedPart(el: Element): string | null {
  const f = el.ownerDocument.activeElement;
  if (!f || f === el || !el.contains(f)) return null;
  const part = f.closest('g.header, g.row[data-index], g.more');
  if (!part || !el.contains(part)) return null;
  const index = part.getAttribute('data-index');
  return part.classList.contains('header')
    ? ':scope > g.header'
    : index !== null
      ? `:scope > g.row[data-index="${index}"]`
      : ':scope > g.more';
}

/** Focus the part of el that `part` (focusedPart()) names, or its header if the step took that part away. */
function refocus(el: Element, part: string): void {
  const target = el.querySelector<SVGGElement>(part) ?? el.querySelector<SVGGElement>(':scope > g.header');
  if (target?.hasAttribute('tabindex')) target.focus({ preventScroll: true });
}

const nodeKey = (gen: number, d: LayoutNode): string =>
  `${gen}|${d.id}|${d.info.kind}|${d.info.level}|${d.rootOf ?? ''}`;
const edgeKey = (gen: number, d: LayoutEdge): string => `${gen}|${d.id}|${d.to}`;
const ghostKey = (gen: number, d: GhostPlaces['at'][number]): string => `${gen}|${d.g.id}|${d.x},${d.y}`;

export function createDrawing(layers: { columns: Layer; edges: Layer; nodes: Layer; ghosts: Layer }, anim: Animator) {
  const doc = layers.nodes.node()?.ownerDocument ?? document;
  /**
   * The changed nodes' markup is parsed at once, as SVG inside an HTML
   * <template> (the HTML standard's "rules for parsing tokens in foreign
   * content"), and each node takes its part: building the elements one by
   * one through d3 cost ~25 µs an element.
   */
  const parser = doc.createElement('template');
  const renderContents = (els: { el: Element; markup: string }[]): void => {
    const changed = els.filter(({ el, markup }) => {
      const holder = el as Element & { __ptxContent?: string };
      if (holder.__ptxContent === markup) return false;
      holder.__ptxContent = markup;
      return true;
    });
    if (!changed.length) return;
    parser.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg">${changed.map((c) => `<g>${c.markup}</g>`).join('')}</svg>`;
    const parts = parser.content.firstElementChild?.children;
    changed.forEach((c, k) => {
      const focused = focusedPart(c.el);
      c.el.replaceChildren(...(parts?.[k]?.childNodes ?? []));
      if (focused) refocus(c.el, focused);
    });
    parser.innerHTML = '';
  };

  /**
   * The next step's new nodes, drawn ahead while the user reads this one (prepare()): in place among the nodes,
   * hidden (class node-ahead), already parsed, styled and laid out. The step's draw takes them as they are, so
   * its click does not pay for them; the rest are removed. Key → element.
   */
  const ahead = new Map<string, SVGGElement>();
  /**
   * Nodes drawn now whose inside the next step changes (a row set, a count): each one's next self, drawn ahead as a
   * whole new element beside it, hidden (attribute data-replaces). The next step's draw puts it in the place of the
   * one shown, which then only goes: what a step pays for a changed node is its paint. The node shown → its next.
   */
  const replacing = new Map<Element, SVGGElement>();
  /** The next step's ghosts, drawn ahead the same way. Key → element. */
  const aheadGhosts = new Map<string, SVGGElement>();
  const discardAhead = (): void => {
    for (const el of ahead.values()) el.remove();
    for (const el of replacing.values()) el.remove();
    for (const el of aheadGhosts.values()) el.remove();
    ahead.clear();
    replacing.clear();
    aheadGhosts.clear();
  };
  /**
   * A step's draw: each node drawn ahead as the next self of one shown takes that one's place, with its datum (the
   * join then updates it as that node). Whatever differs from what was guessed, the draw writes as for any node.
   */
  const swapIn = (): void => {
    for (const [old, next] of replacing) {
      if (!old.isConnected || !old.classList.contains('node')) {
        next.remove();
        continue;
      }
      const o = old as Element & { __data__?: unknown; __ptxKey?: string };
      const n = next as SVGGElement & { __data__?: unknown; __ptxKey?: string };
      n.__data__ = o.__data__;
      if (o.__ptxKey !== undefined) n.__ptxKey = o.__ptxKey;
      n.removeAttribute('data-replaces');
      // Where the one shown is now: drawn ahead while it was still moving, the next may have been put on its way.
      const at = old.getAttribute('transform');
      if (at !== null && n.getAttribute('transform') !== at) n.setAttribute('transform', at);
      n.classList.replace(AHEAD_CLASS, 'node');
      const focused = focusedPart(old);
      old.remove();
      if (focused) refocus(n, focused);
    }
    replacing.clear();
  };
  /** The element drawn ahead under key, now shown as it is (its class aheadCls becomes cls); none if there is none. */
  const takeAhead = (
    from: Map<string, SVGGElement>,
    key: string,
    aheadCls: string,
    cls: string,
  ): SVGGElement | undefined => {
    const el = from.get(key);
    if (!el) return undefined;
    from.delete(key);
    el.classList.replace(aheadCls, cls);
    return el;
  };
  /** A new empty <g class=cls> at (x, y), appended to parent. */
  const appendG = (
    parent: { appendChild(el: Element): unknown },
    cls: string,
    at: { x: number; y: number },
  ): SVGGElement => {
    const el = doc.createElementNS(SVG_NS, 'g');
    el.setAttribute('class', cls);
    el.setAttribute('transform', `translate(${at.x},${at.y})`);
    parent.appendChild(el);
    return el;
  };
  /** Parse markup (SVG elements, one after the other) in one go: the elements, detached. */
  const parseAll = (markup: string): SVGGElement[] => {
    parser.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg">${markup}</svg>`;
    const els = [...(parser.content.firstElementChild?.children ?? [])] as SVGGElement[];
    parser.innerHTML = '';
    return els;
  };
  /**
   * Draw ahead, hidden, the ghosts of m that are not drawn now (the tables the next step frees), after those there
   * are: a ghost's place is its own (the foot of its column), so its order among them does not matter.
   */
  const prepareGhosts = (m: DrawInput): void => {
    const layer = layers.ghosts.node();
    if (!layer) return;
    const gen = m.generation;
    const drawn = new Set<string>();
    for (const el of layer.children) {
      const d = (el as Element & { __data__?: GhostPlaces['at'][number] }).__data__;
      if (el.classList.contains('ghost') && d) drawn.add(ghostKey(gen, d));
    }
    const fresh = m.ghosts.at.filter((d) => !drawn.has(ghostKey(gen, d)));
    if (!fresh.length) return;
    const inner = fresh.map((d) => ghostMarkup(d.g, d.w));
    const els = parseAll(
      fresh
        .map(
          (d, k) =>
            `<g class="${GHOST_AHEAD_CLASS}" data-ghost-of="${esc(d.g.id)}" transform="translate(${d.x},${d.y})">${inner[k]}</g>`,
        )
        .join(''),
    );
    fresh.forEach((d, k) => {
      const el = els[k] as SVGGElement & { __ptxContent?: string };
      el.__ptxContent = inner[k];
      layer.appendChild(el);
      aheadGhosts.set(ghostKey(gen, d), el);
    });
  };

  const marksOf = (d: LayoutNode, m: DrawInput): NodeMarks => {
    const rows = m.changes.rows.get(d.id);
    const role = d.rootOf !== undefined ? m.roles.get(d.rootOf) : undefined;
    const out: NodeMarks = {};
    if (rows) out.rows = rows;
    if (m.changes.added.has(d.id)) out.added = true;
    if (role) out.role = role;
    return out;
  };

  return {
    /**
     * Draw ahead, hidden, the nodes of `m` (the next step, computed ahead) that are not drawn now: their markup
     * parsed in one go, each put where the next step's draw will want it. What the browser then styles and lays
     * out (~40 µs an element; a first write adds a dozen tables, ~260 elements) it does while the user reads.
     * Returns how many. Called again, it first removes what the last call drew.
     */
    prepare(m: DrawInput): number {
      discardAhead();
      const layer = layers.nodes.node();
      if (!layer) return 0;
      const gen = m.generation;
      const drawn = new Map<string, Element>();
      // Keyed as the join will key them: d3 calls the key function with an element's bound datum, under the
      // generation drawn now (so a node drawn before a reload of the same text is matched, not re-entered).
      for (const el of layer.children) {
        const d = (el as Element & { __data__?: LayoutNode }).__data__;
        if (el.classList.contains('node') && d) drawn.set(nodeKey(gen, d), el);
      }
      prepareGhosts(m);
      // The nodes the next step adds, and those drawn now that it changes inside (their next selves).
      const fresh: LayoutNode[] = [];
      const changed: { d: LayoutNode; old: Element; markup: string }[] = [];
      for (const d of m.shown.nodes) {
        const old = drawn.get(nodeKey(gen, d)) as (Element & { __ptxContent?: string }) | undefined;
        if (!old) fresh.push(d);
        else {
          const markup = nodeMarkup(d, m.layout, m.openTables.has(d.id), marksOf(d, m));
          if (old.__ptxContent !== markup) changed.push({ d, old, markup });
        }
      }
      if (!fresh.length && !changed.length) return 0;
      const inner = fresh.map((d) => nodeMarkup(d, m.layout, m.openTables.has(d.id), marksOf(d, m)));
      const outerOf = (d: LayoutNode, markup: string, transform: string, extra = ''): string => {
        const attrs = nodeAttrs(d, m)
          .filter(([, v]) => v !== null)
          .map(([name, v]) => ` ${name}="${esc(v as string)}"`)
          .join('');
        const cls = [AHEAD_CLASS, d.shared ? 'shared' : '', d.rootOf !== undefined ? 'root' : ''].filter(Boolean);
        return `<g class="${cls.join(' ')}" transform="${esc(transform)}"${attrs}${extra}>${markup}</g>`;
      };
      const els = parseAll(
        [
          ...fresh.map((d, k) => outerOf(d, inner[k] as string, `translate(${d.x},${d.y})`)),
          // Where the one shown is: the step's draw moves it on from there as it would have moved that one.
          ...changed.map((c) => outerOf(c.d, c.markup, c.old.getAttribute('transform') ?? '', ' data-replaces=""')),
        ].join(''),
      );
      // Each before the node that follows it in the next step's order, so that the join finds it in place.
      const byKey = new Map(fresh.map((d, k) => [nodeKey(gen, d), k]));
      let after: Element | null = null;
      for (let i = m.shown.nodes.length - 1; i >= 0; i--) {
        const key = nodeKey(gen, m.shown.nodes[i] as LayoutNode);
        const k = byKey.get(key);
        if (k === undefined) {
          after = drawn.get(key) ?? after;
          continue;
        }
        const el = els[k] as SVGGElement & { __ptxKey?: string; __ptxContent?: string };
        el.__ptxKey = key;
        el.__ptxContent = inner[k];
        layer.insertBefore(el, after);
        ahead.set(key, el);
        after = el;
      }
      // Each right after the one it replaces: in its place once that one goes.
      changed.forEach((c, k) => {
        const el = els[fresh.length + k] as SVGGElement & { __ptxContent?: string };
        el.__ptxContent = c.markup;
        c.old.after(el);
        replacing.set(c.old, el);
      });
      return ahead.size + replacing.size;
    },
    /** Remove what prepare() drew (an export must not carry it). */
    discardAhead,
    draw(m: DrawInput): Drawn {
      const { layout, generation: gen } = m;
      if (!m.keepAhead) swapIn();
      const cols = layers.columns
        .selectChildren<SVGTextElement, Layout['columns'][number]>('text')
        .data(layout.nodes.length ? layout.columns : [], (d) => d.key)
        .join((enter) => enter.append('text').attr('class', 'col-label').attr('y', -34));
      // Written only when they differ: a text set again is a new text node for the browser to lay out.
      cols.each(function (d) {
        setAttr(this, 'x', String(d.x + 4));
        if (this.textContent !== d.label) this.textContent = d.label;
        setClass(this, 'hover', d.key === m.hoverLevel);
      });

      const nodes = layers.nodes
        .selectChildren<SVGGElement, LayoutNode>('g.node')
        .data(m.shown.nodes, function (d) {
          return d ? nodeKey(gen, d) : ((this as SVGGElement & { __ptxKey?: string }).__ptxKey ?? '');
        })
        .join(
          (enter) =>
            enter.select(function (d) {
              const key = nodeKey(gen, d);
              // Drawn ahead: used where it is (the join's order() moves it only if it is out of place; a move would
              // lay it out again).
              const el = takeAhead(ahead, key, AHEAD_CLASS, 'node') ?? appendG(this, 'node', d);
              (el as SVGGElement & { __ptxKey?: string }).__ptxKey = key;
              anim.enter(el, m.dur);
              return el;
            }),
          (upd) => upd,
          (exit) =>
            exit.each(function () {
              anim.exit(this, m.exitDur, 'node-left');
            }),
        );
      const nodeEls = new Map<string, SVGGElement>();
      const contents: { el: Element; markup: string }[] = [];
      // Only what changed is written: a write of the same value still makes
      // the browser re-match styles for the element (attribute selectors).
      nodes.each(function (d) {
        nodeEls.set(d.id, this);
        for (const [name, value] of nodeAttrs(d, m)) setAttr(this, name, value);
        setClass(this, 'shared', d.shared);
        setClass(this, 'root', d.rootOf !== undefined);
        setClass(this, 'level-hover', m.hoverLevel !== null && d.info.level === m.hoverLevel);
        setClass(this, 'selected', m.selection?.kind === 'node' && m.selection.node === d.id);
        anim.move(
          this,
          'transform',
          `translate(${d.x},${d.y})`,
          this.getAttribute('transform') === `translate(${d.x},${d.y})` ? 0 : m.dur,
        );
        contents.push({ el: this, markup: nodeMarkup(d, layout, m.openTables.has(d.id), marksOf(d, m)) });
      });
      renderContents(contents);

      const edges = layers.edges
        .selectChildren<SVGPathElement, LayoutEdge>('path.edge')
        .data(m.shown.edges, function (d) {
          return d ? edgeKey(gen, d) : ((this as SVGPathElement & { __ptxKey?: string }).__ptxKey ?? '');
        })
        .join(
          (enter) =>
            enter
              .append('path')
              .attr('class', 'edge')
              .attr('d', edgePath)
              .each(function (d) {
                (this as SVGPathElement & { __ptxKey?: string }).__ptxKey = edgeKey(gen, d);
                anim.drawIn(this, m.dur > 0 ? m.edgeDelay(d) : 0, m.dur > 0 ? 500 : 0);
              }),
          (upd) => upd,
          (exit) =>
            exit.each(function () {
              anim.exit(this, m.exitDur > 0 ? 150 : 0, 'edge-left');
            }),
        );
      const edgeEls = new Map<string, SVGPathElement>();
      edges.each(function (d) {
        edgeEls.set(d.id, this);
        setAttr(this, 'data-edge-id', d.id);
        setAttr(this, 'data-from', d.from);
        setAttr(this, 'data-to', d.to);
        setAttr(this, 'data-index', String(d.index));
        setClass(this, 'to-shared', layout.byId.get(d.to)?.shared ?? false);
        const path = edgePath(d);
        anim.move(this, 'd', path, this.getAttribute('d') === path ? 0 : m.dur);
      });

      // Ghosts of the tables this step freed: drawn for this step only, their markup parsed at once (renderContents).
      const ghostContents: { el: Element; markup: string }[] = [];
      layers.ghosts
        .selectChildren<SVGGElement, GhostPlaces['at'][number]>('g.ghost')
        .data(m.ghosts.at, (d) => ghostKey(gen, d))
        .join(
          (enter) =>
            enter.select(function (d) {
              const key = ghostKey(gen, d);
              let el = takeAhead(aheadGhosts, key, GHOST_AHEAD_CLASS, 'ghost');
              if (!el) {
                el = appendG(this, 'ghost', d);
                el.setAttribute('data-ghost-of', d.g.id);
                ghostContents.push({ el, markup: ghostMarkup(d.g, d.w) });
              }
              anim.enter(el, m.dur);
              return el;
            }),
          (upd) => upd,
          (exit) =>
            exit.each(function () {
              anim.exit(this, 0, 'ghost-left');
            }),
        );
      renderContents(ghostContents);
      layers.ghosts
        .selectChildren<SVGTextElement, GhostPlaces['more'][number]>('text.ghost-more')
        .data(m.ghosts.more, (d) => `${gen}|${d.key}`)
        .join((enter) => enter.append('text').attr('class', 'ghost-more'))
        .each(function (d) {
          setAttr(this, 'x', String(d.x + 8));
          setAttr(this, 'y', String(d.y + 14));
          const t = `+${groupDigits(d.count)} more freed`;
          if (this.textContent !== t) this.textContent = t;
        });
      // What was drawn ahead and not taken (the next step was not this one, or not as guessed) goes.
      if (!m.keepAhead) discardAhead();
      return { nodeEls, edgeEls };
    },
  };
}

/** The most ghosts drawn in one level's column; the rest are counted under them ("+N more freed"). */
export const GHOSTS_PER_COLUMN = 6;

/** Where the freed tables' ghosts go, and the count of those not drawn, per column. */
export interface GhostPlaces {
  /** The ghosts drawn, in the order freed (a PFN freed twice in one step, reused between, is two ghosts). */
  at: { g: FreedTable; x: number; y: number; w: number }[];
  more: { key: string; x: number; y: number; count: number }[];
}

/**
 * Where the freed tables' ghosts go: at the foot of their level's column,
 * one under the other (where a table was, the step's layout may have put
 * another: a ghost there would hide it). At most GHOSTS_PER_COLUMN each: the
 * 1,500-client SGA frees thousands of tables in one step, and 212 dashed
 * boxes (what the view drew before) neither read on a projector nor fit a
 * frame (~30 ms to parse, style and lay out); the rest are counted below.
 */
export function ghostPlaces(now: Layout, freed: readonly FreedTable[]): GhostPlaces {
  const at: GhostPlaces['at'] = [];
  const next = new Map<string, { y: number; n: number; x: number }>();
  const extra = new Map<string, number>();
  for (const g of freed) {
    const col = now.columns.find((c) => c.key === g.level);
    if (!col) continue;
    let c = next.get(col.key);
    if (!c) {
      let y = 0;
      for (const n of now.nodes) if (n.x === col.x) y = Math.max(y, n.y + n.h);
      next.set(col.key, (c = { y: y + G.bandGap, n: 0, x: col.x }));
    }
    if (c.n >= GHOSTS_PER_COLUMN) {
      extra.set(col.key, (extra.get(col.key) ?? 0) + 1);
      continue;
    }
    at.push({ g, x: col.x, y: c.y, w: col.w });
    c.y += G.headerHeight + 16 + G.nodeGap;
    c.n++;
  }
  const more = [...extra].map(([key, count]) => {
    const c = next.get(key) as { y: number; x: number };
    return { key, x: c.x, y: c.y, count };
  });
  return { at, more };
}

/** A ghost's box: its header and one line more (ghostMarkup()). */
const GHOST_H = G.headerHeight + 16;

/**
 * The ghosts and counts that meet r (a culled forest's view, with its margin): a column's foot may lie many trees
 * below the view (the mainline SGA's OOM step frees tables in all four columns), and ghosts there would be made and
 * laid out unseen. Panning there draws them.
 */
export function ghostsIn(p: GhostPlaces, r: Rect): GhostPlaces {
  const meets = (x: number, y: number, w: number, h: number): boolean =>
    x < r.x1 && x + w > r.x0 && y < r.y1 && y + h > r.y0;
  return {
    at: p.at.filter((a) => meets(a.x, a.y, a.w, GHOST_H)),
    more: p.more.filter((m) => meets(m.x, m.y, 1, 20)),
  };
}
