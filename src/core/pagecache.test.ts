/**
 * PageCache: unit cases with hand-checked pieces, and a property test against
 * a plain Map (index → pfn) over random sequences of faults (addOne), range
 * stores and lookups, with the hash growing, and folded into the extents now
 * and then.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PageCache } from './pagecache';

/** The pieces of [a, b) as [pfn, start, end] triples. */
function pieces(c: PageCache, a: number, b: number): [number | null, number, number][] {
  const out: [number | null, number, number][] = [];
  c.forEach(a, b, (p, s, e) => out.push([p, s, e]));
  return out;
}

describe('PageCache', () => {
  it('is empty at first: every lookup misses, one hole everywhere', () => {
    const c = new PageCache();
    expect(c.lookup(0)).toBeNull();
    expect(c.lookup(2 ** 40)).toBeNull();
    expect(pieces(c, 3, 9)).toEqual([[null, 3, 9]]);
  });

  it('finds pages added one at a time, before and after a range operation', () => {
    const c = new PageCache();
    c.addOne(7, 0x1005);
    c.addOne(5, 0x1009);
    c.addOne(6, 0x1004);
    expect([c.lookup(4), c.lookup(5), c.lookup(6), c.lookup(7), c.lookup(8)]).toEqual([
      null,
      0x1009,
      0x1004,
      0x1005,
      null,
    ]);
    // 6 → 0x1004 and 7 → 0x1005 are one contiguous piece; 5 → 0x1009 is not.
    expect(pieces(c, 0, 10)).toEqual([
      [null, 0, 5],
      [0x1009, 5, 6],
      [0x1004, 6, 8],
      [null, 8, 10],
    ]);
    expect([c.lookup(5), c.lookup(6), c.lookup(7), c.lookup(8)]).toEqual([0x1009, 0x1004, 0x1005, null]);
  });

  it('store() keeps a range as frames from pfn, and null removes pages', () => {
    const c = new PageCache();
    c.store(100, 300, 0x2000);
    expect([c.lookup(99), c.lookup(100), c.lookup(299), c.lookup(300)]).toEqual([null, 0x2000, 0x2000 + 199, null]);
    c.addOne(300, 0x2000 + 200); // continues the extent
    c.addOne(50, 0x3000);
    expect(pieces(c, 40, 310)).toEqual([
      [null, 40, 50],
      [0x3000, 50, 51],
      [null, 51, 100],
      [0x2000, 100, 301],
      [null, 301, 310],
    ]);
    c.store(150, 160, null);
    expect(pieces(c, 140, 170)).toEqual([
      [0x2000 + 40, 140, 150],
      [null, 150, 160],
      [0x2000 + 60, 160, 170],
    ]);
    c.store(0, Number.MAX_SAFE_INTEGER, null);
    expect(pieces(c, 0, 1000)).toEqual([[null, 0, 1000]]);
    expect(c.lookup(50)).toBeNull();
  });

  it('finds single pages anywhere, past 2^32 too, as the hash grows', () => {
    const c = new PageCache();
    const at = (n: number): number => (n % 3 === 0 ? 2 ** 40 + n * 7919 : n % 3 === 1 ? 2 ** 52 - n : n * 13);
    for (let n = 0; n < 1000; n++) c.addOne(at(n), 5000 + n);
    for (let n = 0; n < 1000; n++) expect(c.lookup(at(n))).toBe(5000 + n);
    expect([c.lookup(1), c.lookup(2 ** 40 + 1), c.lookup(2 ** 52), c.lookup(2 ** 52 - 1000)]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    // Now moved into the extents: at(2) = 26, at(5) = 65, at(0) = 2^40, at(1) = 2^52 - 1, at(4) = 2^52 - 4.
    expect(pieces(c, 0, 30)).toEqual([
      [null, 0, 26],
      [5002, 26, 27],
      [null, 27, 30],
    ]);
    expect(pieces(c, 60, 70)).toEqual([
      [null, 60, 65],
      [5005, 65, 66],
      [null, 66, 70],
    ]);
    expect(pieces(c, 2 ** 40 - 1, 2 ** 40 + 2)).toEqual([
      [null, 2 ** 40 - 1, 2 ** 40],
      [5000, 2 ** 40, 2 ** 40 + 1],
      [null, 2 ** 40 + 1, 2 ** 40 + 2],
    ]);
    expect(pieces(c, 2 ** 52 - 4, 2 ** 52)).toEqual([
      [5004, 2 ** 52 - 4, 2 ** 52 - 3],
      [null, 2 ** 52 - 3, 2 ** 52 - 1],
      [5001, 2 ** 52 - 1, 2 ** 52],
    ]);
    for (let n = 0; n < 1000; n++) expect(c.lookup(at(n))).toBe(5000 + n);
  });

  it('moves the single pages into the extents when the hash is full, and still finds them', () => {
    const c = new PageCache(2);
    c.addOne(1, 0x11);
    c.addOne(3, 0x13);
    c.addOne(2, 0x12); // the third: 1 and 3 move first
    expect([c.lookup(1), c.lookup(2), c.lookup(3)]).toEqual([0x11, 0x12, 0x13]);
    expect(pieces(c, 0, 5)).toEqual([
      [null, 0, 1],
      [0x11, 1, 4],
      [null, 4, 5],
    ]);
  });
});

type Op =
  | { k: 'add'; i: number; pfn: number }
  | { k: 'store'; a: number; n: number; pfn: number | null }
  | { k: 'pieces'; a: number; b: number };

const U = 64; // a small universe of indices, so that operations meet
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      i: fc.integer({ min: 0, max: U - 1 }),
      pfn: fc.integer({ min: 0, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('store' as const),
      a: fc.integer({ min: 0, max: U - 1 }),
      n: fc.integer({ min: 1, max: 12 }),
      pfn: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('pieces' as const),
      a: fc.integer({ min: 0, max: U }),
      b: fc.integer({ min: 0, max: U + 8 }),
    }),
  },
);

/** The model's maximal pieces of [a, b): runs of holes, or of pages whose pfn − index is the same. */
function modelPieces(m: Map<number, number>, a: number, b: number): [number | null, number, number][] {
  const out: [number | null, number, number][] = [];
  for (let i = a; i < b; i++) {
    const p = m.get(i) ?? null;
    const last = out[out.length - 1];
    if (last && (last[0] === null ? p === null : p !== null && p - i === last[0] - last[1])) last[2] = i + 1;
    else out.push([p, i, i + 1]);
  }
  return out;
}

describe('PageCache against a Map', () => {
  it('agrees on every lookup and every piece after every operation', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer({ min: 1, max: 70 }), (ops, maxSingles) => {
        const c = new PageCache(maxSingles);
        const m = new Map<number, number>();
        for (const op of ops) {
          if (op.k === 'add') {
            if (m.has(op.i)) continue; // addOne() is for an index that holds no page
            c.addOne(op.i, op.pfn);
            m.set(op.i, op.pfn);
          } else if (op.k === 'store') {
            c.store(op.a, op.a + op.n, op.pfn);
            for (let i = op.a; i < op.a + op.n; i++) {
              if (op.pfn === null) m.delete(i);
              else m.set(i, op.pfn + (i - op.a));
            }
          } else {
            const [a, b] = op.a <= op.b ? [op.a, op.b] : [op.b, op.a];
            expect(pieces(c, a, b)).toEqual(a < b ? modelPieces(m, a, b) : []);
          }
          for (let i = 0; i < U + 8; i++) expect(c.lookup(i)).toBe(m.get(i) ?? null);
        }
        expect(pieces(c, 0, U + 8)).toEqual(modelPieces(m, 0, U + 8));
      }),
      { numRuns: 300 },
    );
  });
});
