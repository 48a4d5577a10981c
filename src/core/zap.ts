/**
 * zap_page_range / unmap_vmas (mm/memory.c, zap_pte_range()): clear the leaf
 * entries of a range and drop the data pages' map counts. Table pages stay
 * (free_pgtables() decides about them), except that MADV_DONTNEED with
 * CONFIG_PT_RECLAIM frees a PTE page it emptied when the zap covered the
 * page's whole 2 MiB: reclaim_pt_is_enabled() tests `end - start >= PMD_SIZE`
 * on zap_pte_range()'s own range (mm/pt_reclaim.c, Linux 6.14+).
 */
import type { Machine } from './machine';
import type { Mm } from './mm';
import { _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_SAVED_DIRTY } from './paging';

/** pte_dirty() on x86 since 6.6: pte_flags(pte) & _PAGE_DIRTY_BITS, which is _PAGE_DIRTY | _PAGE_SAVED_DIRTY. */
const _PAGE_DIRTY_BITS = _PAGE_DIRTY | _PAGE_SAVED_DIRTY;
import { clearRange, findSeg, isEmpty, materialize, type Lin, type RssHolder, type Seg, type Table } from './table';
import { relin } from './populate';
import { changeMark, claimChanges, rec } from './change-hook';
import { PxdWalk } from './range-walk';

export interface ZapOpts {
  /** MADV_DONTNEED: free PTE pages emptied over their whole span. */
  reclaim: boolean;
  /**
   * Called for present leaves with D set, by vpn (a shmem VMA's folios become
   * dirty: zap_present_folio_ptes(), "if (pte_dirty(ptent)) folio_mark_dirty(folio)").
   */
  dirty?: (vpn: number, pages: number) => void;
}

export interface ZapTally {
  pages: number;
  reclaimed: number;
}

export function zapRange(m: Machine, mm: Mm, a: number, b: number, opts: ZapOpts): ZapTally {
  const tally: ZapTally = { pages: 0, reclaimed: 0 };
  zapLevel(m, mm, mm.pgd, a, b, opts, tally);
  return tally;
}

function leafPresent(flags: number): boolean {
  return (flags & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
}

function zapLevel(m: Machine, mm: Mm, t: Table, a: number, b: number, opts: ZapOpts, tally: ZapTally): void {
  for (const w = new PxdWalk(t.lvl, a, b); w.step();) {
    const i = w.i;
    const k = findSeg(t, i);
    if (k < 0) continue;
    const seg = t.segs[k] as Seg;
    if (t.lvl === 0) {
      if (seg.lin === null) {
        if (leafPresent(seg.flags)) {
          if (seg.flags & _PAGE_DIRTY_BITS) opts.dirty?.(w.ent, 1);
          m.unmapData(t.mm as RssHolder, m.frames.kindOf(seg.pfn), seg.pfn, 1);
          tally.pages++;
        }
        clearRange(t, i, i + 1);
      } else {
        const last = w.wholeTo(seg.start + seg.count);
        zapLeaves(m, mm, seg.lin, w.ent, last - i, tally, opts);
        clearRange(t, i, last);
        w.skipTo(last);
      }
      continue;
    }
    if (seg.lin !== null && w.full) {
      const last = w.wholeTo(seg.start + seg.count);
      const n = last - i;
      const lin = seg.lin;
      if (lin.bottom === 0) zapLeaves(m, mm, lin, w.ent, n * w.span, tally, opts);
      if (opts.reclaim && lin.bottom === 0) {
        // Every PTE page under these entries is now empty and wholly covered: free them all.
        const mark = changeMark();
        freePteLevel(m, lin, t.lvl, w.ent, n, tally);
        if (t.lvl === 1) clearRange(t, i, last);
        else relin(t, i, last, { ...lin, leaf: 0, bottom: 1 });
        claimChanges(mark);
      } else if (lin.leaf !== 0) {
        relin(t, i, last, { ...lin, leaf: 0 });
      }
      w.skipTo(last);
      continue;
    }
    const s = materialize(t, i);
    const child = s?.child;
    if (child) {
      zapLevel(m, mm, child, w.addr, w.next, opts, tally);
      if (t.lvl === 1 && opts.reclaim && w.full && isEmpty(child) && child.sharers === 0) {
        const mark = changeMark();
        clearRange(t, i, i + 1);
        m.freeTablePage(child);
        m.ev.emit('free_pte', `PTE page pfn 0x${child.pfn.toString(16)} reclaimed (CONFIG_PT_RECLAIM)`);
        claimChanges(mark);
        tally.reclaimed++;
      }
    }
  }
}

/** Drop the data under `pages` leaves of a Run starting at vpn. */
function zapLeaves(m: Machine, mm: Mm, lin: Lin, vpn: number, pages: number, tally: ZapTally, opts: ZapOpts): void {
  if (lin.bottom !== 0 || lin.leaf === 0 || !leafPresent(lin.leaf)) return;
  if (lin.leaf & _PAGE_DIRTY_BITS) opts.dirty?.(vpn, pages);
  const pfn = lin.data0 + (vpn - lin.vpn0) * lin.dstride;
  m.unmapData(lin.mm as RssHolder, lin.dataKind, pfn, lin.dstride ? pages : 0);
  tally.pages += pages;
}

/** Free the PTE pages under n entries (from vpn) of a Run at level lvl. */
function freePteLevel(m: Machine, lin: Lin, lvl: number, vpn: number, n: number, tally: ZapTally): void {
  const count = n * 512 ** (lvl - 1);
  const first = (lin.tab0[0] as number) + (vpn - lin.vpn0) / 512;
  m.frames.release(first, count);
  lin.mm.tables[0] = (lin.mm.tables[0] ?? 0) - count;
  if (rec !== null) {
    rec.table('free', lin.mm, 0, first, count);
    rec.charge(lin.mm, 0, -count);
  }
  tally.reclaimed += count;
  m.ev.count('free_pte', count, 'PTE pages reclaimed (CONFIG_PT_RECLAIM)');
}
