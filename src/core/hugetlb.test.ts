/**
 * hugetlb PMD sharing, mainline Linux (mm/hugetlb.c, torvalds/linux; merged
 * in 2.6.20 for x86). Expectations come from the kernel source:
 *  - hugetlb_fault() → huge_pte_alloc(): `if (want_pmd_share(vma, addr) && pud_none(*pud))
 *    pte = huge_pmd_share(mm, vma, addr, pud);` else pmd_alloc();
 *    the 2 MiB page is mapped by a PMD entry (make_huge_pte: PSE), no PTE page.
 *  - want_pmd_share(): VM_MAYSHARE and the PUD_SIZE-aligned 1 GiB around addr wholly in the VMA.
 *  - huge_pmd_share(): `if (pud_none(*pud)) { pud_populate(mm, pud, spte & PAGE_MASK);
 *    mm_inc_nr_pmds(mm); }`: the sharer is charged for the PMD page it did not allocate
 *    (measured on Linux 6.18: a forked sharer of a touched 1 GiB hugetlb mapping shows
 *    8 KiB of VmPTE, shared/reference/mshare-versions.md §6).
 *  - __unmap_hugepage_range(): `if (huge_pmd_unshare(mm, vma, address, ptep))` clears the PUD
 *    entry and mm_dec_nr_pmds() for a shared PMD page.
 *  - hugetlb_vm_op_split(): a hugetlb VMA splits only at a huge page boundary (EINVAL).
 * The simulator refuses MAP_PRIVATE|MAP_HUGETLB (not modelled).
 * kernel.invariants() must be empty after every step.
 */
import { describe, expect, it } from 'vitest';
import { Play } from './play.test-helper';
import { readFileSync } from 'node:fs';
import { Runner } from '../scenario/run';
import type { ReportStep } from '../scenario/report';

const fns = (s: ReportStep): string[] => s.events.map((e) => e.fn);
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
/** The summarised counts of a bulk step: fn → n. */
const counts = (s: ReportStep): Record<string, number> =>
  Object.fromEntries(
    s.events
      .filter((e) => e.detail?.startsWith('×'))
      .map((e) => [e.fn, Number((e.detail as string).slice(1).split(' ')[0]?.replace(/,/g, ''))]),
  );

const SHARED_GIB = `kernel mainline
spawn A
A: mmap 1T 1G rw shared anon hugetlb fixed
A: touch 1T 1G write
A: fork B
B: touch 1T 1G read
`;

describe('hugetlb pages: PMD entries, no PTE pages', () => {
  it('touching 1 GiB of MAP_SHARED|MAP_HUGETLB costs a PUD and a PMD page: 8 KiB', () => {
    const p = new Play(SHARED_GIB);
    p.run(2);
    const t = p.next();
    // One hugetlb_fault per 2 MiB page: 512; one PUD page, one PMD page, no pte_alloc.
    expect(counts(t)).toEqual({
      handle_mm_fault: 512,
      hugetlb_fault: 512,
      pud_alloc: 1,
      pmd_alloc: 1,
      hugetlb_no_page: 512,
    });
    expect(t.pgtables_bytes).toEqual({ A: 8192 });
    expect(p.mm('A').tables).toEqual([0, 1, 1, 1, 0]);
  });

  it('a huge leaf is a PMD entry with PSE set: P|RW|US|A|D|PSE = 0xe7, NX, the 2 MiB frame', () => {
    const p = new Play(`kernel mainline
spawn A
A: mmap 1T 1G rw shared anon hugetlb fixed
A: write 1T+2M+0x123 "h"
A: translate 1T+2M+0x123
`);
    p.run(3);
    const t = p.next();
    expect(t.walk?.levels.map((l) => l.level)).toEqual(['pgd', 'pud', 'pmd']);
    const leaf = t.walk?.levels[2]?.entry as string;
    expect(leaf.slice(-3)).toBe('0e7');
    expect(leaf.slice(0, 3)).toBe('0x8');
    const pfn = t.walk?.pfn as number;
    // The frame is 2 MiB aligned; the 4 KiB frame of the address is 0 pages into it (offset 0x123 < 4K).
    expect(pfn % 512).toBe(0);
    expect(t.outcome).toEqual({ kind: 'ok', value: '0x' + (pfn * 4096 + 0x123).toString(16) });
  });

  it('private hugetlb is refused with EINVAL (not modelled)', () => {
    const p = new Play(`kernel mainline
spawn A
A: mmap 1T 1G rw private anon hugetlb fixed
`);
    p.run(1);
    const s = p.next();
    expect(s.outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect((s.outcome as { why: string }).why).toContain('private hugetlb');
  });

  it('a hugetlb mapping must be 2 MiB aligned, and splits only at 2 MiB boundaries', () => {
    const p = new Play(`kernel mainline
spawn A
A: mmap 1T+4K 2M rw shared anon hugetlb fixed
A: mmap 1T 4M rw shared anon hugetlb fixed
A: munmap 1T+4K 4K
A: munmap 1T 2M
`);
    p.run(1);
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(p.next().outcome).toEqual({ kind: 'ok', value: '0x10000000000' });
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(p.next().outcome).toEqual({ kind: 'ok' });
  });
});

describe('huge_pmd_share(): a forked child shares the PMD page and is charged for it', () => {
  it("the child takes one fault, links the PUD entry to the parent's PMD page, and pays 8 KiB too", () => {
    const p = new Play(SHARED_GIB);
    p.run(3);
    const fork = p.next();
    // vma_needs_copy(): no anon_vma on a shared mapping, so fork copies nothing.
    expect(fork.events.find((e) => e.fn === 'copy_page_range')?.detail).toMatch(/^2 of 5 VMAs/); // [vvar] and [vvar_vclock] (VM_PFNMAP), untouched: nothing to copy
    expect(fork.pgtables_bytes).toEqual({ A: 8192, B: 0 });
    const usedBefore = p.k.m.frames.used;
    const t = p.next();
    // The first fault allocates B's PUD page, then finds A's PMD page: huge_pmd_share(). All 512 entries are there.
    expect(counts(t)).toEqual({ handle_mm_fault: 1, hugetlb_fault: 1, pud_alloc: 1, huge_pmd_share: 1 });
    expect(fns(t)).not.toContain('pmd_alloc');
    expect(fns(t)).not.toContain('hugetlb_no_page');
    // One new physical page (B's PUD); no PMD page, no data page.
    expect(p.k.m.frames.used).toBe(usedBefore + 1);
    // mm_inc_nr_pmds(B): charged for the shared PMD page.
    expect(t.pgtables_bytes).toEqual({ A: 8192, B: 8192 });
    const report = Runner.report(p.r, p.steps);
    // …yet only one PMD page exists (totals count physical pages once).
    expect(report.totals.table_pages).toEqual({ pgd: 2, p4d: 0, pud: 2, pmd: 1, pte: 0 });
    expect(report.totals.pgtables_bytes).toBe(16384);
  });

  it('both walks end at the same PFN through the same PMD entry', () => {
    const p = new Play(`${SHARED_GIB}A: write 1T+6M "huge"
B: read 1T+6M 4
A: translate 1T+6M
B: translate 1T+6M
`);
    p.run(6);
    expect(p.next().outcome).toEqual({ kind: 'ok', value: hex('huge') });
    const a = p.next();
    const b = p.next();
    expect(a.walk?.levels[0]?.entry).not.toBe(b.walk?.levels[0]?.entry); // own PGD entries → own PUD pages
    expect(a.walk?.levels[1]?.entry).toBe(b.walk?.levels[1]?.entry); // the same PMD page
    expect(a.walk?.levels[2]?.entry).toBe(b.walk?.levels[2]?.entry);
    expect(b.walk?.pfn).toBe(a.walk?.pfn);
  });

  it('no sharing when the aligned 1 GiB is not wholly inside the VMA (want_pmd_share())', () => {
    const p = new Play(`kernel mainline
spawn A
A: mmap 1T+2M 1G rw shared anon hugetlb fixed
A: touch 1T+2M 4M write
A: fork B
B: touch 1T+2M 4M read
`);
    const t = p.run();
    expect(fns(t)).not.toContain('huge_pmd_share');
    expect(counts(t).pmd_alloc).toBe(1);
    expect(Runner.report(p.r, p.steps).totals.table_pages.pmd).toBe(2);
  });

  it('a sharer that exits drops only its link and its charge; the other keeps the PMD page', () => {
    const p = new Play(`${SHARED_GIB}B: exit
A: read 1T 1
`);
    p.run(5);
    const used = p.k.m.frames.used;
    const e = p.next();
    expect(fns(e)).toContain('huge_pmd_unshare');
    expect(fns(e)).not.toContain('pmd_free_tlb');
    // B's PUD and PGD pages go; the PMD page and the 512 huge pages stay with A.
    expect(p.k.m.frames.used).toBe(used - 2);
    expect(e.pgtables_bytes).toEqual({ A: 8192 });
    expect(fns(p.next())).toEqual([]);
  });

  it('the last mm to let go of a shared PMD page frees it', () => {
    const p = new Play(`${SHARED_GIB}A: exit
B: exit
`);
    p.run(5);
    const a = p.next();
    expect(fns(a)).toContain('huge_pmd_unshare');
    expect(a.pgtables_bytes).toEqual({ B: 8192 });
    const b = p.next();
    expect(fns(b)).toContain('pmd_free_tlb');
    expect(p.k.m.frames.used).toBe(0);
  });
});

describe('huge_pmd_unshare() on a partial munmap', () => {
  it('the scenario hugetlb-pmd-sharing.ptx: unmapping 2 MiB unshares the whole 1 GiB for that mm only', () => {
    const p = new Play(readFileSync(new URL('../../scenarios/hugetlb-pmd-sharing.ptx', import.meta.url), 'utf8'));
    p.run(9);
    const m = p.next();
    expect(m.outcome).toEqual({ kind: 'ok' });
    expect(fns(m)).toEqual(['do_vmi_munmap', 'huge_pmd_unshare', 'unmap_vmas', 'free_pgd_range']);
    // B: its PUD page only (the PMD charge dropped); A keeps 8 KiB.
    expect(m.pgtables_bytes).toEqual({ A: 8192, B: 4096 });
    expect(
      p
        .mm('B')
        .vmas.filter((v) => !v.name)
        .map((v) => [v.start, v.end]),
    ).toEqual([[2 ** 28 + 512, 2 ** 28 + 2 ** 18]]);
    // B's next access: the 1 GiB is no longer wholly in B's VMA, so B gets a PMD page of its own.
    const r = p.next();
    expect(fns(r)).toEqual(['handle_mm_fault', 'hugetlb_fault', 'pmd_alloc', 'hugetlb_no_page']);
    expect(r.pgtables_bytes).toEqual({ A: 8192, B: 8192 });
    // The same huge page (page cache), through a different PMD page.
    expect(r.walk?.pfn).toBe(p.steps[7]?.walk?.pfn);
    expect(r.walk?.levels[1]?.entry).not.toBe(p.steps[7]?.walk?.levels[1]?.entry);
    expect(Runner.report(p.r, p.steps).totals.table_pages).toEqual({ pgd: 2, p4d: 0, pud: 2, pmd: 2, pte: 0 });
    expect(p.steps.every((s) => s.note !== undefined && s.note.length > 0)).toBe(true);
  });

  it('a partial munmap by the parent leaves the child the shared PMD page and its mappings', () => {
    const p = new Play(`${SHARED_GIB}A: munmap 1T+1020M 4M
B: translate 1T+1022M
A: translate 1T+1022M
`);
    p.run(5);
    const m = p.next();
    expect(fns(m)).toContain('huge_pmd_unshare');
    expect(m.pgtables_bytes).toEqual({ A: 4096, B: 8192 });
    expect(p.next().walk?.pfn).not.toBeNull();
    expect(p.next().walk?.pfn).toBeNull();
  });
});
