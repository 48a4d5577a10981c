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
 * keeps its first FEW_MAX Singles as (index, entry) pairs in a small array
 * on the JS heap (Table.few) and takes a slot with its FEW_MAX + 1st. table.ts
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

/** Singles a PTE table keeps in Table.few before it takes a slot. */
export const FEW_MAX = 8;

/** The stored form of entry i of t (packEntry(), or 0: no Single there, or one that does not fit). */
export function storedEntry(t: Table, i: number): number {
  if (t.slot >= 0) return (t.arena as EntryArena).chunk(t.slot)[slotBase(t.slot) + i] as number;
  const few = t.few;
  if (few !== null) for (let j = 0; j < few.length; j += 2) if (few[j] === i) return few[j + 1] as number;
  return 0;
}

/**
 * For a table without a slot: 2 × the number of its pairs before entry i, + 1
 * when i is one of them. When every segment is such a Single, that is where
 * entry i sits (or goes) in segs.
 */
export function fewRank(t: Table, i: number): number {
  const few = t.few;
  let r = 0;
  if (few !== null) {
    for (let j = 0; j < few.length; j += 2) {
      const x = few[j] as number;
      if (x < i) r += 2;
      else if (x === i) r |= 1;
    }
  }
  return r;
}

/** Mirror Single i of t (table.ts calls this whenever a Single is set or changed). */
export function mirrorSet(t: Table, i: number, pfn: number, flags: number, child: Table | null): void {
  const v = packEntry(pfn, flags);
  if (t.slot < 0 && t.lvl === 0) {
    const few = t.few;
    if (few !== null) {
      for (let j = 0; j < few.length; j += 2) {
        if (few[j] !== i) continue;
        if (v !== 0) few[j + 1] = v;
        else {
          // Too big to mirror now: the segments alone hold it.
          few.splice(j, 2);
          t.singles--;
        }
        return;
      }
    }
    if (v === 0) return;
    if (few === null) {
      t.few = [i, v];
      t.singles++;
      return;
    }
    if (few.length < 2 * FEW_MAX) {
      few.push(i, v);
      t.singles++;
      return;
    }
    promote(t);
  }
  let a = t.arena;
  if (a === null) a = t.arena = new EntryArena();
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

/** Move a PTE table's pairs into a slot of its own. */
function promote(t: Table): void {
  let a = t.arena;
  if (a === null) a = t.arena = new EntryArena();
  t.slot = a.alloc();
  const ent = a.chunk(t.slot);
  const base = slotBase(t.slot);
  const few = t.few as number[];
  for (let j = 0; j < few.length; j += 2) ent[base + (few[j] as number)] = few[j + 1] as number;
  t.few = null;
}

/** Forget the Singles of [a, b) (the segments have dropped them). */
export function mirrorClear(t: Table, a: number, b: number): void {
  if (t.singles === 0) return;
  const few = t.few;
  if (few !== null) {
    let w = 0;
    for (let j = 0; j < few.length; j += 2) {
      const i = few[j] as number;
      if (i >= a && i < b) continue;
      few[w++] = i;
      few[w++] = few[j + 1] as number;
    }
    t.singles -= (few.length - w) / 2;
    few.length = w;
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
  t.few = null;
  t.singles = 0;
  t.kids = null;
}
