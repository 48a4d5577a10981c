/**
 * Walking a range [start, end) of one table entry by entry, as the kernel's
 * page table loops do: change_pmd_range() (mm/mprotect.c), zap_pmd_range()
 * and copy_pmd_range() (mm/memory.c) and their pud/p4d/pgd siblings start at
 * pmd_offset(pud, addr), take `next = pmd_addr_end(addr, end)` as the end of
 * the current entry's part of the range, and step with `addr = next` until
 * `addr != end` fails. Here addresses are vpns (paging.ts): an entry at level
 * lvl covers entrySpan(lvl) of them, and a table is visited by its index.
 *
 * The walk is one object per table visited and no closure: the loops it
 * serves (mprotect.ts, zap.ts, copy.ts, populate.ts, hugetlb-populate.ts)
 * run on the SGA's path, once per table, and may step over a Run of many
 * entries at once (skipTo()), which the kernel, holding one entry per table
 * slot, never does.
 */
import { entrySpan, indexAt } from './paging';

/**
 * The kernel's pXd_addr_end() (include/linux/pgtable.h; include/asm-generic/pgtable.h before 5.9):
 *
 *   #define pgd_addr_end(addr, end)                                         \
 *   ({    unsigned long __boundary = ((addr) + PGDIR_SIZE) & PGDIR_MASK;    \
 *       (__boundary - 1 < (end) - 1)? __boundary: (end);                    \
 *   })
 *
 * and p4d_addr_end, pud_addr_end, pmd_addr_end alike with their own SIZE and
 * MASK: the next entry boundary after addr, or end if that comes first. The
 * `- 1`s are there because the boundary past the last PGD entry wraps to 0
 * in an unsigned long; a vpn in a double does not wrap (2^45 at most with
 * 5-level paging, paging.ts), so a plain comparison is the same test.
 */
export function pxdAddrEnd(addr: number, end: number, lvl: number): number {
  const span = entrySpan(lvl);
  const boundary = addr - (addr % span) + span;
  return boundary < end ? boundary : end;
}

/**
 * A cursor over the entries of a table at level lvl that [start, end) meets.
 * Use: `for (const w = new PxdWalk(t.lvl, a, b); w.step(); ) { … }`: each
 * step() moves to the next entry (the first one at the first call), and a
 * `continue` goes on to the entry after it, like the kernel's `pmd++, addr =
 * next`. After handling entries [w.i, last) as one (a Run), w.skipTo(last)
 * makes the next step() go to entry last.
 */
export class PxdWalk {
  /** Pages one entry covers (512^lvl): PMD_SIZE and the like, in pages. */
  readonly span: number;
  /** The current entry's index in its table (pmd_index(addr) and the like). */
  i: number;
  /** The first vpn the current entry covers (addr & PMD_MASK). */
  ent: number;
  /** Where the range enters the current entry: start for the first, ent for the others. */
  addr: number;
  /** Where it leaves it: pxdAddrEnd(addr, end, lvl). */
  next: number;
  /** Entries the next step() moves over: 0 before the first, then 1 unless skipTo() said more. */
  private n = 0;

  constructor(
    lvl: number,
    readonly start: number,
    readonly end: number,
  ) {
    this.span = entrySpan(lvl);
    this.i = indexAt(start, lvl);
    this.ent = start - (start % this.span);
    this.addr = start;
    this.next = start;
  }

  /** Move to the next entry the range meets; false when there is none. */
  step(): boolean {
    this.ent += this.n * this.span;
    this.i += this.n;
    this.n = 1;
    if (this.ent >= this.end) return false;
    this.addr = this.ent > this.start ? this.ent : this.start;
    // pxdAddrEnd(addr, end, lvl), with the boundary already known.
    const boundary = this.ent + this.span;
    this.next = boundary < this.end ? boundary : this.end;
    return true;
  }

  /** The range covers the whole of the current entry. */
  get full(): boolean {
    return this.next - this.addr === this.span;
  }

  /** The end index of the entries from the current one that the range covers wholly, at most limit. */
  wholeTo(limit: number): number {
    const last = this.i + Math.floor((this.end - this.ent) / this.span);
    return last < limit ? last : limit;
  }

  /** Entries [i, last) were handled as one: the next step() goes to entry last. */
  skipTo(last: number): void {
    this.n = last - this.i;
  }
}
