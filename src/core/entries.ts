/**
 * The explicit entries of table pages, as the hardware keeps them: in flat
 * memory, indexed by the entry's number, not in a list of objects.
 *
 * A Table (table.ts) keeps its entries as sorted segments, and those stay
 * the record of what the table holds. A table that holds at least one
 * explicit entry (a Single) also gets a slot in its machine's EntryArena: its
 * 512 entries' (pfn, flags), one double each, in one Float64Array, as a table
 * page holds them (in 256 KiB chunks); a non-leaf table also keeps its child Tables by index
 * (Table.kids). The MMU's walk (walk.ts) reads the slot, one indexed load per
 * level as the CPU does, instead of bisecting segments and following segment
 * objects: on 100k random pages of a 64 GiB mapping that is the difference
 * between a cache miss or two per walk and one for every object on the way
 * (the PMD tables hold ~490 segments each).
 *
 * The slot mirrors the Singles only: an entry stored as 0 holds no Single, and
 * is none or inside a Run, which the segments tell.
 *
 * A slot is 4 KiB, like the page, and new memory costs: touching fresh pages
 * made the arena cost more in the fault bench than the walks it sped up (100k
 * random pages fill ~30k PTE tables with ~3 entries each). So a PTE table
 * keeps its first FEW_MAX Singles as (index, flags, pfn) pairs in fields of
 * its own Table object and takes a slot with its FEW_MAX + 1st. table.ts
 * writes both at once (setSingle, materialize, setEntry, clearRange, putRun);
 * checkInvariants() compares them after every step of the tests.
 *
 * One arena per Machine, so that a table linked into several mms (mshare,
 * hugetlb PMD sharing) has one slot; deepClone() copies it with the tables
 * (a typed array is copied as one buffer).
 */

import type { Table } from './table';

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

/** The stored form of a Single's (pfn, flags), or 0 when it does not fit. */
export function packEntry(pfn: number, flags: number): number {
  if (pfn < 0 || pfn >= PFN_LIMIT || flags < 0 || flags >= FLAGS_LIMIT) return 0;
  return pfn * PFN_SHIFT + flags * 2 + 1;
}

/** The pfn of a stored entry (v ≠ 0). */
export function entryPfn(v: number): number {
  return Math.floor(v / PFN_SHIFT);
}

/** The flags of a stored entry (v ≠ 0) whose pfn is pfn. */
export function entryFlags(v: number, pfn: number): number {
  return (v - pfn * PFN_SHIFT) >> 1;
}

/** Slots per chunk: 64 tables, 256 KiB. The arena grows by chunks, never copying what it holds. */
export const CHUNK_SHIFT = 6;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;

/** Where slot s starts in its chunk. */
export function slotBase(s: number): number {
  return (s & (CHUNK_SLOTS - 1)) * PTRS;
}

export class EntryArena {
  /**
   * Slot s, entry i: chunks[s >> CHUNK_SHIFT][slotBase(s) + i] = packEntry(pfn, flags)
   * of a Single, 0 otherwise. Chunks rather than one array that doubles: a
   * copy on growth would touch every page again (100k random faults fill ~30k
   * PTE tables, 120 MiB).
   */
  chunks: Float64Array[] = [];
  /** Slots of freed tables, reused last-freed first. */
  free: number[] = [];
  /** Slots handed out so far (the high-water mark). */
  used = 0;

  /** A cleared slot. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const s = this.used++;
    if (s >> CHUNK_SHIFT >= this.chunks.length) this.chunks.push(new Float64Array(CHUNK_SLOTS * PTRS));
    return s;
  }

  /** The chunk holding slot s. */
  chunk(s: number): Float64Array {
    return this.chunks[s >> CHUNK_SHIFT] as Float64Array;
  }

  /** Clear slot s and keep it for the next table. */
  release(s: number): void {
    const b = slotBase(s);
    this.chunk(s).fill(0, b, b + PTRS);
    this.free.push(s);
  }
}

/** Singles a PTE table keeps in its pair fields before it takes a slot. */
export const FEW_MAX = 8;

/*
 * Pair j of a PTE table without a slot lives in two small-integer fields of
 * the Table itself, t.kj = index · 2^22 + flags and t.pj = pfn, for j below
 * t.singles (every mirrored Single of such a table is a pair): reading them
 * touches the Table and nothing else. Fields, not an array, because the
 * array would be two more objects to reach (a cache miss each in the walk).
 */
const KEY_SHIFT = 2 ** 22;

function pairKey(t: Table, j: number): number {
  switch (j) {
    case 0: return t.k0;
    case 1: return t.k1;
    case 2: return t.k2;
    case 3: return t.k3;
    case 4: return t.k4;
    case 5: return t.k5;
    case 6: return t.k6;
    default: return t.k7;
  }
}

function pairPfn(t: Table, j: number): number {
  switch (j) {
    case 0: return t.p0;
    case 1: return t.p1;
    case 2: return t.p2;
    case 3: return t.p3;
    case 4: return t.p4;
    case 5: return t.p5;
    case 6: return t.p6;
    default: return t.p7;
  }
}

function setPair(t: Table, j: number, key: number, pfn: number): void {
  switch (j) {
    case 0: t.k0 = key; t.p0 = pfn; return;
    case 1: t.k1 = key; t.p1 = pfn; return;
    case 2: t.k2 = key; t.p2 = pfn; return;
    case 3: t.k3 = key; t.p3 = pfn; return;
    case 4: t.k4 = key; t.p4 = pfn; return;
    case 5: t.k5 = key; t.p5 = pfn; return;
    case 6: t.k6 = key; t.p6 = pfn; return;
    default: t.k7 = key; t.p7 = pfn;
  }
}

/** The stored form (packEntry()) of pair j. */
function pairEntry(t: Table, j: number): number {
  return pairPfn(t, j) * PFN_SHIFT + (pairKey(t, j) & (KEY_SHIFT - 1)) * 2 + 1;
}

/** The pair of entry i, or -1. */
function pairOf(t: Table, i: number): number {
  for (let j = 0; j < t.singles; j++) if (pairKey(t, j) >> 22 === i) return j;
  return -1;
}

/** Drop pair j, the last one taking its place (pairs are in no order). */
function dropPair(t: Table, j: number): void {
  const last = --t.singles;
  if (j !== last) setPair(t, j, pairKey(t, last), pairPfn(t, last));
}

/** True when t keeps its Singles as pairs: a PTE table without a slot. */
export function hasPairs(t: Table): boolean {
  return t.slot < 0 && t.lvl === 0;
}

/** The stored form of entry i of t (packEntry(), or 0: no Single there, or one that does not fit). */
export function storedEntry(t: Table, i: number): number {
  if (t.slot >= 0) return (t.arena as EntryArena).chunk(t.slot)[slotBase(t.slot) + i] as number;
  if (t.lvl !== 0) return 0;
  const j = pairOf(t, i);
  return j < 0 ? 0 : pairEntry(t, j);
}

/**
 * For a table with pairs: 2 × the number of its pairs before entry i, + 1
 * when i is one of them. When every segment is such a Single, that is where
 * entry i sits (or goes) in segs.
 */
export function fewRank(t: Table, i: number): number {
  let r = 0;
  for (let j = 0; j < t.singles; j++) {
    const x = pairKey(t, j) >> 22;
    if (x < i) r += 2;
    else if (x === i) r |= 1;
  }
  return r;
}

/** Mirror Single i of t (table.ts calls this whenever a Single is set or changed). */
export function mirrorSet(t: Table, i: number, pfn: number, flags: number, child: Table | null): void {
  const v = packEntry(pfn, flags);
  if (hasPairs(t)) {
    const j = pairOf(t, i);
    if (j >= 0) {
      if (v !== 0) setPair(t, j, i * KEY_SHIFT + flags, pfn);
      else dropPair(t, j); // too big to mirror now: the segments alone hold it
      return;
    }
    if (v === 0) return;
    if (t.singles < FEW_MAX) {
      setPair(t, t.singles++, i * KEY_SHIFT + flags, pfn);
      return;
    }
    promote(t);
  }
  const a = arenaOf(t);
  if (t.slot < 0) t.slot = a.alloc();
  const ent = a.chunk(t.slot);
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
function promote(t: Table): void {
  const a = arenaOf(t);
  const slot = a.alloc();
  const ent = a.chunk(slot);
  const base = slotBase(slot);
  for (let j = 0; j < t.singles; j++) ent[base + (pairKey(t, j) >> 22)] = pairEntry(t, j);
  t.slot = slot;
}

/** Forget the Singles of [a, b) (the segments have dropped them). */
export function mirrorClear(t: Table, a: number, b: number): void {
  if (t.singles === 0) return;
  if (hasPairs(t)) {
    for (let j = t.singles - 1; j >= 0; j--) {
      const i = pairKey(t, j) >> 22;
      if (i >= a && i < b) dropPair(t, j);
    }
    return;
  }
  const ar = t.arena;
  if (t.slot < 0 || ar === null) return;
  const ent = ar.chunk(t.slot);
  const base = slotBase(t.slot);
  for (let i = a; i < b; i++) {
    if (ent[base + i] === 0) continue;
    ent[base + i] = 0;
    if (t.kids !== null) t.kids[i] = null;
    t.singles--;
  }
}

/**
 * The table page is freed (free_pgtables, zap, exit): its slot goes back to
 * the arena. A stale link to t, if any, still finds its entries in segs.
 */
export function releaseSlot(t: Table): void {
  if (t.slot >= 0 && t.arena !== null) t.arena.release(t.slot);
  t.slot = -1;
  t.singles = 0;
  t.kids = null;
}
