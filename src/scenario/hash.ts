/**
 * FNV-1a, 32 bits: a seed or a key from a string. A module of its own so
 * that the store's predict slice (in the first load) can key answers by text
 * without pulling in the quiz questions (a lazy chunk, with Predict mode).
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
