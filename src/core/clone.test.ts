/**
 * deepClone(): a copy keeps prototypes, sharing, cycles and the built-in
 * containers; a seed keeps a fresh object's closures; a copied kernel is
 * independent of the original. (Kernels copied and run forward over random
 * scenarios: src/scenario/timeline.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { deepClone, pairByShape } from './clone';
import { Kernel } from './kernel';
import { IntervalMap } from './intervals';
import { ZERO_PFN } from './frames';
import type { Mm } from './mm';
import { walk } from './walk';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from './uapi';

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

describe('deepClone', () => {
  it('copies primitives, plain objects and arrays without sharing them', () => {
    const a = { n: 1, s: 'x', b: 10n, u: undefined, nul: null, arr: [1, { k: 2 }, [3]] };
    const c = deepClone(a);
    expect(c).toEqual(a);
    expect(c).not.toBe(a);
    expect(c.arr).not.toBe(a.arr);
    expect(c.arr[1]).not.toBe(a.arr[1]);
    (c.arr[1] as { k: number }).k = 9;
    expect((a.arr[1] as { k: number }).k).toBe(2);
  });

  it('keeps prototypes: class instances stay instances with their methods', () => {
    const c = deepClone({ p: new Point(3, 4) });
    expect(c.p).toBeInstanceOf(Point);
    expect(c.p.norm()).toBe(5);
    const bare = Object.create(null) as Record<string, number>;
    bare.z = 1;
    expect(Object.getPrototypeOf(deepClone(bare))).toBeNull();
  });

  it('copies an object reached twice once, and keeps cycles', () => {
    const shared = { v: 1 };
    const a: { l: { v: number }; r: { v: number }; self?: unknown; list: unknown[] } = {
      l: shared,
      r: shared,
      list: [shared],
    };
    a.self = a;
    a.list.push(a);
    const c = deepClone(a);
    expect(c.l).toBe(c.r);
    expect(c.list[0]).toBe(c.l);
    expect(c.l).not.toBe(shared);
    expect(c.self).toBe(c);
    expect(c.list[1]).toBe(c);
  });

  it('copies Map and Set, keys included, with shared references across them', () => {
    const key = { id: 1 };
    const val = { id: 2 };
    const a = { m: new Map<object, object>([[key, val]]), s: new Set<object>([key, val]), k: key };
    const c = deepClone(a);
    const [ck, cv] = [...c.m.entries()][0] as [object, object];
    expect(ck).toBe(c.k);
    expect(ck).not.toBe(key);
    expect(cv).toEqual(val);
    expect(cv).not.toBe(val);
    expect(c.s.has(ck)).toBe(true);
    expect(c.s.has(cv)).toBe(true);
  });

  it('copies typed arrays; views of one buffer still share one (copied) buffer', () => {
    const buf = new ArrayBuffer(16);
    const a = { u8: new Uint8Array(buf), f64: new Float64Array(buf, 8, 1), dv: new DataView(buf, 4, 4) };
    a.f64[0] = 1.5;
    const c = deepClone(a);
    expect(c.u8).toBeInstanceOf(Uint8Array);
    expect(c.f64).toBeInstanceOf(Float64Array);
    expect(c.f64[0]).toBe(1.5);
    expect(c.u8.buffer).toBe(c.f64.buffer);
    expect(c.dv.buffer).toBe(c.u8.buffer);
    expect(c.u8.buffer).not.toBe(buf);
    c.u8[0] = 7;
    expect(a.u8[0]).toBe(0);
    expect(c.dv.getUint8(0)).toBe(c.u8[4]);
  });

  it('keeps array holes, Dates and RegExps, and freezes what was frozen', () => {
    const holey = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const a = { holey, d: new Date(5), re: /a+/g, f: Object.freeze({ z: 1 }) };
    const c = deepClone(a);
    expect(1 in c.holey).toBe(false);
    expect(c.holey.length).toBe(3);
    expect(c.d.getTime()).toBe(5);
    expect(c.d).not.toBe(a.d);
    expect(c.re.source).toBe('a+');
    expect(c.re.flags).toBe('g');
    expect(Object.isFrozen(c.f)).toBe(true);
  });

  it('shares functions by default, or lets onFunction decide', () => {
    const f = (): number => 1;
    expect(deepClone({ f }).f).toBe(f);
    const g = (): number => 2;
    expect(deepClone({ f }, { onFunction: () => g }).f).toBe(g);
    expect(() =>
      deepClone(
        { f },
        {
          onFunction: () => {
            throw new Error('no');
          },
        },
      ),
    ).toThrow('no');
  });

  it('refuses what it cannot copy', () => {
    expect(() => deepClone({ w: new WeakMap() })).toThrow(/WeakMap/);
  });

  it('fills a seed in place and keeps the seed’s closures', () => {
    class Counter {
      n = 0;
      items: number[] = [];
      readonly bump = (): number => ++this.n;
    }
    const orig = new Counter();
    orig.bump();
    orig.bump();
    orig.items.push(1, 2);
    const fresh = new Counter();
    const c = deepClone(orig, { seed: pairByShape(orig, fresh) });
    expect(c).toBe(fresh);
    expect(c.n).toBe(2);
    expect(c.items).toEqual([1, 2]);
    c.bump();
    expect(c.n).toBe(3);
    expect(orig.n).toBe(2); // the copy's closure is bound to the copy
  });
});

describe('deepClone of a kernel', () => {
  const T = 1n << 40n;
  const G = 1n << 30n;

  function kernel(): Kernel {
    const k = new Kernel({ paging: 4 });
    k.spawn('A');
    k.mmap('A', { addr: T, len: 4n * G, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED });
    k.mmap('A', { addr: 2n * T, len: G, prot: PROT_READ | PROT_WRITE, flags: MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED });
    k.touch('A', T, 3n * G, 'read'); // Runs: shared Lins across tables
    k.write('A', T + 0x5000n, new Uint8Array([1, 2, 3]));
    k.touch('A', 2n * T, 1n << 21n, 'write');
    k.fork('A', 'B');
    k.write('B', T + 0x6000n, new Uint8Array([4]));
    k.takeEvents();
    return k;
  }

  it('is an independent kernel in the same state', () => {
    const k = kernel();
    const c = deepClone(k, { seed: pairByShape(k, new Kernel(k.cfg)) });
    const mm = (x: Kernel, n: string): Mm => x.tasks.get(n)?.mm as Mm;
    expect(c.invariants()).toEqual([]);
    expect(c.m.frames).toBeInstanceOf(k.m.frames.constructor);
    expect(c.m.frames.kinds).toBeInstanceOf(IntervalMap);
    expect(mm(c, 'A').pgd.mm).toBe(mm(c, 'A')); // the Table ↔ Mm cycle, inside the copy
    expect(mm(c, 'A').pgd).not.toBe(mm(k, 'A').pgd);
    for (const v of [T + 0x5000n, T + 0x6000n, T + 2n * G, 2n * T]) {
      const vpn = Number(v >> 12n);
      for (const n of ['A', 'B']) expect(walk(c.m, mm(c, n), vpn)).toEqual(walk(k.m, mm(k, n), vpn));
    }
    // Changing the copy leaves the original alone, and the other way round.
    c.write('A', T + 0x7000n, new Uint8Array([9]));
    c.exit('B');
    expect(k.tasks.get('B')?.state).toBe('running');
    const at7 = Number((T + 0x7000n) >> 12n);
    expect(walk(k.m, mm(k, 'A'), at7).leaf?.pfn).toBe(ZERO_PFN); // still the zero page here
    expect(walk(c.m, mm(c, 'A'), at7).leaf?.pfn).not.toBe(ZERO_PFN); // copied on write there
    k.munmap('A', T, 4n * G);
    expect(walk(c.m, mm(c, 'A'), Number((T + 0x5000n) >> 12n)).leaf).toBeDefined();
    expect(c.invariants()).toEqual([]);
    expect(k.invariants()).toEqual([]);
  });
});
