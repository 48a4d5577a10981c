/**
 * The frame allocator (frames.ts): first fit among freed extents, else above
 * everything allocated so far; freed extents merge; the `memory` limit; kinds,
 * map counts and page contents.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameKind, Frames, ZERO_PFN, tableKind } from './frames';

describe('Frames: allocation policy', () => {
  it('starts above the kernel frames at 0x1000 and hands out contiguous extents', () => {
    const f = new Frames();
    expect(f.alloc(1, FrameKind.Anon)).toBe(0x1000);
    expect(f.alloc(3, FrameKind.Anon)).toBe(0x1001);
    expect(f.alloc(1, FrameKind.Anon)).toBe(0x1004);
    expect(f.used).toBe(5);
  });

  it('the kernel owns everything below 0x1000, and the zero page is pfn 0xa3c', () => {
    const f = new Frames();
    expect(f.kindOf(0)).toBe(FrameKind.Kernel);
    expect(f.kindOf(0xfff)).toBe(FrameKind.Kernel);
    expect(f.kindOf(ZERO_PFN)).toBe(FrameKind.Zero);
    expect(f.kindOf(0x1000)).toBe(FrameKind.Free);
    expect(f.used).toBe(0); // kernel frames are not "used" by processes
  });

  it('reuses a freed extent first fit, splitting it', () => {
    const f = new Frames();
    f.alloc(10, FrameKind.Anon); // 0x1000..0x1009
    f.release(0x1002, 4); // hole 0x1002..0x1005
    expect(f.alloc(1, FrameKind.Anon)).toBe(0x1002);
    expect(f.alloc(3, FrameKind.Anon)).toBe(0x1003);
    expect(f.alloc(1, FrameKind.Anon)).toBe(0x100a); // hole used up: above the top
  });

  it('skips a hole that is too small', () => {
    const f = new Frames();
    f.alloc(4, FrameKind.Anon);
    f.release(0x1001, 1);
    expect(f.alloc(2, FrameKind.Anon)).toBe(0x1004);
    expect(f.alloc(1, FrameKind.Anon)).toBe(0x1001);
  });

  it('merges a freed extent with both neighbours', () => {
    const f = new Frames();
    for (let i = 0; i < 6; i++) f.alloc(1, FrameKind.Anon); // 0x1000..0x1005
    f.release(0x1001, 1);
    f.release(0x1003, 1);
    f.release(0x1002, 1); // joins 0x1001..0x1003 into one extent of 3
    expect(f.alloc(3, FrameKind.Anon)).toBe(0x1001);
    expect(f.used).toBe(6);
  });

  it('folds a free extent that touches the top back into it', () => {
    const f = new Frames();
    f.alloc(3, FrameKind.Anon); // 0x1000..0x1002
    f.release(0x1001, 1); // free list: 0x1001
    f.release(0x1002, 1); // at the top: top drops to 0x1002, then folds 0x1001
    expect(f.alloc(2, FrameKind.Anon)).toBe(0x1001); // from the top, contiguous
    expect(f.used).toBe(3);
  });

  it('refuses an allocation of no frames', () => {
    expect(() => new Frames().alloc(0, FrameKind.Anon)).toThrow();
  });

  it('never hands out a frame twice (random alloc/release against a set model)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 8 }), fc.nat()), { maxLength: 80 }),
        (ops) => {
          const f = new Frames();
          const live: [number, number][] = [];
          const owned = new Set<number>();
          for (const [isAlloc, n, pick] of ops) {
            if (isAlloc || live.length === 0) {
              const s = f.alloc(n, FrameKind.Anon) as number;
              for (let p = s; p < s + n; p++) {
                expect(owned.has(p)).toBe(false);
                owned.add(p);
              }
              live.push([s, n]);
            } else {
              const [s, m] = live.splice(pick % live.length, 1)[0] as [number, number];
              f.release(s, m);
              for (let p = s; p < s + m; p++) owned.delete(p);
            }
            expect(f.used).toBe(owned.size);
            for (const p of owned) expect(f.kindOf(p)).toBe(FrameKind.Anon);
          }
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });
});

describe('Frames: the memory limit', () => {
  it('returns null once `limit` frames are in use, and allows more after a release', () => {
    const f = new Frames(3);
    expect(f.alloc(2, FrameKind.Anon)).toBe(0x1000);
    expect(f.canAlloc(2)).toBe(false);
    expect(f.alloc(2, FrameKind.Anon)).toBeNull();
    expect(f.used).toBe(2); // a failed allocation takes nothing
    expect(f.alloc(1, FrameKind.Anon)).toBe(0x1002);
    expect(f.alloc(1, FrameKind.Anon)).toBeNull();
    f.release(0x1000, 2);
    expect(f.canAlloc(2)).toBe(true);
    expect(f.alloc(2, FrameKind.Anon)).toBe(0x1000);
  });

  it('is unlimited without a limit', () => {
    const f = new Frames();
    expect(f.canAlloc(2 ** 40)).toBe(true);
  });
});

describe('Frames: kinds, map counts and contents', () => {
  it('records the kind of each extent and frees it', () => {
    const f = new Frames();
    const t = f.alloc(2, tableKind(0)) as number;
    const a = f.alloc(1, FrameKind.Shmem) as number;
    expect(f.kindOf(t)).toBe(FrameKind.TableBase);
    expect(f.kindOf(t + 1)).toBe(FrameKind.TableBase);
    expect(tableKind(3)).toBe(FrameKind.TableBase + 3);
    expect(f.kindOf(a)).toBe(FrameKind.Shmem);
    f.release(t, 2);
    expect(f.kindOf(t)).toBe(FrameKind.Free);
  });

  it('counts mappings per frame and resets them on release', () => {
    const f = new Frames();
    const p = f.alloc(4, FrameKind.Anon) as number;
    f.addMapcount(p, 4, 1);
    f.addMapcount(p + 1, 2, 1);
    expect([0, 1, 2, 3].map((i) => f.mapcount.get(p + i))).toEqual([1, 2, 2, 1]);
    f.release(p, 4);
    expect(f.mapcount.get(p + 1)).toBe(0);
  });

  it('reads zeros from a page never written, and stores no bytes for a zero write', () => {
    const f = new Frames();
    const p = f.alloc(1, FrameKind.Anon) as number;
    expect([...f.read(p, 0, 4)]).toEqual([0, 0, 0, 0]);
    f.write(p, 10, new Uint8Array([0, 0]));
    expect(f.bytes.size).toBe(0);
  });

  it('writes, reads back at an offset, copies a page, and forgets contents on release', () => {
    const f = new Frames();
    const p = f.alloc(2, FrameKind.Anon) as number;
    f.write(p, 4094, new Uint8Array([0x68, 0x69]));
    expect([...f.read(p, 4093, 3)]).toEqual([0, 0x68, 0x69]);
    f.copyPage(p, p + 1);
    expect([...f.read(p + 1, 4094, 2)]).toEqual([0x68, 0x69]);
    f.write(p, 4094, new Uint8Array([1]));
    expect(f.read(p + 1, 4094, 1)[0]).toBe(0x68); // a copy, not an alias
    f.release(p, 2);
    expect(f.bytes.size).toBe(0);
    const q = f.alloc(1, FrameKind.Anon) as number;
    expect(q).toBe(p);
    expect([...f.read(q, 4094, 2)]).toEqual([0, 0]); // a reused frame reads as zeros
  });
});
