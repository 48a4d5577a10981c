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
import { ensureChild, userAccess, type AccessOutcome, type FaultCtx, type FaultResult } from './fault';
import type { Mm, Vma } from './mm';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PSE, _PAGE_RW, _PAGE_TABLE, VM_HUGETLB, VM_MAYSHARE, VM_SHARED, VM_WRITE, addrOf, hexAddr, indexAt, pteMkwriteDirty, vmPageProt } from './paging';
import type { Shmem } from './shmem';
import { clearRange, entryAt, materialize, setEntry, setSingle, type Single, type Table } from './table';
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
      if (sbase < sv.start || sbase >= sv.end || sbase % PUD_SPAN !== vpn % PUD_SPAN || sv.flags !== vma.flags) continue;
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
      ctx.m.ev.emit('huge_pmd_share', `${mm.label}'s PUD entry ${i} ← ${other.label}'s PMD page pfn 0x${pmd.pfn.toString(16)}: one PMD page for both; mm_inc_nr_pmds() still charges ${mm.label} 4 KiB`, 'mm/hugetlb.c, huge_pmd_share(): if (pud_none(*pud)) {\npud_populate(mm, pud,\n(pmd_t *)((unsigned long)spte & PAGE_MASK));\nmm_inc_nr_pmds(mm);');
      claimChanges(mark);
      return pmd;
    }
  }
  return null;
}

/** hugetlb_fault(): huge_pte_alloc() then hugetlb_no_page() (or nothing, if the entry is there). */
export function hugetlbFault(ctx: HugeCtx, mm: Mm, vma: Vma, vpn: number, file: Shmem, access: 'read' | 'write' | 'exec'): FaultResult {
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
    if (access === 'write' && !(have.flags & _PAGE_RW) && (vma.flags & (VM_WRITE | VM_MAYSHARE)) === (VM_WRITE | VM_MAYSHARE)) {
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
  // make_huge_pte(): writable (and dirty) when the mapping is shared and writable, young, PS.
  const writable = (vma.flags & (VM_WRITE | VM_SHARED)) === (VM_WRITE | VM_SHARED);
  let flags = vmPageProt(vma.flags) | _PAGE_PSE | _PAGE_ACCESSED;
  if (writable) flags |= _PAGE_RW | _PAGE_DIRTY;
  setSingle(pmd, i, pfn, flags, null);
  m.frames.addMapcount(pfn, 1, 1);
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
  for (let base = a - (a % PUD_SPAN); base < b; base += PUD_SPAN) {
    const pud = pudTable(ctx, mm, base, false);
    const pi = indexAt(base, 2);
    const pmd = pud ? materialize(pud, pi)?.child : null;
    if (pud && pmd && pmd.sharers > 0) unshareOne(ctx, mm, pud, pi, pmd);
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
  ctx.m.ev.emit('huge_pmd_unshare', `${mm.label} lets go of the shared PMD page pfn 0x${pmd.pfn.toString(16)} (its PUD entry is cleared, mm_dec_nr_pmds()); the other mms keep it`);
  claimChanges(mark);
}

/**
 * __unmap_hugepage_range() over [a, b) of one hugetlb VMA: a shared PMD page
 * is unshared (huge_pmd_unshare(): pud_clear, drop the share count and this
 * mm's charge); otherwise the huge entries are cleared.
 */
export function zapHugetlb(ctx: HugeCtx, mm: Mm, a: number, b: number): number {
  const { m } = ctx;
  let pages = 0;
  for (let base = a - (a % PUD_SPAN); base < b; base += PUD_SPAN) {
    const pud = pudTable(ctx, mm, base, false);
    if (!pud) continue;
    const pi = indexAt(base, 2);
    const s = materialize(pud, pi);
    const pmd = s?.child;
    if (!pmd) continue;
    if (pmd.sharers > 0) {
      unshareOne(ctx, mm, pud, pi, pmd);
      continue;
    }
    const lo = Math.max(a, base);
    const hi = Math.min(b, base + PUD_SPAN);
    for (let v = lo - (lo % PMD_SPAN); v < hi; v += PMD_SPAN) {
      const i = indexAt(v, 1);
      const e = materialize(pmd, i) as Single | null;
      if (!e) continue;
      clearRange(pmd, i, i + 1);
      m.frames.addMapcount(e.pfn, 1, -1);
      pages += 512;
    }
  }
  return pages;
}

/** `touch` over [a, b) of a hugetlb VMA: one access per 2 MiB page, in order. */
export function touchHugetlb(ctx: HugeCtx, mm: Mm, a: number, b: number, access: 'read' | 'write' | 'exec'): AccessOutcome | null {
  for (let v = a; v < b; v = v - (v % PMD_SPAN) + PMD_SPAN) {
    ctx.m.budget.page();
    const r = userAccess(ctx, mm, v, access);
    if (r.kind !== 'ok') return r;
  }
  return null;
}

/** For the walk: the 4 KiB frame of vpn inside a huge leaf. */
export function subpage(leafPfn: number, leafLvl: number, vpn: number): number {
  return leafLvl === 1 ? leafPfn + (vpn % PMD_SPAN) : leafPfn;
}

export const HUGE_PAGES = PMD_SPAN;
