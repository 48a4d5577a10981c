/**
 * The physical side shared by every mm: frames, the event trail, and the
 * allocation and accounting of page-table pages.
 */
import { EventLog } from './events';
import { FrameKind, Frames, tableKind } from './frames';
import { Mm } from './mm';
import { Table, dropLink, entryVpn, type Charge, type Lin, type RssHolder, runTablePages } from './table';
import { EntryArena, releaseSlot } from './entries';
import { topLevel, type Paging } from './paging';
import { Budget, DEFAULT_MEMORY_PAGES } from './budget';
import { rec } from './change-hook';
import type { Tlbs } from './tlb';

export class Machine {
  readonly frames: Frames;
  readonly ev = new EventLog();
  /** The explicit entries of every table page, by slot (entries.ts): what walk() reads. */
  readonly arena = new EntryArena();
  /** How much work the scenario has made this machine do (budget.ts); copied with it into checkpoints. */
  readonly budget = new Budget();
  /** Each CPU's TLB (tlb.ts), only when the scenario declares `cpus N`: every hook tests it first. */
  tlb?: Tlbs;
  /** memoryPages: the `memory` directive in pages; without one, DEFAULT_MEMORY_PAGES (budget.ts). */
  constructor(
    readonly paging: Paging,
    memoryPages?: number,
  ) {
    this.frames = new Frames(memoryPages ?? DEFAULT_MEMORY_PAGES);
  }

  get top(): number {
    return topLevel(this.paging);
  }

  /** mm_alloc() + pgd_alloc(): a new mm with its PGD page (not counted in pgtables_bytes). */
  newMm(label: string, mmapBase: number): Mm | null {
    const pfn = this.frames.alloc(1, tableKind(this.top));
    if (pfn === null) return null;
    const holder: Charge = { id: -1, tables: [] };
    const pgd = new Table(this.top, pfn, 0, holder, this.arena);
    const mm = new Mm(pgd, this.paging, mmapBase, label);
    (pgd as { mm: Charge }).mm = mm;
    mm.tables[this.top] = 1;
    if (rec !== null) rec.table('alloc', mm, this.top, pfn, 1);
    return mm;
  }

  /** p4d/pud/pmd/pte_alloc_one() + mm_inc_nr_*(): one table page charged to mm. */
  allocTable(mm: Charge, lvl: number, base: number): Table | null {
    const pfn = this.frames.alloc(1, tableKind(lvl));
    if (pfn === null) return null;
    mm.tables[lvl] = (mm.tables[lvl] ?? 0) + 1;
    if (rec !== null) {
      rec.table('alloc', mm, lvl, pfn, 1);
      rec.charge(mm, lvl, 1);
    }
    return new Table(lvl, pfn, base, mm, this.arena);
  }

  freeTablePage(t: Table): void {
    this.frames.release(t.pfn, 1);
    t.mm.tables[t.lvl] = (t.mm.tables[t.lvl] ?? 0) - 1;
    if (rec !== null) {
      rec.table('free', t.mm, t.lvl, t.pfn, 1);
      rec.charge(t.mm, t.lvl, -1);
    }
    releaseSlot(t);
  }

  /** Free t and every table under it (charges included); data mappings must be gone already. */
  freeTableTree(t: Table): void {
    for (const s of t.segs) {
      if (s.lin === null) {
        if (s.child) dropLink(s.child, (c) => this.freeTableTree(c));
      } else if (t.lvl > 0) {
        this.freeRunTables(s.lin, t.lvl, entryVpn(t, s.start), s.count);
      }
    }
    t.segs = [];
    this.freeTablePage(t);
  }

  /**
   * Allocate the table pages of a new Run: one contiguous extent per level (`each` is told of each, top level first).
   */
  allocRunTables(
    mm: Charge,
    lvl: number,
    count: number,
    bottom: number,
    each?: (lvl: number, n: number) => void,
  ): number[] | null {
    const per = runTablePages(lvl, count, bottom);
    let total = 0;
    for (const n of per) if (n) total += n;
    if (!this.frames.canAlloc(total)) return null;
    const tab0: number[] = [];
    for (let l = lvl - 1; l >= bottom; l--) {
      const n = per[l] as number;
      tab0[l] = this.frames.alloc(n, tableKind(l)) as number;
      mm.tables[l] = (mm.tables[l] ?? 0) + n;
      if (rec !== null) {
        rec.table('alloc', mm, l, tab0[l] as number, n);
        rec.charge(mm, l, n);
      }
      each?.(l, n);
    }
    return tab0;
  }

  /** Free the table pages under entries [vpnA, vpnA + count·span) of a Run at level lvl. */
  freeRunTables(lin: Lin, lvl: number, vpnA: number, count: number): void {
    for (let l = lvl - 1; l >= lin.bottom; l--) {
      const span = 512 ** (l + 1);
      const first = (lin.tab0[l] as number) + (vpnA - lin.vpn0) / span;
      const n = count * 512 ** (lvl - 1 - l);
      this.frames.release(first, n);
      lin.mm.tables[l] = (lin.mm.tables[l] ?? 0) - n;
      if (rec !== null) {
        rec.table('free', lin.mm, l, first, n);
        rec.charge(lin.mm, l, -n);
      }
    }
  }

  /**
   * A PTE now maps n data pages from pfn (stride 1, or the zero page). `mm`
   * is the holder of the PTE page: the RSS goes with the table, which for an
   * mshare host is not the task that faulted.
   */
  mapData(mm: RssHolder, kind: FrameKind, pfn: number, n: number): void {
    if (kind === FrameKind.Zero) return;
    this.frames.addMapcount(pfn, n, 1);
    if (kind === FrameKind.Anon) mm.rssAnon += n;
    else if (kind === FrameKind.Shmem) mm.rssShmem += n;
  }

  /**
   * n PTEs mapping data from pfn are gone (zap_pte_range()): drop the map
   * count; an anonymous page nobody maps any more is freed, a shmem page stays
   * in its page cache.
   */
  unmapData(mm: RssHolder, kind: FrameKind, pfn: number, n: number): void {
    if (kind === FrameKind.Zero) return;
    this.frames.addMapcount(pfn, n, -1);
    if (kind === FrameKind.Anon) {
      mm.rssAnon -= n;
      const dead: [number, number][] = [];
      this.frames.mapcount.forEach(pfn, pfn + n, (c, s, e) => {
        if (c === 0) dead.push([s, e]);
      });
      for (const [s, e] of dead) this.frames.release(s, e - s);
    } else if (kind === FrameKind.Shmem) {
      mm.rssShmem -= n;
    }
  }
}
