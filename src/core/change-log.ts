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
import type { FlagFlip, StepChange } from './changes';
import type { EventLog, KEvent } from './events';
import { FrameKind } from './frames';
import type { Mm } from './mm';
import {
  FLAG_NAMES,
  _PAGE_NX,
  _PAGE_PRESENT,
  _PAGE_PROTNONE,
  _PAGE_SAVED_DIRTY,
  _PAGE_SPECIAL,
  _PAGE_TABLE,
  entrySpan,
  levelName,
  tableSpan,
  type LevelName,
  type Paging,
} from './paging';
import type { Charge, Lin, Table } from './table';

type Rec =
  /** op/of: the old PFN and flags, np/nf the new (PFN -1: none). */
  | {
      k: 'e';
      ev: number;
      table: number;
      lvl: number;
      mm: string;
      i: number;
      op: number;
      of: number;
      np: number;
      nf: number;
    }
  | {
      k: 'b';
      ev: number;
      table: number;
      lvl: number;
      base: number;
      mm: string;
      i: number;
      j: number;
      old: LinShot | null;
      nu: LinShot | null;
    }
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

/**
 * 16 hex digits, as changes.ts carries values (no 0x): paging.ts
 * entryValue() without BigInt (a step may have thousands): bits 63 (NX) and
 * 58 (SAVED_DIRTY), the 40-bit PFN field (inverted for PROT_NONE), the low
 * 12 bits. change-log.test.ts checks it against entryValue().
 */
export function hex16(e: EntryBits): string {
  const f = e.flags;
  const inverted = !(f & _PAGE_PRESENT) && (f & _PAGE_PROTNONE) !== 0;
  const field = inverted ? PFN_MASK - e.pfn : e.pfn;
  const top = (f & _PAGE_NX ? 0x800 : 0) | (f & _PAGE_SAVED_DIRTY ? 0x040 : 0);
  return (
    top.toString(16).padStart(3, '0') + field.toString(16).padStart(10, '0') + (f & 0xfff).toString(16).padStart(3, '0')
  );
}

/** 2^40 - 1: the PFN field; ~pfn within it is PFN_MASK - pfn. */
const PFN_MASK = 2 ** 40 - 1;

/**
 * What a record keeps of a Lin: its pattern and its mm's label, not the mm
 * (a Lin's mm may be an OOM-killed client's, which would then live until the
 * step ends: 1,139 of them in the mainline SGA's touch).
 */
interface LinShot {
  readonly vpn0: number;
  readonly data0: number;
  readonly dstride: 0 | 1;
  readonly tab0: readonly number[];
  readonly leaf: number;
  readonly bottom: number;
  readonly label: string;
  /** A hugetlb Run (table.ts): its PMD entries are 2 MiB leaves. */
  readonly huge: boolean;
}

function shot(l: Lin | null): LinShot | null {
  return l === null
    ? null
    : {
        vpn0: l.vpn0,
        data0: l.data0,
        dstride: l.dstride,
        tab0: l.tab0,
        leaf: l.leaf,
        bottom: l.bottom,
        label: labelOf(l.mm),
        huge: l.huge === true,
      };
}

/** What a Run's entries look like at one level: none, or a first entry and a PFN stride. */
interface LinLevel {
  first: EntryBits;
  stride: 0 | 1 | 512;
}

/**
 * The entries of level-`lvl` tables under a Run of `lin`, from the one
 * mapping vpn on: null when there are none (a zapped Run's PTEs, or tables
 * below `bottom`, which were freed).
 */
function linEntries(lin: LinShot, lvl: number, vpn: number): LinLevel | null {
  if (lin.huge && lvl <= 1) {
    // hugetlb: PMD entries are 2 MiB leaves (none when zapped), one huge page (512 frames) apart; no PTE tables.
    if (lvl === 0 || lin.leaf === 0) return null;
    return {
      first: { pfn: lin.data0 + (vpn - lin.vpn0) * lin.dstride, flags: lin.leaf },
      stride: lin.dstride ? 512 : 0,
    };
  }
  if (lvl === 0) {
    if (lin.bottom !== 0 || lin.leaf === 0) return null;
    return { first: { pfn: lin.data0 + (vpn - lin.vpn0) * lin.dstride, flags: lin.leaf }, stride: lin.dstride };
  }
  if (lvl - 1 < lin.bottom) return null;
  return {
    first: { pfn: (lin.tab0[lvl - 1] as number) + (vpn - lin.vpn0) / tableSpan(lvl - 1), flags: _PAGE_TABLE },
    stride: 1,
  };
}

/** The first table page of level lvl under a Run of lin, from vpn on; null when the Run has none at that level. */
function linTable(lin: LinShot | null, lvl: number, vpn: number): number | null {
  if (lin === null || lvl < lin.bottom) return null;
  return (lin.tab0[lvl] as number) + (vpn - lin.vpn0) / tableSpan(lvl);
}

export class ChangeLog implements ChangeRecorder {
  private recs: Rec[] = [];
  /** No record is tagged below this (tags never go backwards). */
  private floor = 0;
  /** The last record a claim took (-1: none). */
  private claimed = -1;

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

  /**
   * A claim takes the changes since `mark` that no claim inside it took
   * already: munmap's unmap_vmas does not take back what huge_pmd_unshare
   * claimed while it ran (those changes stay with the earlier event, and the
   * order stays that of the events).
   */
  claim(mark: number, event?: number): void {
    const from = Math.max(mark, this.claimed + 1);
    if (from >= this.recs.length) return;
    const before = from > 0 ? (this.recs[from - 1] as Rec).ev : 0;
    const c = Math.max(event ?? this.at(), before);
    for (let k = from; k < this.recs.length; k++) (this.recs[k] as Rec).ev = c;
    this.claimed = this.recs.length - 1;
  }

  entry(t: Table, i: number, oldPfn: number, oldFlags: number, pfn: number, flags: number): void {
    if (oldPfn === pfn && (pfn < 0 || oldFlags === flags)) return;
    this.recs.push({
      k: 'e',
      ev: this.at(),
      table: t.pfn,
      lvl: t.lvl,
      mm: labelOf(t.mm),
      i,
      op: oldPfn,
      of: oldFlags,
      np: pfn,
      nf: flags,
    });
  }

  block(t: Table, i: number, j: number, old: Lin | null, nu: Lin | null): void {
    if (j <= i || old === nu) return;
    this.recs.push({
      k: 'b',
      ev: this.at(),
      table: t.pfn,
      lvl: t.lvl,
      base: t.base,
      mm: labelOf(t.mm),
      i,
      j,
      old: shot(old),
      nu: shot(nu),
    });
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

  /**
   * The step's changes (each event's index checked against `events`, its fn
   * filled in): the first `limit` made into objects, the rest only counted.
   */
  finish(events: readonly KEvent[], limit = MAX_KEPT_CHANGES): { changes: StepChange[]; omitted: number } {
    const out: (StepChange | null)[] = [];
    let omitted = 0;
    const last = Math.max(0, events.length - 1);
    const paging = this.paging;
    const level = (l: number): LevelName => levelName(l, paging);
    /**
     * Within one event, a later write to an entry updates its change (old as
     * the event found it), and pgtables changes of an mm add up. `gen` ends
     * such a stretch: a new event, a Run's block or a freed table (after
     * which a PFN may hold another table). k = -1: a change only counted;
     * `on`: it is a change (not undone within the stretch).
     */
    let gen = 0;
    const open = new Map<number, { k: number; old: EntryBits | null; gen: number; on: boolean }>();
    const bits = (pfn: number, flags: number): EntryBits | null => (pfn < 0 ? null : { pfn, flags });
    const pg = new Map<string, { k: number; gen: number; from: number; on: boolean }>();
    let curEv = -1;
    let fn = '';
    const room = (): boolean => out.length < limit;
    for (const r of this.recs) {
      const event = r.ev < last ? r.ev : last;
      if (event !== curEv) {
        gen++;
        curEv = event;
        fn = events[event]?.fn ?? '';
      }
      switch (r.k) {
        case 'e': {
          // A table page's PFN and entry index, as one number (PFNs are below 2^40).
          const key = r.table * 512 + r.i;
          const o = open.get(key);
          const nu = bits(r.np, r.nf);
          if (o !== undefined && o.gen === gen) {
            const on = !sameEntry(o.old, nu);
            if (o.k >= 0) out[o.k] = on ? singleChange(event, fn, r.mm, level(r.lvl), r.table, r.i, o.old, nu) : null;
            else omitted += (on ? 1 : 0) - (o.on ? 1 : 0);
            o.on = on;
          } else {
            // entry() recorded only real changes.
            const old = bits(r.op, r.of);
            const k = room() ? out.push(singleChange(event, fn, r.mm, level(r.lvl), r.table, r.i, old, nu)) - 1 : -1;
            if (k < 0) omitted++;
            open.set(key, { k, old, gen, on: true });
          }
          break;
        }
        case 'b':
          gen++;
          blockChanges(r, (mm, lvl, table, index, count, old, nu) => {
            if (room()) out.push(blockChange(event, fn, mm, level(lvl), table, index, count, old, nu));
            else omitted++;
          });
          break;
        case 't':
          if (r.op === 'free') gen++;
          if (!room()) omitted++;
          else if (r.n > 1)
            out.push({
              kind: r.op === 'alloc' ? 'table-alloc' : 'table-free',
              event,
              fn,
              mm: r.mm,
              level: level(r.lvl),
              pfn: r.pfn,
              count: r.n,
            });
          else
            out.push({
              kind: r.op === 'alloc' ? 'table-alloc' : 'table-free',
              event,
              fn,
              mm: r.mm,
              level: level(r.lvl),
              pfn: r.pfn,
            });
          break;
        case 'd': {
          const what = DATA_WHAT[r.kind] ?? 'page';
          if (!room()) omitted++;
          else if (r.n > 1)
            out.push({ kind: r.op === 'alloc' ? 'data-alloc' : 'data-free', event, fn, pfn: r.pfn, what, count: r.n });
          else out.push({ kind: r.op === 'alloc' ? 'data-alloc' : 'data-free', event, fn, pfn: r.pfn, what });
          break;
        }
        case 'p': {
          const o = pg.get(r.mm);
          if (o !== undefined && o.gen === gen) {
            const on = o.from !== r.to;
            if (o.k >= 0) out[o.k] = on ? { kind: 'pgtables', event, fn, mm: r.mm, from: o.from, to: r.to } : null;
            else omitted += (on ? 1 : 0) - (o.on ? 1 : 0);
            o.on = on;
          } else {
            const k = room() ? out.push({ kind: 'pgtables', event, fn, mm: r.mm, from: r.from, to: r.to }) - 1 : -1;
            if (k < 0) omitted++;
            pg.set(r.mm, { k, gen, from: r.from, on: true });
          }
          break;
        }
      }
    }
    this.recs = [];
    this.claimed = -1;
    return { changes: out.filter((c): c is StepChange => c !== null), omitted };
  }
}

/**
 * Most changes of one step the core makes into objects; the rest are counted
 * (ReportStep.changes_omitted). The 1,500-client mainline SGA's touch makes
 * about 107,000 (the tables of 361 clients, then those of 1,139 clients
 * built in part and freed when each is OOM-killed): as objects they cost the
 * step more than half again its time and the app a message of tens of MB.
 * No teaching scenario comes near: the largest other step has ~1,500 (a
 * set_pgd per client).
 */
export const MAX_KEPT_CHANGES = 5000;

/** One entry's change from old (its value when the event first wrote it) to nu (not the same). */
function singleChange(
  event: number,
  fn: string,
  mm: string,
  level: LevelName,
  table: number,
  index: number,
  old: EntryBits | null,
  nu: EntryBits | null,
): StepChange {
  const was = old === null ? null : hex16(old);
  if (nu === null) return { kind: 'entry-cleared', event, fn, mm, level, table, index, old: was as string };
  const c: StepChange & { kind: 'entry-set' } = {
    kind: 'entry-set',
    event,
    fn,
    mm,
    level,
    table,
    index,
    old: was,
    new: hex16(nu),
  };
  if (old !== null) {
    const flips = flagFlips(old.flags, nu.flags);
    if (flips.length) c.flags = flips;
  }
  return c;
}

function sameEntry(a: EntryBits | null, b: EntryBits | null): boolean {
  return a === null ? b === null : b !== null && a.pfn === b.pfn && a.flags === b.flags;
}

/** One block change (BlockFields when count > 1). */
function blockChange(
  event: number,
  fn: string,
  mm: string,
  level: LevelName,
  table: number,
  index: number,
  count: number,
  old: LinLevel | null,
  nu: LinLevel | null,
): StepChange {
  if (nu === null) {
    const o = old as LinLevel;
    return count > 1
      ? { kind: 'entry-cleared', event, fn, mm, level, table, index, old: hex16(o.first), count, oldStride: o.stride }
      : { kind: 'entry-cleared', event, fn, mm, level, table, index, old: hex16(o.first) };
  }
  const c: StepChange & { kind: 'entry-set' } = {
    kind: 'entry-set',
    event,
    fn,
    mm,
    level,
    table,
    index,
    old: old === null ? null : hex16(old.first),
    new: hex16(nu.first),
  };
  if (count > 1) {
    c.count = count;
    c.stride = nu.stride;
    if (old !== null) c.oldStride = old.stride;
  }
  if (old !== null) {
    const flips = flagFlips(old.first.flags, nu.first.flags);
    if (flips.length) c.flags = flips;
  }
  return c;
}

/**
 * A Run record as block changes, level by level: the entries [i, j) of its
 * own table, then, for each level below that has tables after the change,
 * every entry of those tables (tables that only existed before are freed,
 * which their table-free says; their entries go with them). `emit` gets each
 * block that changes.
 */
function blockChanges(
  r: Extract<Rec, { k: 'b' }>,
  emit: (
    mm: string,
    lvl: number,
    table: number,
    index: number,
    count: number,
    old: LinLevel | null,
    nu: LinLevel | null,
  ) => void,
): void {
  const vpnA = r.base + r.i * entrySpan(r.lvl);
  const n = r.j - r.i;
  const push = (
    mm: string,
    lvl: number,
    table: number,
    index: number,
    count: number,
    old: LinLevel | null,
    nu: LinLevel | null,
  ): void => {
    if (old === null && nu === null) return;
    if (
      old !== null &&
      nu !== null &&
      old.first.pfn === nu.first.pfn &&
      old.first.flags === nu.first.flags &&
      old.stride === nu.stride
    )
      return;
    emit(mm, lvl, table, index, count, old, nu);
  };
  const at = (lin: LinShot | null, lvl: number): LinLevel | null => (lin === null ? null : linEntries(lin, lvl, vpnA));
  push(r.mm, r.lvl, r.table, r.i, n, at(r.old, r.lvl), at(r.nu, r.lvl));
  for (let l = r.lvl - 1; l >= 0; l--) {
    const tNew = linTable(r.nu, l, vpnA);
    if (tNew === null) continue;
    const tOld = linTable(r.old, l, vpnA);
    const entries = n * 512 ** (r.lvl - l);
    const nu = r.nu as LinShot;
    push(nu.label, l, tNew, 0, entries, tOld === tNew ? at(r.old, l) : null, at(nu, l));
  }
}

/** Entry k of a change (k < count): which table and index, and its old and new values (16 hex digits, null = none). */
export function blockEntry(
  c: StepChange & { kind: 'entry-set' | 'entry-cleared' },
  k: number,
): { table: number; index: number; old: string | null; new: string | null } {
  const pos = c.index + k;
  const step = (v: string | null, stride: 0 | 1 | 512 | undefined): string | null => {
    if (v === null || k === 0 || !stride) return v;
    const x = BigInt('0x' + v);
    // A PROT_NONE entry (not present, PROTNONE set) holds its PFN inverted (paging.ts entryValue()).
    const inverted = !(x & BigInt(_PAGE_PRESENT)) && (x & BigInt(_PAGE_PROTNONE)) !== 0n;
    const d = BigInt(k * stride) << 12n;
    return (inverted ? x - d : x + d).toString(16).padStart(16, '0');
  };
  return {
    table: c.table + Math.floor(pos / 512),
    index: pos % 512,
    old: step(c.old, c.oldStride),
    new: c.kind === 'entry-set' ? step(c.new, c.stride) : null,
  };
}
