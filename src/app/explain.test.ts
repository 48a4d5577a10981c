import { describe, expect, it } from 'vitest';
import { patchQuote, srcQuote } from './explain';

describe('patch quotes in the trace', () => {
  it("shows the core's own quote, one code line per line, gaps marked", () => {
    const q = patchQuote(
      'msharefs',
      'mmap_read_unlock',
      'mm/mshare.c, msharefs v3 13/22: mmap_read_unlock(host_mm);\nreturn VM_FAULT_NOPAGE;',
    );
    expect(q).toEqual({
      source: 'mm/mshare.c, msharefs v3 13/22 — [PATCH v3 13/22]',
      lines: ['mmap_read_unlock(host_mm);', 'return VM_FAULT_NOPAGE;'],
    });
    expect(srcQuote('mm/mshare.c, mshare v1 08/14: set_pgd(guest_pgd, *pgd);')?.source).toBe(
      'mm/mshare.c, mshare v1 08/14 — [PATCH v1 08/14] mm/mshare: Add basic page table sharing using mshare',
    );
    expect(srcQuote('mm/hugetlb.c, huge_pmd_share(): mm_inc_nr_pmds(mm);')?.source).toBe(
      'mm/hugetlb.c, huge_pmd_share()',
    );
    expect(srcQuote('mm/mshare.c, mshare v1 08/14: a;\n…\nb;')?.lines).toEqual(['a;', '…', 'b;']);
  });
  it('looks nothing up by function name: no src, no quote (an ordinary fault, a create, a failed call)', () => {
    expect(patchQuote('mshare-v1', 'handle_mm_fault')).toBeUndefined();
    expect(patchQuote('mshare-v1', 'mshare')).toBeUndefined();
    expect(patchQuote('mshare-v1', 'set_pgd')).toBeUndefined();
    expect(srcQuote(undefined)).toBeUndefined();
  });
});
