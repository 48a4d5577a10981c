/**
 * A Map used as a least-recently-used cache (a Map iterates in insertion
 * order, so the first key is the least recent): the memos of the replay,
 * the page's views, the laid-out steps and the comparisons all bound
 * themselves this way.
 */

/** The value at k, which becomes the most recent. */
export function lruGet<K, V>(m: Map<K, V>, k: K): V | undefined {
  const v = m.get(k);
  if (v !== undefined) {
    m.delete(k);
    m.set(k, v);
  }
  return v;
}

/** Set k (the most recent now) and forget the least recent past `max`. */
export function lruSet<K, V>(m: Map<K, V>, k: K, v: V, max: number): void {
  m.delete(k);
  m.set(k, v);
  while (m.size > max) m.delete(m.keys().next().value as K);
}
