/**
 * `touch`: one access to every page of a range, in order. Where whole table
 * entries are none, the pages are faulted in as a block: the tables and data
 * pages the faults would allocate are allocated as one extent per level and
 * stored as a Run. The result (entries, counts, charges) is what the page by
 * page faults give; only the PFNs' order differs, which the kernel does not
 * fix either. Everything else (edges, COW, existing pages) goes page by page
 * through the real fault path.
 */
import { FrameKind, ZERO_PFN } from './frames';
import { ensureChild, userAccess, type FaultCtx } from './fault';
import { anonVmaPrepare, type Mm, type Vma } from './mm';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  _PAGE_RW,
  _PAGE_SPECIAL,
  VM_HUGETLB,
  VM_SHARED,
  VM_WRITE,
  entrySpan,
  pteMkwriteDirty,
  vmPageProt,
} from './paging';
import {
  entryVpn,
  findSeg,
  isolate,
  materialize,
  mergeRuns,
  putRun,
  type Lin,
  type RssHolder,
  type Run,
  type Seg,
  type Table,
} from './table';
import type { AccessOutcome } from './fault';
import { changeMark, claimChanges, rec } from './change-hook';
import type { Shmem } from './shmem';
import { PxdWalk } from './range-walk';

/** fault_around_bytes / PAGE_SIZE (mm/memory.c; 64 KiB by default, as on the machine measured). */
const FAULT_AROUND_PAGES = 16;

const allocName = ['pte_alloc', 'pmd_alloc', 'pud_alloc', 'p4d_alloc'];

/** Touch [a, b) of one VMA; stops at the first page whose access fails and returns that outcome. */
export function populate(ctx: FaultCtx, mm: Mm, vma: Vma, a: number, b: number, write: boolean): AccessOutcome | null {
  return popLevel(ctx, mm, vma, mm.pgd, a, b, write);
}

function popLevel(
  ctx: FaultCtx,
  mm: Mm,
  vma: Vma,
  t: Table,
  a: number,
  b: number,
  write: boolean,
): AccessOutcome | null {
  if (t.lvl === 0) {
    for (let v = a; v < b; v++) {
      // One page at a time: counted against the work budget (budget.ts), between two accesses.
      ctx.m.budget.page();
      const r = userAccess(ctx, mm, v, write ? 'write' : 'read');
      if (r.kind !== 'ok') return r;
    }
    return null;
  }
  for (const w = new PxdWalk(t.lvl, a, b); w.step();) {
    const i = w.i;
    const k = findSeg(t, i);
    const seg = k >= 0 ? (t.segs[k] as Seg) : null;
    if (!seg && w.full) {
      // A stretch of none entries wholly inside the range: try one block.
      let j = i + 1;
      while (j < 512 && w.ent + (j - i + 1) * w.span <= b && findSeg(t, j) < 0) j++;
      // When memory is short, halve the block until what fits is found (O(log n) tries),
      // rather than dropping to entry by entry at once.
      const done = bulkTry(ctx, mm, vma, t, i, j, write);
      if (done > i) {
        w.skipTo(done);
        continue;
      }
    }
    if (seg && seg.lin !== null && w.full && runNeedsNoFault(seg.lin, write)) {
      // Present pages that allow the access: the MMU only sets Accessed/Dirty.
      const last = w.wholeTo(seg.start + seg.count);
      // The MMU sets Accessed on every access (old PTEs after fork) and Dirty on a write.
      const want = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
      if ((seg.lin.leaf & want) !== want) relin(t, i, last, { ...seg.lin, leaf: seg.lin.leaf | want });
      w.skipTo(last);
      continue;
    }
    if (seg && seg.lin !== null && w.full && write) {
      // Present but read-only pages under a write: do_wp_page() for the whole block at once.
      const last = w.wholeTo(seg.start + seg.count);
      if (bulkWp(ctx, mm, vma, t, i, last, seg.lin)) {
        w.skipTo(last);
        continue;
      }
    }
    let child: Table | null;
    if (seg) child = (materialize(t, i) as { child: Table | null }).child;
    else {
      const mark = changeMark();
      child = ensureChild(ctx.m, mm, t, i, true);
      if (child) {
        ctx.m.ev.count(allocName[t.lvl - 1] as string, 1, 'tables');
        claimChanges(mark);
      }
    }
    if (!child) {
      // OOM allocating a table: the access to the first page of the entry fails.
      return userAccess(ctx, mm, w.addr, write ? 'write' : 'read');
    }
    const r = popLevel(ctx, mm, vma, child, w.addr, w.next, write);
    if (r) return r;
  }
  return null;
}

/** Fault in as much of [i, j) as blocks as memory allows; returns where it stopped. */
function bulkTry(ctx: FaultCtx, mm: Mm, vma: Vma, t: Table, i: number, j: number, write: boolean): number {
  if (bulkNew(ctx, mm, vma, t, i, j, write)) return j;
  if (j - i === 1) return i;
  const mid = (i + j) >> 1;
  const k = bulkTry(ctx, mm, vma, t, i, mid, write);
  return k < mid ? k : bulkTry(ctx, mm, vma, t, mid, j, write);
}

function runNeedsNoFault(lin: Lin, write: boolean): boolean {
  if (lin.bottom !== 0 || lin.leaf === 0) return false;
  return !write || (lin.leaf & _PAGE_RW) !== 0;
}

/** Give entries [i, j) of t a new Lin (same block, changed leaf bits). */
export function relin(t: Table, i: number, j: number, lin: Lin): void {
  const [first, end] = isolate(t, i, j);
  for (let k = first; k < end; k++) {
    const s = t.segs[k] as Run;
    if (rec !== null) rec.block(t, s.start, s.start + s.count, s.lin, lin);
    s.lin = lin;
  }
  mergeRuns(t);
}

/** Fault in entries [i, j) of t, all none, as one Run. False: not possible (memory, or a fragmented page cache). */
function bulkNew(ctx: FaultCtx, mm: Mm, vma: Vma, t: Table, i: number, j: number, write: boolean): boolean {
  const { m } = ctx;
  const lvl = t.lvl;
  const n = j - i;
  const vpn0 = entryVpn(t, i);
  const pages = n * entrySpan(lvl);
  const prot = vmPageProt(vma.flags);
  let tablePages = 0;
  for (let l = lvl - 1; l >= 0; l--) tablePages += n * 512 ** (lvl - 1 - l);
  let data0: number;
  let dstride: 0 | 1 = 1;
  let dataKind: FrameKind;
  let leaf: number;
  const mark = changeMark();
  if (vma.shmem) {
    const shmem = ctx.shmemOf(vma);
    const index0 = vma.pgoff + (vpn0 - vma.start);
    if (!m.frames.canAlloc(tablePages)) return false;
    // Partly in the page cache: page by page (so a fault-around maps only what the faults
    // before it brought in). Filling the holes here and then finding the range is not one
    // extent would leave them filled for the page-by-page faults, which would then count
    // (and map) as if they had been cached before the touch.
    const cached = cachedPages(shmem, index0, pages);
    if (cached !== 0 && cached !== pages) return false;
    // A read's fault-around maps 16 cached pages per fault; a write faults every page.
    const faults = write || cached === 0 ? pages : pages / FAULT_AROUND_PAGES;
    if (!shmem.populate(m.frames, index0, index0 + pages)) return false;
    const c = shmem.contiguous(index0, index0 + pages);
    if (c === null) return false;
    // A read maps a dirty folio dirty in a writable mapping (set_pte_range()): one Lin
    // holds one leaf value, so a block of mixed clean and dirty pages goes page by page.
    const dirty = prot & _PAGE_RW && !write ? shmem.dirtyIn(index0, index0 + pages) : 'none';
    if (dirty === 'some') return false;
    data0 = c;
    dataKind = FrameKind.Shmem;
    leaf = write && vma.flags & VM_WRITE ? pteMkwriteDirty(prot) : dirty === 'all' ? prot | _PAGE_DIRTY : prot;
    if (write && vma.flags & VM_SHARED) shmem.markDirty(index0, index0 + pages);
    m.ev.count('__handle_mm_fault', pages, 'faults');
    mm.minFlt += faults;
    m.ev.count(write ? 'do_shared_fault' : 'do_read_fault', pages, 'pages');
    m.ev.count('shmem_fault', pages, 'pages');
    claimChanges(mark);
  } else if (write) {
    if (!m.frames.canAlloc(tablePages + pages)) return false;
    data0 = m.frames.alloc(pages, FrameKind.Anon) as number;
    m.frames.exclusive.set(data0, data0 + pages, true);
    dataKind = FrameKind.Anon;
    leaf = vma.flags & VM_WRITE ? pteMkwriteDirty(prot) : prot;
    m.ev.count('__handle_mm_fault', pages, 'faults');
    mm.minFlt += pages;
    if (!vma.anonVma) {
      anonVmaPrepare(mm, vma);
      m.ev.count('anon_vma_prepare', 1, '');
    }
    m.ev.count('do_anonymous_page', pages, 'new pages');
    m.ev.count('alloc_anon_folio', pages, 'pages');
    claimChanges(mark);
  } else {
    if (!m.frames.canAlloc(tablePages)) return false;
    data0 = ZERO_PFN;
    dstride = 0;
    dataKind = FrameKind.Zero;
    leaf = prot | _PAGE_SPECIAL;
    m.ev.count('__handle_mm_fault', pages, 'faults');
    mm.minFlt += pages;
    m.ev.count('do_anonymous_page', pages, 'zero-page mappings');
  }
  // Each level's extent is counted as it is allocated, and its changes are that count's.
  let levelMark = changeMark();
  const tab0 = m.allocRunTables(mm, lvl, n, 0, (l, count) => {
    m.ev.count(allocName[l] as string, count, 'tables');
    claimChanges(levelMark);
    levelMark = changeMark();
  }) as number[];
  m.ev.count('handle_mm_fault', pages, 'faults');
  const lin: Lin = { vpn0, data0, dstride, dataKind, tab0, leaf, bottom: 0, mm };
  putRun(t, i, n, lin);
  m.mapData(mm, dataKind, data0, dstride ? pages : 0);
  if (dataKind === FrameKind.Zero) return true;
  return true;
}

/** Pages of [index0, index0 + pages) of a shmem object already in its page cache. */
function cachedPages(shmem: Shmem, index0: number, pages: number): number {
  let n = 0;
  shmem.pages.forEach(index0, index0 + pages, (p, s, e) => {
    if (p !== null) n += e - s;
  });
  return n;
}

/**
 * do_wp_page() over whole entries of a Run, when every page takes the same
 * branch: the zero page or pages mapped elsewhere too → wp_page_copy() (new
 * pages, contents copied); pages mapped only here → wp_page_reuse(); a shared
 * mapping → wp_page_shared(). False when the pages differ (then page by page).
 */
function bulkWp(ctx: FaultCtx, mm: Mm, vma: Vma, t: Table, i: number, last: number, lin: Lin): boolean {
  const { m } = ctx;
  if (lin.bottom !== 0 || lin.leaf === 0 || !(lin.leaf & _PAGE_PRESENT) || lin.leaf & _PAGE_RW) return false;
  if (!(vma.flags & VM_WRITE)) return false;
  const span = entrySpan(t.lvl);
  const pages = (last - i) * span;
  const vpnA = entryVpn(t, i);
  const old = lin.data0 + (vpnA - lin.vpn0) * lin.dstride;
  // The faults are counted once the block is known to take one branch (else page by page counts them).
  const faulted = () => {
    m.ev.count('handle_mm_fault', pages, 'faults');
    m.ev.count('__handle_mm_fault', pages, 'faults');
    mm.minFlt += pages;
    m.ev.count('do_wp_page', pages, 'pages');
  };
  if (vma.flags & VM_SHARED) {
    faulted();
    m.ev.count('wp_page_shared', pages, 'pages');
    relin(t, i, last, { ...lin, leaf: pteMkwriteDirty(lin.leaf | _PAGE_ACCESSED) });
    // fault_dirty_shared_page() for each.
    if (vma.shmem && !(vma.flags & VM_HUGETLB))
      ctx.shmemOf(vma).markDirty(vma.pgoff + (vpnA - vma.start), vma.pgoff + (vpnA - vma.start) + pages);
    return true;
  }
  let copy: boolean;
  if (lin.dataKind === FrameKind.Zero) copy = true;
  else if (lin.dataKind !== FrameKind.Anon) return false;
  else if (
    m.frames.exclusive.every(old, old + pages, (x) => x) ||
    m.frames.mapcount.every(old, old + pages, (c) => c === 1)
  )
    copy = false;
  else if (m.frames.mapcount.every(old, old + pages, (c) => c > 1)) copy = true;
  else return false;
  if (!copy) {
    faulted();
    m.ev.count('wp_page_reuse', pages, 'pages');
    relin(t, i, last, { ...lin, leaf: pteMkwriteDirty(lin.leaf | _PAGE_ACCESSED) });
    m.frames.exclusive.set(old, old + pages, true);
    return true;
  }
  if (!m.frames.canAlloc(pages)) return false;
  faulted();
  const mark = changeMark();
  const fresh = m.frames.alloc(pages, FrameKind.Anon) as number;
  if (lin.dstride) m.frames.copyRange(old, fresh, pages);
  m.ev.count('wp_page_copy', pages, 'pages');
  const copyEvent = m.ev.current;
  if (!vma.anonVma) {
    anonVmaPrepare(mm, vma);
    m.ev.count('anon_vma_prepare', 1, '');
  }
  m.frames.exclusive.set(fresh, fresh + pages, true);
  m.unmapData(lin.mm as RssHolder, lin.dataKind, old, lin.dstride ? pages : 0);
  relin(t, i, last, {
    ...lin,
    data0: fresh - (vpnA - lin.vpn0),
    dstride: 1,
    dataKind: FrameKind.Anon,
    leaf: pteMkwriteDirty(vmPageProt(vma.flags)),
  });
  m.mapData(lin.mm as RssHolder, FrameKind.Anon, fresh, pages);
  claimChanges(mark, copyEvent);
  return true;
}
