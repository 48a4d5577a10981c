/**
 * `touch` of a hugetlb range (hugetlb-populate.ts) fills whole stretches of
 * none PMD entries as one Run. It must leave what one hugetlb_fault() per
 * 2 MiB page leaves (the single-page path: one 1-byte access per huge page,
 * in order, as the kernel's own loop would fault them): per 2 MiB page the
 * same PMD entry flags, mapping the file's page for that offset; the same
 * table charges, frames in use, outcome (SIGSEGV at a hole, the OOM kill at
 * the same address) and counts of the fault path's functions. Only the order
 * of the PFNs may differ. Random small mappings, prior state (single faults,
 * a fork whose child shares PMD pages, MADV_DONTNEED, mprotect, a hole) and
 * memory limits.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from './kernel';
import type { KEvent } from './events';
import { FrameKind } from './frames';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_HUGETLB, MAP_SHARED, PROT_READ, PROT_WRITE } from './uapi';
import { vmaAt } from './mm';
import { walk } from './walk';

const M2 = 2n << 20n;
const G = 1n << 30n;
const HUGE = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_HUGETLB;
/** The fault path's functions, counted in both runs. */
const FAULT_FNS = [
  'handle_mm_fault',
  'hugetlb_fault',
  'p4d_alloc',
  'pud_alloc',
  'pmd_alloc',
  'hugetlb_no_page',
  'huge_pmd_share',
  'hugetlb_wp',
  'pagefault_out_of_memory',
  'bad_area',
  'bad_area_access_error',
];

interface Case {
  paging: 4 | 5;
  /** Start of the mapping: 1 TiB plus this many 2 MiB pages (so it crosses 1 GiB boundaries or not). */
  at: number;
  /** Length of the mapping in 2 MiB pages. */
  pages: number;
  /** Pages (indices into the mapping) written one at a time first. */
  pre: number[];
  /** A range of pages A touches first (as one touch: the page cache then holds it as one extent). */
  preTouch: { first: number; count: number } | null;
  fork: boolean;
  /** A DONTNEED, read-only (or read-only and then writable again), or hole piece: [first page, count). */
  piece: { kind: 'none' | 'dontneed' | 'readonly' | 'rw-again' | 'hole'; first: number; count: number };
  /** The touch: by A or the child, from page + 4K offset, over this many 4 KiB pages. */
  child: boolean;
  from: number;
  off: number;
  len4k: number;
  write: boolean;
  /** Memory: unlimited, or frames in use after the setup plus this many 2 MiB pages' worth (+ some tables). */
  room: number | null;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    paging: fc.constantFrom(4 as const, 5 as const),
    at: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1023 })),
    pages: fc.oneof(fc.constantFrom(1024, 1300), fc.integer({ min: 1, max: 1400 })),
    pre: fc.array(fc.nat(), { maxLength: 6 }),
    preTouch: fc.option(
      fc.record({
        first: fc.oneof(fc.constant(0), fc.nat()),
        count: fc.oneof(fc.constant(1400), fc.integer({ min: 1, max: 1400 })),
      }),
      { freq: 2 },
    ),
    fork: fc.boolean(),
    piece: fc.record({
      kind: fc.constantFrom(
        'none' as const,
        'dontneed' as const,
        'dontneed' as const,
        'readonly' as const,
        'rw-again' as const,
        'hole' as const,
      ),
      first: fc.oneof(fc.constant(0), fc.nat()),
      count: fc.oneof(fc.constant(1400), fc.integer({ min: 1, max: 600 })),
    }),
    child: fc.boolean(),
    // Often from the mapping's start and over all of it, so that whole 1 GiB entries are met.
    from: fc.oneof(fc.constant(0), fc.nat()),
    off: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 511 })),
    len4k: fc.oneof(fc.constant(1400 * 512), fc.integer({ min: 1, max: 1400 * 512 })),
    write: fc.boolean(),
    room: fc.option(fc.integer({ min: 0, max: 1500 }), { freq: 2 }),
  })
  .map((c) => ({
    ...c,
    pre: c.pre.map((p) => p % c.pages),
    from: c.from % c.pages,
    piece: { ...c.piece, first: c.piece.first % c.pages },
  }));

/**
 * The case's machine up to its touch. With bulk = false the first touch is
 * page by page too, so that what follows it (fork, DONTNEED, mprotect, munmap
 * over Runs or over Singles) is compared as well.
 */
function setup(c: Case, bulk: boolean): { k: Kernel; base: bigint; who: string } {
  const base = (1n << 40n) + BigInt(c.at) * M2;
  // Memory is fixed at boot: a first machine measures the setup, the second is given that plus the room.
  const build = (memory?: bigint): Kernel => {
    const k = new Kernel(memory === undefined ? { paging: c.paging } : { paging: c.paging, memory });
    k.spawn('A');
    k.mmap('A', { addr: base, len: BigInt(c.pages) * M2, prot: PROT_READ | PROT_WRITE, flags: HUGE });
    if (c.preTouch) {
      const pa = base + BigInt(c.preTouch.first % c.pages) * M2;
      const pl = BigInt(c.preTouch.count) * M2;
      if (bulk) k.touch('A', pa, pl, 'write');
      else pageByPage(k, 'A', pa, pl, true);
    }
    for (const p of c.pre) k.write('A', base + BigInt(p) * M2, new Uint8Array([1]));
    if (c.fork) {
      k.fork('A', 'B');
      for (const p of c.pre.slice(0, 2)) k.read('B', base + BigInt(p) * M2 + 4096n, 1);
    }
    const pa = base + BigInt(c.piece.first) * M2;
    const pl = BigInt(Math.min(c.piece.count, c.pages - c.piece.first)) * M2;
    if (c.piece.kind === 'dontneed') k.madviseDontneed('A', pa, pl);
    if (c.piece.kind === 'readonly' || c.piece.kind === 'rw-again') k.mprotect('A', pa, pl, PROT_READ);
    // Writable again: the entries stay read-only until a write fault (hugetlb_wp()).
    if (c.piece.kind === 'rw-again') k.mprotect('A', pa, pl, PROT_READ | PROT_WRITE);
    if (c.piece.kind === 'hole') k.munmap('A', pa, pl);
    k.takeEvents();
    return k;
  };
  let k = build();
  if (c.room !== null) k = build(BigInt(k.m.frames.used + c.room * 512 + 3) * 4096n);
  return { k, base, who: c.child && c.fork ? 'B' : 'A' };
}

/** The single-page path: one access per 2 MiB page of [a, a + len), in order, stopping at the first that fails. */
function pageByPage(k: Kernel, who: string, a: bigint, len: bigint, write: boolean): string {
  for (let p = a; p < a + len; p = (p / M2 + 1n) * M2) {
    const r = write ? k.write(who, p, new Uint8Array([0])) : k.read(who, p, 1);
    if (r.outcome.kind !== 'ok') return JSON.stringify(r.outcome);
  }
  return JSON.stringify({ kind: 'ok' });
}

function tally(events: KEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    if (!FAULT_FNS.includes(e.fn)) continue;
    const n = e.detail?.startsWith('×') ? Number(e.detail.slice(1).split(' ')[0]?.replace(/,/g, '')) : 1;
    out[e.fn] = (out[e.fn] ?? 0) + n;
  }
  return out;
}

/** What must agree, per 2 MiB page of the mapping and in all. */
function picture(k: Kernel, base: bigint, pages: number): unknown {
  const entries: string[] = [];
  for (const name of ['A', 'B']) {
    const t = k.tasks.get(name);
    const mm = t?.mm;
    if (!mm) {
      entries.push(`${name}: ${t?.state ?? 'none'}`);
      continue;
    }
    for (let p = 0; p < pages; p++) {
      const vpn = Number(base / 4096n) + p * 512;
      const w = walk(k.m, mm, vpn);
      const l = w.levels[w.levels.length - 1];
      if (!w.leaf || !l?.entry) {
        entries.push(`${name}${p}: ${w.levels.length} ${l?.entry ?? '-'}`);
        continue;
      }
      const vma = vmaAt(mm, vpn);
      // The frame must be the file's page for this offset, 2 MiB aligned, a hugetlb page.
      const file = vma?.shmem ? k.shmemOf(vma) : null;
      const want = file?.pfnAt((vma?.pgoff ?? 0) + (vpn - (vma?.start ?? 0)));
      const ok =
        want === w.leaf.pfn &&
        w.leaf.pfn % 512 === 0 &&
        k.m.frames.kindOf(w.leaf.pfn) === FrameKind.Huge &&
        w.leaf.lvl === 1;
      entries.push(
        `${name}${p}: ${(BigInt(l.entry) & 0x8000000000000fffn).toString(16)} ${ok ? 'file page' : 'WRONG FRAME'}`,
      );
    }
  }
  const mms = ['A', 'B'].map((n) => k.tasks.get(n)?.mm);
  return {
    entries,
    tables: mms.map((mm) => mm?.tables),
    pt: mms.map((mm) => mm?.pgtablesBytes),
    used: k.m.frames.used,
    bad: k.invariants(),
  };
}

describe('hugetlb touch as Runs = one hugetlb_fault() per 2 MiB page', () => {
  it('gives the same entries, charges, frames, outcome and fault counts on random small ranges', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const one = setup(c, true);
        const two = setup(c, false);
        const a = one.base + BigInt(c.from) * M2 + BigInt(c.off) * 4096n;
        const len = BigInt(c.len4k) * 4096n;
        const r1 = one.k.touch(one.who, a, len, c.write ? 'write' : 'read');
        const ev1 = tally(one.k.takeEvents());
        const r2 = pageByPage(two.k, two.who, a, len, c.write);
        const ev2 = tally(two.k.takeEvents());
        const o1 = r1.outcome.kind === 'ok' ? { kind: 'ok' } : r1.outcome;
        expect(JSON.stringify(o1)).toBe(r2);
        expect(ev1).toEqual(ev2);
        expect(picture(one.k, one.base, c.pages)).toEqual(picture(two.k, two.base, c.pages));
      }),
      { numRuns: 300, seed: 20261203 },
    );
  });

  it('the same after the touch is undone: munmap of the whole mapping frees what page-by-page frees', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const one = setup(c, true);
        const two = setup(c, false);
        const a = one.base + BigInt(c.from) * M2;
        const len = BigInt(c.len4k) * 4096n;
        one.k.touch(one.who, a, len, c.write ? 'write' : 'read');
        pageByPage(two.k, two.who, a, len, c.write);
        // unmap_vmas names the pages it unmapped (zapHugetlb()'s count).
        const unmapped = (k: Kernel): string[] => {
          const out: string[] = [];
          for (const n of ['A', 'B']) {
            if (!k.tasks.get(n)?.mm) continue;
            k.munmap(n, one.base - G, BigInt(c.pages) * M2 + 2n * G);
            for (const e of k.takeEvents()) if (e.fn === 'unmap_vmas') out.push(`${n}: ${e.detail ?? ''}`);
          }
          return out;
        };
        one.k.takeEvents();
        two.k.takeEvents();
        expect(unmapped(one.k)).toEqual(unmapped(two.k));
        expect(picture(one.k, one.base, c.pages)).toEqual(picture(two.k, two.base, c.pages));
      }),
      { numRuns: 40, seed: 20261204 },
    );
  });
});
