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
 * Random one-page faults are what made the extents alone slow: each page is
 * an interval of its own (its pfn − index differs from its neighbours'), and
 * ~200k intervals in ~2,000 blocks cost the fault path two bisections per
 * lookup and insert and a shift of the block, ~20 % of a shared fault's time
 * on 100k random pages of 64 GiB (docs/PERFORMANCE.md, section 1). A radix
 * like the kernel's was measured too and gained less: 100k scattered pages
 * take a leaf node each, ~45 MB of fresh memory with 64-slot nodes (~19 MB
 * with 16), and touching it costs about what the bisections did.
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
 * extents anyway (a Map holds at most 2^24 entries in V8).
 */
const MAX_SINGLES = 1 << 20;

export class PageCache {
  /** maxSingles: when the hash holds this many pages, they move into the extents (tests make it small). */
  constructor(private readonly maxSingles = MAX_SINGLES) {}

  /** Ranges: index → pfn − index, so that a contiguous extent is one interval; null = no page. */
  private readonly extents = new IntervalMap<number | null>(null);
  /** Pages added one at a time by faults, not yet moved into extents: index → pfn. */
  private readonly singles = new Map<number, number>();

  /** filemap_get_entry(): the pfn of page index, or null when the cache has none. */
  lookup(index: number): number | null {
    const p = this.singles.get(index);
    if (p !== undefined) return p;
    const d = this.extents.get(index);
    return d === null ? null : index + d;
  }

  /** Add one page at an index that holds none (the caller looked it up: lookup() gave null). */
  addOne(index: number, pfn: number): void {
    if (this.singles.size >= this.maxSingles) this.foldSingles();
    this.singles.set(index, pfn);
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

  /** Move the single pages into the extents, in index order. */
  private foldSingles(): void {
    if (this.singles.size === 0) return;
    const indexes = [...this.singles.keys()].sort((x, y) => x - y);
    for (const i of indexes) this.extents.set(i, i + 1, (this.singles.get(i) as number) - i);
    this.singles.clear();
  }
}
