/**
 * The MMU's walk (Intel SDM Vol. 3A §4.5.4, §4.6): from the PGD down, each
 * level's entry must be present; a leaf's RW, US and NX bits then decide
 * whether the access is allowed.
 */
import { Machine } from './machine';
import type { Mm } from './mm';
import { entryAt, type Table } from './table';
import {
  _PAGE_NX,
  _PAGE_PRESENT,
  _PAGE_PSE,
  _PAGE_RW,
  _PAGE_USER,
  entryHex,
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

/** Walk mm's tables for vpn without changing anything (also what `translate` shows). */
export function walk(m: Machine, mm: Mm, vpn: number, access: Access = 'read'): Walk {
  const levels: WalkLevel[] = [];
  let t: Table = mm.pgd;
  for (let lvl = m.top; lvl >= 0; lvl--) {
    const i = indexAt(vpn, lvl);
    const e = entryAt(t, i);
    const level = levelName(lvl, m.paging);
    levels.push({
      level,
      index: i,
      tablePfn: t.pfn,
      entry: e ? entryHex(e.pfn, e.flags) : null,
      pfn: e ? e.pfn : null,
      flags: e ? e.flags : 0,
    });
    if (!e || !(e.flags & _PAGE_PRESENT)) return { levels, fault: 'not-present' };
    const isLeaf = lvl === 0 || (lvl === 1 && (e.flags & _PAGE_PSE) !== 0);
    if (isLeaf) {
      const leaf = { pfn: e.pfn, flags: e.flags, lvl };
      const denied =
        !(e.flags & _PAGE_USER) ||
        (access === 'write' && !(e.flags & _PAGE_RW)) ||
        (access === 'exec' && (e.flags & _PAGE_NX) !== 0);
      return denied ? { levels, leaf, fault: 'protection' } : { levels, leaf };
    }
    t = e.child as Table;
  }
  return { levels, fault: 'not-present' };
}
