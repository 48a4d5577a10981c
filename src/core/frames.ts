/**
 * Physical memory: a deterministic frame allocator, what each frame holds, and
 * the map count of data frames.
 *
 * Linux's buddy allocator gives no reproducible PFNs, so any deterministic
 * policy is as true as another; this one hands out contiguous extents
 * (first fit among freed extents, else above everything allocated so far).
 * Contiguity is what lets a 300 GiB populate be stored as a few linear runs.
 */
import { IntervalMap } from './intervals';
import { rec, type ChangeRecorder } from './change-hook';

export const enum FrameKind {
  Free = 0,
  /** Table pages: TableBase + level (0 = PTE page … 4 = PGD with LA57). */
  TableBase = 1,
  Anon = 10,
  Shmem = 11,
  Zero = 12,
  Kernel = 13,
  /** A 2 MiB hugetlb page: 512 frames, its map count kept on each of them (so a run of huge pages is one range). */
  Huge = 14,
}

export function tableKind(lvl: number): FrameKind {
  return (FrameKind.TableBase + lvl) as FrameKind;
}

/** Frames below this are the kernel's own (the zero page lives there). */
const FIRST_FREE_PFN = 0x1000;
/** my_zero_pfn(): the shared zero page that read faults of private memory map. */
export const ZERO_PFN = 0x0a3c;

export class Frames {
  readonly kinds = new IntervalMap<FrameKind>(FrameKind.Free);
  /** Map count of data frames (page_mapcount): how many present PTEs point at each. */
  readonly mapcount = new IntervalMap<number>(0);
  /**
   * PageAnonExclusive: this anonymous page belongs to one mm alone. Set when
   * the page is allocated or reused by a write fault, cleared when fork shares
   * it; mprotect() makes a PTE writable again only on exclusive pages.
   */
  readonly exclusive = new IntervalMap<boolean>(false);
  /** Bytes written to data frames; a frame never written reads as zeros. */
  readonly bytes = new Map<number, Uint8Array>();
  private freeList: [start: number, len: number][] = [];
  private top = FIRST_FREE_PFN;
  used = 0;

  /** limit: the most frames that may be in use at once (the `memory` directive); undefined = unlimited. */
  constructor(readonly limit?: number) {
    this.kinds.set(0, FIRST_FREE_PFN, FrameKind.Kernel);
    this.kinds.set(ZERO_PFN, ZERO_PFN + 1, FrameKind.Zero);
  }

  canAlloc(n: number): boolean {
    return this.limit === undefined || this.used + n <= this.limit;
  }

  /** n contiguous frames of one kind, or null when memory is exhausted. */
  alloc(n: number, kind: FrameKind): number | null {
    if (n <= 0) throw new Error('alloc of no frames');
    if (!this.canAlloc(n)) return null;
    let start = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const ext = this.freeList[i] as [number, number];
      if (ext[1] >= n) {
        start = ext[0];
        if (ext[1] === n) this.freeList.splice(i, 1);
        else this.freeList[i] = [ext[0] + n, ext[1] - n];
        break;
      }
    }
    if (start < 0) {
      start = this.top;
      this.top += n;
    }
    this.used += n;
    this.kinds.set(start, start + n, kind);
    if (rec !== null) rec.data('alloc', start, n, kind);
    return start;
  }

  /** n contiguous frames starting at a multiple of `align` (a huge page must be 2 MiB aligned). */
  allocAligned(n: number, align: number, kind: FrameKind): number | null {
    if (!this.canAlloc(n)) return null;
    for (let i = 0; i < this.freeList.length; i++) {
      const [s0, len] = this.freeList[i] as [number, number];
      const start = Math.ceil(s0 / align) * align;
      if (start + n > s0 + len) continue;
      this.freeList.splice(i, 1);
      if (start > s0) this.freeList.splice(i, 0, [s0, start - s0]);
      if (start + n < s0 + len) this.freeList.splice(i + (start > s0 ? 1 : 0), 0, [start + n, s0 + len - start - n]);
      this.used += n;
      this.kinds.set(start, start + n, kind);
      return start;
    }
    const start = Math.ceil(this.top / align) * align;
    if (start > this.top) {
      const gap: [number, number] = [this.top, start - this.top];
      this.freeList.push(gap);
    }
    this.top = start + n;
    this.used += n;
    this.kinds.set(start, start + n, kind);
    if (rec !== null) rec.data('alloc', start, n, kind);
    return start;
  }

  /** Return [start, start + n) to the free list, merging neighbours. */
  release(start: number, n: number): void {
    if (n <= 0) return;
    if (rec !== null)
      this.kinds.forEach(start, start + n, (kind, s, e) => (rec as ChangeRecorder).data('free', s, e - s, kind));
    this.used -= n;
    this.kinds.set(start, start + n, FrameKind.Free);
    this.mapcount.set(start, start + n, 0);
    this.exclusive.set(start, start + n, false);
    if (this.bytes.size > 0) {
      // Walk whichever is smaller: the freed range or the written pages.
      if (n <= this.bytes.size) for (let p = start; p < start + n; p++) this.bytes.delete(p);
      else for (const p of [...this.bytes.keys()]) if (p >= start && p < start + n) this.bytes.delete(p);
    }
    if (start + n === this.top) {
      this.top = start;
      // Fold a free extent that now touches the top back into it.
      const last = this.freeList[this.freeList.length - 1];
      if (last && last[0] + last[1] === this.top) {
        this.top = last[0];
        this.freeList.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.freeList.length && (this.freeList[i] as [number, number])[0] < start) i++;
    this.freeList.splice(i, 0, [start, n]);
    // merge with next, then with previous
    const cur = this.freeList[i] as [number, number];
    const next = this.freeList[i + 1];
    if (next && cur[0] + cur[1] === next[0]) {
      cur[1] += next[1];
      this.freeList.splice(i + 1, 1);
    }
    const prev = this.freeList[i - 1];
    if (prev && prev[0] + prev[1] === cur[0]) {
      prev[1] += cur[1];
      this.freeList.splice(i, 1);
    }
  }

  kindOf(pfn: number): FrameKind {
    return this.kinds.get(pfn);
  }

  /** Add delta to the map count of [start, start + n) (stride 1). */
  addMapcount(start: number, n: number, delta: number): void {
    this.mapcount.update(start, start + n, (c) => c + delta);
  }

  read(pfn: number, off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const page = this.bytes.get(pfn);
    if (page) out.set(page.subarray(off, off + len));
    return out;
  }

  write(pfn: number, off: number, data: Uint8Array): void {
    let page = this.bytes.get(pfn);
    if (!page) {
      if (data.every((b) => b === 0)) return;
      page = new Uint8Array(4096);
      this.bytes.set(pfn, page);
    }
    page.set(data, off);
  }

  /** Copy the contents of n frames (only the written ones hold bytes). */
  copyRange(from: number, to: number, n: number): void {
    if (this.bytes.size === 0) return;
    if (n <= this.bytes.size) {
      for (let k = 0; k < n; k++) this.copyPage(from + k, to + k);
      return;
    }
    for (const [p, page] of [...this.bytes])
      if (p >= from && p < from + n) this.bytes.set(to + (p - from), page.slice());
  }

  copyPage(from: number, to: number): void {
    const page = this.bytes.get(from);
    if (page) this.bytes.set(to, page.slice());
  }
}
