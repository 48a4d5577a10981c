/**
 * A zap marks the folio dirty when the PTE is dirty by pte_dirty(), which on
 * x86 since 6.6 tests _PAGE_DIRTY_BITS = _PAGE_DIRTY | _PAGE_SAVED_DIRTY
 * (arch/x86/include/asm/pgtable.h): a PTE made read-only after a write keeps
 * its dirtiness in SavedDirty (bit 58), and zap_present_folio_ptes() still
 * calls folio_mark_dirty(). A later read fault then maps the page dirty
 * (set_pte_range()). Found by the differential test (entry values); the
 * sequence below, run on Linux 6.18 with test/linux/vmpte.c reading the PTE,
 * gives 0x…027 after the first read, 0x…067 after the write, 0x84…025 after
 * mprotect r, none after MADV_DONTNEED, and 0x…067 after the last read.
 */
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../scenario/run';

/** The last step's leaf entry without its PFN (bits 12-51). */
const leaf = (text: string): string => {
  const e = runScenarioText(text).steps.at(-1)?.walk?.levels.at(-1)?.entry;
  return '0x' + (BigInt(e ?? 0) & ~0x000ffffffffff000n).toString(16);
};

describe('zap and SavedDirty', () => {
  const base = 'spawn A\nA: mmap 1T 8K rw shared anon fixed\nA: read 1T\nA: write 1T "x"\nA: mprotect 1T 4K r\n';
  it('mprotect r moves Dirty to SavedDirty', () => {
    expect(leaf(base + 'A: translate 1T')).toBe('0x8400000000000025');
  });
  it('a zap of a SavedDirty PTE marks the shmem folio dirty: the next read fault maps it dirty', () => {
    expect(leaf(base + 'A: madvise 1T 4K MADV_DONTNEED\nA: mprotect 1T 4K rw\nA: read 1T\nA: translate 1T')).toBe(
      '0x8000000000000067',
    );
  });
  it('so does munmap, seen by another mapping of the same memory after fork', () => {
    const text =
      'spawn A\nA: mmap 1T 8K rw shared anon fixed\nA: read 1T\nA: fork B\nA: write 1T "x"\nA: mprotect 1T 4K r\nA: munmap 1T 8K\nB: read 1T+0x1000\nB: translate 1T';
    // B's read of page 1 maps page 0 by fault-around, dirty: A's zap marked its folio.
    expect(leaf(text)).toBe('0x8000000000000067');
  });
});
