/**
 * change_protection() (mm/mprotect.c): present leaf entries of the range
 * take the new protection through pte_modify(), keeping Accessed and Dirty.
 * A private writable mapping only regains RW on pages that are still
 * PageAnonExclusive (can_change_pte_writable()): not after fork shared them,
 * even once the child is gone; the zero page never does.
 */
import { FrameKind } from './frames';
import type { Machine } from './machine';
import type { Vma } from './mm';
import type { Mm } from './mm';
import {
  _PAGE_PRESENT,
  _PAGE_PROTNONE,
  _PAGE_PSE,
  _PAGE_RW,
  clearSavedDirty,
  VM_SHARED,
  VM_WRITE,
  pteModify,
  vmPageProt,
} from './paging';
import { findSeg, materialize, setEntry, type Seg, type Table } from './table';
import { relin } from './populate';
import { PxdWalk } from './range-walk';

export function changeProtection(m: Machine, mm: Mm, vma: Vma, a: number, b: number): number {
  return changeLevel(m, vma, mm.pgd, a, b);
}

function newFlags(vma: Vma, flags: number, exclusive: boolean): number {
  let f = pteModify(flags, vmPageProt(vma.flags));
  const manualUpgrade = !(vma.flags & VM_SHARED) && (vma.flags & VM_WRITE) !== 0;
  if (manualUpgrade && !(f & _PAGE_RW) && f & _PAGE_PRESENT && exclusive) f = clearSavedDirty(f | _PAGE_RW);
  return f;
}

function changeLevel(m: Machine, vma: Vma, t: Table, a: number, b: number): number {
  let changed = 0;
  for (const w = new PxdWalk(t.lvl, a, b); w.step();) {
    const i = w.i;
    const k = findSeg(t, i);
    if (k < 0) continue;
    const seg = t.segs[k] as Seg;
    if (seg.lin !== null && (w.full || t.lvl === 0)) {
      const lin = seg.lin;
      const last = w.wholeTo(seg.start + seg.count);
      const pages = (last - i) * w.span;
      if (lin.huge && lin.leaf !== 0) {
        // hugetlb_change_protection() over a Run of huge entries: huge_pte_modify keeps PS.
        relin(t, i, last, { ...lin, leaf: newFlags(vma, lin.leaf, false) | _PAGE_PSE });
        changed += pages / 512;
        w.skipTo(last);
        continue;
      }
      if (lin.bottom !== 0 || lin.leaf === 0) {
        w.skipTo(last);
        continue;
      }
      const pfn = lin.data0 + (w.ent - lin.vpn0) * lin.dstride;
      let excl: boolean | null = false;
      if (lin.dataKind === FrameKind.Anon) {
        const all1 = m.frames.exclusive.every(pfn, pfn + pages, (x) => x);
        const none1 = m.frames.exclusive.every(pfn, pfn + pages, (x) => !x);
        excl = all1 ? true : none1 ? false : null;
      }
      if (excl !== null && last > i) {
        const leaf = newFlags(vma, lin.leaf, excl);
        if (leaf !== lin.leaf) relin(t, i, last, { ...lin, leaf });
        changed += pages;
        w.skipTo(last);
        continue;
      }
    }
    const s = materialize(t, i);
    if (s) {
      if (t.lvl === 1 && s.flags & _PAGE_PSE) {
        // hugetlb_change_protection(): huge_pte_modify keeps PS.
        setEntry(t, s, s.pfn, newFlags(vma, s.flags, false) | _PAGE_PSE);
        changed++;
      } else if (t.lvl === 0) {
        if (s.flags & (_PAGE_PRESENT | _PAGE_PROTNONE)) {
          const excl = m.frames.kindOf(s.pfn) === FrameKind.Anon && m.frames.exclusive.get(s.pfn);
          setEntry(t, s, s.pfn, newFlags(vma, s.flags, excl));
          changed++;
        }
      } else if (s.child) {
        changed += changeLevel(m, vma, s.child, w.addr, w.next);
      }
    }
  }
  return changed;
}
