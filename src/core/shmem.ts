/**
 * Shared anonymous memory: MAP_SHARED|MAP_ANONYMOUS is backed by a shmem
 * file (shmem_zero_setup(), mm/shmem.c) whose page cache holds the pages, so
 * every mapping of it, in any process, maps the same frames.
 */
import { IntervalMap } from './intervals';
import { FrameKind, type Frames } from './frames';
import type { ShmemRef } from './mm';

let nextShmemId = 1;

export class Shmem implements ShmemRef {
  readonly id = nextShmemId++;
  /** Page cache: index → pfn stored as (pfn - index), so a contiguous extent is one interval; null = no page. */
  readonly pages = new IntervalMap<number | null>(null);
  /** VMAs (and open files) that keep the object alive. */
  refs = 0;
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
    this.pages.set(head, head + 512, pfn - head);
    return pfn;
  }

  pfnAt(index: number): number | null {
    const d = this.pages.get(index);
    return d === null ? null : index + d;
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
    this.pages.set(index, index + 1, pfn - index);
    return pfn;
  }

  /**
   * Bring [a, b) into the page cache, allocating what is missing as one extent
   * per hole. Returns false (allocating nothing) when memory would run out.
   */
  populate(frames: Frames, a: number, b: number): boolean {
    let missing = 0;
    this.pages.forEach(a, b, (d, s, e) => {
      if (d === null) missing += e - s;
    });
    if (!frames.canAlloc(missing)) return false;
    const holes: [number, number][] = [];
    this.pages.forEach(a, b, (d, s, e) => {
      if (d === null) holes.push([s, e]);
    });
    for (const [s, e] of holes) {
      const pfn = frames.alloc(e - s, FrameKind.Shmem) as number;
      this.pages.set(s, e, pfn - s);
    }
    return true;
  }

  /** The pfn of index a if [a, b) is one contiguous extent, else null. */
  contiguous(a: number, b: number): number | null {
    let first: number | null = null;
    let ok = true;
    this.pages.forEach(a, b, (d) => {
      if (d === null) ok = false;
      else if (first === null) first = d;
      else if (d !== first) ok = false;
    });
    return ok && first !== null ? a + first : null;
  }

  /** Truncate the whole object: its pages go back to the allocator. */
  destroy(frames: Frames): void {
    this.pages.forEach(0, Number.MAX_SAFE_INTEGER, (d, s, e) => {
      if (d !== null) frames.release(s + d, e - s);
    });
    this.pages.set(0, Number.MAX_SAFE_INTEGER, null);
  }
}
