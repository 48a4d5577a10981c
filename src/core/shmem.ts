/**
 * Shared anonymous memory: MAP_SHARED|MAP_ANONYMOUS is backed by a shmem
 * file (shmem_zero_setup(), mm/shmem.c) whose page cache holds the pages, so
 * every mapping of it, in any process, maps the same frames.
 */
import { PageCache } from './pagecache';
import { FrameKind, type Frames } from './frames';
import type { ShmemRef } from './mm';
import { IntervalMap } from './intervals';

let nextShmemId = 1;

export class Shmem implements ShmemRef {
  readonly id = nextShmemId++;
  /** Page cache: which frame holds each page (pagecache.ts). */
  readonly pages = new PageCache();
  /** VMAs (and open files) that keep the object alive. */
  refs = 0;
  /**
   * PG_dirty of each page's folio, by page index. A write fault marks it
   * (do_shared_fault() → fault_dirty_shared_page() → folio_mark_dirty()), and
   * so does zapping a PTE the CPU had set D on (zap_present_folio_ptes():
   * "if (pte_dirty(ptent)) folio_mark_dirty(folio)"). Nothing here cleans it
   * (no writeback of shmem without swap). A later read fault of a dirty page in a
   * writable mapping maps it dirty (set_pte_range(): "else if (pte_write(entry)
   * && folio_test_dirty(folio)) entry = pte_mkdirty(entry);").
   */
  readonly dirty = new IntervalMap<boolean>(false);
  /** hugetlb_file_setup(): a hugetlbfs file, whose pages are 2 MiB. */
  constructor(
    readonly sizePages: number,
    readonly huge = false,
  ) {}

  /** A hugetlb page for the 2 MiB block holding index (found or allocated, 2 MiB aligned). */
  getHugePage(frames: Frames, index: number): number | null {
    const head = index - (index % 512);
    const have = this.pfnAt(head);
    if (have !== null) return have;
    const pfn = frames.allocAligned(512, 512, FrameKind.Huge);
    if (pfn === null) return null;
    this.pages.store(head, head + 512, pfn);
    return pfn;
  }

  markDirty(a: number, b: number): void {
    this.dirty.set(a, b, true);
  }

  isDirty(index: number): boolean {
    return this.dirty.get(index);
  }

  /** 'all', 'none' or 'some' of [a, b) dirty. */
  dirtyIn(a: number, b: number): 'all' | 'none' | 'some' {
    let yes = false;
    let no = false;
    this.dirty.forEach(a, b, (d) => {
      if (d) yes = true;
      else no = true;
    });
    return yes && no ? 'some' : yes ? 'all' : 'none';
  }

  /**
   * getHugePage() for every 2 MiB block of [a, b) (both 512-aligned): the
   * missing ones allocated as one aligned extent per hole. Returns false
   * (allocating nothing) when `spare` more frames and the missing pages would
   * not fit in memory.
   */
  populateHuge(frames: Frames, a: number, b: number, spare: number): boolean {
    const holes: [number, number][] = [];
    let missing = 0;
    this.pages.forEach(a, b, (p, s, e) => {
      if (p !== null) return;
      holes.push([s, e]);
      missing += e - s;
    });
    if (!frames.canAlloc(spare + missing)) return false;
    for (const [s, e] of holes) this.pages.store(s, e, frames.allocAligned(e - s, 512, FrameKind.Huge) as number);
    return true;
  }

  pfnAt(index: number): number | null {
    return this.pages.lookup(index);
  }

  /** shmem_get_folio(SGP_CACHE) for one page: find it or allocate it. */
  getPage(frames: Frames, index: number): number | null {
    const have = this.pfnAt(index);
    if (have !== null) return have;
    return this.addPage(frames, index);
  }

  /** getPage() for an index known to have no page yet (shmem_alloc_and_add_folio()). */
  addPage(frames: Frames, index: number): number | null {
    const pfn = frames.alloc(1, FrameKind.Shmem);
    if (pfn === null) return null;
    this.pages.addOne(index, pfn);
    return pfn;
  }

  /**
   * Bring [a, b) into the page cache, allocating what is missing as one extent
   * per hole. Returns false (allocating nothing) when memory would run out.
   */
  populate(frames: Frames, a: number, b: number): boolean {
    let missing = 0;
    this.pages.forEach(a, b, (p, s, e) => {
      if (p === null) missing += e - s;
    });
    if (!frames.canAlloc(missing)) return false;
    const holes: [number, number][] = [];
    this.pages.forEach(a, b, (p, s, e) => {
      if (p === null) holes.push([s, e]);
    });
    for (const [s, e] of holes) {
      const pfn = frames.alloc(e - s, FrameKind.Shmem) as number;
      this.pages.store(s, e, pfn);
    }
    return true;
  }

  /** The pfn of index a if [a, b) is one contiguous extent, else null. */
  contiguous(a: number, b: number): number | null {
    let first: number | null = null;
    let ok = true;
    this.pages.forEach(a, b, (p, s) => {
      if (p === null) ok = false;
      else if (first === null) first = p - s;
      else if (p - s !== first) ok = false;
    });
    return ok && first !== null ? a + first : null;
  }

  /** Truncate the whole object: its pages go back to the allocator. */
  destroy(frames: Frames): void {
    this.pages.forEach(0, Number.MAX_SAFE_INTEGER, (p, s, e) => {
      if (p !== null) frames.release(p, e - s);
    });
    this.pages.store(0, Number.MAX_SAFE_INTEGER, null);
  }
}
