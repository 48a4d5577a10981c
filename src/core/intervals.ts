/**
 * A map from integers to values that stores runs of equal values as one
 * interval: the page-frame kinds and map counts of 78 million frames after a
 * 300 GiB touch take a handful of intervals, not 78 million slots.
 *
 * Interval i covers [starts[i], starts[i+1]) (the last one runs to +∞) and
 * holds vals[i]. Neighbours with equal values are merged after each update, so
 * the representation of a given function is unique.
 */
export class IntervalMap<V> {
  private starts: number[] = [0];
  private vals: V[];

  constructor(
    initial: V,
    private readonly eq: (a: V, b: V) => boolean = (a, b) => a === b,
  ) {
    this.vals = [initial];
  }

  /** Index of the interval that contains x. */
  private find(x: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Make x the start of an interval; returns its index. */
  private split(x: number): number {
    const i = this.find(x);
    if (this.starts[i] === x) return i;
    this.starts.splice(i + 1, 0, x);
    this.vals.splice(i + 1, 0, this.vals[i] as V);
    return i + 1;
  }

  get(x: number): V {
    return this.vals[this.find(x)] as V;
  }

  /** Replace every value v in [a, b) by f(v, start, end) piece by piece. */
  update(a: number, b: number, f: (v: V, start: number, end: number) => V): void {
    if (b <= a) return;
    const i = this.split(a);
    const j = this.split(b);
    for (let k = i; k < j; k++) {
      this.vals[k] = f(this.vals[k] as V, this.starts[k] as number, this.starts[k + 1] as number);
    }
    this.mergeAround(i, j);
  }

  set(a: number, b: number, v: V): void {
    this.update(a, b, () => v);
  }

  /** Visit the pieces of [a, b) with their values. */
  forEach(a: number, b: number, f: (v: V, start: number, end: number) => void): void {
    if (b <= a) return;
    let k = this.find(a);
    while (k < this.starts.length && (this.starts[k] as number) < b) {
      const s = Math.max(a, this.starts[k] as number);
      const next = k + 1 < this.starts.length ? (this.starts[k + 1] as number) : Infinity;
      f(this.vals[k] as V, s, Math.min(b, next));
      k++;
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
    return this.starts.length;
  }

  private mergeAround(i: number, j: number): void {
    const lo = Math.max(1, i);
    const hi = Math.min(this.starts.length - 1, j);
    for (let k = hi; k >= lo; k--) {
      if (this.eq(this.vals[k - 1] as V, this.vals[k] as V)) {
        this.starts.splice(k, 1);
        this.vals.splice(k, 1);
      }
    }
  }
}
