/**
 * Entry values as 6.18 writes them, seen through translate (the walk's fast
 * hex path must agree with entryValue()): SavedDirty after a write-protect,
 * an inverted PFN under PROT_NONE (flip_protnone_guard(), L1TF).
 * Setup: `mmap 1T 1G rw private`, `write 1T` → PTE 0x8000000001004067.
 */
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../scenario/run';

const leaf = (text: string): string | null | undefined =>
  runScenarioText(text).steps.at(-1)?.walk?.levels.at(-1)?.entry;
const base = 'spawn A\nA: mmap 1T 1G rw private anon fixed\nA: write 1T "x"\n';

describe('entry values', () => {
  it('a write fault: P|RW|US|A|D|NX', () => {
    expect(leaf(base + 'A: translate 1T')).toBe('0x8000000001004067');
  });
  it('fork write-protects both sides: Dirty moves to SavedDirty (bit 58); the child is old too', () => {
    expect(leaf(base + 'A: fork B\nA: translate 1T')).toBe('0x8400000001004025');
    expect(leaf(base + 'A: fork B\nB: translate 1T')).toBe('0x8400000001004005');
  });
  it('mprotect r of a dirty page: pte_modify() from a writable entry also saves Dirty', () => {
    expect(leaf(base + 'A: mprotect 1T 4K r\nA: translate 1T')).toBe('0x8400000001004025');
  });
  it('PROT_NONE: PAGE_NONE bits (A, PROTNONE=G) and the PFN inverted in bits 12-51', () => {
    // ~0x1004 in 40 bits = 0xffffffeffb; flags 0x120; SavedDirty from the old RW entry.
    expect(leaf(base + 'A: mprotect 1T 4K none\nA: translate 1T')).toBe('0x040ffffffeffb120');
  });
});
