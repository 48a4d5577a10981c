/**
 * What the tree view draws for a computed step: the walk, the copied
 * entries and the layout of the forest (src/views/treeLayout.ts), for the
 * UI state of the moment (selection, opened tables).
 *
 * Laying out ~10,000 nodes takes tens of milliseconds, so the result is kept
 * per snapshot and UI state, and a step computed ahead by the worker (while
 * the user reads the current one) is laid out in idle time (prepareTreeModel):
 * "Next step" then finds it ready and only draws.
 */
import { lruGet, lruSet } from '../store/lru';
import type { Forest } from '../core/inspect';
import type { ReportStep } from '../scenario/report';
import type { Scenario, Step } from '../scenario/ast';
import { O_CREAT } from '../core/uapi';
import { changeMarks, changesOf, type ChangeMarks } from './treeChanges';
import { changesThrough } from '../core/apply-changes';
import { addressOf, copyMoves, isAccess, pathFor, rootOf, type CopyMove, type PathStep } from '../store/derive';
import type { Snapshot } from '../store/sim';
import type { Selection } from '../store/store';
import { CULL_ABOVE, cullIndex } from './cull';
import { layoutForest, type Layout } from './treeLayout';
import type { Roles } from './treeDraw';

/** Trees drawn at most (the rest are counted): beyond this an SVG gets too heavy to be useful. */
export const MAX_TREES = 64;
/**
 * The most changed entries a table draws two rows high, and the most cleared ones it draws struck out, at one step:
 * the rest are counted ("+504 more", "+504 more cleared"), and all are in the step's change list. A step that writes
 * or unmaps 2 MiB changes a whole PTE page: its 512 rows drawn cost the step's frame ~40 ms (munmap-frees-tables).
 */
export const MARKED_ROWS = 8;

/**
 * The forest with at most MAX_TREES roots: the mshare hosts, the acting
 * task, then the others in order. Nodes only the dropped roots reach are
 * simply never laid out.
 */
function capRoots(forest: Forest, hosts: Set<string>, actor: string | undefined): { forest: Forest; hidden: number } {
  if (forest.roots.length <= MAX_TREES) return { forest, hidden: 0 };
  const keep = new Set<string>();
  for (const r of forest.roots) if (hosts.has(r.mm)) keep.add(r.mm);
  if (actor !== undefined) keep.add(actor);
  for (const r of forest.roots) {
    if (keep.size >= MAX_TREES) break;
    keep.add(r.mm);
  }
  const roots = forest.roots.filter((r) => keep.has(r.mm));
  return { forest: { ...forest, roots }, hidden: forest.roots.length - roots.length };
}

/** Entries a table must list whatever its cap: the walk's, the copied ones, the selected one. */
function mustShowOf(
  walk: PathStep[],
  copies: CopyMove[],
  sel: { node: string; index: number } | null,
): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  const add = (node: string, index: number) => {
    let s = m.get(node);
    if (!s) m.set(node, (s = new Set()));
    s.add(index);
  };
  for (const p of walk) add(p.node, p.index);
  for (const c of copies) {
    add(c.from.node, c.from.index);
    add(c.to.node, c.to.index);
  }
  if (sel) add(sel.node, sel.index);
  return m;
}

export interface TreeModelData {
  layout: Layout;
  /** What the step changed, as the tree marks it. */
  changes: ChangeMarks;
  walk: PathStep[];
  copies: CopyMove[];
  animateWalk: boolean;
  hiddenTrees: number;
  totalTrees: number;
}

/**
 * Laid-out steps kept, most recent last: the step on screen, the one
 * computed ahead, a few to go back to. Few, as a layout of ~10,000 nodes
 * holds megabytes (the worker's views are kept by the hundred).
 */
const cache = new Map<Snapshot, Map<string, TreeModelData>>();
const SNAPSHOTS = 6;
/** Models kept per snapshot (UI states: a few selections and opened tables). */
const PER_SNAPSHOT = 4;

function uiKey(selection: Selection, openTables: readonly string[]): string {
  const sel = selection?.kind === 'entry' ? `${selection.node}:${selection.index}` : '';
  return `${sel}|${openTables.join(',')}`;
}

function compute(
  snapshot: Snapshot,
  step: Step | undefined,
  report: ReportStep | undefined,
  selection: Selection,
  openTables: readonly string[],
): TreeModelData {
  const { forest, paging, tasks } = snapshot;
  const addr = addressOf(step, report);
  const actor = step?.tasks[0];
  const path = addr !== null && actor !== undefined ? pathFor(forest, rootOf(forest, actor), addr, paging) : [];
  // Inside a step (issue 14): the access's walk is the one after the fault returns (after
  // VM_FAULT_NOPAGE, the retry), so it is drawn at the step's end only; copies and marks are those done so far.
  const inside = insideAt(snapshot);
  const walk = inside === null ? path : [];
  const copies = report
    ? copyMoves(forest, inside === null ? report.events : report.events.slice(0, inside), path, paging)
    : [];
  const sel = selection?.kind === 'entry' ? selection : null;
  const taskSet = new Set(tasks);
  const hosts = new Set(forest.roots.map((r) => r.mm).filter((mm) => !taskSet.has(mm)));
  const capped = capRoots(forest, hosts, actor);
  const changes = changeMarks(inside === null ? changesOf(report) : changesThrough(changesOf(report) ?? [], inside));
  // A changed entry is listed, two rows high: its value, and what it was under it.
  // A cleared entry (no longer present) is drawn struck out after the table's rows, for this step.
  // At most MARKED_ROWS of each per table (those on the walk or selected first): the rest are counted.
  const must = mustShowOf(walk, copies, sel);
  const tallRows = new Map<string, Set<number>>();
  const clearedRows = new Map<string, number[]>();
  const clearedMore = new Map<string, number>();
  for (const [node, rows] of changes.rows) {
    const present = new Set(forest.nodes[node]?.entries.map((e) => e.index) ?? []);
    const first = must.get(node);
    const byPlace = (a: number, b: number) => Number(!first?.has(a)) - Number(!first?.has(b)) || a - b;
    const changed = [...rows.keys()].filter((i) => present.has(i)).sort(byPlace);
    tallRows.set(node, new Set(changed.slice(0, MARKED_ROWS)));
    const gone = [...rows.entries()].filter(([i, r]) => r.kind === 'cleared' && !present.has(i)).map(([i]) => i);
    if (gone.length) clearedRows.set(node, gone.sort((a, b) => a - b).slice(0, MARKED_ROWS));
    if (gone.length > MARKED_ROWS) clearedMore.set(node, gone.length - MARKED_ROWS);
  }
  const layout = layoutForest(capped.forest, {
    paging,
    openTables: new Set(openTables),
    mustShow: must,
    first: hosts,
    tallRows,
    clearedRows,
    clearedMore,
  });
  // A big forest is drawn culled to the view: its index is built here too, in idle time for a step computed ahead.
  if (layout.nodes.length > CULL_ABOVE) cullIndex(layout);
  return {
    layout,
    changes,
    walk,
    copies,
    animateWalk: isAccess(step),
    hiddenTrees: capped.hidden,
    totalTrees: forest.roots.length,
  };
}

/** Events done when the snapshot is of a moment inside its step (drawn as such), else null: the whole step. */
export function insideAt(snapshot: Snapshot): number | null {
  const e = snapshot.event;
  return e && !e.whole && e.done >= 1 && e.done < e.of ? e.done : null;
}

/** The model for a snapshot and UI state: computed once, then kept. */
export function treeModelFor(
  snapshot: Snapshot,
  step: Step | undefined,
  report: ReportStep | undefined,
  selection: Selection,
  openTables: readonly string[],
): TreeModelData {
  const key = uiKey(selection, openTables);
  const byUi = lruGet(cache, snapshot) ?? new Map<string, TreeModelData>();
  lruSet(cache, snapshot, byUi, SNAPSHOTS);
  let m = byUi.get(key);
  if (!m) {
    m = compute(snapshot, step, report, selection, openTables);
    lruSet(byUi, key, m, PER_SNAPSHOT);
  }
  return m;
}

/** Lay out a step computed ahead when the page is idle, so that stepping to it only draws. */
export function prepareTreeModel(
  snapshot: Snapshot,
  step: Step | undefined,
  report: ReportStep | undefined,
  selection: Selection,
  openTables: readonly string[],
): void {
  const run = (): void => void treeModelFor(snapshot, step, report, selection, openTables);
  if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: 1000 });
  else setTimeout(run, 0);
}

/**
 * The trees' labels by role (issue 12): an mshare host mm ("mshare:sga") is
 * "host mm (sga)"; a task that created a region (mshare() or an msharefs
 * open with O_CREAT) "A (creator)", one that attached to it "B (guest)".
 * Read from the scenario's statements up to step n. Each label is made when
 * asked for: the view asks for the dozen trees it draws, where making all of
 * the SGA's 1,500 at every step was work for nothing.
 */
export function rolesOf(scenario: Scenario | undefined, n: number): Roles {
  const role = new Map<string, 'creator' | 'guest'>();
  for (const s of scenario?.steps.slice(0, n) ?? []) {
    const op = s.op;
    const creates =
      op.op === 'mshare' || (op.op === 'open' && op.path.startsWith('/sys/fs/mshare/'))
        ? (op.oflags & O_CREAT) !== 0
        : null;
    if (creates === null) continue;
    for (const t of s.tasks) if (role.get(t) !== 'creator') role.set(t, creates ? 'creator' : 'guest');
  }
  return {
    get(mm) {
      if (mm.startsWith('mshare:')) return `host mm (${mm.slice(7)})`;
      const k = role.get(mm);
      return k && `${mm} (${k})`;
    },
  };
}
