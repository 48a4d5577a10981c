import { describe, expect, it } from 'vitest';
import { describeChange } from './describe-changes';

// Expected strings written by hand from the issue's own example (issue 12:
// "B PGD[2]: none → 0x0000000001003067 (set_pgd)").
describe('describeChange', () => {
  it('reads a guest PGD entry copied by set_pgd as the issue words it', () => {
    expect(
      describeChange({
        kind: 'entry-set',
        event: 2,
        fn: 'set_pgd',
        mm: 'B',
        level: 'pgd',
        table: 7,
        index: 2,
        old: null,
        new: '0000000001003067',
      }),
    ).toBe('B PGD[2]: none → 0x0000000001003067 (set_pgd)');
  });
  it("names the flags fork flips in the parent's PTE", () => {
    expect(
      describeChange({
        kind: 'entry-set',
        event: 5,
        fn: 'copy_present_pte',
        mm: 'A',
        level: 'pte',
        table: 9,
        index: 1,
        old: '8000000000123867',
        new: '8000000000123865',
        flags: [{ name: 'RW', from: 1, to: 0 }],
      }),
    ).toBe('A PTE[1]: 0x8000000000123867 → 0x8000000000123865 [RW 1→0] (copy_present_pte)');
  });
  it('says a freed table and a VmPTE change exactly', () => {
    expect(describeChange({ kind: 'table-free', event: 0, fn: 'free_pgd_range', mm: 'A', level: 'pmd', pfn: 42 })).toBe(
      'A: PMD page PFN 0x2a freed (free_pgd_range)',
    );
    expect(describeChange({ kind: 'pgtables', event: 3, fn: 'pte_alloc', mm: 'A', from: 8192, to: 12288 })).toBe(
      'A VmPTE: 8 KiB → 12 KiB (pte_alloc)',
    );
  });
});
