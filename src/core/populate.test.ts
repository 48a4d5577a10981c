/**
 * The bulk `touch` (populate.ts): where whole table entries are none, the
 * faults are done as one block. The result must be what page-by-page faults
 * give: the same pgtables_bytes, rss, frames in use, invariants and leaf
 * flags (only the order of the PFNs differs).
 *
 * Sizes from Linux's rules (and shared/reference/mshare-versions.md §6, measured
 * on this kernel): a touched range costs one PTE page per 2 MiB entry it
 * meets, one PMD page per 1 GiB entry, one PUD page per 512 GiB entry.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from './kernel';
import { ZERO_PFN } from './frames';
import { MAP_POPULATE, PROT_READ } from './uapi';
import { walk } from './walk';
import { T, G, M, K4, RW, PRIV, SHARED, mmOf } from './test-kit';

function setup(len: bigint, flags = PRIV, prot = RW, memory?: bigint): Kernel {
  const k = new Kernel(memory === undefined ? { paging: 4 } : { paging: 4, memory });
  k.spawn('A');
  k.mmap('A', { addr: T, len, prot, flags });
  k.takeEvents();
  return k;
}

/** Page-by-page: one single-byte access per page, as a loop of `read`/`write` steps. */
function loop(k: Kernel, a: bigint, len: bigint, access: 'read' | 'write'): void {
  const first = a & ~0xfffn;
  for (let p = first; p < a + len; p += K4) {
    const r = access === 'write' ? k.write('A', p, new Uint8Array([0])) : k.read('A', p, 1);
    if (r.outcome.kind !== 'ok') break;
  }
}

/** What must agree: accounting, and every leaf's flags (and zero-page-ness) in the range. */
function picture(k: Kernel, a: bigint, len: bigint): unknown {
  const mm = mmOf(k, 'A');
  const leaves: string[] = [];
  const lo = Number(a >> 12n) - 2;
  const hi = Number((a + len + 0xfffn) >> 12n) + 2;
  for (let v = lo; v < hi; v++) {
    const w = walk(k.m, mm, v);
    const l = w.levels[w.levels.length - 1];
    const e = w.levels.length === 4 && l?.entry ? BigInt(l.entry) : null;
    // flags only: bits 0-11 and 63; the PFN is compared as "zero page or not".
    leaves.push(e === null ? '-' : `${(e & 0x8000000000000fffn).toString(16)}${l?.pfn === ZERO_PFN ? 'z' : ''}`);
  }
  return {
    pt: mm?.pgtablesBytes,
    tables: mm?.tables,
    anon: mm?.rssAnon,
    shmem: mm?.rssShmem,
    used: k.m.frames.used,
    leaves,
    bad: k.invariants(),
  };
}

describe('touch: sizes (one table page per entry met)', () => {
  it('1 GiB at 1 TiB: 512 PTE + 1 PMD + 1 PUD pages = 514 × 4096 = 2,105,344 bytes', () => {
    const k = setup(G);
    expect(k.touch('A', T, G, 'write').outcome).toEqual({ kind: 'ok', value: '262144 pages' });
    const mm = mmOf(k, 'A');
    expect(mm.pgtablesBytes).toBe(2_105_344);
    expect(mm.tables.slice(0, 3)).toEqual([512, 1, 1]);
    expect(mm.rssAnon).toBe(262_144);
    expect(k.m.frames.used).toBe(1 + 514 + 262_144);
    expect(k.invariants()).toEqual([]);
  });

  it('§6: 1 MiB → 12 KiB; 3 MiB from a 2 MiB boundary → 16 KiB; 2 GiB → 4,108 KiB', () => {
    let k = setup(M);
    k.touch('A', T, M, 'write');
    expect(mmOf(k, 'A').pgtablesBytes).toBe(12 * 1024); // PUD + PMD + 1 PTE
    k = setup(3n * M);
    k.touch('A', T, 3n * M, 'write');
    expect(mmOf(k, 'A').pgtablesBytes).toBe(16 * 1024); // PUD + PMD + 2 PTE
    k = setup(2n * G);
    k.touch('A', T, 2n * G, 'write');
    expect(mmOf(k, 'A').pgtablesBytes).toBe(4108 * 1024); // PUD + 2 PMD + 1024 PTE = 1,027 pages
  });

  it('§6: 1 GiB of shared anonymous memory costs 2,056 KiB, in the page cache', () => {
    const k = setup(G, SHARED);
    k.touch('A', T, G, 'write');
    expect(mmOf(k, 'A').pgtablesBytes).toBe(2056 * 1024);
    expect(mmOf(k, 'A').rssShmem).toBe(262_144);
    expect(k.invariants()).toEqual([]);
  });

  it('a read touch maps the zero page everywhere and allocates only tables', () => {
    const k = setup(G);
    k.touch('A', T, G, 'read');
    expect(mmOf(k, 'A').pgtablesBytes).toBe(2_105_344);
    expect(mmOf(k, 'A').rssAnon).toBe(0);
    expect(k.m.frames.used).toBe(1 + 514);
    const w = walk(k.m, mmOf(k, 'A'), Number((T + G - K4) >> 12n));
    expect(w.leaf?.pfn).toBe(ZERO_PFN);
    expect(w.levels[3]?.entry).toBe('0x8000000000a3c225');
  });

  it('a 3 MiB touch straddling a 1 GiB boundary needs 2 PMD pages and 2 PTE pages', () => {
    // [1T+1G-1M, 1T+1G+2M): PTE pages for 1T+1G-2M and 1T+1G; PMD pages for both GiBs.
    const k = setup(4n * G);
    k.touch('A', T + G - M, 3n * M, 'write');
    expect(mmOf(k, 'A').tables.slice(0, 3)).toEqual([2, 2, 1]);
  });

  it('summarises its faults: handle_mm_fault counts every page faulted', () => {
    const k = setup(G);
    k.touch('A', T + 12n * K4, 3n * M + 5n * K4, 'write');
    const ev = k.takeEvents();
    const hmf = ev.find((e) => e.fn === 'handle_mm_fault');
    // 3 MiB + 5 pages = 768 + 5 = 773 pages.
    expect(hmf?.detail).toMatch(/^×773\b/);
    expect(ev.filter((e) => e.fn === 'handle_mm_fault')).toHaveLength(1);
  });

  it('MAP_POPULATE populates like a touch: write faults for private rw, read faults for shared', () => {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: 4n * M, prot: RW, flags: PRIV | MAP_POPULATE });
    expect(mmOf(k, 'A').rssAnon).toBe(1024);
    expect(mmOf(k, 'A').pgtablesBytes).toBe(4 * 4096);
    k.mmap('A', { addr: T + G, len: 2n * M, prot: RW, flags: SHARED | MAP_POPULATE });
    expect(mmOf(k, 'A').rssShmem).toBe(512);
    // A populated shared page is read-faulted: PAGE_SHARED without D.
    expect(walk(k.m, mmOf(k, 'A'), Number((T + G) >> 12n)).levels[3]?.entry).toMatch(/027$/);
    expect(k.invariants()).toEqual([]);
  });
});

describe('touch = page-by-page accesses', () => {
  const cases: [string, bigint, bigint, 'read' | 'write', number][] = [
    ['write, 3 MiB + 5 pages at an unaligned start', T + 12n * K4, 3n * M + 5n * K4, 'write', PRIV],
    ['read, 3 MiB + 5 pages at an unaligned start', T + 12n * K4, 3n * M + 5n * K4, 'read', PRIV],
    ['write across a 1 GiB boundary', T + G - M - 3n * K4, 3n * M, 'write', PRIV],
    ['shared write, unaligned', T + 7n * K4, 2n * M + 9n * K4, 'write', SHARED],
    ['shared read, unaligned', T + 7n * K4, 2n * M + 9n * K4, 'read', SHARED],
    ['a start in the middle of a page', T + 0x1234n, 2n * M, 'write', PRIV],
  ];
  for (const [name, a, len, access, flags] of cases) {
    it(name, () => {
      const bulk = setup(4n * G, flags);
      const slow = setup(4n * G, flags);
      expect(bulk.touch('A', a, len, access).outcome.kind).toBe('ok');
      loop(slow, a, len, access);
      const p = picture(bulk, a, len);
      expect(p).toEqual(picture(slow, a, len));
      expect((p as { bad: string[] }).bad).toEqual([]);
    });
  }

  it('a write touch over zero pages copies each page, as write faults would', () => {
    const bulk = setup(G);
    const slow = setup(G);
    bulk.touch('A', T, 2n * M, 'read');
    loop(slow, T, 2n * M, 'read');
    bulk.touch('A', T + 5n * K4, M, 'write');
    loop(slow, T + 5n * K4, M, 'write');
    expect(picture(bulk, T, 2n * M)).toEqual(picture(slow, T, 2n * M));
    expect(mmOf(bulk, 'A').rssAnon).toBe(256);
  });

  it('a write touch over a whole block of zero pages: do_wp_page → wp_page_copy for the block', () => {
    const bulk = setup(G);
    const slow = setup(G);
    bulk.touch('A', T, 4n * M, 'read');
    loop(slow, T, 4n * M, 'read');
    bulk.takeEvents();
    bulk.touch('A', T, 4n * M, 'write');
    loop(slow, T, 4n * M, 'write');
    const ev = bulk.takeEvents();
    expect(ev.find((e) => e.fn === 'wp_page_copy')?.detail).toMatch(/^×1,024\b/);
    expect(picture(bulk, T, 4n * M)).toEqual(picture(slow, T, 4n * M));
    expect(mmOf(bulk, 'A').rssAnon).toBe(1024);
  });

  it('after fork, the parent writing a whole block copies it, as page-by-page COW faults do', () => {
    const bulk = setup(G);
    const slow = setup(G);
    for (const k of [bulk, slow]) {
      k.touch('A', T, 4n * M, 'write');
      k.fork('A', 'B');
    }
    bulk.touch('A', T, 4n * M, 'write');
    loop(slow, T, 4n * M, 'write');
    expect(picture(bulk, T, 4n * M)).toEqual(picture(slow, T, 4n * M));
    // The child still maps the original pages: 1,024 anonymous pages each, 2,048 in all.
    expect(bulk.m.frames.used).toBe(slow.m.frames.used);
    expect(mmOf(bulk, 'B').rssAnon).toBe(1024);
  });

  it('a second touch of populated pages allocates nothing and keeps the Run', () => {
    const k = setup(G);
    k.touch('A', T, G, 'write');
    const used = k.m.frames.used;
    k.takeEvents();
    k.touch('A', T, G, 'write');
    expect(k.m.frames.used).toBe(used);
    expect(k.takeEvents().map((e) => e.fn)).not.toContain('handle_mm_fault');
  });

  it('stops at a hole with SIGSEGV, after touching the pages before it', () => {
    const mk = (): Kernel => {
      const k = new Kernel({ paging: 4 });
      k.spawn('A');
      k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
      k.mmap('A', { addr: T + 2n * M, len: M, prot: RW, flags: PRIV });
      k.takeEvents();
      return k;
    };
    const bulk = mk();
    const r = bulk.touch('A', T, 3n * M, 'write');
    expect(r.outcome).toEqual({ kind: 'signal', signal: 'SIGSEGV', cause: 'no mapping at 0x10000100000' });
    const slow = mk();
    let last;
    for (let p = T; p < T + 3n * M; p += K4) {
      last = slow.write('A', p, new Uint8Array([0]));
      if (last.outcome.kind !== 'ok') break;
    }
    expect(last?.outcome).toEqual(r.outcome);
    expect(bulk.m.frames.used).toBe(0);
  });

  it('a write touch of a read-only mapping is refused at its first page', () => {
    const k = setup(M, PRIV, PROT_READ);
    expect(k.touch('A', T, M, 'write').outcome).toMatchObject({
      kind: 'signal',
      signal: 'SIGSEGV',
      cause: 'write access to 0x10000000000 not permitted',
    });
  });

  it('running out of memory stops at the same page as page-by-page faults', () => {
    // 600 frames: PGD + PUD + PMD + PTE + 512 data pages fit, then a second PTE page and
    // 83 more data pages: the 597th... page fails. Whatever it is, both ways must agree.
    const bulk = setup(G, PRIV, RW, 600n * K4);
    const slow = setup(G, PRIV, RW, 600n * K4);
    const r = bulk.touch('A', T, 4n * M, 'write');
    let last;
    for (let p = T; p < T + 4n * M; p += K4) {
      last = slow.write('A', p, new Uint8Array([0]));
      if (last.outcome.kind !== 'ok') break;
    }
    expect(r.outcome).toMatchObject({ kind: 'signal', signal: 'SIGKILL' });
    expect(last?.outcome).toEqual(r.outcome);
    // PGD, PUD, PMD, PTE, 512 pages, PTE, then data until 600 frames: page 512 + 83 = 595 fails.
    expect(r.outcome.kind === 'signal' && r.outcome.cause).toBe(`out of memory at 0x${(T + 595n * K4).toString(16)}`);
  });
});

describe('touch = page-by-page (fast-check)', () => {
  const opArb = fc.record({
    off: fc.integer({ min: 0, max: 1100 }),
    pages: fc.integer({ min: 1, max: 700 }),
    write: fc.boolean(),
    /** 0: MADV_DONTNEED instead of a touch (shmem pages stay cached with their PTEs gone). */
    zap: fc.integer({ min: 0, max: 4 }),
  });
  it('random sequences of touches give the same picture both ways', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (ops, shared) => {
        // A VMA [1T - 1M, 1T + 4M) crossing a PUD and a PGD boundary (1 TiB is PGD entry 2).
        const start = T - M;
        const mk = (): Kernel => {
          const k = new Kernel({ paging: 4 });
          k.spawn('A');
          k.mmap('A', { addr: start, len: 5n * M, prot: RW, flags: shared ? SHARED : PRIV });
          return k;
        };
        const bulk = mk();
        const slow = mk();
        for (const op of ops) {
          const a = start + BigInt(op.off) * K4;
          const len = BigInt(Math.min(op.pages, 1280 - op.off)) * K4;
          if (len <= 0n) continue;
          if (op.zap === 0) {
            bulk.madviseDontneed('A', a, len);
            slow.madviseDontneed('A', a, len);
            continue;
          }
          bulk.touch('A', a, len, op.write ? 'write' : 'read');
          loop(slow, a, len, op.write ? 'write' : 'read');
        }
        expect(picture(bulk, start, 5n * M)).toEqual(picture(slow, start, 5n * M));
        // The same minor faults too (mm_account_fault(): one per page fault, a fault-around one).
        expect(mmOf(bulk, 'A').minFlt).toBe(mmOf(slow, 'A').minFlt);
        expect(bulk.invariants()).toEqual([]);
      }),
      { numRuns: 25, seed: 42 },
    );
  });
});
