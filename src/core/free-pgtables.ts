/**
 * free_pgtables() and free_pgd_range() (mm/memory.c, Linux 6.18): after the
 * leaf entries of unmapped VMAs are zapped, free the table pages that no
 * remaining VMA can need. `floor` is the end of the VMA before the hole and
 * `ceiling` the start of the one after (0 for USER_PGTABLES_CEILING, the top
 * of the address space); a table page is freed only if the whole range it
 * covers lies between them. All values are in pages (vpn).
 */
import type { Machine } from './machine';
import type { Mm, Vma } from './mm';
import { VM_HUGETLB, entrySpan, indexAt } from './paging';
import { clearRange, findSeg, materialize, type Seg, type Table } from './table';
import { changeMark, claimChanges } from './change-hook';

const PMD_SPAN = 512;

/** free_pgtables() over the removed VMAs (sorted), with floor and ceiling. */
export function freePgtables(m: Machine, mm: Mm, removed: Vma[], floor: number, ceiling: number): void {
  let k = 0;
  while (k < removed.length) {
    const first = removed[k] as Vma;
    let vma = first;
    let next = removed[k + 1];
    // "Optimization: gather nearby vmas into one call down" (hugetlb VMAs go alone: hugetlb_free_pgd_range())
    while (next && next.start <= vma.end + PMD_SPAN && !(first.flags & VM_HUGETLB) && !(next.flags & VM_HUGETLB)) {
      vma = next;
      k++;
      next = removed[k + 1];
    }
    freePgdRange(m, mm, first.start, vma.end, floor, next ? next.start : ceiling);
    k++;
  }
}

/** `a - 1 > b - 1` on unsigned longs: 0 stands for 2^64, above everything. */
function gtMinus1(a: number, b: number): boolean {
  if (b === 0) return false;
  if (a === 0) return true;
  return a - 1 > b - 1;
}

export function freePgdRange(m: Machine, mm: Mm, addr: number, end: number, floor: number, ceiling: number): void {
  addr -= addr % PMD_SPAN;
  if (addr < floor) addr += PMD_SPAN;
  if (ceiling) {
    ceiling -= ceiling % PMD_SPAN;
    if (!ceiling) return;
  }
  if (gtMinus1(end, ceiling)) end -= PMD_SPAN;
  if (addr > end - 1) return;
  m.ev.emit('free_pgd_range', `tables wholly inside the hole are freed`);
  freeLevel(m, mm.pgd, addr, end, floor, ceiling);
}

/**
 * free_p4d_range/free_pud_range/free_pmd_range in one: visit t's entries in
 * [addr, end); below the PMD level free each PTE page (free_pte_range()),
 * above it recurse and then free the child if [start & MASK, end) stays
 * within floor and ceiling.
 */
function freeLevel(m: Machine, t: Table, addr: number, end: number, floor: number, ceiling: number): void {
  const span = entrySpan(t.lvl);
  let i = indexAt(addr, t.lvl);
  let a = addr;
  while (a < end) {
    const entEnd = a - (a % span) + span;
    const next = Math.min(entEnd, end);
    const k = findSeg(t, i);
    if (k >= 0) {
      const seg = t.segs[k] as Seg;
      if (t.lvl === 1) {
        // free_pte_range(): every present PMD entry in range loses its PTE page.
        if (seg.lin === null) {
          if (seg.child) {
            const c = seg.child;
            const mark = changeMark();
            clearRange(t, i, i + 1);
            freeTable(m, c, mark);
          }
        } else {
          const as = a - (a % span);
          const last = Math.min(seg.start + seg.count, i + Math.ceil((end - as) / span));
          const lin = seg.lin;
          const mark = changeMark();
          if (lin.bottom === 0) m.freeRunTables(lin, 1, as, last - i);
          clearRange(t, i, last);
          m.ev.count('pte_free_tlb', (last - i) * (lin.bottom === 0 ? 1 : 0), 'PTE pages');
          claimChanges(mark);
          a = a - (a % span) + (last - i) * span;
          i = last;
          continue;
        }
      } else if (seg.lin !== null && a % span === 0 && next === entEnd) {
        // Whole entries of a Run: their subtrees go entirely.
        const last = Math.min(seg.start + seg.count, i + Math.floor((end - a) / span));
        const mark = changeMark();
        m.freeRunTables(seg.lin, t.lvl, a, last - i);
        clearRange(t, i, last);
        m.ev.count('free_pgtables', last - i, `${levelWord(t.lvl - 1)} subtrees`);
        claimChanges(mark);
        a += (last - i) * span;
        i = last;
        continue;
      } else {
        const s = materialize(t, i);
        const child = s?.child;
        if (child) {
          freeLevel(m, child, a, next, floor, ceiling);
          // The tail of free_pmd_range() & co.: free the child table itself?
          const start = a - (a % span);
          let c = ceiling;
          let keep = start < floor;
          if (!keep && c) {
            c -= c % span;
            if (!c) keep = true;
          }
          if (!keep && gtMinus1(next, c)) keep = true;
          if (!keep) {
            const mark = changeMark();
            clearRange(t, i, i + 1);
            freeTable(m, child, mark);
          }
        }
      }
    }
    a = next;
    i++;
  }
}

function levelWord(lvl: number): string {
  return ['PTE', 'PMD', 'PUD', 'P4D', 'PGD'][lvl] as string;
}

/**
 * Free one table page. A table reached from another mm too (an mshare host's
 * tables) is only unlinked here; its owner frees it.
 */
function freeTable(m: Machine, t: Table, mark: number): void {
  if (t.sharers > 0) {
    t.sharers--;
    return;
  }
  m.freeTablePage(t);
  m.ev.count(
    ['pte_free_tlb', 'pmd_free_tlb', 'pud_free_tlb', 'p4d_free_tlb'][t.lvl] as string,
    1,
    `${levelWord(t.lvl)} page`,
  );
  // The parent's entry cleared and the page freed are this count's (emitted after the work).
  claimChanges(mark);
}
