/**
 * copy_page_range() (mm/memory.c): at fork, the child gets its own copies of
 * the table pages under a VMA that needs them, and its leaf entries point at
 * the parent's pages. For a COW mapping both sides are write-protected
 * (__copy_present_ptes(): wrprotect_ptes() in the parent, pte_wrprotect() in
 * the child), the child's copy is marked old (pte_mkold), and clean too for a
 * shared mapping (pte_mkclean). The child allocates a table for every
 * non-none parent entry, even one whose PTEs are all none (copy_pte_range()
 * calls pte_alloc() before looking at them).
 */
import type { Machine } from './machine';
import type { Mm, Vma } from './mm';
import {
  _PAGE_ACCESSED,
  _PAGE_PRESENT,
  _PAGE_PROTNONE,
  _PAGE_RW,
  VM_SHARED,
  entrySpan,
  pteMkclean,
  pteWrprotect,
} from './paging';
import { FrameKind } from './frames';
import { findSeg, materialize, putRun, setEntry, setSingle, type Lin, type Seg, type Table } from './table';
import { ensureChild } from './fault';
import { relin } from './populate';
import { PxdWalk } from './range-walk';

/** Returns false when the child ran out of memory (fork fails with ENOMEM). */
export function copyPageRange(m: Machine, dst: Mm, src: Mm, vma: Vma): boolean {
  return copyLevel(m, dst, src, vma, src.pgd, dst.pgd, vma.start, vma.end);
}

function isCow(vma: Vma): boolean {
  // is_cow_mapping(): private and may write; every private anonymous mapping may.
  return !(vma.flags & VM_SHARED);
}

function childFlags(vma: Vma, flags: number): number {
  let f = flags;
  if (isCow(vma) && f & _PAGE_RW) f = pteWrprotect(f);
  if (vma.flags & VM_SHARED) f = pteMkclean(f);
  return f & ~_PAGE_ACCESSED;
}

function copyLevel(m: Machine, dst: Mm, src: Mm, vma: Vma, st: Table, dt: Table, a: number, b: number): boolean {
  for (const w = new PxdWalk(st.lvl, a, b); w.step();) {
    const i = w.i;
    const k = findSeg(st, i);
    if (k < 0) continue;
    const seg = st.segs[k] as Seg;
    if (seg.lin !== null && (w.full || st.lvl === 0) && findSeg(dt, i) < 0) {
      const last = w.wholeTo(seg.start + seg.count);
      if (last > i) {
        if (!copyRun(m, dst, vma, st, dt, i, last, seg.lin)) return false;
        w.skipTo(last);
        continue;
      }
    }
    const s = materialize(st, i);
    if (s) {
      if (st.lvl === 0) {
        if (s.flags & (_PAGE_PRESENT | _PAGE_PROTNONE)) {
          setSingle(dt, i, s.pfn, childFlags(vma, s.flags), null);
          if (isCow(vma) && s.flags & _PAGE_RW) setEntry(st, s, s.pfn, pteWrprotect(s.flags));
          const kind = m.frames.kindOf(s.pfn);
          // folio_try_dup_anon_rmap_pte(): the page is no longer exclusive to the parent.
          if (kind === FrameKind.Anon) m.frames.exclusive.set(s.pfn, s.pfn + 1, false);
          m.mapData(dst, kind, s.pfn, 1);
        }
      } else if (s.child) {
        const dchild = ensureChild(m, dst, dt, i, true);
        if (!dchild) return false;
        if (!copyLevel(m, dst, src, vma, s.child, dchild, w.addr, w.next)) return false;
      }
    }
  }
  return true;
}

/** Copy entries [i, last) of a Run: new tables for the child, same data pages. */
function copyRun(m: Machine, dst: Mm, vma: Vma, st: Table, dt: Table, i: number, last: number, lin: Lin): boolean {
  const n = last - i;
  let tab0: number[] = [];
  if (st.lvl > 0) {
    const t = m.allocRunTables(dst, st.lvl, n, lin.bottom);
    if (!t) return false;
    tab0 = t;
  }
  const vpnA = st.base + i * entrySpan(st.lvl);
  const leafPresent = lin.bottom === 0 && lin.leaf !== 0;
  // The child's block starts at vpnA: its new tables are numbered from there.
  const dlin: Lin = {
    ...lin,
    vpn0: vpnA,
    data0: lin.data0 + (vpnA - lin.vpn0) * lin.dstride,
    tab0,
    mm: dst,
    leaf: leafPresent ? childFlags(vma, lin.leaf) : lin.leaf,
  };
  putRun(dt, i, n, dlin);
  if (leafPresent) {
    if (isCow(vma) && lin.leaf & _PAGE_RW) relin(st, i, last, { ...lin, leaf: pteWrprotect(lin.leaf) });
    const pages = n * entrySpan(st.lvl);
    const pfn = lin.data0 + (vpnA - lin.vpn0) * lin.dstride;
    if (lin.dataKind === FrameKind.Anon) m.frames.exclusive.set(pfn, pfn + pages, false);
    m.mapData(dst, lin.dataKind, pfn, lin.dstride ? pages : 0);
  }
  return true;
}
