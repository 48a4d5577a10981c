/**
 * checkInvariants()'s part for the arena (entries.ts): the mirror of every
 * table's Singles, its descriptor and the descriptors its entries link,
 * and the arena's own books (no slot or descriptor held by a table that is
 * gone, none held twice).
 */
import { _PAGE_TABLE, entryHex } from './paging';
import { findSeg, type Table } from './table';
import {
  DESC_PAIRS,
  FEW_MAX,
  KEY_SHIFT,
  PTRS,
  descBase,
  packEntry,
  storedEntry,
  storedKid,
  type EntryArena,
} from './entries';

type Bad = (problem: string) => void;

/** The arena's mirror of t's Singles says what the segments say, and t's descriptor agrees. */
export function checkMirror(t: Table, bad: Bad): void {
  const where = `table pfn 0x${t.pfn.toString(16)}`;
  const a = t.arena;
  if ((t.slot >= 0 || t.desc >= 0) && a === null) bad(`${where}: a slot or descriptor without an arena`);
  if (t.slot >= 0 && t.desc < 0) bad(`${where}: a slot without a descriptor`);
  if (t.slot < 0 && t.lvl === 0 && t.singles > FEW_MAX) bad(`${where}: ${t.singles} pairs`);
  if (t.slot < 0 && t.lvl !== 0 && t.singles !== 0) bad(`${where}: ${t.singles} Singles mirrored without a slot`);
  if (t.singles > 0 && t.desc < 0) bad(`${where}: Singles mirrored without a descriptor`);
  if (a !== null && t.desc >= 0) checkDesc(t, a, where, bad);
  const want = new Float64Array(PTRS);
  for (const s of t.segs) if (s.lin === null) want[s.start] = packEntry(s.pfn, s.flags);
  let n = 0;
  for (let i = 0; i < PTRS; i++) {
    const v = storedEntry(t, i);
    if (v !== 0) n++;
    if (v !== want[i]) bad(`${where}[${i}]: the arena holds ${v}, the segments ${want[i]}`);
    const kid = t.kids?.[i] ?? null;
    const seg = t.segs[findSeg(t, i)];
    const child = v !== 0 && seg && seg.lin === null ? seg.child : null;
    if (kid !== child) bad(`${where}[${i}]: the arena's child table is not the segment's`);
    // An entry _PAGE_TABLE names its child's descriptor (unless the child is of another arena).
    const side =
      child !== null && child.arena === a && v !== 0 && seg?.lin === null && seg.flags === _PAGE_TABLE
        ? child.desc + 1
        : 0;
    if (storedKid(t, i) !== side)
      bad(`${where}[${i}]: the entry links descriptor ${storedKid(t, i) - 1}, the child's is ${side - 1}`);
    if (child !== null && child.arena === a && child.desc < 0)
      bad(`${where}[${i}]: a linked table without a descriptor`);
  }
  if (n !== t.singles) bad(`${where}: ${n} entries in the arena, ${t.singles} counted`);
}

/** t's descriptor: its slot or its pairs (keys of distinct entries, then -1), and a true link string. */
function checkDesc(t: Table, a: EntryArena, where: string, bad: Bad): void {
  const c = a.descs;
  const b = descBase(t.desc);
  const head = (t.slot << 1) | (t.segs.length > t.singles ? 1 : 0);
  if (c[b] !== head)
    bad(
      `${where}: the descriptor's head is ${c[b]}, the table's ${head} (slot ${t.slot}, ${t.segs.length} segments, ${t.singles} mirrored)`,
    );
  const pairs = t.slot < 0 ? t.singles : 0;
  const seen = new Set<number>();
  for (let j = 0; j < FEW_MAX; j++) {
    const key = c[b + DESC_PAIRS + 2 * j] as number;
    if (j >= pairs) {
      if (key !== -1) bad(`${where}: pair ${j} of ${pairs} in use`);
      continue;
    }
    if (key < 0 || seen.has(key >> KEY_SHIFT)) bad(`${where}: pair ${j} has key ${key}`);
    seen.add(key >> KEY_SHIFT);
  }
  const hex = a.linkHex[t.desc];
  if (hex !== undefined && hex !== entryHex(t.pfn, _PAGE_TABLE))
    bad(`${where}: the cached link string ${hex} is not ${entryHex(t.pfn, _PAGE_TABLE)}`);
}

/**
 * The arena's books against the tables reachable from the live mms: every
 * slot and descriptor handed out and not freed belongs to exactly one of them.
 */
export function checkArenaBooks(a: EntryArena, tables: Iterable<Table>, bad: Bad): void {
  const slots = new Map<number, Table>();
  const descs = new Map<number, Table>();
  for (const t of tables) {
    if (t.arena !== a) continue;
    if (t.slot >= 0) {
      if (slots.has(t.slot)) bad(`slot ${t.slot} held by two tables`);
      slots.set(t.slot, t);
    }
    if (t.desc >= 0) {
      if (descs.has(t.desc)) bad(`descriptor ${t.desc} held by two tables`);
      descs.set(t.desc, t);
    }
  }
  const freeSlots = new Set(a.free);
  const freeDescs = new Set(a.freeDescs);
  if (freeSlots.size !== a.free.length || freeDescs.size !== a.freeDescs.length)
    bad('a slot or descriptor freed twice');
  for (const s of slots.keys()) if (freeSlots.has(s)) bad(`slot ${s} is in use and free`);
  for (const d of descs.keys()) if (freeDescs.has(d)) bad(`descriptor ${d} is in use and free`);
  if (a.used - a.free.length !== slots.size)
    bad(`${a.used - a.free.length} slots in use, ${slots.size} held by live tables: leaked`);
  if (a.descsUsed - a.freeDescs.length !== descs.size)
    bad(`${a.descsUsed - a.freeDescs.length} descriptors in use, ${descs.size} held by live tables: leaked`);
}
