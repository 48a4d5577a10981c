/**
 * Tests' picture of the machine for checking a step's changes: every table
 * page reachable from a live mm with every entry (Runs expanded), the data
 * frames, each mm's pgtables_bytes; and applyChanges(), which plays a step's
 * changes onto such a picture, refusing any change whose `old` is not what
 * the picture holds (a change attributed or valued wrongly fails there).
 */
import type { StepChange } from './changes';
import { blockEntry, isDataKind } from './change-log';
import { FrameKind } from './frames';
import { IntervalMap } from './intervals';
import type { Kernel } from './kernel';
import { entryValue, levelName, type LevelName } from './paging';
import { runEntry, type Table } from './table';

export interface PtState {
  /** Table pages by PFN: level and present entries (16 hex digits). */
  tables: Map<number, { level: LevelName; entries: Map<number, string> }>;
  /** Data frames: what each is (Free elsewhere), as intervals (a hugetlb page is 512 frames). */
  data: IntervalMap<FrameKind>;
  /** pgtables_bytes by mm label (0 left out); labels that repeat are added up. */
  pgtables: Map<string, number>;
  /** PFNs whose frame kind is a table level (for orphan checks). */
  tableFrames: Set<number>;
}

const hex16 = (pfn: number, flags: number): string => entryValue(pfn, flags).toString(16).padStart(16, '0');

export function snapshot(k: Kernel): PtState {
  const paging = k.cfg.paging;
  const tables: PtState['tables'] = new Map();
  const visit = (t: Table): void => {
    if (tables.has(t.pfn)) return;
    const entries = new Map<number, string>();
    tables.set(t.pfn, { level: levelName(t.lvl, paging), entries });
    for (const s of t.segs) {
      if (s.lin === null) {
        entries.set(s.start, hex16(s.pfn, s.flags));
        if (s.child) visit(s.child);
        continue;
      }
      for (let i = s.start; i < s.start + s.count; i++) {
        const e = runEntry(t, i, s.lin);
        if (!e) continue;
        entries.set(i, hex16(e.pfn, e.flags));
        if (e.child) visit(e.child);
      }
    }
  };
  const pgtables = new Map<string, number>();
  for (const mm of k.liveMms()) {
    visit(mm.pgd);
    if (mm.pgtablesBytes) pgtables.set(mm.label, (pgtables.get(mm.label) ?? 0) + mm.pgtablesBytes);
  }
  const data = new IntervalMap<FrameKind>(FrameKind.Free);
  const tableFrames = new Set<number>();
  k.m.frames.kinds.forEach(0, 2 ** 40, (kind, s, e) => {
    if (isDataKind(kind)) data.set(s, e, kind);
    else if (kind >= FrameKind.TableBase && kind <= FrameKind.TableBase + 4)
      for (let p = s; p < e; p++) tableFrames.add(p);
  });
  return { tables, data, pgtables, tableFrames };
}

export function cloneState(s: PtState): PtState {
  const tables: PtState['tables'] = new Map();
  for (const [pfn, t] of s.tables) tables.set(pfn, { level: t.level, entries: new Map(t.entries) });
  const data = new IntervalMap<FrameKind>(FrameKind.Free);
  s.data.forEach(0, 2 ** 40, (v, a, b) => {
    if (v !== FrameKind.Free) data.set(a, b, v);
  });
  return { tables, data, pgtables: new Map(s.pgtables), tableFrames: new Set(s.tableFrames) };
}

const WHAT: Record<string, FrameKind> = {
  'anonymous page': FrameKind.Anon,
  'shmem page cache': FrameKind.Shmem,
  'hugetlb page': FrameKind.Huge,
};

/** Play changes onto s (in place), in order; throws at the first change that does not fit. */
export function applyChanges(s: PtState, changes: readonly StepChange[]): void {
  changes.forEach((c, n) => {
    const fail = (why: string): never => {
      throw new Error(`change ${n} ${JSON.stringify(c)}: ${why}`);
    };
    switch (c.kind) {
      case 'entry-set':
      case 'entry-cleared':
        for (let k = 0; k < (c.count ?? 1); k++) {
          const e = blockEntry(c, k);
          const t = s.tables.get(e.table) ?? fail(`no table page ${e.table}`);
          if (t.level !== c.level) fail(`table ${e.table} is a ${t.level}`);
          const now = t.entries.get(e.index) ?? null;
          if (now !== e.old) fail(`entry ${e.index} (block entry ${k}) holds ${now}, not ${e.old}`);
          if (e.new === null) t.entries.delete(e.index);
          else t.entries.set(e.index, e.new);
        }
        break;
      case 'table-alloc':
        for (let p = c.pfn; p < c.pfn + (c.count ?? 1); p++) {
          if (s.tables.has(p)) fail(`table ${p} exists`);
          s.tables.set(p, { level: c.level, entries: new Map() });
        }
        break;
      case 'table-free':
        for (let p = c.pfn; p < c.pfn + (c.count ?? 1); p++) {
          if (s.tables.get(p)?.level !== c.level) fail(`no ${c.level} table ${p}`);
          s.tables.delete(p);
        }
        break;
      case 'data-alloc':
      case 'data-free': {
        const kind = WHAT[c.what] ?? fail(`unknown ${c.what}`);
        const end = c.pfn + (c.count ?? 1);
        if (c.kind === 'data-alloc') {
          if (!s.data.every(c.pfn, end, (v) => v === FrameKind.Free)) fail('a frame is in use');
          s.data.set(c.pfn, end, kind);
        } else {
          if (!s.data.every(c.pfn, end, (v) => v === kind)) fail(`a frame is not a ${c.what}`);
          s.data.set(c.pfn, end, FrameKind.Free);
        }
        break;
      }
      case 'pgtables': {
        // By delta: two live mms may carry one label (an msharefs region re-created while the old one is held).
        const v = (s.pgtables.get(c.mm) ?? 0) + c.to - c.from;
        if (v < 0) fail(`${c.mm} would hold ${v} bytes`);
        if (v) s.pgtables.set(c.mm, v);
        else s.pgtables.delete(c.mm);
        break;
      }
    }
  });
}

/** The parts a step's changes speak for (tables, entries, data frames, pgtables), as plain sorted data. */
export function comparable(s: PtState): {
  tables: [number, LevelName, [number, string][]][];
  data: [number, number, FrameKind][];
  pgtables: [string, number][];
} {
  // Data as maximal intervals of one kind: the same frames whatever the map's history.
  const data: [number, number, FrameKind][] = [];
  s.data.forEach(0, 2 ** 40, (v, a, b) => {
    if (v === FrameKind.Free) return;
    const last = data[data.length - 1];
    if (last && last[1] === a && last[2] === v) last[1] = b;
    else data.push([a, b, v]);
  });
  return {
    tables: [...s.tables]
      .sort((a, b) => a[0] - b[0])
      .map(([pfn, t]) => [pfn, t.level, [...t.entries].sort((a, b) => a[0] - b[0])]),
    data,
    pgtables: [...s.pgtables].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  };
}
