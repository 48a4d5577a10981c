/**
 * A map from integers to values that stores runs of equal values as one
 * interval: the page-frame kinds and map counts of 78 million frames after a
 * 300 GiB touch take a handful of intervals, not 78 million slots.
 *
 * Interval i covers [start(i), start(i+1)) (the last one runs to +∞) and
 * holds its value. Neighbours with equal values are merged after each update,
 * so the representation of a given function is unique.
 *
 * The intervals are kept in order in blocks of at most MAX_BLOCK, so that an
 * insertion anywhere costs O(log n + MAX_BLOCK) rather than moving every
 * interval after it (random single-page faults in a shared mapping fragment
 * its page cache into ~one interval per page).
 */
const MAX_BLOCK = 128;
const MIN_BLOCK = 16;

export class IntervalMap<V> {
  /** starts[k], vals[k]: the intervals of block k, in order; heads[k] = starts[k][0]. */
  private starts: number[][] = [[0]];
  private vals: V[][];
  private heads: number[] = [0];
  private count = 1;

  constructor(
    initial: V,
    private readonly eq: (a: V, b: V) => boolean = (a, b) => a === b,
  ) {
    this.vals = [[initial]];
  }

  /** The block holding the interval that contains x. */
  private block(x: number): number {
    const h = this.heads;
    let lo = 0;
    let hi = h.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((h[mid] as number) <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Index in block k of the interval that contains x (x ≥ heads[k]). */
  private within(k: number, x: number): number {
    const s = this.starts[k] as number[];
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((s[mid] as number) <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Where the interval after (k, i) starts (+∞ after the last). */
  private nextStart(k: number, i: number): number {
    const s = this.starts[k] as number[];
    if (i + 1 < s.length) return s[i + 1] as number;
    return k + 1 < this.heads.length ? (this.heads[k + 1] as number) : Infinity;
  }

  /** Make x the start of an interval. */
  private split(x: number): void {
    const k = this.block(x);
    const s = this.starts[k] as number[];
    const v = this.vals[k] as V[];
    const i = this.within(k, x);
    if (s[i] === x) return;
    this.insertAfter(k, i, x, v[i] as V, -1, v[i] as V);
  }

  /**
   * Insert the interval starting at x1 with value v1, and x2/v2 after it when
   * x2 ≥ 0, right after interval i of block k: one shift of the block's tail
   * (by hand: Array.prototype.splice allocates and is slow on these short arrays).
   */
  private insertAfter(k: number, i: number, x1: number, v1: V, x2: number, v2: V): void {
    const s = this.starts[k] as number[];
    const v = this.vals[k] as V[];
    const n = x2 >= 0 ? 2 : 1;
    for (let j = 0; j < n; j++) {
      s.push(x1);
      v.push(v1);
    }
    for (let j = s.length - 1; j > i + n; j--) {
      s[j] = s[j - n] as number;
      v[j] = v[j - n] as V;
    }
    s[i + 1] = x1;
    v[i + 1] = v1;
    if (n === 2) {
      s[i + 2] = x2;
      v[i + 2] = v2;
    }
    this.count += n;
    if (s.length > MAX_BLOCK) {
      const half = s.length >> 1;
      const s2 = s.splice(half);
      this.starts.splice(k + 1, 0, s2);
      this.vals.splice(k + 1, 0, v.splice(half));
      this.heads.splice(k + 1, 0, s2[0] as number);
    }
  }

  get(x: number): V {
    const k = this.block(x);
    return (this.vals[k] as V[])[this.within(k, x)] as V;
  }

  /** Replace every value v in [a, b) by f(v, start, end) piece by piece. */
  update(a: number, b: number, f: (v: V, start: number, end: number) => V): void {
    this.change(a, b, f, undefined as V);
  }

  set(a: number, b: number, v: V): void {
    this.change(a, b, null, v);
  }

  /** update() with f, or set() to `to` when f is null (no closure made per call on the fault path). */
  private change(a: number, b: number, f: ((v: V, start: number, end: number) => V) | null, to: V): void {
    if (b <= a) return;
    const k = this.block(a);
    const i = this.within(k, a);
    const e = this.nextStart(k, i);
    if (b > e) {
      this.updateSplit(a, b, f ?? (() => to));
      return;
    }
    // [a, b) lies inside one interval: one piece, one call of f. The fault path's
    // changes are of this kind (one frame's kind, map count, exclusivity), and most
    // either change nothing or move a boundary by b - a: the frame next to the
    // last one allocated or mapped takes its neighbour's value.
    const s = this.starts[k] as number[];
    const v = this.vals[k] as V[];
    const old = v[i] as V;
    const nv = f === null ? to : f(old, a, b);
    if (this.eq(nv, old)) return;
    if (a === s[i] && b < e && (i > 0 || k > 0)) {
      const pv = i > 0 ? (v[i - 1] as V) : ((this.vals[k - 1] as V[])[(this.vals[k - 1] as V[]).length - 1] as V);
      if (this.eq(pv, nv)) {
        // The previous interval grows over [a, b).
        s[i] = b;
        if (i === 0) this.heads[k] = b;
        return;
      }
    }
    if (a > (s[i] as number) && b === e && e !== Infinity) {
      const nk = i + 1 < s.length ? k : k + 1;
      const ni = i + 1 < s.length ? i + 1 : 0;
      if (this.eq((this.vals[nk] as V[])[ni] as V, nv)) {
        // The next interval grows back over [a, b).
        (this.starts[nk] as number[])[ni] = a;
        if (ni === 0) this.heads[nk] = a;
        return;
      }
    }
    // Otherwise new boundaries at a and/or b, and no neighbour can merge (checked above),
    // unless the whole interval changes: then both neighbours may.
    const x = s[i] as number;
    if (a > x && b < e)
      this.insertAfter(k, i, a, nv, b, old); // [x, a) old, [a, b) nv, [b, e) old
    else if (a > x)
      this.insertAfter(k, i, a, nv, -1, nv); // [x, a) old, [a, e) nv
    else if (b < e) {
      v[i] = nv; // [a, b) nv, [b, e) old
      this.insertAfter(k, i, b, old, -1, old);
    } else this.updateSplit(a, b, () => nv); // the whole interval: both neighbours may merge
  }

  /** update() in general: split at a and b, change each piece, merge equal neighbours. */
  private updateSplit(a: number, b: number, f: (v: V, start: number, end: number) => V): void {
    this.split(a);
    this.split(b);
    let k = this.block(a);
    let i = this.within(k, a);
    for (;;) {
      const s = this.starts[k] as number[];
      const v = this.vals[k] as V[];
      const x = s[i] as number;
      if (x >= b) break;
      v[i] = f(v[i] as V, x, this.nextStart(k, i));
      if (++i === s.length) {
        k++;
        i = 0;
      }
    }
    this.merge(a, b);
  }

  /** Visit the pieces of [a, b) with their values. */
  forEach(a: number, b: number, f: (v: V, start: number, end: number) => void): void {
    if (b <= a) return;
    let k = this.block(a);
    let i = this.within(k, a);
    const nb = this.heads.length;
    while (k < nb) {
      const s = this.starts[k] as number[];
      const x = s[i] as number;
      if (x >= b) return;
      const next = this.nextStart(k, i);
      f((this.vals[k] as V[])[i] as V, Math.max(a, x), Math.min(b, next));
      if (++i === s.length) {
        k++;
        i = 0;
      }
    }
  }

  /** True when every point of [a, b) satisfies pred. */
  every(a: number, b: number, pred: (v: V) => boolean): boolean {
    let ok = true;
    this.forEach(a, b, (v) => {
      if (ok && !pred(v)) ok = false;
    });
    return ok;
  }

  /** Number of stored intervals (for benchmarks and tests of compactness). */
  get size(): number {
    return this.count;
  }

  /**
   * Drop every interval starting in [a, b] (both split points included) whose
   * value equals its predecessor's, then rebalance the blocks touched.
   */
  private merge(a: number, b: number): void {
    let k = this.block(a);
    let i = this.within(k, a);
    let prev: V | undefined;
    let hasPrev = false;
    if (i > 0) {
      prev = (this.vals[k] as V[])[i - 1];
      hasPrev = true;
    } else if (k > 0) {
      const pv = this.vals[k - 1] as V[];
      prev = pv[pv.length - 1];
      hasPrev = true;
    }
    const firstBlock = k;
    for (; k < this.heads.length; k++, i = 0) {
      const s = this.starts[k] as number[];
      const v = this.vals[k] as V[];
      let w = i;
      let r = i;
      let done = false;
      for (; r < s.length; r++) {
        const x = s[r] as number;
        if (x > b) {
          done = true;
          break;
        }
        const val = v[r] as V;
        if (hasPrev && this.eq(prev as V, val)) continue; // merged into the previous interval
        prev = val;
        hasPrev = true;
        s[w] = x;
        v[w] = val;
        w++;
      }
      if (w !== r) {
        // Close the gap left by dropped intervals.
        const dropped = r - w;
        for (let j = r; j < s.length; j++) {
          s[j - dropped] = s[j] as number;
          v[j - dropped] = v[j] as V;
        }
        for (let d = 0; d < dropped; d++) {
          s.pop();
          v.pop();
        }
        this.count -= dropped;
      }
      if (done) break;
    }
    this.rebalance(firstBlock, Math.min(k, this.heads.length - 1));
  }

  /** Remove empty blocks and join small ones in [k0, k1] with a neighbour; refresh heads. */
  private rebalance(k0: number, k1: number): void {
    for (let k = k1; k >= k0; k--) {
      const s = this.starts[k] as number[];
      if (s.length === 0) {
        this.starts.splice(k, 1);
        this.vals.splice(k, 1);
        this.heads.splice(k, 1);
        continue;
      }
      this.heads[k] = s[0] as number;
      const n = this.starts[k + 1];
      if (s.length < MIN_BLOCK && n && s.length + n.length <= MAX_BLOCK) {
        s.push(...n);
        (this.vals[k] as V[]).push(...(this.vals[k + 1] as V[]));
        this.starts.splice(k + 1, 1);
        this.vals.splice(k + 1, 1);
        this.heads.splice(k + 1, 1);
      }
    }
  }
}
