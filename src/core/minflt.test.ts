/**
 * Minor faults (mm.minFlt, the report's `min_flt`): what mm_account_fault()
 * in mm/memory.c counts into current->min_flt. One per handle_mm_fault()
 * that returns without VM_FAULT_ERROR ("if (ret & VM_FAULT_ERROR) return;")
 * and without VM_FAULT_RETRY ("Incomplete faults will be accounted upon
 * completion."); VM_FAULT_NOPAGE is neither, so it counts.
 *
 * The mainline figures were measured on Linux 6.18 with test/linux/vmpte.c
 * (ru_minflt from getrusage(RUSAGE_SELF) around each operation, in the task):
 * a 4 MiB private read 1,024, the write after it 1,024 more, a forked child's
 * 64 KiB write 16, a 1 MiB shmem write 256, then after MADV_DONTNEED of the
 * 2 MiB a 2 MiB read 272 (16 for the cached first MiB, fault-around, and 256
 * for the rest), and a forked child's read of those 2 MiB 32.
 */
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../scenario/run';

/** min_flt of each live task at the end of the scenario. */
function flt(text: string): Record<string, number | undefined> {
  return Object.fromEntries(runScenarioText(text).tasks.map((t) => [t.name, t.min_flt]));
}

describe('minor faults (mm_account_fault)', () => {
  it('private anonymous: a read per page maps the zero page, a write per page replaces it (measured: 1,024 + 1,024)', () => {
    const base = 'spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T 4M read\n';
    expect(flt(base)).toEqual({ A: 1024 });
    expect(flt(base + 'A: touch 1T 4M write\n')).toEqual({ A: 2048 });
    // Present and writable: no fault at all.
    expect(flt(base + 'A: touch 1T 4M write\nA: touch 1T 4M write\n')).toEqual({ A: 2048 });
  });

  it('fork: the child starts at 0 (copy_mm()) and its COW writes count one per page (measured: 16)', () => {
    expect(
      flt('spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T 4M write\nA: fork B\nB: touch 1T 64K write\n'),
    ).toEqual({ A: 1024, B: 16 });
  });

  it('shmem: one fault per written page; a read maps the 16 cached pages of its window with one fault (measured: 256, 272, 32)', () => {
    const base = 'spawn A\nA: mmap 2T 2M rw shared anon fixed\nA: touch 2T 1M write\n';
    expect(flt(base)).toEqual({ A: 256 });
    const after = base + 'A: madvise 2T 2M MADV_DONTNEED\nA: touch 2T 2M read\n';
    expect(flt(after)).toEqual({ A: 256 + 16 + 256 });
    expect(flt(after + 'A: fork C\nC: touch 2T 2M read\n')).toEqual({ A: 528, C: 32 });
  });

  it('a read of a shmem range partly in the page cache counts one fault per page not cached (found by the differential test)', () => {
    // B reads 5 MiB from 2 MiB below a PUD boundary; only page 0 is cached (A read it): each
    // page is its own fault, fault-around finding nothing else (Linux: 1,280). The block
    // path used to fill the page cache before finding it was not one extent, and the
    // page-by-page faults then mapped 16 pages at a time: 800.
    const text =
      'spawn A\nA: mmap 1T+0x7fffe00000 6M rw shared anon fixed\nA: fork B\nA: touch 1T+0x7fffe00000 4K read\nB: touch 1T+0x7fffe00000 5M read\n';
    expect(flt(text)).toEqual({ A: 1, B: 1280 });
  });

  it('a write to a block of write-protected pages that take different do_wp_page() branches: one fault per page (Linux: 512)', () => {
    // After the munmap, 511 of B's pages are mapped only in B (wp_page_reuse) and one is still A's too
    // (wp_page_copy): the block goes page by page, and used to count the block's faults as well (1,024).
    const text =
      'spawn A\nA: mmap 1T 2M rw private anon fixed\nA: touch 1T 2M write\nA: fork B\nA: munmap 1T 2044K\nB: touch 1T 2M write\n';
    expect(flt(text)).toEqual({ A: 512, B: 512 });
  });

  it('fault-around windows at VMA edges: from the VMA start, and clipped at its end (measured: 3 and 2 faults)', () => {
    // do_fault_around(): from_pte = max(ALIGN_DOWN(pte_off, 16), pte_off - min(pte_off, vma_off)),
    // to_pte = min3(from_pte + 16, PTRS_PER_PTE, pte_off + vma_pages - vma_off) - 1.
    // The VMA is pages 8..39 of its PTE page. B reads pages 8..32: page 8 maps 8..23 (the window
    // starts at the VMA, not at 0), page 24 maps 16..31 (its new pages 24..31), page 32 maps 32..39.
    const base = 'spawn A\nA: mmap 1T+32K 128K rw shared anon fixed\nA: touch 1T+32K 128K write\n';
    expect(flt(base + 'A: fork B\nB: touch 1T+32K 100K read\n')).toEqual({ A: 32, B: 3 });
    // After MADV_DONTNEED, a read of pages 28..35: page 28 maps 16..31, page 32 maps 32..39 (the VMA's end).
    const r = runScenarioText(base + 'A: madvise 1T+32K 128K MADV_DONTNEED\nA: touch 1T+112K 32K read\n');
    expect(r.tasks.map((t) => [t.min_flt, t.rss_pages])).toEqual([[34, 24]]);
  });

  it('faults that fail are not counted: access_error() (SIGSEGV before handle_mm_fault) and no VMA', () => {
    const r = runScenarioText(
      'spawn A\nA: mmap 1T 8K r private anon fixed\nA: read 1T\nA: fork B\nB: write 1T "x"\nA: read 3T\n',
    );
    expect(r.tasks.map((t) => [t.name, t.state, t.min_flt])).toEqual([
      ['A', 'killed', undefined],
      ['B', 'killed', undefined],
    ]);
    // Before the SIGSEGVs: one zero-page read in A.
    expect(flt('spawn A\nA: mmap 1T 8K r private anon fixed\nA: read 1T\n')).toEqual({ A: 1 });
  });

  it("mshare v1: VM_FAULT_NOPAGE counts: a guest's first access to an empty region takes two faults", () => {
    const text =
      'kernel mshare-v1\nspawn A\nspawn B\nA: mmap 1T 512G rw shared anon fixed\nA: mshare "r" 1T 512G O_CREAT|O_RDWR 0600\n' +
      'B: mshare "r" 1T 512G O_RDWR\nB: write 1T "x"\nB: write 1T+0x1000 "x"\n';
    // B: write 1T: both PGD entries none, so the fault runs in the host (1), then set_pgd and
    // VM_FAULT_NOPAGE (2), and the re-executed write finds the page; 1T+4K: one fault in the host (3).
    expect(flt(text).B).toBe(3);
  });
});
