/**
 * The explicit entries of table pages, as the hardware keeps them: in flat
 * memory, indexed by the entry's number, not in a list of objects.
 *
 * A Table (table.ts) keeps its entries as sorted segments, and those stay
 * the record of what the table holds. A table that holds at least one
 * explicit entry (a Single) also gets a slot in its machine's EntryArena: its
 * 512 entries' (pfn, flags), one double each, in one Float64Array, as a table
 * page holds them; a non-leaf table also keeps its child Tables by index
 * (Table.kids). The MMU's walk (walk.ts) reads the slot, one indexed load per
 * level as the CPU does, instead of bisecting segments and following segment
 * objects: on 100k random pages of a 64 GiB mapping that is the difference
 * between a cache miss or two per walk and one for every object on the way
 * (the PMD tables hold ~490 segments each).
 *
 * The slot mirrors the Singles only: an entry stored as 0 holds no Single, and
 * is none or inside a Run, which the segments tell. table.ts
 * writes both at once (setSingle, materialize, setEntry, clearRange, putRun);
 * checkInvariants() compares them after every step of the tests.
 *
 * One arena per Machine, so that a table linked into several mms (mshare,
 * hugetlb PMD sharing) has one slot; deepClone() copies it with the tables
 * (a typed array is copied as one buffer).
 */

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

const INITIAL_SLOTS = 4;

export class EntryArena {
  /** Slot s, entry i: ent[512s + i] = packEntry(pfn, flags) of a Single, 0 otherwise. */
  ent = new Float64Array(INITIAL_SLOTS * PTRS);
  /** Slots of freed tables, reused last-freed first. */
  free: number[] = [];
  /** Slots handed out so far (the high-water mark). */
  used = 0;

  /** A cleared slot. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const s = this.used++;
    if ((s + 1) * PTRS > this.ent.length) {
      const bigger = new Float64Array(this.ent.length * 2);
      bigger.set(this.ent);
      this.ent = bigger;
    }
    return s;
  }

  /** Clear slot s and keep it for the next table. */
  release(s: number): void {
    this.ent.fill(0, s * PTRS, (s + 1) * PTRS);
    this.free.push(s);
  }
}
