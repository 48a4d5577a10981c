/**
 * range-walk.ts: pxdAddrEnd() and PxdWalk against values worked by hand.
 * Units are vpns: a PMD entry (lvl 1) covers 512, a PUD entry 512^2 = 2^18,
 * a 4-level PGD entry (lvl 3) 2^27, a 5-level PGD entry (lvl 4) 2^36; the
 * top of the address space is vpn 2^36 with 4-level paging (2^48 bytes) and
 * 2^45 with 5-level paging (2^57 bytes).
 */
import { describe, expect, it } from 'vitest';
import { PxdWalk, pxdAddrEnd } from './range-walk';

type Step = [i: number, ent: number, addr: number, next: number, full: boolean];

/** Every step of a walk, checking at each that next is pxdAddrEnd(addr, end). */
function steps(lvl: number, start: number, end: number): Step[] {
  const out: Step[] = [];
  for (const w = new PxdWalk(lvl, start, end); w.step();) {
    expect(w.next).toBe(pxdAddrEnd(w.addr, end, lvl));
    out.push([w.i, w.ent, w.addr, w.next, w.full]);
  }
  return out;
}

describe('pxdAddrEnd (the kernel pXd_addr_end idiom)', () => {
  it('is the next entry boundary when end lies beyond it', () => {
    expect(pxdAddrEnd(0, 10_000, 1)).toBe(512);
    expect(pxdAddrEnd(100, 10_000, 1)).toBe(512);
    expect(pxdAddrEnd(511, 10_000, 1)).toBe(512);
    // On a boundary: the one after it.
    expect(pxdAddrEnd(512, 10_000, 1)).toBe(1024);
    expect(pxdAddrEnd(5, 100, 0)).toBe(6);
    // PUD: 3 * 2^18 + 1 → 4 * 2^18.
    expect(pxdAddrEnd(3 * 262_144 + 1, 2 ** 30, 2)).toBe(4 * 262_144);
  });

  it('is end when end comes first, or falls exactly on the boundary', () => {
    expect(pxdAddrEnd(100, 300, 1)).toBe(300);
    expect(pxdAddrEnd(600, 1024, 1)).toBe(1024);
  });

  it('reaches the top of the address space without wrapping (4- and 5-level)', () => {
    // Last 4-level PGD entry: 511 * 2^27 … 2^36.
    expect(pxdAddrEnd(511 * 2 ** 27 + 5, 2 ** 36, 3)).toBe(2 ** 36);
    // Last 5-level PGD entry: 511 * 2^36 … 2^45; and the last P4D entry under it.
    expect(pxdAddrEnd(511 * 2 ** 36 + 7, 2 ** 45, 4)).toBe(2 ** 45);
    expect(pxdAddrEnd(2 ** 45 - 2 ** 27 + 1, 2 ** 45, 3)).toBe(2 ** 45);
    // One entry lower: the boundary, not end.
    expect(pxdAddrEnd(510 * 2 ** 36, 2 ** 45, 4)).toBe(511 * 2 ** 36);
  });
});

describe('PxdWalk', () => {
  // [what, lvl, start, end, the steps as [i, ent, addr, next, full]]
  const cases: [string, number, number, number, Step[]][] = [
    [
      'a range cut at both ends: a partial entry, whole ones, a partial one',
      1,
      100,
      1600,
      [
        [0, 0, 100, 512, false],
        [1, 512, 512, 1024, true],
        [2, 1024, 1024, 1536, true],
        [3, 1536, 1536, 1600, false],
      ],
    ],
    [
      'a range ending exactly on a boundary: no empty last entry',
      1,
      512,
      1536,
      [
        [1, 512, 512, 1024, true],
        [2, 1024, 1024, 1536, true],
      ],
    ],
    [
      // 263,687 = 512 * 512 + 3 * 512 + 7: entry 3 of the second PMD table's span.
      'entries indexed within their own table, not from vpn 0',
      1,
      263_687,
      263_687 + 600,
      [
        [3, 263_680, 263_687, 264_192, false],
        [4, 264_192, 264_192, 264_287, false],
      ],
    ],
    [
      'the PTE level: page by page, every entry whole',
      0,
      5,
      8,
      [
        [5, 5, 5, 6, true],
        [6, 6, 6, 7, true],
        [7, 7, 7, 8, true],
      ],
    ],
    [
      // 2^45 - 2^36 - 3 = 511 * 2^36 - 3: the last 3 pages of PGD entry 510, then all of entry 511.
      'the top of a 5-level address space',
      4,
      2 ** 45 - 2 ** 36 - 3,
      2 ** 45,
      [
        [510, 510 * 2 ** 36, 511 * 2 ** 36 - 3, 511 * 2 ** 36, false],
        [511, 511 * 2 ** 36, 511 * 2 ** 36, 2 ** 45, true],
      ],
    ],
  ];
  it.each(cases)('walks %s', (_what, lvl, start, end, want) => {
    expect(steps(lvl, start, end)).toEqual(want);
  });

  it('walks all 512 PGD entries of a 4-level address space', () => {
    const all = steps(3, 0, 2 ** 36);
    expect(all).toHaveLength(512);
    expect(all[511]).toEqual([511, 511 * 2 ** 27, 511 * 2 ** 27, 2 ** 36, true]);
    expect(all.every((s) => s[4])).toBe(true);
  });

  it('wholeTo counts only the entries the range covers wholly, capped by the limit', () => {
    const w = new PxdWalk(1, 0, 10 * 512 + 100);
    expect(w.step()).toBe(true);
    // Entries 0…9 are whole, entry 10 has only 100 pages of the range.
    expect(w.wholeTo(100)).toBe(10);
    expect(w.wholeTo(6)).toBe(6);
    w.skipTo(10);
    expect(w.step()).toBe(true);
    expect([w.i, w.ent, w.addr, w.next, w.full]).toEqual([10, 5120, 5120, 5220, false]);
    expect(w.wholeTo(100)).toBe(10);
    expect(w.step()).toBe(false);
  });

  it('skipTo makes the next step go past a Run of entries handled as one', () => {
    const w = new PxdWalk(2, 262_144, 8 * 262_144);
    expect(w.step()).toBe(true);
    expect(w.i).toBe(1);
    w.skipTo(5);
    expect(w.step()).toBe(true);
    expect([w.i, w.ent, w.addr, w.next, w.full]).toEqual([5, 5 * 262_144, 5 * 262_144, 6 * 262_144, true]);
    // Without skipTo, one entry at a time again.
    expect(w.step()).toBe(true);
    expect(w.i).toBe(6);
    w.skipTo(8);
    expect(w.step()).toBe(false);
  });
});
