/**
 * A step's changes (./changes.ts), recorded where the core makes them.
 *
 * While a step runs, the core's writes call the recorder (./change-hook.ts):
 * each entry written, each Run of entries put or cleared, each table page and
 * data frame allocated or freed, each change of an mm's table count. Every
 * record is tagged with the event running at the time (EventLog.current),
 * or, for a function that announces its work after doing it (pud_alloc,
 * set_pgd, copy_page_range, free_pgtables' counts), with that event: its
 * call site claims the changes it just made (claimChanges()).
 *
 * Tags never go backwards: a record's event is at least the previous one's.
 * So the list is in event order, and applying the changes with event <= k, in
 * order, gives the state after event k. Inside a summarised block (a bulk
 * touch, MAP_POPULATE) the events are one summary per function, listed in the
 * order each function first ran; a change goes to the summary of the function
 * running, or to the latest summary already reached if that one comes earlier.
 *
 * Bulk work is recorded as it is stored: a Run of entries is one record, and
 * becomes one block change per level (BlockFields), not one per entry, so a
 * 300 GiB populate is a handful of changes.
 *
 * finish() turns the records into StepChange objects once the step is over;
 * records keep what they need (PFNs, levels, labels, Lins, which are never
 * mutated) at the time they are made.
 */
import type { ChangeRecorder, EntryBits } from './change-hook';
import type { BlockFields, FlagFlip, StepChange } from './changes';
import type { EventLog, KEvent } from './events';
import { FrameKind } from './frames';
import type { Mm } from './mm';
import { FLAG_NAMES, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_SAVED_DIRTY, _PAGE_SPECIAL, _PAGE_TABLE, entrySpan, entryValue, levelName, tableSpan, type LevelName, type Paging } from './paging';
import type { Charge, Lin, Table } from './table';

type Rec =
  | { k: 'e'; ev: number; table: number; lvl: number; mm: string; i: number; old: EntryBits | null; nu: EntryBits | null }
  | { k: 'b'; ev: number; table: number; lvl: number; base: number; mm: string; i: number; j: number; old: Lin | null; nu: Lin | null }
  | { k: 't'; ev: number; op: 'alloc' | 'free'; mm: string; lvl: number; pfn: number; n: number }
  | { k: 'd'; ev: number; op: 'alloc' | 'free'; pfn: number; n: number; kind: FrameKind }
  | { k: 'p'; ev: number; mm: string; from: number; to: number };

/** The label inspect() shows for a table's owner (an Mm; '' for a bare Charge of the tests). */
function labelOf(c: Charge): string {
  return (c as Mm).label ?? '';
}

/** mm_pgtables_bytes() of a charge: PTE, PMD and PUD pages. */
function bytesOf(c: Charge): number {
  return ((c.tables[0] ?? 0) + (c.tables[1] ?? 0) + (c.tables[2] ?? 0)) * 4096;
}

const DATA_WHAT: Partial<Record<FrameKind, string>> = {
  [FrameKind.Anon]: 'anonymous page',
  [FrameKind.Shmem]: 'shmem page cache',
  [FrameKind.Huge]: 'hugetlb page',
};

/** Data frames: what a data-alloc or data-free is about (tables, the zero page and the kernel's are not). */
export function isDataKind(kind: FrameKind): boolean {
  return kind === FrameKind.Anon || kind === FrameKind.Shmem || kind === FrameKind.Huge;
}

/**
 * Flag bits named in a flip: paging.ts FLAG_NAMES, and the two software bits
 * an entry's value shows that FLAG_NAMES leaves out: _PAGE_SPECIAL (the zero
 * page's PTEs) and _PAGE_SAVED_DIRTY (bit 58, where pte_wrprotect() moves D).
 */
const FLIP_NAMES: [string, number][] = [...FLAG_NAMES, ['SPECIAL', _PAGE_SPECIAL], ['SAVED_DIRTY', _PAGE_SAVED_DIRTY]];

export function flagFlips(from: number, to: number): FlagFlip[] {
  const out: FlagFlip[] = [];
  for (const [name, bit] of FLIP_NAMES) {
    const a = from & bit ? 1 : 0;
    const b = to & bit ? 1 : 0;
    if (a !== b) out.push({ name, from: a, to: b });
  }
  return out;
}

/** 16 hex digits, as changes.ts carries values (no 0x). */
function hex16(e: EntryBits): string {
  return entryValue(e.pfn, e.flags).toString(16).padStart(16, '0');
}

/** What a Run's entries look like at one level: none, or a first entry and a PFN stride. */
interface LinLevel {
  first: EntryBits;
  stride: 0 | 1;
}

/**
 * The entries of level-`lvl` tables under a Run of `lin`, from the one
 * mapping vpn on: null when there are none (a zapped Run's PTEs, or tables
 * below `bottom`, which were freed).
 */
function linEntries(lin: Lin, lvl: number, vpn: number): LinLevel | null {
  if (lvl === 0) {
    if (lin.bottom !== 0 || lin.leaf === 0) return null;
    return { first: { pfn: lin.data0 + (vpn - lin.vpn0) * lin.dstride, flags: lin.leaf }, stride: lin.dstride };
  }
  if (lvl - 1 < lin.bottom) return null;
  return { first: { pfn: (lin.tab0[lvl - 1] as number) + (vpn - lin.vpn0) / tableSpan(lvl - 1), flags: _PAGE_TABLE }, stride: 1 };
}

/** The first table page of level lvl under a Run of lin, from vpn on; null when the Run has none at that level. */
function linTable(lin: Lin | null, lvl: number, vpn: number): number | null {
  if (lin === null || lvl < lin.bottom) return null;
  return (lin.tab0[lvl] as number) + (vpn - lin.vpn0) / tableSpan(lvl);
}

export class ChangeLog implements ChangeRecorder {
  private recs: Rec[] = [];
  /** No record is tagged below this (tags never go backwards). */
  private floor = 0;

  constructor(
    private readonly ev: EventLog,
    private readonly paging: Paging,
  ) {}

  private at(): number {
    const c = this.ev.current;
    if (c > this.floor) this.floor = c;
    return this.floor;
  }

  get length(): number {
    return this.recs.length;
  }

  mark(): number {
    return this.recs.length;
  }

  claim(mark: number, event?: number): void {
    const before = mark > 0 ? (this.recs[mark - 1] as Rec).ev : 0;
    const c = Math.max(event ?? this.at(), before);
    for (let k = mark; k < this.recs.length; k++) (this.recs[k] as Rec).ev = c;
  }

  entry(t: Table, i: number, old: EntryBits | null, nu: EntryBits | null): void {
    if (old === null && nu === null) return;
    if (old !== null && nu !== null && old.pfn === nu.pfn && old.flags === nu.flags) return;
    this.recs.push({ k: 'e', ev: this.at(), table: t.pfn, lvl: t.lvl, mm: labelOf(t.mm), i, old, nu });
  }

  block(t: Table, i: number, j: number, old: Lin | null, nu: Lin | null): void {
    if (j <= i || old === nu) return;
    this.recs.push({ k: 'b', ev: this.at(), table: t.pfn, lvl: t.lvl, base: t.base, mm: labelOf(t.mm), i, j, old, nu });
  }

  table(op: 'alloc' | 'free', mm: Charge, lvl: number, pfn: number, n: number): void {
    if (n > 0) this.recs.push({ k: 't', ev: this.at(), op, mm: labelOf(mm), lvl, pfn, n });
  }

  data(op: 'alloc' | 'free', pfn: number, n: number, kind: FrameKind): void {
    if (n > 0 && isDataKind(kind)) this.recs.push({ k: 'd', ev: this.at(), op, pfn, n, kind });
  }

  charge(mm: Charge, lvl: number, delta: number): void {
    if (lvl > 2 || delta === 0) return;
    const to = bytesOf(mm);
    this.recs.push({ k: 'p', ev: this.at(), mm: labelOf(mm), from: to - delta * 4096, to });
  }

  /** The step's changes, with each event's index checked against `events` and its fn filled in. */
  finish(events: readonly KEvent[]): StepChange[] {
    const out: (StepChange | null)[] = [];
    const last = Math.max(0, events.length - 1);
    const fnOf = (e: number): string => events[e]?.fn ?? '';
    /** Single-entry changes by `${table}:${index}` (same event), with the entry's value before: a later write to it updates the change. */
    let open = new Map<string, { k: number; old: EntryBits | null }>();
    /** pgtables changes by mm (same event). */
    let pg = new Map<string, number>();
    let curEv = -1;
    for (const r of this.recs) {
      const event = Math.min(r.ev, last);
      if (event !== curEv) {
        open = new Map();
        pg = new Map();
        curEv = event;
      }
      const fn = fnOf(event);
      const level = (l: number) => levelName(l, this.paging);
      switch (r.k) {
        case 'e': {
          const key = `${r.table}:${r.i}`;
          const o = open.get(key);
          const c = singleChange(event, fn, r.mm, level(r.lvl), r.table, r.i, o ? o.old : r.old, r.nu);
          if (o) out[o.k] = c;
          else if (c) {
            open.set(key, { k: out.length, old: r.old });
            out.push(c);
          }
          break;
        }
        case 'b':
          open = new Map();
          for (const c of blockChanges(r, event, fn, level)) out.push(c);
          break;
        case 't':
          if (r.op === 'free') open = new Map();
          out.push({ kind: r.op === 'alloc' ? 'table-alloc' : 'table-free', event, fn, mm: r.mm, level: level(r.lvl), pfn: r.pfn, ...(r.n > 1 ? { count: r.n } : {}) });
          break;
        case 'd':
          out.push({ kind: r.op === 'alloc' ? 'data-alloc' : 'data-free', event, fn, pfn: r.pfn, what: DATA_WHAT[r.kind] ?? 'page', ...(r.n > 1 ? { count: r.n } : {}) });
          break;
        case 'p': {
          const k = pg.get(r.mm);
          const prev = k === undefined ? null : (out[k] as Extract<StepChange, { kind: 'pgtables' }> | null);
          if (prev) {
            out[k as number] = prev.from === r.to ? null : { ...prev, to: r.to };
            if (prev.from === r.to) pg.delete(r.mm);
          } else {
            pg.set(r.mm, out.length);
            out.push({ kind: 'pgtables', event, fn, mm: r.mm, from: r.from, to: r.to });
          }
          break;
        }
      }
    }
    return out.filter((c): c is StepChange => c !== null);
  }
}

/** One entry's change from old (its value when the event first wrote it) to nu; null when it ends as it began. */
function singleChange(event: number, fn: string, mm: string, level: LevelName, table: number, index: number, old: EntryBits | null, nu: EntryBits | null): StepChange | null {
  const was = old === null ? null : hex16(old);
  if (nu === null) return was === null ? null : { kind: 'entry-cleared', event, fn, mm, level, table, index, old: was };
  const now = hex16(nu);
  if (now === was) return null;
  const c: StepChange & { kind: 'entry-set' } = { kind: 'entry-set', event, fn, mm, level, table, index, old: was, new: now };
  if (old !== null) {
    const flips = flagFlips(old.flags, nu.flags);
    if (flips.length) c.flags = flips;
  }
  return c;
}

/**
 * A Run record as block changes, level by level: the entries [i, j) of its
 * own table, then, for each level below that has tables after the change,
 * every entry of those tables (tables that only existed before are freed,
 * which their table-free says; their entries go with them).
 */
function blockChanges(
  r: Extract<Rec, { k: 'b' }>,
  event: number,
  fn: string,
  level: (l: number) => LevelName,
): StepChange[] {
  const out: StepChange[] = [];
  const vpnA = r.base + r.i * entrySpan(r.lvl);
  const n = r.j - r.i;
  const push = (mm: string, lvl: number, table: number, index: number, count: number, old: LinLevel | null, nu: LinLevel | null): void => {
    if (old === null && nu === null) return;
    if (old !== null && nu !== null && old.first.pfn === nu.first.pfn && old.first.flags === nu.first.flags && old.stride === nu.stride) return;
    const block: BlockFields = count > 1 ? { count } : {};
    if (nu === null) {
      const o = old as LinLevel;
      out.push({ kind: 'entry-cleared', event, fn, mm, level: level(lvl), table, index, old: hex16(o.first), ...block, ...(count > 1 ? { oldStride: o.stride } : {}) });
      return;
    }
    const c: StepChange & { kind: 'entry-set' } = {
      kind: 'entry-set', event, fn, mm, level: level(lvl), table, index,
      old: old === null ? null : hex16(old.first), new: hex16(nu.first), ...block,
    };
    if (count > 1) {
      c.stride = nu.stride;
      if (old !== null) c.oldStride = old.stride;
    }
    if (old !== null) {
      const flips = flagFlips(old.first.flags, nu.first.flags);
      if (flips.length) c.flags = flips;
    }
    out.push(c);
  };
  const at = (lin: Lin | null, lvl: number): LinLevel | null => (lin === null ? null : linEntries(lin, lvl, vpnA));
  push(r.mm, r.lvl, r.table, r.i, n, at(r.old, r.lvl), at(r.nu, r.lvl));
  for (let l = r.lvl - 1; l >= 0; l--) {
    const tNew = linTable(r.nu, l, vpnA);
    if (tNew === null) continue;
    const tOld = linTable(r.old, l, vpnA);
    const entries = n * 512 ** (r.lvl - l);
    const nu = r.nu as Lin;
    push(labelOf(nu.mm), l, tNew, 0, entries, tOld === tNew ? at(r.old, l) : null, at(nu, l));
  }
  return out;
}

/** Entry k of a change (k < count): which table and index, and its old and new values (16 hex digits, null = none). */
export function blockEntry(c: StepChange & { kind: 'entry-set' | 'entry-cleared' }, k: number): { table: number; index: number; old: string | null; new: string | null } {
  const pos = c.index + k;
  const step = (v: string | null, stride: 0 | 1 | undefined): string | null => {
    if (v === null || k === 0 || !stride) return v;
    const x = BigInt('0x' + v);
    // A PROT_NONE entry (not present, PROTNONE set) holds its PFN inverted (paging.ts entryValue()).
    const inverted = !(x & BigInt(_PAGE_PRESENT)) && (x & BigInt(_PAGE_PROTNONE)) !== 0n;
    const d = BigInt(k) << 12n;
    return (inverted ? x - d : x + d).toString(16).padStart(16, '0');
  };
  return {
    table: c.table + Math.floor(pos / 512),
    index: pos % 512,
    old: step(c.old, c.oldStride),
    new: c.kind === 'entry-set' ? step(c.new, c.stride) : null,
  };
}
