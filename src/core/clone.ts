/**
 * A deep copy of an object graph, for checkpoints of the simulation (the
 * core's objects are mutable; src/scenario/timeline.ts keeps copies of a
 * Runner's kernel to seek back and forth without replaying from the start).
 *
 * What it keeps, generically:
 *  - prototypes (class instances stay instances of their class);
 *  - sharing and cycles: an object reached twice is copied once, so the
 *    copy has the same shape of references (Table ↔ Mm cycles, a Lin shared
 *    by the segments of several tables, a table linked from several mms);
 *  - Map, Set (keys copied too), arrays (holes kept), Date, RegExp,
 *    ArrayBuffer and typed arrays / DataView (views of one buffer keep
 *    sharing one copied buffer);
 *  - primitives (bigint, symbol included) as they are; frozen objects frozen.
 *
 * What it cannot do is copy a closure: a function's captured variables are
 * invisible. Functions are shared by default; `onFunction` may replace or
 * refuse them, and `seed` solves the usual case: an object freshly built by
 * its constructor (whose closures are bound to it) is given as the copy of
 * the original, and is filled in with copies of the original's data while
 * its own function-valued properties stay.
 *
 * Copied: own enumerable string-keyed properties (a getter is read, and its
 * value copied). Not copied: symbol-keyed and non-enumerable properties, and
 * JavaScript #private fields (none of which the core uses).
 */

/** What to do with a function found at holder[key] (holder: the original object). */
export type OnFunction = (fn: (...args: never[]) => unknown, holder: object, key: PropertyKey) => unknown;

export interface CloneOptions {
  /**
   * Originals whose copy exists already (original → copy). The copy is
   * filled in place: data properties overwritten (and extra ones removed),
   * Map/Set/array contents replaced, function-valued properties kept.
   */
  seed?: ReadonlyMap<object, object>;
  /** Default: share the function (the copy calls the same function). */
  onFunction?: OnFunction;
  /** Incremented by the number of objects copied (a measure of the copy's size). */
  count?: { objects: number };
}

type AnyFn = (...args: never[]) => unknown;

const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

export function deepClone<T>(root: T, opts: CloneOptions = {}): T {
  const copies = new Map<object, unknown>();
  const seed = opts.seed;
  const onFunction = opts.onFunction;

  const fn = (f: AnyFn, holder: object, key: PropertyKey): unknown => (onFunction ? onFunction(f, holder, key) : f);

  const copyBuffer = (b: ArrayBufferLike): ArrayBufferLike => {
    const hit = copies.get(b);
    if (hit !== undefined) return hit as ArrayBufferLike;
    const c = b instanceof ArrayBuffer ? b.slice(0) : b; // a SharedArrayBuffer is shared by design
    copies.set(b, c);
    return c;
  };

  const clone = (x: unknown, holder: object | null, key: PropertyKey): unknown => {
    if (typeof x === 'function') return holder ? fn(x as AnyFn, holder, key) : x;
    if (x === null || typeof x !== 'object') return x;
    const hit = copies.get(x);
    if (hit !== undefined) return hit;
    const into = seed?.get(x);

    if (Array.isArray(x)) {
      let out: unknown[];
      if (into) {
        out = into as unknown[];
        out.length = 0;
        out.length = x.length;
        for (let i = 0; i < x.length; i++) if (i in x) out[i] = x[i];
      } else out = x.slice(); // holes, primitives and the prototype come along at memcpy speed
      copies.set(x, out);
      for (let i = 0; i < out.length; i++) {
        const v = out[i];
        if ((typeof v === 'object' && v !== null) || typeof v === 'function') out[i] = clone(v, x, i);
      }
      return out;
    }
    if (x instanceof Map) {
      const out = (into as Map<unknown, unknown> | undefined) ?? new Map<unknown, unknown>();
      copies.set(x, out);
      out.clear();
      for (const [k, v] of x) out.set(clone(k, x, k), clone(v, x, k as PropertyKey));
      if (!into && Object.getPrototypeOf(x) !== Map.prototype) Object.setPrototypeOf(out, Object.getPrototypeOf(x));
      return out;
    }
    if (x instanceof Set) {
      const out = (into as Set<unknown> | undefined) ?? new Set<unknown>();
      copies.set(x, out);
      out.clear();
      for (const v of x) out.add(clone(v, x, 'value'));
      if (!into && Object.getPrototypeOf(x) !== Set.prototype) Object.setPrototypeOf(out, Object.getPrototypeOf(x));
      return out;
    }
    if (ArrayBuffer.isView(x)) {
      const buf = copyBuffer(x.buffer);
      let out: ArrayBufferView;
      if (x instanceof DataView) out = new DataView(buf, x.byteOffset, x.byteLength);
      else {
        const Ctor = TYPED_ARRAYS.find((C) => x instanceof C);
        if (!Ctor) throw new TypeError(`deepClone: unknown typed array ${Object.prototype.toString.call(x)}`);
        const ta = x as unknown as { byteOffset: number; length: number };
        out = new Ctor(buf as ArrayBuffer, ta.byteOffset, ta.length);
      }
      copies.set(x, out);
      return out;
    }
    if (x instanceof ArrayBuffer) return copyBuffer(x);
    if (x instanceof Date) {
      const out = new Date(x.getTime());
      copies.set(x, out);
      return out;
    }
    if (x instanceof RegExp) {
      const out = new RegExp(x.source, x.flags);
      out.lastIndex = x.lastIndex;
      copies.set(x, out);
      return out;
    }
    if (
      x instanceof WeakMap ||
      x instanceof WeakSet ||
      x instanceof Promise ||
      (typeof WeakRef !== 'undefined' && x instanceof WeakRef)
    ) {
      throw new TypeError(`deepClone: cannot copy a ${Object.prototype.toString.call(x).slice(8, -1)}`);
    }

    // A plain object or a class instance.
    const src = x as Record<string, unknown>;
    const proto = Object.getPrototypeOf(x) as object | null;
    let out: Record<string, unknown>;
    if (into) {
      out = into as Record<string, unknown>;
      copies.set(x, out);
      for (const k of Object.keys(out)) if (!(k in src) && typeof out[k] !== 'function') delete out[k];
      for (const k of Object.keys(src)) {
        const v = src[k];
        if (typeof v === 'function' && typeof out[k] === 'function') continue; // the seed's own closure
        out[k] = clone(v, src, k);
      }
      return out;
    }
    // Copy every property at once ({...x} keeps a plain object's hidden class), then deepen.
    out = proto === Object.prototype ? { ...src } : Object.assign(Object.create(proto) as Record<string, unknown>, src);
    copies.set(x, out);
    for (const k in out) {
      if (!Object.prototype.hasOwnProperty.call(out, k)) continue;
      const v = out[k];
      if ((typeof v === 'object' && v !== null) || typeof v === 'function') out[k] = clone(v, src, k);
    }
    if (Object.isFrozen(src)) Object.freeze(out);
    return out;
  };

  const out = clone(root, null, '') as T;
  if (opts.count) opts.count.objects += copies.size;
  return out;
}

/**
 * Pair the objects of a freshly constructed graph with the original's, by
 * walking both along the same property paths (same prototype at both ends):
 * the seed for deepClone() that keeps the fresh objects' closures.
 */
export function pairByShape(original: object, fresh: object): Map<object, object> {
  const seed = new Map<object, object>();
  const seenFresh = new Set<object>();
  const visit = (a: unknown, b: unknown): void => {
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return;
    if (seed.has(a) || seenFresh.has(b)) return;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return;
    if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) return; // copied, never filled in place
    seed.set(a, b);
    seenFresh.add(b);
    if (a instanceof Map || a instanceof Set || Array.isArray(a)) return; // contents are copied, not paired
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of Object.keys(rb)) if (k in ra) visit(ra[k], rb[k]);
  };
  visit(original, fresh);
  return seed;
}
