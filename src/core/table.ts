/**
 * Page-table pages, stored compactly.
 *
 * A table page is 512 entries. Stored naively, the 1,500-process SGA of the
 * mshare cover letter would need 230 million table objects, so a table keeps
 * its entries as sorted segments: a Single (one explicit entry, and for a
 * non-leaf entry the child Table object) or a Run (consecutive entries whose
 * whole subtrees follow one linear pattern, a `Lin`). The children of a Run
 * exist only as arithmetic until something inspects or changes them; then
 * materialise() turns one entry into a Single with a real child, whose own
 * entries are again a Run of the same Lin.
 *
 * All positions are in the vpn space of the table's `base`: the vpn its entry
 * 0 maps in the mm that allocated it. A table shared into another mm (mshare)
 * keeps its base; the guest reaches it through an entry at the same index.
 *
 * The Singles are also mirrored, by index, in the machine's EntryArena
 * (entries.ts), which is what the MMU's walk reads. Every change of a Single
 * goes through this file (setSingle, materialize, setEntry, clearRange,
 * putRun), which writes both, and then tells the table's descriptor whether
 * every segment is a mirrored Single (syncDesc()); Single's fields are
 * readonly elsewhere.
 */
import { _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_TABLE, entrySpan, tableSpan } from './paging';
import type { FrameKind } from './frames';
import { fewRank, hasPairs, mirrorClear, mirrorSet, storedEntry, syncDesc, type EntryArena } from './entries';
import { rec, type ChangeRecorder } from './change-hook';

/** Who pays for a table page: Linux's mm_inc_nr_ptes()/pmds()/puds(). */
export interface Charge {
  readonly id: number;
  /** Table pages by level that this mm allocated and still holds. */
  tables: number[];
}

/**
 * The linear pattern of a populated block. For a vpn v covered by the block:
 *  - the table at level l that holds v has pfn tab0[l] + ⌊(v - vpn0) / tableSpan(l)⌋,
 *  - the data page of v has pfn data0 + (v - vpn0) · dstride (0 for the zero page),
 *  - tables exist at levels bottom … (the run's level - 1); the entries of the
 *    level-`bottom` tables are leaves with flags `leaf` when bottom = 0 (leaf
 *    = 0 means zapped: tables stay, entries none), and none when bottom > 0
 *    (their tables were freed, as CONFIG_PT_RECLAIM does),
 *  - except for a `huge` Lin (hugetlb, hugetlb.ts): bottom = 1, its PMD
 *    tables are hugetlb PMD pages (Table.perLink), and their entries are
 *    2 MiB leaves (PS set) with flags `leaf`, none when leaf = 0. The data
 *    formula holds at the entry's own vpn: the head frame of the huge page.
 *    A Run sitting in a table of level `bottom` is those leaves themselves.
 * Lins are never mutated: a change makes a new Lin for the changed segments.
 */
export interface Lin {
  readonly vpn0: number;
  readonly data0: number;
  readonly dstride: 0 | 1;
  readonly dataKind: FrameKind;
  readonly tab0: readonly number[];
  readonly leaf: number;
  readonly bottom: number;
  readonly mm: Charge;
  /** hugetlb: leaves are PMD entries (bottom = 1), see above. */
  readonly huge?: true;
}

/** True when the entries of lin's level-`bottom` tables are leaves (present or PROT_NONE). */
export function linLeaves(lin: Lin): boolean {
  return lin.leaf !== 0 && (lin.bottom === 0 || lin.huge === true);
}

export interface Single {
  readonly start: number;
  readonly count: 1;
  readonly lin: null;
  /** Change pfn and flags with setEntry(), which keeps the arena in step. */
  readonly pfn: number;
  readonly flags: number;
  /** The table this entry points to; null for a leaf (a PTE, or a huge PMD). */
  readonly child: Table | null;
}

/** A Single as table.ts alone may change it. */
type MutableSingle = { -readonly [K in keyof Single]: Single[K] };

export interface Run {
  start: number;
  count: number;
  lin: Lin;
}

export type Seg = Single | Run;

let nextTableId = 1;

export class Table {
  readonly id = nextTableId++;
  segs: Seg[] = [];
  /**
   * Entries in other mms' tables that also point here (mshare's set_pgd,
   * hugetlb's huge_pmd_share); 0 for a table reached from one entry only.
   */
  sharers = 0;
  /**
   * A hugetlb PMD page: every mm linking it is charged for it
   * (huge_pmd_share() calls mm_inc_nr_pmds()), and `mm` is one of them.
   */
  perLink = false;
  /**
   * This table's slot in `arena`: -1 until it holds a Single (a PTE table: FEW_MAX + 1 Singles), and again once its
   * page is freed.
   */
  slot = -1;
  /**
   * This table's descriptor in `arena` (entries.ts): -1 until it holds a Single or an entry links it, and again once
   * its page is freed.
   */
  desc = -1;
  /**
   * Singles mirrored in the slot or the pairs: segs.length > singles means some entries are Runs (or are not mirrored).
   */
  singles = 0;
  /** A non-leaf table's child Tables by entry index, for the mirrored Singles (null until the first). */
  kids: (Table | null)[] | null = null;
  constructor(
    readonly lvl: number,
    readonly pfn: number,
    readonly base: number,
    /** Mutable only for recharge(): a table outliving the mm that allocated it. */
    public mm: Charge,
    /** The machine's arena; a table made on its own (tests) gets its own at its first Single. */
    public arena: EntryArena | null = null,
  ) {}
}

/** Change a Single's pfn and flags in place (pte_mkwrite(), pte_wrprotect(), …). */
export function setEntry(t: Table, s: Single, pfn: number, flags: number): void {
  if (rec !== null) rec.entry(t, s.start, s.pfn, s.flags, pfn, flags);
  const m = s as MutableSingle;
  m.pfn = pfn;
  m.flags = flags;
  mirrorSet(t, s.start, pfn, flags, s.child);
  syncDesc(t);
}

/** What one entry holds, whether stored or computed from a Run. */
export interface EntryView {
  pfn: number;
  flags: number;
  /** Non-leaf: the child table (a transient object when it comes from a Run). */
  child: Table | null;
  lin: Lin | null;
}

export function findSeg(t: Table, i: number): number {
  const segs = t.segs;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segs[mid] as Seg;
    if (i < s.start) hi = mid - 1;
    else if (i >= s.start + s.count) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** First segment index whose end is after i (insertion point for i). */
function lowerSeg(t: Table, i: number): number {
  const segs = t.segs;
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = segs[mid] as Seg;
    if (s.start + s.count <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function entryVpn(t: Table, i: number): number {
  return t.base + i * entrySpan(t.lvl);
}

/** A Run's child table for entry i, built from the Lin (not stored). */
export function runChild(t: Table, i: number, lin: Lin): Table {
  const vpn = entryVpn(t, i);
  const lvl = t.lvl - 1;
  const pfn = (lin.tab0[lvl] as number) + (vpn - lin.vpn0) / tableSpan(lvl);
  const child = new Table(lvl, pfn, vpn, lin.mm, t.arena);
  // A hugetlb PMD page is charged to every mm that links it (huge_pmd_share()).
  if (lin.huge && lvl === 1) child.perLink = true;
  // Its entries are tables above `bottom`, leaves at `bottom` unless zapped, none otherwise.
  if (lvl > lin.bottom || (lvl === lin.bottom && linLeaves(lin))) {
    child.segs = [{ start: 0, count: 512, lin }];
  }
  return child;
}

export function runEntry(t: Table, i: number, lin: Lin): EntryView | null {
  const vpn = entryVpn(t, i);
  if (t.lvl <= lin.bottom) {
    if (t.lvl !== lin.bottom || !linLeaves(lin)) return null;
    return { pfn: lin.data0 + (vpn - lin.vpn0) * lin.dstride, flags: lin.leaf, child: null, lin };
  }
  const child = runChild(t, i, lin);
  return { pfn: child.pfn, flags: _PAGE_TABLE, child, lin };
}

export function entryAt(t: Table, i: number): EntryView | null {
  const k = findSeg(t, i);
  if (k < 0) return null;
  const s = t.segs[k] as Seg;
  if (s.lin === null) return { pfn: s.pfn, flags: s.flags, child: s.child, lin: null };
  return runEntry(t, i, s.lin);
}

/**
 * The table a non-leaf Single at i points to, from the arena's index (no
 * bisecting): what materialize(t, i)?.child gives when it is not null. Null
 * means "ask materialize()" (none, a Run, a leaf, or not mirrored).
 */
export function childAt(t: Table, i: number): Table | null {
  return t.kids === null ? null : (t.kids[i] as Table | null);
}

/** True when entry i is certainly none: no Single in the arena, and no Run or unmirrored Single in the segments. */
export function isNone(t: Table, i: number): boolean {
  return t.segs.length === t.singles && storedEntry(t, i) === 0;
}

/** Make i the first entry of a segment (splitting a Run); i may be 512. */
export function splitAt(t: Table, i: number): void {
  const k = findSeg(t, i);
  if (k < 0) return;
  const s = t.segs[k] as Seg;
  if (s.start === i || s.lin === null) return;
  const left: Run = { start: s.start, count: i - s.start, lin: s.lin };
  const right: Run = { start: i, count: s.start + s.count - i, lin: s.lin };
  t.segs.splice(k, 1, left, right);
  syncDesc(t);
}

/** The segments lying wholly inside [a, b) after splitting at a and b; returns [first, end) indices. */
export function isolate(t: Table, a: number, b: number): [number, number] {
  splitAt(t, a);
  splitAt(t, b);
  const first = lowerSeg(t, a);
  let end = first;
  while (end < t.segs.length && (t.segs[end] as Seg).start < b) end++;
  return [first, end];
}

/**
 * Turn entry i into a Single and return it (null when the entry is none).
 * A Run's child becomes a real Table whose entries are the same Lin.
 */
export function materialize(t: Table, i: number): Single | null {
  const k = findSeg(t, i);
  if (k < 0) return null;
  const s = t.segs[k] as Seg;
  if (s.lin === null) return s;
  const single = materializeRun(t, i, s.lin);
  syncDesc(t);
  return single;
}

/** materialize() of entry i inside a Run of lin; the caller syncs the descriptor after any of its returns. */
function materializeRun(t: Table, i: number, lin: Lin): Single | null {
  const e = runEntry(t, i, lin);
  const [first] = isolate(t, i, i + 1);
  if (!e) {
    t.segs.splice(first, 1);
    return null;
  }
  const single: Single = { start: i, count: 1, lin: null, pfn: e.pfn, flags: e.flags, child: e.child };
  t.segs[first] = single;
  mirrorSet(t, i, e.pfn, e.flags, e.child);
  return single;
}

/** segs.splice(k, 0, s) without the array splice() returns: most tables hold a few segments. */
function insertSeg(segs: Seg[], k: number, s: Seg): void {
  if (segs.length > 64) {
    segs.splice(k, 0, s);
    return;
  }
  segs.push(s);
  for (let j = segs.length - 1; j > k; j--) segs[j] = segs[j - 1] as Seg;
  segs[k] = s;
}

/** Set entry i to a Single (replacing whatever was there). */
export function setSingle(t: Table, i: number, pfn: number, flags: number, child: Table | null): Single {
  if (rec !== null) {
    const old = entryAt(t, i);
    rec.entry(t, i, old ? old.pfn : -1, old ? old.flags : 0, pfn, flags);
  }
  const single = placeSingle(t, { start: i, count: 1, lin: null, pfn, flags, child });
  syncDesc(t);
  return single;
}

/** setSingle()'s work; the caller syncs the descriptor after any of its returns. */
function placeSingle(t: Table, single: Single): Single {
  const { start: i, pfn, flags, child } = single;
  if (hasPairs(t) && t.segs.length === t.singles) {
    // Every segment is a Single held as a pair (a PTE table without Runs, the fault
    // path's case): the pairs tell its place, without reading the segment objects.
    const r = fewRank(t, i);
    mirrorSet(t, i, pfn, flags, child);
    if (r & 1) t.segs[r >> 1] = single;
    else insertSeg(t.segs, r >> 1, single);
    return single;
  }
  mirrorSet(t, i, pfn, flags, child);
  // Fast paths (the fault path): entry i is none, or a one-entry segment.
  const k = lowerSeg(t, i);
  const s = t.segs[k];
  if (s === undefined || s.start > i) {
    t.segs.splice(k, 0, single);
    return single;
  }
  if (s.count === 1) {
    t.segs[k] = single;
    return single;
  }
  const [first, end] = isolate(t, i, i + 1);
  t.segs.splice(first, end - first, single);
  return single;
}

/** Clear entries [a, b) (pmd_clear() and friends); frees nothing. */
export function clearRange(t: Table, a: number, b: number): void {
  if (rec !== null) recordRange(rec, t, a, b, null);
  const [first, end] = isolate(t, a, b);
  t.segs.splice(first, end - first);
  mirrorClear(t, a, b);
  syncDesc(t);
}

/** Store a Run over [start, start + count), replacing what was there. */
export function putRun(t: Table, start: number, count: number, lin: Lin): void {
  if (rec !== null) recordRange(rec, t, start, start + count, lin);
  const [first, end] = isolate(t, start, start + count);
  t.segs.splice(first, end - first, { start, count, lin });
  mirrorClear(t, start, start + count);
  mergeRuns(t);
}

/**
 * Tell the change log that entries [a, b) of t become the Run of nu (null:
 * none), piece by piece as they are now: a Run's piece goes from its Lin to
 * nu (same tables, other entries: one record), a Single is cleared first.
 */
function recordRange(r: ChangeRecorder, t: Table, a: number, b: number, nu: Lin | null): void {
  let at = a;
  for (let k = lowerSeg(t, a); k < t.segs.length; k++) {
    const s = t.segs[k] as Seg;
    if (s.start >= b) break;
    const lo = Math.max(a, s.start);
    const hi = Math.min(b, s.start + s.count);
    if (nu !== null && lo > at) r.block(t, at, lo, null, nu);
    if (s.lin === null) {
      r.entry(t, s.start, s.pfn, s.flags, -1, 0);
      if (nu !== null) r.block(t, lo, hi, null, nu);
    } else r.block(t, lo, hi, s.lin, nu);
    at = hi;
  }
  if (nu !== null && at < b) r.block(t, at, b, null, nu);
}

/** Rejoin neighbouring Runs of one Lin (they describe one block). */
export function mergeRuns(t: Table): void {
  const segs = t.segs;
  for (let k = segs.length - 1; k > 0; k--) {
    const a = segs[k - 1] as Seg;
    const b = segs[k] as Seg;
    if (a.lin !== null && a.lin === b.lin && a.start + a.count === b.start) {
      segs.splice(k - 1, 2, { start: a.start, count: a.count + b.count, lin: a.lin });
    }
  }
  syncDesc(t);
}

export function isEmpty(t: Table): boolean {
  return t.segs.length === 0;
}

/** Table pages under `count` entries of a Run at level lvl, per level (index = level). */
export function runTablePages(lvl: number, count: number, bottom: number): number[] {
  const out: number[] = [];
  for (let l = lvl - 1; l >= bottom; l--) out[l] = count * 512 ** (lvl - 1 - l);
  return out;
}

/** Leaf entries under `count` entries of a Run at level lvl (present or not). */
export function runLeaves(lvl: number, count: number): number {
  return count * entrySpan(lvl);
}

/** What recharge() moves besides table counts: the RSS of the pages the moved tables map. */
export interface RssHolder extends Charge {
  rssAnon: number;
  rssShmem: number;
}

/**
 * Move the charge of every table under t (t included) held by `from` to
 * `to`, with the RSS of the pages those tables map: used when an mm dies
 * while its tables live on in another's tree. kindOf tells a page's kind
 * (anonymous, shmem; others are not in RSS).
 */
export function recharge(
  t: Table,
  from: RssHolder,
  to: RssHolder,
  kindOf: (pfn: number) => 'anon' | 'shmem' | 'other',
): void {
  const moveRss = (kind: 'anon' | 'shmem' | 'other', n: number): void => {
    if (kind === 'anon') {
      from.rssAnon -= n;
      to.rssAnon += n;
    } else if (kind === 'shmem') {
      from.rssShmem -= n;
      to.rssShmem += n;
    }
  };
  const mine = t.mm === from;
  if (mine) {
    t.mm = to;
    from.tables[t.lvl] = (from.tables[t.lvl] ?? 0) - 1;
    to.tables[t.lvl] = (to.tables[t.lvl] ?? 0) + 1;
    if (rec !== null) {
      rec.charge(from, t.lvl, -1);
      rec.charge(to, t.lvl, 1);
    }
  }
  for (const s of t.segs) {
    if (s.lin === null) {
      if (s.child) recharge(s.child, from, to, kindOf);
      else if (mine && s.flags & (_PAGE_PRESENT | _PAGE_PROTNONE)) moveRss(kindOf(s.pfn), 1);
      continue;
    }
    if (s.lin.mm !== from) continue;
    const per = runTablePages(t.lvl, s.count, s.lin.bottom);
    per.forEach((n, l) => {
      if (!n) return;
      from.tables[l] = (from.tables[l] ?? 0) - n;
      to.tables[l] = (to.tables[l] ?? 0) + n;
      if (rec !== null) {
        rec.charge(from, l, -n);
        rec.charge(to, l, n);
      }
    });
    if (s.lin.bottom === 0 && s.lin.leaf & (_PAGE_PRESENT | _PAGE_PROTNONE) && s.lin.dstride) {
      moveRss(kindOf(s.lin.data0 + (entryVpn(t, s.start) - s.lin.vpn0)), s.count * entrySpan(t.lvl));
    }
    (s as Run).lin = { ...s.lin, mm: to };
  }
}

/**
 * One entry pointing at t is going away. t.sharers counts the entries beyond
 * the first; the last one frees t and everything under it (free_table_tree),
 * as mshare's shared-PUD refcount does (ptdesc_pud_pts_dec()).
 */
export function dropLink(t: Table, freeTree: (t: Table) => void): void {
  if (t.sharers > 0) t.sharers--;
  else freeTree(t);
}
