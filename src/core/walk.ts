/**
 * The MMU's walk (Intel SDM Vol. 3A §4.5.4, §4.6): from the PGD down, each
 * level's entry must be present; a leaf's RW, US and NX bits then decide
 * whether the access is allowed.
 */
import { Machine } from './machine';
import type { Mm } from './mm';
import { findSeg, linLeaves, type Lin, type Seg, type Table } from './table';
import {
  descBase,
  keyFlags,
  pairAt,
  entryFlags,
  entryPfn,
  linkDesc,
  linkPfn,
  slotBase,
  storedEntry,
  type EntryArena,
} from './entries';
import {
  _PAGE_PROTNONE,
  _PAGE_SAVED_DIRTY,
  _PAGE_NX,
  _PAGE_PRESENT,
  _PAGE_PSE,
  _PAGE_RW,
  _PAGE_TABLE,
  _PAGE_USER,
  entryHex,
  entrySpan,
  indexAt,
  levelName,
  type LevelName,
} from './paging';

export type Access = 'read' | 'write' | 'exec';

export interface WalkLevel {
  level: LevelName;
  index: number;
  /** The table page read at this level. */
  tablePfn: number;
  /** null: the entry is none. */
  entry: string | null;
  pfn: number | null;
  flags: number;
}

export interface Walk {
  levels: WalkLevel[];
  /** The leaf entry, when the walk reached one that is present to the MMU. */
  leaf?: { pfn: number; flags: number; lvl: number };
  /** Why the MMU would fault: absent entry, or a present leaf that forbids the access. */
  fault?: 'not-present' | 'protection';
}

const NAMES: Record<4 | 5, LevelName[]> = {
  4: [0, 1, 2, 3].map((l) => levelName(l, 4)),
  5: [0, 1, 2, 3, 4].map((l) => levelName(l, 5)),
};
const PFN_FAST_LIMIT = 2 ** 40;
/** Three hex digits per 12 bits: number→hex via toString(16) is slow in V8, a table is not. */
const HEX3: string[] = [];
for (let i = 0; i < 4096; i++) HEX3.push(i.toString(16).padStart(3, '0'));

/**
 * '0x8000000' or '0x0000000' (NX or not, PFN bits 24–47 zero) followed by the
 * PFN's bits 12–23: the first 12 characters of the entry of a PFN below 2^24,
 * made once each (two concatenations per entry instead of five).
 */
const HEAD: (string | undefined)[][] = [
  new Array<string | undefined>(4096).fill(undefined),
  new Array<string | undefined>(4096).fill(undefined),
];

/** entryHex() without BigInt: the entry's 12-bit groups are the flags' and the PFN's own. */
function hexOf(pfn: number, flags: number): string {
  // SavedDirty (bit 58) and a PROT_NONE entry's inverted PFN take the full path.
  if (pfn >= PFN_FAST_LIMIT || flags & _PAGE_SAVED_DIRTY || (!(flags & _PAGE_PRESENT) && flags & _PAGE_PROTNONE))
    return entryHex(pfn, flags);
  if (pfn < 2 ** 24) {
    const nx = flags & _PAGE_NX ? 1 : 0;
    const heads = HEAD[nx] as (string | undefined)[];
    let head = heads[pfn >> 12];
    if (head === undefined) heads[pfn >> 12] = head = (nx ? '0x8000000' : '0x0000000') + (HEX3[pfn >> 12] as string);
    return head + (HEX3[pfn & 0xfff] as string) + (HEX3[flags & 0xfff] as string);
  }
  return (
    (flags & _PAGE_NX ? '0x8' : '0x0') +
    (HEX3[Math.floor(pfn / 2 ** 36) & 0xfff] as string) +
    (HEX3[Math.floor(pfn / 2 ** 24) & 0xfff] as string) +
    (HEX3[Math.floor(pfn / 2 ** 12) & 0xfff] as string) +
    (HEX3[pfn & 0xfff] as string) +
    (HEX3[flags & 0xfff] as string)
  );
}

/**
 * Walk mm's tables for vpn without changing anything (also what `translate`
 * shows). With entries = false the present levels' `entry` strings are left
 * empty, for a caller that may not need them: withEntries() fills them in
 * later (they depend only on each level's pfn and flags).
 */
export function walk(m: Machine, mm: Mm, vpn: number, access: Access = 'read', entries = true): Walk {
  const a = mm.pgd.arena;
  return (
    (a !== null && mm.pgd.desc >= 0 ? walkArena(a, m, mm, vpn, access, entries) : null) ??
    walkTables(m, mm, vpn, access, entries)
  );
}

/** levels cut to its first n (setting the length goes to the runtime even when it does not change). */
function trimmed(levels: WalkLevel[], n: number): WalkLevel[] {
  if (n !== levels.length) levels.length = n;
  return levels;
}

/** hexOf() of the entry _PAGE_TABLE that links the table pfn of descriptor d, kept in the arena (entries.ts). */
function linkHex(a: EntryArena, d: number, pfn: number): string {
  return a.linkHex[d] ?? (a.linkHex[d] = hexOf(pfn, _PAGE_TABLE));
}

/** The leaf's verdict: US, then RW for a write and NX for a fetch (SDM §4.6). */
function leafWalk(levels: WalkLevel[], pfn: number, flags: number, lvl: number, access: Access): Walk {
  const leaf = { pfn, flags, lvl };
  const denied =
    !(flags & _PAGE_USER) ||
    (access === 'write' && !(flags & _PAGE_RW)) ||
    (access === 'exec' && (flags & _PAGE_NX) !== 0);
  return denied ? { levels, leaf, fault: 'protection' } : { levels, leaf };
}

/**
 * The walk through the arena alone (entries.ts): each level's entry from its
 * table's descriptor (the slot, or the pairs), the next table's pfn and
 * descriptor from the entry, and no Table object read on the way. An entry
 * the mirror lacks is none when the head says every segment is mirrored;
 * otherwise (a Run, an entry too big to pack, a table of another arena)
 * walkArena() returns null and the segments decide, in walkTables().
 */
function walkArena(a: EntryArena, m: Machine, mm: Mm, vpn: number, access: Access, entries: boolean): Walk | null {
  const names = NAMES[m.paging];
  // The length a walk to a PTE has, set once (push() would grow it from 0 to 16).
  const levels = new Array<WalkLevel>(m.top + 1);
  let n = 0;
  const dc = a.descs;
  let d = mm.pgd.desc;
  let tablePfn = mm.pgd.pfn;
  // The next table's head, read as soon as its descriptor is known: the load
  // that misses the cache starts before this level's result is built.
  let head = d < 0 ? 0 : (dc[descBase(d)] as number);
  // vpn in two small integers, bits 0-26 (levels 0-2) and 27 up (3-4): a shift
  // per level rather than a division (a vpn has at most 45 bits).
  const hi = Math.floor(vpn / 2 ** 27);
  const lo = vpn - hi * 2 ** 27;
  for (let lvl = m.top; lvl >= 0; lvl--) {
    if (d < 0) return null;
    const i = (lvl >= 3 ? hi >> (9 * lvl - 27) : lo >> (9 * lvl)) & 511;
    const db = descBase(d);
    const s = head >> 1;
    const none = head & 1;
    let pfn: number;
    let flags: number;
    let kid = 0;
    if (s >= 0) {
      const k = slotBase(s) + i;
      const v = a.entries[k] as number;
      if (v === 0) return none ? null : noneAt(levels, n, names[lvl] as LevelName, i, tablePfn);
      // Below 2^30 (packEntry()): small integers, as the pairs' are.
      if (v > 0) {
        pfn = entryPfn(v) | 0;
        flags = entryFlags(v, pfn);
      } else {
        // linkEntry(): _PAGE_TABLE, and the next table's descriptor.
        const next = linkDesc(v);
        head = dc[descBase(next)] as number;
        kid = next + 1;
        pfn = linkPfn(v, next);
        flags = _PAGE_TABLE;
      }
    } else {
      // A PTE table's pairs.
      const j = pairAt(dc, db, i);
      if (j < 0) return none ? null : noneAt(levels, n, names[lvl] as LevelName, i, tablePfn);
      pfn = dc[j + 1] as number;
      flags = keyFlags(dc[j] as number);
    }
    const entry = !entries ? '' : kid > 0 ? linkHex(a, kid - 1, pfn) : hexOf(pfn, flags);
    levels[n++] = { level: names[lvl] as LevelName, index: i, tablePfn, entry, pfn, flags };
    if (!(flags & _PAGE_PRESENT)) return { levels: trimmed(levels, n), fault: 'not-present' };
    if (lvl === 0 || (lvl === 1 && (flags & _PAGE_PSE) !== 0))
      return leafWalk(trimmed(levels, n), pfn, flags, lvl, access);
    d = kid - 1;
    tablePfn = pfn;
  }
  return null;
}

/** The walk ends at a none entry (walkArena() found no Single, and its table holds nothing else). */
function noneAt(levels: WalkLevel[], n: number, level: LevelName, index: number, tablePfn: number): Walk {
  levels[n++] = { level, index, tablePfn, entry: null, pfn: null, flags: 0 };
  return { levels: trimmed(levels, n), fault: 'not-present' };
}

/**
 * The walk through the Table objects and their segments: what every entry
 * holds, Runs included (exported as the reference walk()'s tests compare with).
 */
export function walkTables(m: Machine, mm: Mm, vpn: number, access: Access, entries: boolean): Walk {
  const levels: WalkLevel[] = [];
  const names = NAMES[m.paging];
  let t: Table = mm.pgd;
  let tablePfn = t.pfn;
  // Inside a Run, the tables below exist only as the Lin's arithmetic: follow it
  // in the vpn space of the table the Run sits in (its base; mshare tables keep theirs).
  let lin: Lin | null = null;
  let hv = 0;
  for (let lvl = m.top; lvl >= 0; lvl--) {
    const span = entrySpan(lvl);
    const i = indexAt(vpn, lvl);
    let pfn = -1;
    let flags = 0;
    let child: Table | null = null;
    if (lin === null) {
      // An explicit entry: read from the table's slot in the arena (entries.ts), as the MMU reads memory.
      const v = storedEntry(t, i);
      if (v !== 0) {
        pfn = entryPfn(v);
        flags = entryFlags(v, pfn);
        child = t.kids === null ? null : (t.kids[i] as Table | null);
      }
      // Not a Single there: none, or inside a Run, which only the segments tell.
      if (v === 0 && t.segs.length > t.singles) {
        const k = findSeg(t, i);
        if (k >= 0) {
          const s = t.segs[k] as Seg;
          if (s.lin === null) {
            // A Single the arena does not hold: too big to pack, or in a table whose page was freed (releaseSlot).
            pfn = s.pfn;
            flags = s.flags;
            child = s.child;
          } else {
            lin = s.lin;
            hv = t.base + (vpn % (span * 512));
          }
        }
      }
    }
    if (lin !== null) {
      if (lvl <= lin.bottom) {
        // The leaf's own entry: a PTE, or a hugetlb PMD entry (the huge page's head frame).
        if (lvl === lin.bottom && linLeaves(lin)) {
          pfn = lin.data0 + (hv - (hv % span) - lin.vpn0) * lin.dstride;
          flags = lin.leaf;
        }
      } else {
        pfn = (lin.tab0[lvl - 1] as number) + Math.floor((hv - lin.vpn0) / span);
        flags = _PAGE_TABLE;
      }
    }
    const level = names[lvl] as LevelName;
    if (pfn < 0) {
      levels.push({ level, index: i, tablePfn, entry: null, pfn: null, flags: 0 });
      return { levels, fault: 'not-present' };
    }
    let entry = '';
    if (entries) entry = hexOf(pfn, flags);
    levels.push({ level, index: i, tablePfn, entry, pfn, flags });
    if (!(flags & _PAGE_PRESENT)) return { levels, fault: 'not-present' };
    if (lvl === 0 || (lvl === 1 && (flags & _PAGE_PSE) !== 0)) return leafWalk(levels, pfn, flags, lvl, access);
    if (lin === null) {
      t = child as Table;
      tablePfn = t.pfn;
    } else {
      tablePfn = pfn;
    }
  }
  return { levels, fault: 'not-present' };
}

/** The entry strings of a walk made with entries = false. */
export function withEntries(w: Walk): Walk {
  for (const l of w.levels) if (l.entry === '' && l.pfn !== null) l.entry = hexOf(l.pfn, l.flags);
  return w;
}
