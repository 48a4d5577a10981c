/**
 * A read-only picture of every mm's page tables for the views: table pages
 * as nodes, present entries as edges. A table reached from several entries
 * (an mshare host's tables, a hugetlb shared PMD page) is one node with
 * several incoming edges. A Run is shown as one summary node unless its id
 * is in `expand`; expanding it lists its entries with their (computed)
 * children. Nothing here changes the core's state.
 */
import { groupDigits } from './events';
import { FrameKind } from './frames';
import type { Machine } from './machine';
import type { Mm } from './mm';
import { flagNames, _PAGE_PSE, addrOf, entryHex, entrySpan, hexAddr, levelName, type LevelName } from './paging';
import { entryVpn, linLeaves, runEntry, type Lin, type Table } from './table';

export interface EntryInfo {
  index: number;
  /** The 64-bit value, hex. */
  value: string;
  flags: number;
  pfn: number;
  /** Node this entry points to (a table, a summary, or a data frame). */
  target: string;
  /** First and last+1 virtual address this entry maps, in the owning mm's view. */
  from: string;
  to: string;
}

export interface NodeInfo {
  id: string;
  kind: 'table' | 'summary' | 'data';
  level: LevelName | 'data';
  pfn: number;
  /** The mm the table page is charged to (mm_inc_nr_*), or what a data frame is. */
  owner: string;
  entries: EntryInfo[];
  /** Present entries in all (entries may be cut to `maxEntries`). */
  present: number;
  /** Entries of other tables that point here (more than one: shared). */
  parents: string[];
  /** For a summary: what the collapsed Run holds. */
  summary?: { entries: number; tables: Partial<Record<LevelName, number>>; dataPages: number; text: string };
}

export interface Forest {
  roots: { mm: string; node: string }[];
  nodes: Record<string, NodeInfo>;
}

export interface InspectOptions {
  /** Summary ids to show expanded. */
  expand?: ReadonlySet<string>;
  /** Most entries listed per table (the rest are counted in `present`). */
  maxEntries?: number;
}

// flagNames lives in ./paging.ts (the page imports it without the tables' code); re-exported for the core's callers.
export { flagNames };

const dataId = (pfn: number, kind: FrameKind): string => (kind === FrameKind.Zero ? 'zero' : `d${pfn}`);
const tableId = (pfn: number): string => `t${pfn}`;

export function inspect(m: Machine, mms: { label: string; mm: Mm }[], opts: InspectOptions = {}): Forest {
  const maxEntries = opts.maxEntries ?? 64;
  const expand = opts.expand ?? new Set<string>();
  const nodes: Record<string, NodeInfo> = {};
  const fmtCount = groupDigits;
  const word = (l: number): string => levelName(l, m.paging).toUpperCase();

  const dataParents = new Map<string, Set<string>>();
  const addData = (pfn: number, parent: string): string => {
    const kind = m.frames.kindOf(pfn);
    const id = dataId(pfn, kind);
    const n = (nodes[id] ??= {
      id,
      kind: 'data',
      level: 'data',
      pfn,
      owner: kind === FrameKind.Zero ? 'zero page' : kind === FrameKind.Shmem ? 'shmem page cache' : 'anonymous page',
      entries: [],
      present: 0,
      parents: [],
    });
    // A page shared by many tables (fork, the zero page) has as many parents: a set, not includes().
    let seen = dataParents.get(id);
    if (!seen) dataParents.set(id, (seen = new Set()));
    if (!seen.has(parent)) {
      seen.add(parent);
      n.parents.push(parent);
    }
    return id;
  };

  // The same addresses and entry values recur in every task's tables (64
  // forked tasks map the same ranges, and share most pages): each string is
  // made once per call (BigInt formatting is most of an entry's cost).
  const addrText = new Map<number, string>();
  const addrHex = (vpn: number): string => {
    let s = addrText.get(vpn);
    if (s === undefined) addrText.set(vpn, (s = hexAddr(addrOf(vpn))));
    return s;
  };
  const valueText = new Map<number, Map<number, string>>();
  const valueHex = (pfn: number, flags: number): string => {
    let byFlags = valueText.get(pfn);
    if (!byFlags) valueText.set(pfn, (byFlags = new Map()));
    let s = byFlags.get(flags);
    if (s === undefined) byFlags.set(flags, (s = entryHex(pfn, flags)));
    return s;
  };
  const entryInfo = (t: Table, i: number, pfn: number, flags: number, target: string): EntryInfo => {
    const from = entryVpn(t, i);
    return {
      index: i,
      value: valueHex(pfn, flags),
      flags,
      pfn,
      target,
      from: addrHex(from),
      to: addrHex(from + entrySpan(t.lvl)),
    };
  };

  const summaryOf = (t: Table, start: number, count: number, lin: Lin, parent: string): string => {
    const id = `s${t.pfn}:${start}`;
    if (nodes[id]) {
      nodes[id].parents.push(parent);
      return id;
    }
    const tables: Partial<Record<LevelName, number>> = {};
    const parts: string[] = [];
    for (let l = t.lvl - 1; l >= lin.bottom; l--) {
      const n = count * 512 ** (t.lvl - 1 - l);
      tables[levelName(l, m.paging)] = n;
      parts.push(`${fmtCount(n)} ${word(l)} page${n === 1 ? '' : 's'}`);
    }
    const leaves = linLeaves(lin);
    const dataPages = leaves ? count * entrySpan(t.lvl) : 0;
    const what = !leaves
      ? 'no pages mapped'
      : lin.dataKind === FrameKind.Zero
        ? `${fmtCount(dataPages)} zero-page mappings`
        : lin.huge
          ? `${fmtCount(dataPages / 512)} hugetlb pages of 2 MiB`
          : `${fmtCount(dataPages)} data pages`;
    nodes[id] = {
      id,
      kind: 'summary',
      level: levelName(t.lvl - 1, m.paging),
      pfn: (lin.tab0[t.lvl - 1] as number) + (entryVpn(t, start) - lin.vpn0) / entrySpan(t.lvl),
      owner: (lin.mm as Mm).label ?? '',
      entries: [],
      present: count,
      parents: [parent],
      summary: { entries: count, tables, dataPages, text: `${parts.join(', ')}, fully populated: ${what}` },
    };
    return id;
  };

  const visit = (t: Table, parent: string | null): string => {
    const id = tableId(t.pfn);
    const existing = nodes[id];
    if (existing) {
      if (parent && !existing.parents.includes(parent)) existing.parents.push(parent);
      return id;
    }
    const node: NodeInfo = {
      id,
      kind: 'table',
      level: levelName(t.lvl, m.paging),
      pfn: t.pfn,
      owner: (t.mm as Mm).label ?? '',
      entries: [],
      present: 0,
      parents: parent ? [parent] : [],
    };
    nodes[id] = node;
    for (const s of t.segs) {
      node.present += s.count;
      if (node.entries.length >= maxEntries) continue;
      if (s.lin === null) {
        const leaf = t.lvl === 0 || (s.flags & _PAGE_PSE) !== 0;
        const target = leaf || !s.child ? addData(s.pfn, id) : visit(s.child, id);
        node.entries.push(entryInfo(t, s.start, s.pfn, s.flags, target));
        continue;
      }
      const sid = `s${t.pfn}:${s.start}`;
      // A Run of leaves (PTEs, or hugetlb PMD entries) is listed entry by entry, as Singles are.
      const expanded = t.lvl === s.lin.bottom || expand.has(sid);
      if (!expanded) {
        // One edge from the first entry of the Run to its summary.
        const e = runEntry(t, s.start, s.lin);
        if (!e) continue;
        const target = summaryOf(t, s.start, s.count, s.lin, id);
        node.entries.push({
          ...entryInfo(t, s.start, e.pfn, e.flags, target),
          to: addrHex(entryVpn(t, s.start + s.count)),
        });
        continue;
      }
      for (let i = s.start; i < s.start + s.count && node.entries.length < maxEntries; i++) {
        const e = runEntry(t, i, s.lin);
        if (!e) continue;
        const target = e.child ? visit(e.child, id) : addData(e.pfn, id);
        node.entries.push(entryInfo(t, i, e.pfn, e.flags, target));
      }
    }
    return id;
  };

  const roots = mms.map(({ label, mm }) => ({ mm: label, node: visit(mm.pgd, null) }));
  return { roots, nodes };
}
