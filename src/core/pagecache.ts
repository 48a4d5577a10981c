/**
 * A shmem object's page cache: which frame holds each page of the file (in
 * the kernel, struct address_space's i_pages; filemap_get_entry() finds a
 * page, shmem_add_to_page_cache() adds one, mm/filemap.c and mm/shmem.c).
 *
 * The kernel keeps every folio in one xarray (lib/xarray.c), a radix tree of
 * 64-slot nodes in which a large folio is one multi-index entry. Here the
 * pages are kept two ways, by how they arrive:
 *
 *  - extents: ranges brought in at once (populate, a hugetlb page), in an
 *    IntervalMap of index → pfn − index, so that a 300 GiB populate is one
 *    interval whatever its size;
 *  - single pages that a fault added one at a time (order-0 folios,
 *    shmem_alloc_and_add_folio()), in a hash from index to pfn.
 *
 * The hash is there because random one-page faults made the extents alone
 * slow; a radix tree like the kernel's was measured too and gained less
 * (docs/PERFORMANCE.md, "The page cache").
 *
 * Every operation on a range first moves the single pages into the extents
 * (foldSingles()), so ranges see one IntervalMap, as before: the same pieces,
 * in the same order, whatever mix of faults and populates came first. Only
 * lookup() and addOne(), the fault path, use the hash. Moving changes how
 * the pages are stored, not which frame holds which page.
 */
import { IntervalMap } from './intervals';

/**
 * The most single pages kept in the hash before they are moved into the
 * extents anyway (the hash is then 32 MiB).
 */
const MAX_SINGLES = 1 << 20;
/** Slots of an empty hash (a power of two). */
const HASH_MIN = 16;

export class PageCache {
  /** maxSingles: when the hash holds this many pages, they move into the extents (tests make it small). */
  constructor(private readonly maxSingles = MAX_SINGLES) {}

  /** Ranges: index → pfn − index, so that a contiguous extent is one interval; null = no page. */
  private readonly extents = new IntervalMap<number | null>(null);
  /**
   * Pages added one at a time by faults, not yet moved into extents: an
   * open-addressing hash, slot k at hash[2k] (index + 1; 0 = empty) and
   * hash[2k + 1] (pfn), filled to at most half. A lookup that misses on
   * scattered pages is then one cache line, where a Map's was a bucket and
   * its chain (measured: ~4 % of a shared fault).
   */
  private hash = new Float64Array(2 * HASH_MIN);
  /** Pages in the hash. */
  private singles = 0;
  /** 32 − log2(slots): the hash's slot is the top bits of a 32-bit product. */
  private shift = 32 - Math.log2(HASH_MIN);

  /** filemap_get_entry(): the pfn of page index, or null when the cache has none. */
  lookup(index: number): number | null {
    if (this.singles !== 0) {
      const h = this.hash;
      const key = index + 1;
      const mask = (h.length >> 1) - 1;
      for (let k = slotOf(index, this.shift); ; k = (k + 1) & mask) {
        const x = h[2 * k] as number;
        if (x === key) return h[2 * k + 1] as number;
        if (x === 0) break;
      }
    }
    const d = this.extents.get(index);
    return d === null ? null : index + d;
  }

  /** Add one page at an index that holds none (the caller looked it up: lookup() gave null). */
  addOne(index: number, pfn: number): void {
    if (this.singles >= this.maxSingles) this.foldSingles();
    if (2 * (this.singles + 1) > this.hash.length >> 1) this.growHash();
    this.put(index, pfn);
    this.singles++;
  }

  /** Pages [a, b) are held by frames pfn, pfn + 1, …; pfn null: [a, b) holds no page. */
  store(a: number, b: number, pfn: number | null): void {
    this.foldSingles();
    this.extents.set(a, b, pfn === null ? null : pfn - a);
  }

  /**
   * Visit [a, b) in order as maximal pieces [start, end): pages held by
   * contiguous frames from pfn (the frame of start), or holes (pfn null).
   */
  forEach(a: number, b: number, f: (pfn: number | null, start: number, end: number) => void): void {
    this.foldSingles();
    this.extents.forEach(a, b, (d, s, e) => f(d === null ? null : s + d, s, e));
  }

  /** Into the first free slot from index's (the hash has room, and no entry for index). */
  private put(index: number, pfn: number): void {
    const h = this.hash;
    const mask = (h.length >> 1) - 1;
    let k = slotOf(index, this.shift);
    while (h[2 * k] !== 0) k = (k + 1) & mask;
    h[2 * k] = index + 1;
    h[2 * k + 1] = pfn;
  }

  private growHash(): void {
    const old = this.hash;
    this.hash = new Float64Array(2 * old.length);
    this.shift--;
    for (let k = 0; k < old.length; k += 2) if (old[k] !== 0) this.put((old[k] as number) - 1, old[k + 1] as number);
  }

  /** Move the single pages into the extents, in index order; the hash starts small again. */
  private foldSingles(): void {
    if (this.singles === 0) return;
    const h = this.hash;
    const full: number[] = [];
    for (let k = 0; k < h.length; k += 2) if (h[k] !== 0) full.push(k);
    full.sort((x, y) => (h[x] as number) - (h[y] as number));
    for (const k of full) {
      const i = (h[k] as number) - 1;
      this.extents.set(i, i + 1, (h[k + 1] as number) - i);
    }
    this.hash = new Float64Array(2 * HASH_MIN);
    this.shift = 32 - Math.log2(HASH_MIN);
    this.singles = 0;
  }
}

/**
 * The hash slot of index: the top bits of its product with GOLDEN_RATIO_32,
 * as hash_32() of include/linux/hash.h computes them (the bits above 32
 * folded in first).
 */
function slotOf(index: number, shift: number): number {
  const x = index <= 0xffffffff ? index >>> 0 : (index >>> 0) ^ Math.floor(index / 0x100000000);
  return Math.imul(x, 0x61c88647) >>> shift;
}
