/**
 * Layout of the page-table forest: a layered left-to-right drawing of a DAG.
 *
 * Layers are fixed by level (PGD, P4D, PUD, PMD, PTE, data frames), as in
 * the first phase of Sugiyama, Tagawa & Toda, "Methods for visual
 * understanding of hierarchical system structures" (IEEE SMC, 1981): every
 * edge goes from one column to a column further right. Within a column,
 * nodes are ordered by a depth-first traversal from each root, entries in
 * index order (the order the address space is laid out in), and placed by a
 * greedy top-down packing: each node goes as high as its column allows but
 * not above the entry that first points to it, so a subtree reads like an
 * indented tree (the idea of Reingold & Tilford's contours, reduced to one
 * "next free y" per column). Each root starts a new horizontal band, below
 * everything placed so far.
 *
 * A node reached again (a shared table, the zero page, a page mapped by
 * several mms) is placed once, where it was first reached; every later entry
 * pointing to it gets an edge of its own, so sharing shows as one node with
 * several incoming edges. Tables list at most `maxRows` entries ("+N more"),
 * plus any entry the caller must show (the walk, a copied entry, the
 * selection), which keeps 64 tasks readable. Pure: no DOM.
 */
import type { EntryInfo, Forest, NodeInfo } from '../core/inspect';

export const GEOMETRY = {
  tableWidth: 216,
  dataWidth: 170,
  columnGap: 44,
  headerHeight: 40,
  rowHeight: 20,
  padding: 6,
  nodeGap: 14,
  bandGap: 36,
  dataHeight: 38,
  summaryHeight: 78,
};

export interface LayoutRow {
  index: number;
  /** Top of the row, relative to the node. */
  y: number;
  /** Its height: rowHeight, or two rows for a changed entry (its old → new under it). */
  h: number;
  entry: EntryInfo;
}

export interface LayoutNode {
  id: string;
  info: NodeInfo;
  x: number;
  y: number;
  w: number;
  h: number;
  column: number;
  rows: LayoutRow[];
  /** Present entries not shown (an entry pointing to a summary stands for the whole run). */
  more: number;
  /** Entries inspect() listed that the cap hides (shown when the table is opened). */
  hidden: number;
  /** Entries this step cleared, drawn after the listed ones as struck-out rows (top y, relative to the node). */
  clearedRows?: { index: number; y: number }[];
  /** Entries this step cleared beyond those drawn: one row says how many. */
  clearedMore?: number;
  /** The mm whose root (PGD) this is. */
  rootOf?: string;
  /** Reached from more than one entry. */
  shared: boolean;
}

export interface LayoutEdge {
  /** `${from}:${index}` — the entry, which has one target. */
  id: string;
  from: string;
  index: number;
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Layout {
  nodes: LayoutNode[];
  byId: Map<string, LayoutNode>;
  edges: LayoutEdge[];
  columns: { key: string; label: string; x: number; w: number }[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  paging: 4 | 5;
  /** Entries listed per table before "+N more". */
  maxRows?: number;
  /** Tables that list every entry inspect() gave. */
  openTables?: ReadonlySet<string>;
  /** Entries that must be listed whatever the cap: node id → indices. */
  mustShow?: ReadonlyMap<string, ReadonlySet<number>>;
  /** Labels of mms drawn first (mshare hosts), before the tasks. */
  first?: ReadonlySet<string>;
  /** Entries drawn two rows high (a change of this step under the value): node id → indices. Always listed. */
  tallRows?: ReadonlyMap<string, ReadonlySet<number>>;
  /** Entries this step cleared (no longer present): node id → indices, drawn as struck-out rows. */
  clearedRows?: ReadonlyMap<string, readonly number[]>;
  /** Entries this step cleared and not drawn (past clearedRows): node id → how many, said in one row. */
  clearedMore?: ReadonlyMap<string, number>;
}

const LABELS: Record<string, string> = {
  pgd: 'PGD',
  p4d: 'P4D',
  pud: 'PUD',
  pmd: 'PMD',
  pte: 'PTE',
  data: 'data pages',
};

export function columnKeys(paging: 4 | 5): string[] {
  return paging === 5 ? ['pgd', 'p4d', 'pud', 'pmd', 'pte', 'data'] : ['pgd', 'pud', 'pmd', 'pte', 'data'];
}

/** Which listed entries a table shows: the first maxRows, and every must-show one. */
function visibleEntries(n: NodeInfo, opts: LayoutOptions): EntryInfo[] {
  if (opts.openTables?.has(n.id)) return n.entries;
  const max = opts.maxRows ?? 8;
  const must = opts.mustShow?.get(n.id);
  const tall = opts.tallRows?.get(n.id);
  return n.entries.filter((e, i) => i < max || (must?.has(e.index) ?? false) || (tall?.has(e.index) ?? false));
}

export function layoutForest(forest: Forest, opts: LayoutOptions): Layout {
  const G = GEOMETRY;
  const keys = columnKeys(opts.paging);
  const colIndex = new Map(keys.map((k, i) => [k, i]));
  const columns = keys.map((key, i) => ({
    key,
    label: LABELS[key] as string,
    x: i * (G.tableWidth + G.columnGap),
    w: key === 'data' ? G.dataWidth : G.tableWidth,
  }));
  const nextY = keys.map(() => 0);
  const byId = new Map<string, LayoutNode>();
  const nodes: LayoutNode[] = [];
  const edges: LayoutEdge[] = [];

  const sizeOf = (n: NodeInfo, rowsH: number, more: boolean): number => {
    if (n.kind === 'data') return G.dataHeight;
    if (n.kind === 'summary') return G.summaryHeight;
    return G.headerHeight + rowsH + (more ? G.rowHeight : 0) + G.padding;
  };

  const dataColumn = colIndex.get('data') ?? keys.length - 1;
  const NO_ENTRIES: EntryInfo[] = [];

  // Plain loops, no closures per node: this runs for every node of the
  // forest at every step (~10,000 for 64 forked tasks).
  const place = (id: string, minY: number, rootOf?: string): LayoutNode | undefined => {
    const found = byId.get(id);
    if (found) return found;
    const info = forest.nodes[id];
    if (!info) return undefined;
    const column = info.kind === 'data' ? dataColumn : (colIndex.get(info.level) ?? keys.length - 1);
    const col = columns[column] as (typeof columns)[number];
    let shown = NO_ENTRIES;
    let more = 0;
    let hidden = 0;
    if (info.kind === 'table') {
      shown = visibleEntries(info, opts);
      // An entry pointing to a summary stands for the whole run.
      let covered = 0;
      for (let i = 0; i < shown.length; i++)
        covered += forest.nodes[(shown[i] as EntryInfo).target]?.summary?.entries ?? 1;
      more = Math.max(0, info.present - covered);
      hidden = info.entries.length - shown.length;
    }
    const rows: LayoutRow[] = new Array<LayoutRow>(shown.length);
    const tall = opts.tallRows?.get(id);
    let rowY = G.headerHeight;
    for (let i = 0; i < shown.length; i++) {
      const entry = shown[i] as EntryInfo;
      const rh = tall?.has(entry.index) ? 2 * G.rowHeight : G.rowHeight;
      rows[i] = { index: entry.index, y: rowY, h: rh, entry };
      rowY += rh;
    }
    const clearedAt = info.kind === 'table' ? opts.clearedRows?.get(id) : undefined;
    const cleared = clearedAt?.map((index) => {
      const r = { index, y: rowY };
      rowY += G.rowHeight;
      return r;
    });
    const clearedMore = cleared?.length ? (opts.clearedMore?.get(id) ?? 0) : 0;
    if (clearedMore > 0) rowY += G.rowHeight;
    const h = sizeOf(info, rowY - G.headerHeight, more > 0 || (opts.openTables?.has(id) ?? false));
    const y = Math.max(nextY[column] as number, minY);
    nextY[column] = y + h + G.nodeGap;
    const node: LayoutNode = {
      id,
      info,
      x: col.x,
      y,
      w: col.w,
      h,
      column,
      rows,
      more,
      hidden,
      shared: info.parents.length > 1,
    };
    if (rootOf !== undefined) node.rootOf = rootOf;
    if (cleared?.length) node.clearedRows = cleared;
    if (clearedMore > 0) node.clearedMore = clearedMore;
    byId.set(id, node);
    nodes.push(node);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as LayoutRow;
      const rowMid = y + row.y + G.rowHeight / 2;
      // Align the child's header with the entry that points to it.
      const child = place(row.entry.target, rowMid - G.headerHeight / 2);
      if (!child) continue;
      edges.push({
        id: id + ':' + row.index,
        from: id,
        index: row.index,
        to: child.id,
        x1: node.x + node.w,
        y1: rowMid,
        x2: child.x,
        y2: child.y + Math.min(G.headerHeight, child.h) / 2,
      });
    }
    return node;
  };

  const roots = [...forest.roots].sort((a, b) => Number(!opts.first?.has(a.mm)) - Number(!opts.first?.has(b.mm)));
  for (const r of roots) {
    // A new band below everything placed so far.
    const top = Math.max(0, ...nextY.map((y) => (y > 0 ? y - G.nodeGap + G.bandGap : 0)));
    for (let i = 0; i < nextY.length; i++) nextY[i] = Math.max(nextY[i] as number, top);
    const node = place(r.node, top, r.mm);
    if (node && node.rootOf === undefined) node.rootOf = r.mm; // a root shared with an earlier one
  }

  // Edges to a node placed after its first parent get their end point fixed now.
  for (const e of edges) {
    const child = byId.get(e.to) as LayoutNode;
    e.x2 = child.x;
    e.y2 = child.y + Math.min(G.headerHeight, child.h) / 2;
  }

  const width = columns.length ? (columns[columns.length - 1] as (typeof columns)[number]).x + G.dataWidth : 0;
  let height = 0;
  for (const n of nodes) height = Math.max(height, n.y + n.h);
  return { nodes, byId, edges, columns, width, height };
}
