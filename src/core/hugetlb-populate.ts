/**
 * `touch` over a hugetlb VMA: one access to every 2 MiB page, in order, with
 * whole stretches of none PMD entries faulted in as one block, as populate.ts
 * does for 4 KiB pages. The block's huge pages come from the file's page
 * cache (one aligned extent per hole) and the PMD tables it needs as one
 * extent per level; it is stored as a Run of a `huge` Lin (table.ts). The
 * result (entries, flags, counts, charges, events) is what one
 * hugetlb_fault() per page gives; only the PFNs' order may differ, which the
 * kernel does not fix either.
 *
 * A PMD table is made in a block only where huge_pmd_share() could not find
 * one to share: no other hugetlb VMA maps the same part of the file.
 * Elsewhere (a fork's child, another process mapping the file) the first page
 * of each 1 GiB takes the real fault path, which shares or allocates the PMD
 * page, and the rest of that 1 GiB is filled in as a block.
 */
import { FrameKind } from './frames';
import { userAccess, type AccessOutcome } from './fault';
import { hugePteFlags, type HugeCtx } from './hugetlb';
import { vmaAt, type Mm, type Vma } from './mm';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, entrySpan } from './paging';
import { entryVpn, findSeg, linLeaves, materialize, putRun, type Lin, type Seg, type Table } from './table';
import { PxdWalk } from './range-walk';

const PMD_SPAN = 512;
const allocName = ['pte_alloc', 'pmd_alloc', 'pud_alloc', 'p4d_alloc'];

type Access = 'read' | 'write' | 'exec';

/** Touch [a, b) of one hugetlb VMA; stops at the first page whose access fails and returns that outcome. */
export function touchHugetlb(ctx: HugeCtx, mm: Mm, a: number, b: number, access: Access): AccessOutcome | null {
  const vma = vmaAt(mm, a);
  if (!vma) return userAccess(ctx, mm, a, access);
  return hugeLevel(ctx, mm, vma, mm.pgd, a, b, access);
}

/** One page at a time, through the fault path (counted against the work budget). */
function onePage(ctx: HugeCtx, mm: Mm, vpn: number, access: Access): AccessOutcome | null {
  ctx.m.budget.page();
  const r = userAccess(ctx, mm, vpn, access);
  return r.kind === 'ok' ? null : r;
}

/** A present leaf that allows the access and has Accessed (and Dirty on a write): the MMU does nothing. */
function noFault(leaf: number, access: Access): boolean {
  const want = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | (access === 'write' ? _PAGE_RW | _PAGE_DIRTY : 0);
  return (leaf & want) === want && access !== 'exec';
}

function hugeLevel(
  ctx: HugeCtx,
  mm: Mm,
  vma: Vma,
  t: Table,
  a: number,
  b: number,
  access: Access,
): AccessOutcome | null {
  for (const w = new PxdWalk(t.lvl, a, b); w.step();) {
    const { i, ent, span } = w;
    // At the PMD level an entry is one huge page: touching any of it faults all of it.
    const full = t.lvl === 1 || w.full;
    const k = findSeg(t, i);
    const seg = k >= 0 ? (t.segs[k] as Seg) : null;
    if (!seg && full && (t.lvl === 1 || !mayShare(ctx, mm, vma, ent, span))) {
      // A stretch of none entries: one block, halved while memory is short.
      let j = i + 1;
      while (j < 512 && (t.lvl === 1 ? ent + (j - i) * span < b : ent + (j - i + 1) * span <= b) && findSeg(t, j) < 0)
        j++;
      const done = blockTry(ctx, mm, vma, t, i, j, access);
      if (done > i) {
        w.skipTo(done);
        continue;
      }
    }
    if (seg && seg.lin !== null && linLeaves(seg.lin) && noFault(seg.lin.leaf, access)) {
      // Present huge pages allowing the access, Accessed and Dirty set: nothing to do (any part of them).
      w.skipTo(Math.min(seg.start + seg.count, i + Math.ceil((b - ent) / span)));
      continue;
    }
    if (t.lvl === 1) {
      const r = seg && seg.lin === null && noFault(seg.flags, access) ? null : onePage(ctx, mm, w.addr, access);
      if (r) return r;
    } else {
      let child = seg ? (materialize(t, i)?.child ?? null) : null;
      if (!child) {
        // The first page through hugetlb_fault(): huge_pte_alloc() shares or allocates the PMD page.
        const r = onePage(ctx, mm, w.addr, access);
        if (r) return r;
        child = materialize(t, i)?.child ?? null;
      }
      if (child) {
        const r = hugeLevel(ctx, mm, vma, child, w.addr, w.next, access);
        if (r) return r;
      }
    }
  }
  return null;
}

/**
 * Could huge_pmd_share() link another VMA's PMD page somewhere in
 * [vpn, vpn + span)? Only if another hugetlb VMA maps a part of the same file.
 */
function mayShare(ctx: HugeCtx, mm: Mm, vma: Vma, vpn: number, span: number): boolean {
  const lo = vma.pgoff + (vpn - vma.start);
  const hi = lo + span;
  for (const other of ctx.taskMms()) {
    for (const sv of other.vmas) {
      if (sv === vma || sv.shmem !== vma.shmem) continue;
      if (sv.pgoff < hi && sv.pgoff + (sv.end - sv.start) > lo) return true;
    }
  }
  return false;
}

/** Fault in as much of [i, j) as blocks as memory allows; returns where it stopped. */
function blockTry(ctx: HugeCtx, mm: Mm, vma: Vma, t: Table, i: number, j: number, access: Access): number {
  if (block(ctx, mm, vma, t, i, j)) return j;
  if (j - i === 1) return i;
  const mid = (i + j) >> 1;
  const k = blockTry(ctx, mm, vma, t, i, mid, access);
  return k < mid ? k : blockTry(ctx, mm, vma, t, mid, j, access);
}

/**
 * Entries [i, j) of t, all none, as one Run: the PMD tables under them (if t
 * is above the PMD level) and a huge page per PMD entry, as hugetlb_fault()
 * page by page would map them. False: not possible (memory, or the page
 * cache's pages for the range are not one extent).
 */
function block(ctx: HugeCtx, mm: Mm, vma: Vma, t: Table, i: number, j: number): boolean {
  const { m } = ctx;
  const n = j - i;
  const lvl = t.lvl;
  const vpn0 = entryVpn(t, i);
  const pages = n * entrySpan(lvl);
  let tablePages = 0;
  for (let l = lvl - 1; l >= 1; l--) tablePages += n * 512 ** (lvl - 1 - l);
  const file = ctx.shmemOf(vma);
  const index0 = vma.pgoff + (vpn0 - vma.start);
  if (!file.populateHuge(m.frames, index0, index0 + pages, tablePages)) return false;
  const c = file.contiguous(index0, index0 + pages);
  if (c === null) return false;
  const tab0 = m.allocRunTables(mm, lvl, n, 1) as number[];
  const huge = pages / PMD_SPAN;
  // The order hugetlb_fault() page by page lists them in: the fault, the tables, the page.
  m.ev.count('handle_mm_fault', huge, '');
  mm.minFlt += huge; // one hugetlb_fault() per huge page, each counted by mm_account_fault()
  m.ev.count('hugetlb_fault', huge, '');
  for (let l = lvl - 1; l >= 1; l--) m.ev.count(allocName[l] as string, n * 512 ** (lvl - 1 - l), '');
  m.ev.count('hugetlb_no_page', huge, '');
  const lin: Lin = {
    vpn0,
    data0: c,
    dstride: 1,
    dataKind: FrameKind.Huge,
    tab0,
    leaf: hugePteFlags(vma),
    bottom: 1,
    mm,
    huge: true,
  };
  putRun(t, i, n, lin);
  // A huge page's map count is on each of its frames (hugetlb.ts).
  m.frames.addMapcount(c, pages, 1);
  return true;
}
