/**
 * The fault paths (fault.ts), each with the kernel functions it runs through
 * in order (arch/x86/mm/fault.c do_user_addr_fault(), mm/memory.c
 * handle_mm_fault() → __handle_mm_fault() → handle_pte_fault() →
 * do_anonymous_page() / do_read_fault() / do_shared_fault() / do_wp_page()).
 *
 * PFNs are predictable: a fresh machine hands out 0x1000 (the PGD of the
 * first task), then 0x1001, 0x1002, … in allocation order.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import { ZERO_PFN } from './frames';
import { PROT_EXEC, PROT_NONE, PROT_READ } from './uapi';
import { walk } from './walk';
import { T, G, M, RW, PRIV, SHARED, mmOf } from './test-kit';

const fns = (k: Kernel): string[] => k.takeEvents().map((e) => e.fn);
const leafEntry = (k: Kernel, n: string, a: bigint): string | null | undefined => {
  const w = walk(k.m, mmOf(k, n), Number(a >> 12n));
  return w.levels.length === k.m.top + 1 ? w.levels[w.levels.length - 1]?.entry : null;
};
const one = new Uint8Array([1]);

function setup(prot = RW, flags = PRIV, len = G, paging: 4 | 5 = 4, memory?: bigint): Kernel {
  const k = new Kernel(memory === undefined ? { paging } : { paging, memory });
  k.spawn('A');
  k.mmap('A', { addr: T, len, prot, flags });
  k.takeEvents();
  return k;
}

describe('anonymous faults (do_anonymous_page)', () => {
  it('a first write allocates PUD, PMD, PTE pages and a data page, in Linux order', () => {
    const k = setup();
    expect(k.write('A', T, one).outcome).toEqual({ kind: 'ok' });
    // __handle_mm_fault allocates the PUD and PMD (p4d folded with 4 levels); the PTE page
    // comes from pte_alloc() inside do_anonymous_page(), then vmf_anon_prepare(), then the folio.
    expect(fns(k)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_anonymous_page',
      'pte_alloc',
      'anon_vma_prepare',
      'alloc_anon_folio',
    ]);
    // 1 PUD + 1 PMD + 1 PTE page = 3 × 4096 = 12,288 bytes; the PGD is not counted.
    expect(mmOf(k, 'A').pgtablesBytes).toBe(12288);
    expect(mmOf(k, 'A').rssAnon).toBe(1);
    expect(mmOf(k, 'A').vmas[0]?.anonVma).toBeGreaterThan(0);
    // PAGE_COPY (P|US|A|NX) + RW + D = 0x8000000000000067, data page pfn 0x1004.
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004067');
    expect(k.invariants()).toEqual([]);
  });

  it('a read maps the zero page: PAGE_COPY|SPECIAL = 0x8000000000000225, no rss, no anon_vma', () => {
    const k = setup();
    expect(k.read('A', T, 2).outcome).toEqual({ kind: 'ok', value: '0000' });
    expect(fns(k)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_anonymous_page',
      'pte_alloc',
    ]);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000000a3c225');
    expect(mmOf(k, 'A').rssAnon).toBe(0);
    expect(mmOf(k, 'A').vmas[0]?.anonVma).toBe(0);
    expect(mmOf(k, 'A').pgtablesBytes).toBe(12288);
  });

  it('a second fault in the same PTE page allocates no table', () => {
    const k = setup();
    k.write('A', T, one);
    k.takeEvents();
    k.write('A', T + 0x5000n, one);
    expect(fns(k)).toEqual(['handle_mm_fault', '__handle_mm_fault', 'do_anonymous_page', 'alloc_anon_folio']);
    // A fault 2 MiB further needs a new PTE page only; 1 GiB further a PMD page too.
    k.write('A', T + 2n * M, one);
    expect(fns(k)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'do_anonymous_page',
      'pte_alloc',
      'alloc_anon_folio',
    ]);
    expect(mmOf(k, 'A').pgtablesBytes).toBe(4 * 4096);
  });

  it('a write to the zero page goes do_wp_page → wp_page_copy and gets a fresh page', () => {
    const k = setup();
    k.read('A', T, 1);
    k.takeEvents();
    const used = k.m.frames.used;
    k.write('A', T, one);
    // anon_vma_prepare() runs inside wp_page_copy() (vmf_anon_prepare()); only the outer order is asserted.
    const ev = fns(k);
    expect(ev.filter((f) => f !== 'anon_vma_prepare')).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'do_wp_page',
      'wp_page_copy',
    ]);
    expect(ev).toContain('anon_vma_prepare');
    expect(k.m.frames.used).toBe(used + 1);
    // The new page: PAGE_COPY + RW + D, pfn 0x1004 (after PGD, PUD, PMD, PTE).
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004067');
    expect(mmOf(k, 'A').rssAnon).toBe(1);
    expect(k.invariants()).toEqual([]);
  });

  it('reads back what was written, across a page boundary', () => {
    const k = setup();
    k.write('A', T + 4094n, new TextEncoder().encode('hey'));
    expect(k.read('A', T + 4094n, 3).outcome).toEqual({ kind: 'ok', value: '686579' });
    expect(mmOf(k, 'A').rssAnon).toBe(2);
  });

  it('the MMU sets Accessed and Dirty itself when the entry allows the access (no fault)', () => {
    const k = setup(RW, SHARED, 4096n);
    k.read('A', T, 1); // shared read fault: PAGE_SHARED = P|RW|US|A|NX, clean
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004027');
    k.takeEvents();
    k.write('A', T, one); // RW already set: no fault, the CPU sets D
    expect(fns(k)).toEqual([]);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004067');
  });
});

describe('copy-on-write after fork (do_wp_page)', () => {
  it('the parent copies (wp_page_copy), then the child reuses (wp_page_reuse)', () => {
    const k = setup();
    k.write('A', T, one); // data 0x1004
    k.fork('A', 'B');
    k.takeEvents();
    // Both PTEs are write-protected and point at 0x1004 (map count 2).
    expect(k.m.frames.mapcount.get(0x1004)).toBe(2);
    k.write('A', T, new Uint8Array([2]));
    expect(fns(k)).toEqual(['handle_mm_fault', '__handle_mm_fault', 'do_wp_page', 'wp_page_copy']);
    const aPfn = walk(k.m, mmOf(k, 'A'), Number(T >> 12n)).leaf?.pfn as number;
    expect(aPfn).not.toBe(0x1004);
    expect(k.m.frames.mapcount.get(0x1004)).toBe(1);
    k.write('B', T, new Uint8Array([3]));
    expect(fns(k)).toEqual(['handle_mm_fault', '__handle_mm_fault', 'do_wp_page', 'wp_page_reuse']);
    expect(walk(k.m, mmOf(k, 'B'), Number(T >> 12n)).leaf?.pfn).toBe(0x1004);
    // Each sees its own byte; the original byte 1 is gone from both.
    expect(k.read('A', T, 1).outcome).toEqual({ kind: 'ok', value: '02' });
    expect(k.read('B', T, 1).outcome).toEqual({ kind: 'ok', value: '03' });
    expect(k.invariants()).toEqual([]);
  });

  it('a COW copy carries the old contents', () => {
    const k = setup();
    k.write('A', T + 100n, new TextEncoder().encode('abc'));
    k.fork('A', 'B');
    k.write('B', T, one);
    expect(k.read('B', T + 100n, 3).outcome).toEqual({ kind: 'ok', value: '616263' });
  });
});

describe('shared anonymous (shmem) faults', () => {
  it('a write goes do_shared_fault → shmem_fault → finish_fault; the PTE is PAGE_SHARED + D', () => {
    const k = setup(RW, SHARED);
    k.write('A', T, one);
    expect(fns(k)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_shared_fault',
      'pte_alloc',
      'shmem_fault',
      'finish_fault',
    ]);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004067');
    expect(mmOf(k, 'A').rssShmem).toBe(1);
    expect(mmOf(k, 'A').vmas[0]?.anonVma).toBe(0); // shared mappings never get an anon_vma
  });

  it('a read allocates the page in the page cache (do_read_fault), mapped clean and writable', () => {
    const k = setup(RW, SHARED);
    k.read('A', T, 1);
    expect(fns(k)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_read_fault',
      'pte_alloc',
      'shmem_fault',
      'finish_fault',
    ]);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004027');
  });

  it('fault-around maps up to 16 cached neighbours (64 KiB) in the aligned window', () => {
    // Measured on this kernel (Linux 6.18): a child reading page 5 of a shared mapping
    // whose pages 0..19 are cached gains 64 KiB RssShmem, then +16 KiB reading page 17,
    // then +4 KiB reading the uncached page 40.
    const k = setup(RW, SHARED, 64n * 4096n);
    for (let i = 0n; i < 20n; i++) k.write('A', T + i * 4096n, one);
    k.fork('A', 'B');
    k.takeEvents();
    k.read('B', T + 5n * 4096n, 1);
    const ev = k.takeEvents();
    expect(ev.map((e) => e.fn)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_read_fault',
      'pte_alloc',
      'filemap_map_pages',
    ]);
    expect(ev[6]?.detail).toContain('16 pages');
    expect(mmOf(k, 'B').rssShmem).toBe(16);
    // Page 17: window [16, 32), cached 16..19 -> 4 more.
    k.read('B', T + 17n * 4096n, 1);
    expect(mmOf(k, 'B').rssShmem).toBe(20);
    // Page 40: window [32, 48) holds nothing cached: shmem_fault allocates page 40 alone.
    k.takeEvents();
    k.read('B', T + 40n * 4096n, 1);
    expect(fns(k)).toEqual(['handle_mm_fault', '__handle_mm_fault', 'do_read_fault', 'shmem_fault', 'finish_fault']);
    expect(mmOf(k, 'B').rssShmem).toBe(21);
    // The child sees the parent's pages: same frames.
    expect(walk(k.m, mmOf(k, 'B'), Number(T >> 12n)).leaf?.pfn).toBe(
      walk(k.m, mmOf(k, 'A'), Number(T >> 12n)).leaf?.pfn,
    );
    expect(k.invariants()).toEqual([]);
  });

  it('fault-around is clamped to the VMA start and to the PTE page', () => {
    // VMA starts 3 pages into a 16-page window: do_fault_around()'s from_pte =
    // max(ALIGN_DOWN(pte_off, 16), pte_off - vma_off) = 3, to_pte = 3 + 16 = 19 (exclusive).
    const base = T + 3n * 4096n;
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: base, len: 40n * 4096n, prot: RW, flags: SHARED });
    for (let i = 0n; i < 40n; i++) k.write('A', base + i * 4096n, one);
    k.fork('A', 'B');
    k.read('B', base + 5n * 4096n, 1); // pte_off 8
    expect(mmOf(k, 'B').rssShmem).toBe(16); // VMA pages 0..15
    const m = mmOf(k, 'B');
    expect(walk(k.m, m, Number(base >> 12n)).fault).toBeUndefined();
    expect(walk(k.m, m, Number((base + 15n * 4096n) >> 12n)).fault).toBeUndefined();
    expect(walk(k.m, m, Number((base + 16n * 4096n) >> 12n)).fault).toBe('not-present');
  });

  it('fault-around does not cross into the next PTE page', () => {
    // Pages 500..530 cached around the 2 MiB boundary at page 512; a read of page 510:
    // window [496, 512) → only 500..511 are cached there: 12 pages.
    const k = setup(RW, SHARED, 4n * M);
    for (let i = 500n; i < 531n; i++) k.write('A', T + i * 4096n, one);
    k.fork('A', 'B');
    k.read('B', T + 510n * 4096n, 1);
    expect(mmOf(k, 'B').rssShmem).toBe(12);
    expect(mmOf(k, 'B').pgtablesBytes).toBe(3 * 4096);
  });
});

describe('bad accesses (SIGSEGV) and the general-protection fault', () => {
  it('no VMA: bad_area, SIGSEGV, and the task is torn down', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.takeEvents();
    const r = k.read('A', T, 1);
    expect(r.outcome).toEqual({ kind: 'signal', signal: 'SIGSEGV', cause: 'no mapping at 0x10000000000' });
    const ev = fns(k);
    expect(ev.slice(0, 3)).toEqual(['bad_area', 'force_sig', 'exit_mmap']);
    expect(k.tasks.get('A')?.state).toBe('killed');
    expect(k.m.frames.used).toBe(0);
    // A later step of the dead task is skipped.
    expect(k.read('A', T, 1).outcome.kind).toBe('skipped');
  });

  it('PROT_NONE: bad_area_access_error before any table is allocated', () => {
    const k = setup(PROT_NONE);
    const r = k.read('A', T, 1);
    expect(r.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    expect(fns(k)[0]).toBe('bad_area_access_error');
  });

  it('a write to a read-only mapping is SIGSEGV (access_error: no VM_WRITE)', () => {
    const k = setup(PROT_READ);
    expect(k.read('A', T, 1).outcome.kind).toBe('ok');
    k.takeEvents();
    const r = k.write('A', T, one);
    expect(r.outcome).toMatchObject({
      kind: 'signal',
      signal: 'SIGSEGV',
      cause: 'write access to 0x10000000000 not permitted',
    });
    expect(fns(k)[0]).toBe('bad_area_access_error');
  });

  it('an exec of an NX page: the not-present fault maps the zero page, the retry is refused', () => {
    // access_error() lets an instruction fetch of a not-present page through for an
    // accessible VMA; the retried fetch hits a present NX page: "read, present" -> error.
    const k = setup();
    const r = k.exec('A', T);
    expect(r.outcome).toMatchObject({
      kind: 'signal',
      signal: 'SIGSEGV',
      cause: 'exec access to 0x10000000000 not permitted',
    });
    expect(fns(k).slice(0, 7)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_anonymous_page',
      'pte_alloc',
      'bad_area_access_error',
    ]);
  });

  it('a non-canonical address is a #GP (exc_general_protection), not a page fault', () => {
    const k = setup();
    const r = k.read('A', 0x0000800000000000n, 1);
    expect(r.outcome.kind).toBe('signal');
    if (r.outcome.kind !== 'signal') return;
    expect(r.outcome.signal).toBe('SIGSEGV');
    expect(r.outcome.cause).toContain('general-protection');
    const ev = fns(k);
    expect(ev[0]).toBe('exc_general_protection');
    expect(ev).not.toContain('handle_mm_fault');
    expect(ev).not.toContain('bad_area');
  });

  it('a kernel-half address is a page fault on a supervisor address (bad_area_nosemaphore)', () => {
    const k = setup();
    const r = k.read('A', 0xffff800000000000n, 1);
    expect(r.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    const ev = fns(k);
    expect(ev[0]).toBe('bad_area_nosemaphore');
    expect(ev).not.toContain('exc_general_protection');
  });

  it('with LA57 the same 0x800000000000 is canonical: a plain no-VMA page fault', () => {
    const k = setup(RW, PRIV, G, 5);
    const r = k.read('A', 0x0000800000000000n, 1);
    expect(r.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV', cause: 'no mapping at 0x800000000000' });
    expect(fns(k)[0]).toBe('bad_area');
  });

  it('with LA57, 2^56 (64 PiB) is the first non-canonical address', () => {
    const k = setup(RW, PRIV, G, 5);
    const r = k.read('A', 1n << 56n, 1);
    expect(r.outcome.kind === 'signal' && r.outcome.cause).toContain('general-protection');
  });
});

describe('five-level paging faults', () => {
  it('allocates a P4D page first, which VmPTE does not count', () => {
    const k = setup(RW, PRIV, G, 5);
    k.write('A', T, one);
    expect(fns(k)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'p4d_alloc',
      'pud_alloc',
      'pmd_alloc',
      'do_anonymous_page',
      'pte_alloc',
      'anon_vma_prepare',
      'alloc_anon_folio',
    ]);
    // __p4d_alloc() charges nothing (no mm_inc_nr_p4ds in Linux): still PUD+PMD+PTE = 12 KiB.
    expect(mmOf(k, 'A').pgtablesBytes).toBe(12288);
    expect(mmOf(k, 'A').tables[3]).toBe(1);
  });
});

describe('out of memory (the `memory` limit)', () => {
  it('a data page that cannot be allocated kills the task with SIGKILL', () => {
    // 4 frames: the PGD, PUD, PMD and PTE pages fit, the data page does not.
    const k = setup(RW, PRIV, G, 4, 4n * 4096n);
    const r = k.write('A', T, one);
    expect(r.outcome).toEqual({ kind: 'signal', signal: 'SIGKILL', cause: 'out of memory at 0x10000000000' });
    const ev = fns(k);
    expect(ev).toContain('pagefault_out_of_memory');
    expect(ev.indexOf('pagefault_out_of_memory')).toBeLessThan(ev.indexOf('force_sig'));
    expect(k.tasks.get('A')?.state).toBe('killed');
    expect(k.m.frames.used).toBe(0);
  });

  it('a table page that cannot be allocated is also VM_FAULT_OOM', () => {
    const k = setup(RW, PRIV, G, 4, 2n * 4096n); // PGD + PUD only
    const r = k.read('A', T, 1);
    expect(r.outcome).toMatchObject({ kind: 'signal', signal: 'SIGKILL' });
    expect(fns(k).slice(0, 4)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pagefault_out_of_memory',
    ]);
  });

  it('exactly enough memory: the fault succeeds and the next page fails', () => {
    const k = setup(RW, PRIV, G, 4, 5n * 4096n);
    expect(k.write('A', T, one).outcome.kind).toBe('ok');
    expect(k.m.frames.used).toBe(5);
    expect(k.read('A', T + 4096n, 1).outcome.kind).toBe('ok'); // the zero page costs nothing
    expect(k.write('A', T + 8192n, one).outcome).toMatchObject({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('exec on an rx mapping maps the zero page without NX', () => {
    const k = setup(PROT_READ | PROT_EXEC);
    expect(k.exec('A', T).outcome.kind).toBe('ok');
    expect(walk(k.m, mmOf(k, 'A'), Number(T >> 12n)).leaf?.pfn).toBe(ZERO_PFN);
  });
});

describe('a read fault maps a dirty shmem folio dirty (issue 15, item 3)', () => {
  // mm/memory.c set_pte_range(): "if (write) entry = maybe_mkwrite(pte_mkdirty(entry), vma);
  // else if (pte_write(entry) && folio_test_dirty(folio)) entry = pte_mkdirty(entry);"
  // The folio becomes dirty on a write fault (do_shared_fault() → fault_dirty_shared_page())
  // or when a PTE with D set is zapped (zap_present_folio_ptes(): folio_mark_dirty()).
  it('written by a write fault: the re-fault after MADV_DONTNEED and a forked child’s fault-around are …067', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: 64n * 1024n, prot: RW, flags: SHARED });
    k.write('A', T, one); // PTE page 0x1003, shmem page 0x1004
    k.madviseDontneed('A', T, 4096n);
    k.read('A', T, 1);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004067');
    k.fork('A', 'B');
    k.read('B', T + 4096n, 1); // page 1 is not in the cache: fault-around maps page 0
    expect(leafEntry(k, 'B', T)).toBe('0x8000000001004067'); // the same shmem page
  });

  it('read-faulted, then written by the CPU: the folio stays clean until the PTE is zapped', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: 64n * 1024n, prot: RW, flags: SHARED });
    k.read('A', T, 1);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004027');
    k.write('A', T, one); // no fault: the MMU sets D in A's PTE only
    k.fork('A', 'B');
    k.read('B', T + 4096n, 1);
    expect(leafEntry(k, 'B', T)).toBe('0x8000000001004027');
    k.madviseDontneed('A', T, 4096n); // zap of a D PTE: folio_mark_dirty()
    k.read('A', T, 1);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004067');
  });

  it('a read-only shared mapping is never mapped dirty (pte_write() is false)', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: 64n * 1024n, prot: RW, flags: SHARED });
    k.write('A', T, one);
    k.mprotect('A', T, 64n * 1024n, PROT_READ);
    k.madviseDontneed('A', T, 4096n);
    k.read('A', T, 1);
    expect(leafEntry(k, 'A', T)).toBe('0x8000000001004025');
  });
});
