/**
 * The explicit entries of table pages, as the hardware keeps them: in flat
 * memory, indexed by the entry's number, not in a list of objects.
 *
 * A Table (table.ts) keeps its entries as sorted segments, the record of what
 * the table holds; a table with an explicit entry (a Single) also gets a slot
 * here, its 512 entries' (pfn, flags) in one Float64Array, or, while it holds
 * few, (index, flags, pfn) pairs in its 64-byte descriptor (struct ptdesc).
 * A linking entry holds its table's descriptor number, so the walk (walk.ts)
 * goes from entry to entry through typed arrays alone, as the MMU does. Why,
 * with the figures and what was tried: docs/PERFORMANCE.md, "The entry arena".
 *
 * The slot mirrors the Singles only: an entry stored as 0 holds no Single, and
 * is none or inside a Run, which the segments tell. table.ts writes the
 * segments and the mirror at once; checkInvariants() compares them after
 * every step of the tests. One arena per Machine, so that a table linked into
 * several mms (mshare, hugetlb PMD sharing) has one slot and one descriptor.
 */

import type { Table } from './table';
import { _PAGE_TABLE } from './paging';

/** Entries per table page. */
export const PTRS = 512;

/*
 * One entry is one double: pfn · 2^23 + flags · 2 + 1, exact while pfn < 2^30
 * (4 TiB of frames) and flags < 2^22 (paging.ts keeps NX and SavedDirty at
 * bits 20–21); bit 0 tells a Single from 0, no Single. An entry that does not
 * fit is left to the segments, as if it were not mirrored.
 */
const PFN_SHIFT = 2 ** 23;
const PFN_LIMIT = 2 ** 30;
const FLAGS_LIMIT = 2 ** 22;
/** Descriptors a link's stored form can name (linkEntry()). */
const DESC_LIMIT = 2 ** 22;

/** The stored form of a Single's (pfn, flags), or 0 when it does not fit. */
export function packEntry(pfn: number, flags: number): number {
  if (pfn < 0 || pfn >= PFN_LIMIT || flags < 0 || flags >= FLAGS_LIMIT) return 0;
  return pfn * PFN_SHIFT + flags * 2 + 1;
}

/**
 * The stored form of a Single _PAGE_TABLE linking the table pfn whose
 * descriptor is d: -(d · 2^31 + pfn · 2 + 1), negative where every other
 * stored entry is positive, so that the walk has the pfn, the flags and the
 * next descriptor from one load, the descriptor first (one multiplication:
 * the next load waits on it); 0 when it does not fit.
 */
export function linkEntry(pfn: number, d: number): number {
  if (pfn < 0 || pfn >= PFN_LIMIT || d < 0 || d >= DESC_LIMIT) return 0;
  return -(d * 2 ** 31 + pfn * 2 + 1);
}

/*
 * The walk's helpers below spell their constants as literals: V8 folds a
 * literal, while a module's constant is loaded and checked (for its
 * temporal dead zone) at every use in the walk's loop; that was ~12 % of a
 * walk with hot caches. entries.test.ts checks them against the names.
 */

/** The descriptor a link's stored form v < 0 names. */
export function linkDesc(v: number): number {
  return (v * -(2 ** -31)) | 0;
}

/** The pfn of a link's stored form v < 0 whose descriptor is d. */
export function linkPfn(v: number, d: number): number {
  return (-v - d * 2 ** 31) >> 1;
}

/** The pfn of a stored entry v > 0 (v / PFN_SHIFT). */
export function entryPfn(v: number): number {
  return Math.floor(v / 2 ** 23);
}

/** The flags of a stored entry v > 0 whose pfn is pfn. */
export function entryFlags(v: number, pfn: number): number {
  return (v - pfn * 2 ** 23) >> 1;
}

/** Where slot s starts in entries (s · PTRS). */
export function slotBase(s: number): number {
  return s << 9;
}

/** Slots an arena starts with (a small kernel's arena is copied and compared whole). */
const SLOTS0 = 16;

/** Singles a PTE table keeps as pairs in its descriptor before it takes a slot. */
export const FEW_MAX = 7;

/*
 * A descriptor is DESC_INTS Int32s, 64 bytes:
 *   [0]           the head: the table's slot · 2 (slot -1: none, a PTE table
 *                 keeps pairs), + 1 when some segment is not a mirrored
 *                 Single (a Run, or an entry too big to pack): then an entry
 *                 the mirror lacks need not be none (syncDesc());
 *   [1]           unused;
 *   [2 + 2j]      pair j's key, index · 2^22 + flags (< 2^31), or -1: no pair j;
 *   [3 + 2j]      pair j's pfn (packEntry()'s limits: < 2^30).
 * Pairs 0 … singles - 1 are in use, in no order; a key and its pfn are
 * neighbours, so that a table with a few Singles is read in one line even
 * when the buffer is not 64-byte aligned.
 */
export const DESC_INTS = 16;
export const KEY_SHIFT = 22;
export const KEY_FLAGS = (1 << KEY_SHIFT) - 1;
/** The first key of a descriptor. */
export const DESC_PAIRS = 2;

/** A descriptor's head word ([0]) for t. */
function headOf(t: Table): number {
  return (t.slot << 1) | (t.segs.length > t.singles ? 1 : 0);
}

/** Write t's head (table.ts calls this after every change of its segments or Singles). */
export function syncDesc(t: Table): void {
  if (t.desc >= 0 && t.arena !== null) t.arena.descs[descBase(t.desc)] = headOf(t);
}

/** Where descriptor d starts in descs (d · DESC_INTS). */
export function descBase(d: number): number {
  return d << 4;
}

/**
 * Where in descs the pair for entry i of descriptor d (at b = descBase(d))
 * is, or -1: FEW_MAX pairs from DESC_PAIRS, the first key -1 ending them.
 */
export function pairAt(descs: Int32Array, b: number, i: number): number {
  for (let k = b + 2; k < b + 16; k += 2) {
    const key = descs[k] as number;
    if (key >> 22 === i) return k;
    if (key < 0) return -1;
  }
  return -1;
}

/** The flags in a pair's key (key & KEY_FLAGS). */
export function keyFlags(key: number): number {
  return key & 0x3fffff;
}

export class EntryArena {
  /**
   * Slot s, entry i: entries[slotBase(s) + i] = packEntry(pfn, flags) of a
   * Single (linkEntry() when it links a table), 0 otherwise. One array,
   * so that the walk finds it once, copied when it doubles: only the tables
   * with more than FEW_MAX Singles (PTE) or any (above) have a slot, a few
   * hundred for 100k random pages.
   */
  entries = new Float64Array(SLOTS0 * PTRS);
  /** Slots of freed tables, reused last-freed first. */
  free: number[] = [];
  /** Slots handed out so far (the high-water mark). */
  used = 0;
  /**
   * Descriptor d: descs[descBase(d) …]. One array, copied when it doubles
   * (64 bytes a table: 2 MiB for 30k tables), so that the walk finds it once.
   */
  descs = new Int32Array(64 * DESC_INTS);
  freeDescs: number[] = [];
  descsUsed = 0;
  /**
   * walk()'s string of the entry (linkEntry()) that links descriptor d's
   * table: the upper levels' entries are the same from one walk to the next.
   */
  linkHex: (string | undefined)[] = [];

  /** A cleared slot. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const s = this.used++;
    if (slotBase(s + 1) > this.entries.length) {
      const entries = new Float64Array(this.entries.length * 2);
      entries.set(this.entries);
      this.entries = entries;
    }
    return s;
  }

  /** Clear slot s and keep it for the next table. */
  release(s: number): void {
    const b = slotBase(s);
    this.entries.fill(0, b, b + PTRS);
    this.free.push(s);
  }

  /** A descriptor without slot or pairs. */
  allocDesc(): number {
    const d = this.freeDescs.pop() ?? this.descsUsed++;
    if (descBase(d + 1) > this.descs.length) {
      const bigger = new Int32Array(this.descs.length * 2);
      bigger.set(this.descs);
      this.descs = bigger;
    }
    const b = descBase(d);
    this.descs.fill(-1, b, b + DESC_INTS);
    if (d < this.linkHex.length) this.linkHex[d] = undefined;
    return d;
  }
}

/** Pair j's key (-1: none) and pfn in descriptors c, of the descriptor at b. */
function pairKey(c: Int32Array, b: number, j: number): number {
  return c[b + DESC_PAIRS + 2 * j] as number;
}

function pairPfn(c: Int32Array, b: number, j: number): number {
  return c[b + DESC_PAIRS + 2 * j + 1] as number;
}

function setPair(c: Int32Array, b: number, j: number, key: number, pfn: number): void {
  c[b + DESC_PAIRS + 2 * j] = key;
  c[b + DESC_PAIRS + 2 * j + 1] = pfn;
}

/** The stored form (packEntry()) of pair j. */
function pairEntry(c: Int32Array, b: number, j: number): number {
  return pairPfn(c, b, j) * PFN_SHIFT + (pairKey(c, b, j) & KEY_FLAGS) * 2 + 1;
}

/** The pair of entry i among n, or -1. */
function pairOf(c: Int32Array, b: number, n: number, i: number): number {
  for (let j = 0; j < n; j++) if (pairKey(c, b, j) >> KEY_SHIFT === i) return j;
  return -1;
}

/** Drop pair j, the last one taking its place (pairs are in no order). */
function dropPair(t: Table, c: Int32Array, b: number, j: number): void {
  const last = --t.singles;
  if (j !== last) setPair(c, b, j, pairKey(c, b, last), pairPfn(c, b, last));
  setPair(c, b, last, -1, -1);
}

/** True when t keeps its Singles as pairs: a PTE table without a slot. */
export function hasPairs(t: Table): boolean {
  return t.slot < 0 && t.lvl === 0;
}

/** The stored form of entry i of t, as packEntry() makes it (0: no Single there, or one that does not fit). */
export function storedEntry(t: Table, i: number): number {
  const a = t.arena;
  if (a === null) return 0;
  if (t.slot >= 0) {
    const v = a.entries[slotBase(t.slot) + i] as number;
    return v < 0 ? packEntry(linkPfn(v, linkDesc(v)), _PAGE_TABLE) : v;
  }
  if (t.lvl !== 0 || t.desc < 0) return 0;
  const c = a.descs;
  const b = descBase(t.desc);
  const j = pairOf(c, b, t.singles, i);
  return j < 0 ? 0 : pairEntry(c, b, j);
}

/** 1 + the descriptor entry i of t links (0: not a link). */
export function storedKid(t: Table, i: number): number {
  if (t.slot < 0 || t.arena === null) return 0;
  const v = t.arena.entries[slotBase(t.slot) + i] as number;
  return v < 0 ? linkDesc(v) + 1 : 0;
}

/**
 * For a table with pairs: 2 × the number of its pairs before entry i, + 1
 * when i is one of them. When every segment is such a Single, that is where
 * entry i sits (or goes) in segs.
 */
export function fewRank(t: Table, i: number): number {
  if (t.desc < 0 || t.arena === null) return 0;
  const c = t.arena.descs;
  const b = descBase(t.desc);
  let r = 0;
  for (let j = 0; j < t.singles; j++) {
    const x = pairKey(c, b, j) >> KEY_SHIFT;
    if (x < i) r += 2;
    else if (x === i) r |= 1;
  }
  return r;
}

/** t's descriptor in arena a, made if need be. */
function descOf(t: Table, a: EntryArena): number {
  if (t.desc < 0) {
    t.desc = a.allocDesc();
    a.descs[descBase(t.desc)] = headOf(t);
  }
  return t.desc;
}

/**
 * The stored form of a Single (pfn, flags) in table t of arena a that points
 * to child: linkEntry() with the child's descriptor (a child made on its own
 * joins the arena), or packEntry() when it cannot link: a leaf, flags other
 * than _PAGE_TABLE, a child of another arena, or a pfn not the child's.
 */
function storedForm(t: Table, a: EntryArena, pfn: number, flags: number, child: Table | null): number {
  const v = packEntry(pfn, flags);
  if (v === 0 || child === null || flags !== _PAGE_TABLE || child.pfn !== pfn) return v;
  if (child.arena === null) child.arena = a;
  return child.arena === a ? linkEntry(pfn, descOf(child, a)) || v : v;
}

/** Mirror Single i of t (table.ts calls this whenever a Single is set or changed). */
export function mirrorSet(t: Table, i: number, pfn: number, flags: number, child: Table | null): void {
  const a = arenaOf(t);
  const v = storedForm(t, a, pfn, flags, child);
  if (hasPairs(t)) {
    if (v === 0 && t.singles === 0) return;
    const d = descOf(t, a);
    const c = a.descs;
    const b = descBase(d);
    const j = pairOf(c, b, t.singles, i);
    if (j >= 0) {
      if (v !== 0) setPair(c, b, j, (i << KEY_SHIFT) | flags, pfn);
      else dropPair(t, c, b, j); // too big to mirror now: the segments alone hold it
      return;
    }
    if (v === 0) return;
    if (t.singles < FEW_MAX) {
      setPair(c, b, t.singles++, (i << KEY_SHIFT) | flags, pfn);
      return;
    }
    promote(t, a);
  }
  if (t.slot < 0) {
    const d = descOf(t, a);
    t.slot = a.alloc();
    a.descs[descBase(d)] = headOf(t);
  }
  const ent = a.entries;
  const k = slotBase(t.slot) + i;
  const had = ent[k] !== 0;
  if (!had && v !== 0) t.singles++;
  else if (had && v === 0) t.singles--; // too big to mirror: the segments alone hold it
  ent[k] = v;
  if (child !== null && t.kids === null) t.kids = new Array<Table | null>(PTRS).fill(null);
  if (t.kids !== null) t.kids[i] = v !== 0 ? child : null;
}

/** t's machine's arena (a table made on its own, in tests, gets one of its own). */
function arenaOf(t: Table): EntryArena {
  return (t.arena ??= new EntryArena());
}

/** Move a PTE table's pairs into a slot of its own (t.singles stays: they are the slot's entries now). */
function promote(t: Table, a: EntryArena): void {
  const slot = a.alloc();
  const ent = a.entries;
  const base = slotBase(slot);
  const c = a.descs;
  const b = descBase(t.desc);
  for (let j = 0; j < t.singles; j++) {
    ent[base + (pairKey(c, b, j) >> KEY_SHIFT)] = pairEntry(c, b, j);
    setPair(c, b, j, -1, -1);
  }
  t.slot = slot;
  c[b] = headOf(t);
}

/** Forget the Singles of [a, b) (the segments have dropped them). */
export function mirrorClear(t: Table, a: number, b: number): void {
  if (t.singles === 0) return;
  const ar = t.arena;
  if (ar === null) return;
  if (hasPairs(t)) {
    const c = ar.descs;
    const base = descBase(t.desc);
    for (let j = t.singles - 1; j >= 0; j--) {
      const i = pairKey(c, base, j) >> KEY_SHIFT;
      if (i >= a && i < b) dropPair(t, c, base, j);
    }
    return;
  }
  if (t.slot < 0) return;
  const ent = ar.entries;
  const base = slotBase(t.slot);
  for (let i = a; i < b; i++) {
    if (ent[base + i] === 0) continue;
    ent[base + i] = 0;
    if (t.kids !== null) t.kids[i] = null;
    t.singles--;
  }
}

/**
 * The table page is freed (free_pgtables, zap, exit): its slot and its
 * descriptor go back to the arena. Every entry linking t is cleared by then
 * (one naming a reused descriptor would lead the walk elsewhere):
 * checkInvariants() checks each link's descriptor.
 */
export function releaseSlot(t: Table): void {
  const a = t.arena;
  if (a !== null) {
    if (t.slot >= 0) a.release(t.slot);
    if (t.desc >= 0) a.freeDescs.push(t.desc);
  }
  t.slot = -1;
  t.desc = -1;
  t.singles = 0;
  t.kids = null;
}
