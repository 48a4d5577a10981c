/**
 * hugetlb with 2 MiB pages, and the page-table sharing mainline Linux has had
 * since 2.6.20: huge_pmd_share() (mm/hugetlb.c). A MAP_SHARED|MAP_HUGETLB
 * mapping maps 2 MiB pages with PMD entries (PS set), no PTE pages. When a
 * PUD_SIZE-aligned 1 GiB of the VMA is wholly inside it (want_pmd_share())
 * and another VMA maps the same file at the same offset with a PMD page
 * there (page_table_shareable()), the new mm's PUD entry points at that PMD
 * page instead of a new one, and mm_inc_nr_pmds() charges it anyway. Unmapping
 * any part of a shared 1 GiB unshares it (huge_pmd_unshare()): that mm's PUD
 * entry is cleared and its charge dropped; the others keep the page.
 *
 * Only shared hugetlb mappings are modelled; MAP_PRIVATE|MAP_HUGETLB is
 * refused with an explanation.
 */
import { ensureChild, type FaultCtx, type FaultResult } from './fault';
import type { Mm, Vma } from './mm';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PSE,
  _PAGE_RW,
  _PAGE_TABLE,
  VM_HUGETLB,
  VM_MAYSHARE,
  VM_SHARED,
  VM_WRITE,
  addrOf,
  entrySpan,
  hexAddr,
  indexAt,
  pteMkwriteDirty,
  vmPageProt,
} from './paging';
import { relin } from './populate';
import type { Shmem } from './shmem';
import {
  clearRange,
  entryAt,
  entryVpn,
  findSeg,
  linLeaves,
  materialize,
  setEntry,
  setSingle,
  type Seg,
  type Single,
  type Table,
} from './table';
import { changeMark, claimChanges, rec } from './change-hook';

const PMD_SPAN = 512;
const PUD_SPAN = 512 * 512;

export interface HugeCtx extends FaultCtx {
  taskMms(): Mm[];
}

export function isHugetlb(v: Vma): boolean {
  return (v.flags & VM_HUGETLB) !== 0;
}

/** want_pmd_share(): shareable mapping, and the aligned 1 GiB around vpn lies inside the VMA. */
function wantPmdShare(vma: Vma, vpn: number): boolean {
  const base = vpn - (vpn % PUD_SPAN);
  return (vma.flags & VM_MAYSHARE) !== 0 && base >= vma.start && base + PUD_SPAN <= vma.end;
}

/** The PUD table over vpn in mm, allocated if asked. */
function pudTable(ctx: HugeCtx, mm: Mm, vpn: number, alloc: boolean): Table | null {
  let t: Table = mm.pgd;
  for (let lvl = ctx.m.top; lvl > 2; lvl--) {
    const i = indexAt(vpn, lvl);
    const next = alloc ? ensureChild(ctx.m, mm, t, i) : (materialize(t, i)?.child ?? null);
    if (!next) return null;
    t = next;
  }
  return t;
}

/**
 * huge_pmd_share(): look through the other VMAs mapping the file (i_mmap) for
 * a PMD page at the same file offset; link it, charging this mm too.
 */
function hugePmdShare(ctx: HugeCtx, mm: Mm, vma: Vma, vpn: number, pud: Table, i: number): Table | null {
  const idx = vma.pgoff + (vpn - vma.start);
  for (const other of ctx.taskMms()) {
    for (const sv of other.vmas) {
      if (sv === vma || sv.shmem !== vma.shmem || !isHugetlb(sv)) continue;
      const sbase = sv.start + (idx - sv.pgoff);
      // page_table_shareable(): same offset within the 1 GiB, same flags, whole range inside svma.
      if (sbase < sv.start || sbase >= sv.end || sbase % PUD_SPAN !== vpn % PUD_SPAN || sv.flags !== vma.flags)
        continue;
      const s0 = sbase - (sbase % PUD_SPAN);
      if (s0 < sv.start || s0 + PUD_SPAN > sv.end) continue;
      const spud = pudTable(ctx, other, sbase, false);
      const e = spud ? materialize(spud, indexAt(sbase, 2)) : null;
      if (!e?.child) continue;
      const pmd = e.child;
      const mark = changeMark();
      setSingle(pud, i, pmd.pfn, _PAGE_TABLE, pmd);
      pmd.sharers++;
      mm.tables[1] = (mm.tables[1] ?? 0) + 1;
      rec?.charge(mm, 1, 1);
      ctx.m.ev.emit(
        'huge_pmd_share',
        `${mm.label}'s PUD entry ${i} ← ${other.label}'s PMD page pfn 0x${pmd.pfn.toString(16)}: one PMD page for both; mm_inc_nr_pmds() still charges ${mm.label} 4 KiB`,
        'mm/hugetlb.c, huge_pmd_share(): if (pud_none(*pud)) {\npud_populate(mm, pud,\n(pmd_t *)((unsigned long)spte & PAGE_MASK));\nmm_inc_nr_pmds(mm);',
      );
      claimChanges(mark);
      return pmd;
    }
  }
  return null;
}

/** make_huge_pte(): writable (and dirty) when the mapping is shared and writable, young, PS. */
export function hugePteFlags(vma: Vma): number {
  const writable = (vma.flags & (VM_WRITE | VM_SHARED)) === (VM_WRITE | VM_SHARED);
  const flags = vmPageProt(vma.flags) | _PAGE_PSE | _PAGE_ACCESSED;
  return writable ? flags | _PAGE_RW | _PAGE_DIRTY : flags;
}

/** hugetlb_fault(): huge_pte_alloc() then hugetlb_no_page() (or nothing, if the entry is there). */
export function hugetlbFault(
  ctx: HugeCtx,
  mm: Mm,
  vma: Vma,
  vpn: number,
  file: Shmem,
  access: 'read' | 'write' | 'exec',
): FaultResult {
  const { m } = ctx;
  m.ev.emit('hugetlb_fault', `2 MiB page at ${hexAddr(addrOf(vpn - (vpn % PMD_SPAN)))}`);
  const pud = pudTable(ctx, mm, vpn, true);
  if (!pud) return 'OOM';
  const pi = indexAt(vpn, 2);
  let pmd = materialize(pud, pi)?.child ?? null;
  if (!pmd && wantPmdShare(vma, vpn)) pmd = hugePmdShare(ctx, mm, vma, vpn, pud, pi);
  if (!pmd) {
    pmd = ensureChild(m, mm, pud, pi);
    if (!pmd) return 'OOM';
    pmd.perLink = true;
  }
  const i = indexAt(vpn, 1);
  const have = entryAt(pmd, i);
  if (have) {
    // hugetlb_wp() on a shared mapping: make the entry writable in place (set_huge_ptep_writable()).
    if (
      access === 'write' &&
      !(have.flags & _PAGE_RW) &&
      (vma.flags & (VM_WRITE | VM_MAYSHARE)) === (VM_WRITE | VM_MAYSHARE)
    ) {
      const s = materialize(pmd, i) as Single;
      const mark = changeMark();
      setEntry(pmd, s, s.pfn, pteMkwriteDirty(have.flags | _PAGE_ACCESSED));
      m.ev.emit('hugetlb_wp', 'a shared hugetlb page: the PMD entry becomes writable in place');
      claimChanges(mark);
    }
    return 'ok';
  }
  const index = vma.pgoff + (vpn - vma.start);
  const mark = changeMark();
  const pfn = file.getHugePage(m.frames, index);
  if (pfn === null) return 'OOM';
  setSingle(pmd, i, pfn, hugePteFlags(vma), null);
  // The map count of a huge page is kept on each of its 512 frames, so that a Run of them is one range.
  m.frames.addMapcount(pfn, PMD_SPAN, 1);
  m.ev.emit('hugetlb_no_page', `a 2 MiB page, pfn 0x${pfn.toString(16)}, mapped by a PMD entry: no PTE page`);
  claimChanges(mark);
  return 'ok';
}

/** Every PUD entry in the live mms that points at t, other than (mm, pud[i]). */
function otherLinker(ctx: HugeCtx, t: Table, not: Mm): Mm | null {
  for (const mm of ctx.taskMms()) {
    if (mm === not) continue;
    for (const v of mm.vmas) {
      if (!isHugetlb(v)) continue;
      for (let a = v.start - (v.start % PUD_SPAN); a < v.end; a += PUD_SPAN) {
        const pud = pudTable(ctx, mm, a, false);
        const e = pud ? entryAt(pud, indexAt(a, 2)) : null;
        if (e?.child && e.pfn === t.pfn) return mm;
      }
    }
  }
  return null;
}

/**
 * hugetlb_change_protection() first unshares every shared PMD page the range
 * touches (huge_pmd_unshare()), so one mm's mprotect never reaches the others.
 */
export function unshareHugetlb(ctx: HugeCtx, mm: Mm, a: number, b: number): void {
  unshareLevel(ctx, mm, mm.pgd, a, b);
}

/**
 * unshareHugetlb() under t: only Singles are followed, as a Run never holds a shared PMD page (sharing materialises
 * it).
 */
function unshareLevel(ctx: HugeCtx, mm: Mm, t: Table, a: number, b: number): void {
  const span = entrySpan(t.lvl);
  const linked = t.segs.filter(
    (s): s is Single =>
      s.lin === null && s.child !== null && s.start * span + t.base < b && (s.start + 1) * span + t.base > a,
  );
  for (const s of linked) {
    const pmd = s.child as Table;
    if (t.lvl > 2) unshareLevel(ctx, mm, pmd, a, b);
    else if (pmd.sharers > 0) unshareOne(ctx, mm, t, s.start, pmd);
  }
}

function unshareOne(ctx: HugeCtx, mm: Mm, pud: Table, pi: number, pmd: Table): void {
  const mark = changeMark();
  clearRange(pud, pi, pi + 1);
  pmd.sharers--;
  mm.tables[1] = (mm.tables[1] ?? 0) - 1;
  rec?.charge(mm, 1, -1);
  if (pmd.mm === mm) {
    const heir = otherLinker(ctx, pmd, mm);
    if (heir) pmd.mm = heir;
  }
  ctx.m.ev.emit(
    'huge_pmd_unshare',
    `${mm.label} lets go of the shared PMD page pfn 0x${pmd.pfn.toString(16)} (its PUD entry is cleared, mm_dec_nr_pmds()); the other mms keep it`,
  );
  claimChanges(mark);
}

/**
 * __unmap_hugepage_range() over [a, b) of one hugetlb VMA: a shared PMD page
 * is unshared (huge_pmd_unshare(): pud_clear, drop the share count and this
 * mm's charge); otherwise the huge entries are cleared.
 */
export function zapHugetlb(ctx: HugeCtx, mm: Mm, a: number, b: number): number {
  return zapLevel(ctx, mm, mm.pgd, a, b);
}

/** zapHugetlb() under t; a Run's whole entries are zapped as one range (their huge pages are one extent). */
function zapLevel(ctx: HugeCtx, mm: Mm, t: Table, a: number, b: number): number {
  const { m } = ctx;
  const span = entrySpan(t.lvl);
  let pages = 0;
  let i = indexAt(a, t.lvl);
  let ent = a - (a % span);
  while (ent < b) {
    const k = findSeg(t, i);
    const seg = k >= 0 ? (t.segs[k] as Seg) : null;
    if (seg?.lin && (t.lvl === 1 || (ent >= a && ent + span <= b))) {
      const lin = seg.lin;
      const last = Math.min(
        seg.start + seg.count,
        i + (t.lvl === 1 ? Math.ceil((b - ent) / span) : Math.floor((b - ent) / span)),
      );
      const n = (last - i) * span;
      if (linLeaves(lin)) {
        m.frames.addMapcount(lin.data0 + (entryVpn(t, i) - lin.vpn0) * lin.dstride, n, -1);
        pages += n;
      }
      // The huge entries are cleared; the PMD pages stay (free_pgtables() decides about them).
      if (t.lvl === lin.bottom) clearRange(t, i, last);
      else if (lin.leaf !== 0) relin(t, i, last, { ...lin, leaf: 0 });
      ent += n;
      i = last;
      continue;
    }
    const s = seg ? materialize(t, i) : null;
    if (s && t.lvl === 1) {
      clearRange(t, i, i + 1);
      m.frames.addMapcount(s.pfn, PMD_SPAN, -1);
      pages += PMD_SPAN;
    } else if (s?.child && t.lvl === 2 && s.child.sharers > 0) {
      unshareOne(ctx, mm, t, i, s.child);
    } else if (s?.child) {
      pages += zapLevel(ctx, mm, s.child, Math.max(a, ent), Math.min(b, ent + span));
    }
    ent += span;
    i++;
  }
  return pages;
}

/** For the walk: the 4 KiB frame of vpn inside a huge leaf. */
export function subpage(leafPfn: number, leafLvl: number, vpn: number): number {
  return leafLvl === 1 ? leafPfn + (vpn % PMD_SPAN) : leafPfn;
}

export const HUGE_PAGES = PMD_SPAN;
