/**
 * IntervalMap: unit cases, and properties against a plain array model
 * (every point of a small universe stored explicitly) with fast-check.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntervalMap } from './intervals';

/** The pieces of [a, b) as [value, start, end] triples. */
function pieces<V>(m: IntervalMap<V>, a: number, b: number): [V, number, number][] {
  const out: [V, number, number][] = [];
  m.forEach(a, b, (v, s, e) => out.push([v, s, e]));
  return out;
}

describe('IntervalMap basics', () => {
  it('starts as one interval holding the initial value everywhere', () => {
    const m = new IntervalMap<number>(7);
    expect(m.size).toBe(1);
    expect(m.get(0)).toBe(7);
    expect(m.get(1e15)).toBe(7);
    expect(pieces(m, 10, 20)).toEqual([[7, 10, 20]]);
  });

  it('set() splits into three intervals and merges back when restored', () => {
    const m = new IntervalMap<number>(0);
    m.set(10, 20, 1);
    expect(m.size).toBe(3);
    expect([m.get(9), m.get(10), m.get(19), m.get(20)]).toEqual([0, 1, 1, 0]);
    m.set(10, 20, 0);
    expect(m.size).toBe(1);
  });

  it('merges equal neighbours so the representation is unique', () => {
    const m = new IntervalMap<number>(0);
    m.set(0, 5, 1);
    m.set(5, 10, 1);
    expect(m.size).toBe(2); // [0,10)=1, [10,∞)=0
    expect(pieces(m, 0, 12)).toEqual([
      [1, 0, 10],
      [0, 10, 12],
    ]);
  });

  it('update() passes each piece its value and bounds', () => {
    const m = new IntervalMap<number>(0);
    m.set(4, 6, 5);
    const seen: [number, number, number][] = [];
    m.update(2, 8, (v, s, e) => {
      seen.push([v, s, e]);
      return v + 1;
    });
    expect(seen).toEqual([
      [0, 2, 4],
      [5, 4, 6],
      [0, 6, 8],
    ]);
    expect([m.get(1), m.get(2), m.get(5), m.get(7), m.get(8)]).toEqual([0, 1, 6, 1, 0]);
  });

  it('ignores empty and reversed ranges', () => {
    const m = new IntervalMap<number>(0);
    m.set(5, 5, 9);
    m.set(6, 3, 9);
    expect(m.size).toBe(1);
    let calls = 0;
    m.forEach(3, 3, () => calls++);
    expect(calls).toBe(0);
  });

  it('every() tests all points of a range, and is true on an empty range', () => {
    const m = new IntervalMap<number>(1);
    m.set(100, 101, 2);
    expect(m.every(0, 100, (v) => v === 1)).toBe(true);
    expect(m.every(0, 101, (v) => v === 1)).toBe(false);
    expect(m.every(50, 50, () => false)).toBe(true);
  });

  it('uses a custom equality to merge (e.g. null-or-offset values)', () => {
    const m = new IntervalMap<{ d: number } | null>(null, (a, b) => (a === null || b === null ? a === b : a.d === b.d));
    m.set(0, 3, { d: 5 });
    m.set(3, 6, { d: 5 });
    expect(m.size).toBe(2);
  });

  it('stays compact: a 78-million-page extent is one interval', () => {
    const m = new IntervalMap<number>(0);
    m.set(0x1000, 0x1000 + 78_643_200, 1);
    m.update(0x1000, 0x1000 + 78_643_200, (c) => c + 1);
    expect(m.size).toBe(3);
    expect(m.get(0x1000 + 78_643_199)).toBe(2);
  });
});

/* ----- properties against an array model ----- */

const U = 64; // universe [0, 64); the map's tail beyond it is checked too
type Cmd = { k: 'set'; a: number; b: number; v: number } | { k: 'add'; a: number; b: number; d: number };
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ k: fc.constant('set' as const), a: fc.nat(U), b: fc.nat(U), v: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ k: fc.constant('add' as const), a: fc.nat(U), b: fc.nat(U), d: fc.integer({ min: -2, max: 2 }) }),
);

function apply(cmds: Cmd[]): { m: IntervalMap<number>; model: number[] } {
  const m = new IntervalMap<number>(0);
  const model = new Array<number>(U + 1).fill(0); // model[U] stands for [U, ∞)
  for (const c of cmds) {
    if (c.k === 'set') {
      m.set(c.a, c.b, c.v);
      for (let x = c.a; x < c.b; x++) model[x] = c.v;
    } else {
      m.update(c.a, c.b, (v) => v + c.d);
      for (let x = c.a; x < c.b; x++) model[x] = (model[x] as number) + c.d;
    }
  }
  return { m, model };
}

describe('IntervalMap against an array model (fast-check)', () => {
  it('get() agrees at every point', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 40 }), (cmds) => {
        const { m, model } = apply(cmds);
        for (let x = 0; x <= U; x++) expect(m.get(x)).toBe(model[x]);
        expect(m.get(1e9)).toBe(model[U]);
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it('forEach() tiles [a, b) exactly, in order, with the model values', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 30 }), fc.nat(U), fc.nat(U), (cmds, x, y) => {
        const { m, model } = apply(cmds);
        const [a, b] = x <= y ? [x, y] : [y, x];
        let at = a;
        m.forEach(a, b, (v, s, e) => {
          expect(s).toBe(at);
          expect(e).toBeGreaterThan(s);
          for (let p = s; p < e; p++) expect(v).toBe(model[p]);
          at = e;
        });
        expect(at).toBe(b);
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it('every() agrees with the model', () => {
    fc.assert(
      fc.property(
        fc.array(cmdArb, { maxLength: 30 }),
        fc.nat(U),
        fc.nat(U),
        fc.integer({ min: -2, max: 3 }),
        (cmds, x, y, w) => {
          const { m, model } = apply(cmds);
          const [a, b] = x <= y ? [x, y] : [y, x];
          expect(m.every(a, b, (v) => v === w)).toBe(model.slice(a, b).every((v) => v === w));
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it('is canonical: the number of intervals is 1 + the number of value changes', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 40 }), (cmds) => {
        const { m, model } = apply(cmds);
        let changes = 0;
        for (let x = 1; x <= U; x++) if (model[x] !== model[x - 1]) changes++;
        expect(m.size).toBe(1 + changes);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});

/* ----- many intervals: the blocks split (> MAX_BLOCK = 128), join and rebalance ----- */

/**
 * The properties above stay under 65 intervals, inside one block. Here a
 * universe of 4,096 points starts as a comb of 1,000 one-point intervals
 * (≈ 2,000 intervals, ~16 blocks) and random inserts (a short range set to a
 * new value), removes (a range set back to the background, which merges
 * neighbours and can empty or shrink blocks) and updates run on it, with
 * lookups checked against a plain array at every step.
 */
const BIG = 4096;
type BigOp =
  | { k: 'insert'; a: number; n: number; v: number }
  | { k: 'remove'; a: number; n: number }
  | { k: 'add'; a: number; n: number; d: number }
  | { k: 'lookup'; x: number };
const bigOpArb: fc.Arbitrary<BigOp> = fc.oneof(
  fc.record({
    k: fc.constant('insert' as const),
    a: fc.nat(BIG - 1),
    n: fc.integer({ min: 1, max: 8 }),
    v: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    k: fc.constant('remove' as const),
    a: fc.nat(BIG - 1),
    n: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 100, max: 1500 })),
  }),
  fc.record({
    k: fc.constant('add' as const),
    a: fc.nat(BIG - 1),
    n: fc.integer({ min: 1, max: 300 }),
    d: fc.integer({ min: -1, max: 1 }),
  }),
  fc.record({ k: fc.constant('lookup' as const), x: fc.nat(BIG + 10) }),
);

/** Number of blocks (a private field, read only to prove that the test reaches the splits). */
function blocks(m: IntervalMap<number>): number {
  return (m as unknown as { heads: number[] }).heads.length;
}

describe('IntervalMap with more than 128 intervals against an array model (fast-check)', () => {
  it('insert/remove/update/lookup agree with the model while blocks split and join', () => {
    let maxBlocks = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(bigOpArb, { minLength: 1, maxLength: 120 }),
        (phase, ops) => {
          const m = new IntervalMap<number>(0);
          const model = new Array<number>(BIG + 1).fill(0); // model[BIG] stands for [BIG, ∞)
          // The comb: every 4th point from `phase` holds 1, in an order that inserts into the middle too.
          const comb: number[] = [];
          for (let x = phase; x < 4000; x += 4) comb.push(x);
          for (let j = 0; j < comb.length; j++) {
            const x = comb[(j * 7) % comb.length] as number; // 7 is prime to 1,000: a permutation
            m.set(x, x + 1, 1);
            model[x] = 1;
          }
          expect(m.size).toBe(2 * comb.length + (phase === 0 ? 0 : 1));
          maxBlocks = Math.max(maxBlocks, blocks(m));
          for (const op of ops) {
            if (op.k === 'lookup') {
              expect(m.get(op.x)).toBe(model[Math.min(op.x, BIG)]);
              continue;
            }
            const b = Math.min(BIG, op.a + op.n);
            if (op.k === 'insert') {
              m.set(op.a, b, op.v);
              for (let x = op.a; x < b; x++) model[x] = op.v;
            } else if (op.k === 'remove') {
              m.set(op.a, b, 0);
              for (let x = op.a; x < b; x++) model[x] = 0;
            } else {
              m.update(op.a, b, (v) => v + op.d);
              for (let x = op.a; x < b; x++) model[x] = (model[x] as number) + op.d;
            }
            // Canonical: one interval per change of value (neighbours merged across blocks too).
            let changes = 0;
            for (let x = 1; x <= BIG; x++) if (model[x] !== model[x - 1]) changes++;
            expect(m.size).toBe(1 + changes);
            maxBlocks = Math.max(maxBlocks, blocks(m));
          }
          // Every point, and forEach's tiling of the universe; mismatches collected (expect() per point is slow).
          const bad: string[] = [];
          for (let x = 0; x <= BIG; x++)
            if (m.get(x) !== model[x]) bad.push(`get(${x}) = ${m.get(x)}, model ${model[x]}`);
          let at = 0;
          m.forEach(0, BIG, (v, s, e) => {
            if (s !== at || e <= s) bad.push(`piece [${s}, ${e}) after ${at}`);
            for (let p = s; p < e; p++) if (v !== model[p]) bad.push(`forEach: ${p} holds ${v}, model ${model[p]}`);
            at = e;
          });
          expect(bad.slice(0, 5)).toEqual([]);
          expect(at).toBe(BIG);
        },
      ),
      { numRuns: 60, seed: 6 },
    );
    expect(maxBlocks).toBeGreaterThan(8);
  });
});
