/**
 * Each CPU's TLB and the kernel's flushes (issue 17). Exists only when a
 * scenario declares `cpus N` (Machine.tlb); without it no code here runs.
 *
 * The model follows arch/x86/mm/tlb.c:
 * - switch_mm_irqs_off(): a CPU loading an mm sets its bit in mm_cpumask and
 *   clears it in the previous mm's ("cpumask_clear_cpu(cpu, mm_cpumask(real_prev));",
 *   as the 4.16-era file read for this model does; since 2024 Linux trims the
 *   mask lazily, which sends IPIs to more CPUs but flushes the same entries);
 *   choose_new_asid() finds the mm's ctx_id among TLB_NR_DYN_ASIDS (6) slots,
 *   reused without a flush when its tlb_gen is current, else takes the next
 *   slot round-robin and flushes it. PCID = ASID + 1 (kern_pcid(); no PTI).
 * - enter_lazy_tlb(): a CPU that runs nothing (or whose task exited) keeps
 *   the mm loaded and stays in its cpumask, marked lazy.
 * - flush_tlb_mm_range(): tlb_gen++; the range flushed page by page (INVLPG)
 *   when it has at most tlb_single_page_flush_ceiling (33) pages, else a full
 *   flush; the local CPU if it has the mm loaded, IPIs to the rest of
 *   mm_cpumask. native_flush_tlb_multi(): lazy CPUs are skipped unless tables
 *   were freed ("if (info->freed_tables || mm_in_asid_transition(info->mm))");
 *   a lazy CPU reached switches to init_mm.
 * - flush_tlb_all(): every CPU, every PCID (the 2025 msharefs mmu notifier).
 *
 * The TLB holds leaf translations (VA → PFN with RW, US, NX and D, tagged with
 * the PCID) and the paging-structure caches (SDM §4.10.3: a PML4E/PDPTE/PDE
 * cached by the VA bits it translates). INVLPG drops the page's leaf entry and
 * every paging-structure cache entry of the current PCID (SDM §4.10.4.1).
 * Capacities are small and FIFO (TLB_ENTRIES, PSC_ENTRIES): real TLBs are
 * larger and their replacement is undocumented; only what is cached matters.
 */
import type { Machine } from './machine';
import type { Mm } from './mm';
import type { Charge } from './table';
import { walk, type Access, type Walk } from './walk';
import { subpage } from './hugetlb';
import { FrameKind } from './frames';
import type { TlbChange } from './changes';
import { _PAGE_DIRTY, _PAGE_NX, _PAGE_RW, _PAGE_USER, addrOf, hexAddr } from './paging';

/** TLB_NR_DYN_ASIDS, arch/x86/include/asm/tlbflush.h. */
export const TLB_NR_DYN_ASIDS = 6;
/** tlb_single_page_flush_ceiling, arch/x86/mm/tlb.c ("= 33", in pages). */
export const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;
/** Leaf entries kept per CPU (FIFO). */
export const TLB_ENTRIES = 64;
/** Paging-structure cache entries kept per CPU (FIFO). */
export const PSC_ENTRIES = 32;

export interface TlbEntry {
  asid: number;
  /** First page the entry translates (a 2 MiB leaf covers 512). */
  vpn: number;
  pages: number;
  /** The frame of the first page. */
  pfn: number;
  write: boolean;
  user: boolean;
  nx: boolean;
  dirty: boolean;
  /** The mm whose walk filled it (its label). */
  mm: string;
}

/** A paging-structure cache entry: the entry at level lvl for the VAs with this prefix points to table pfn. */
export interface PscEntry {
  asid: number;
  lvl: number;
  /** vpn / 512^lvl. */
  prefix: number;
  tablePfn: number;
}

interface AsidSlot {
  ctxId: number;
  tlbGen: number;
  mm: Charge | null;
}

export interface Cpu {
  id: number;
  /** The task running, or null (idle). */
  task: string | null;
  /** cpu_tlbstate.loaded_mm; null = init_mm. */
  loaded: Charge | null;
  loadedAsid: number;
  /** cpu_tlbstate_shared.is_lazy. */
  lazy: boolean;
  ctxs: AsidSlot[];
  nextAsid: number;
  tlb: TlbEntry[];
  psc: PscEntry[];
}

interface MmCtx {
  ctxId: number;
  tlbGen: number;
  cpumask: Set<number>;
  label: string;
  dead: boolean;
  /** An mshare host mm (no task runs it). */
  host: boolean;
}

/** One flush as it happened: which CPUs it reached and how. */
export interface FlushRecord {
  /** The kernel path that asked for it: 'tlb_finish_mmu', 'ptep_clear_flush', 'flush_tlb_mm', 'flush_tlb_all', … */
  why: string;
  fn: 'flush_tlb_mm_range' | 'flush_tlb_all';
  mm?: string;
  /** The VA range flushed, or absent for a full flush. */
  start?: string;
  end?: string;
  full: boolean;
  freed_tables: boolean;
  /** CPUs that flushed (the initiating one included when it had the mm loaded). */
  reached: number[];
  /** CPUs in mm_cpumask skipped because they were lazy. */
  skipped_lazy: number[];
  /** Lazy CPUs the flush reached (freed_tables): they left the mm for init_mm instead of flushing. */
  to_init_mm: number[];
}

export interface StaleHit {
  cpu: number;
  va: string;
  pfn: number;
  /** Who owns the frame now, in words. */
  owner: string;
  why: string;
}

/** What the TLBs did during one step (the report's per-step `tlb`). */
export interface TlbStep {
  hits: number;
  walks: number;
  flushes: FlushRecord[];
  stale: StaleHit[];
  /** The step's TLB changes, each tagged with its event (changes.ts TlbChange). */
  changes: TlbChange[];
}

/** A TlbChange before its event is known (distributed over the union). */
type PendingChange = TlbChange extends infer T ? (T extends TlbChange ? Omit<T, 'event' | 'fn'> : never) : never;

/** init_mm's ctx_id: "atomic64_t last_mm_ctx_id = ATOMIC64_INIT(1);" and init_mm is the first. */
const INIT_MM_CTX_ID = 1;

export function kernPcid(asid: number): number {
  return asid + 1;
}

export class Tlbs {
  readonly cpus: Cpu[];
  /** mm → its context; a Map, not a WeakMap, so checkpoints (clone.ts) can copy it. */
  private readonly ctx = new Map<object, MmCtx>();
  private lastCtxId = 1;
  /** VMAs the current mmu_gather zapped (syscalls.ts unmapVmas()), read by tlb_finish_mmu. */
  gathered = 0;
  /** The CPU the acting task runs on (the one a flush is "local" to); -1 none. */
  local = -1;
  step: TlbStep = { hits: 0, walks: 0, flushes: [], stale: [], changes: [] };
  /** Changes made before the event that announces them (commit() tags them with it). */
  private pending: PendingChange[] = [];

  constructor(
    readonly m: Machine,
    n: number,
    /** The 2025 msharefs mmu notifier: a change in a host mm runs flush_tlb_all(). */
    readonly notifierFlushAll = false,
  ) {
    this.cpus = [];
    for (let i = 0; i < n; i++) {
      const ctxs: AsidSlot[] = [];
      // initialize_tlbstate_and_flush(): slot 0 holds init_mm (ctx_id 1), "this_cpu_write(cpu_tlbstate.next_asid, 1);".
      for (let a = 0; a < TLB_NR_DYN_ASIDS; a++)
        ctxs.push({ ctxId: a === 0 ? INIT_MM_CTX_ID : 0, tlbGen: 0, mm: null });
      this.cpus.push({
        id: i,
        task: null,
        loaded: null,
        loadedAsid: 0,
        lazy: false,
        ctxs,
        nextAsid: 1,
        tlb: [],
        psc: [],
      });
    }
  }

  takeStep(): TlbStep {
    const s = this.step;
    this.step = { hits: 0, walks: 0, flushes: [], stale: [], changes: [] };
    this.pending = [];
    return s;
  }

  /** The pending changes belong to the event just emitted. */
  private commit(): void {
    if (this.pending.length === 0) return;
    const ev = this.m.ev;
    const event = ev.current;
    const fn = ev.list[event]?.fn ?? '';
    for (const c of this.pending) this.step.changes.push({ ...c, event, fn } as TlbChange);
    this.pending = [];
  }

  private noteSwitch(cpu: Cpu): void {
    this.pending.push({
      kind: 'tlb-switch',
      cpu: cpu.id,
      task: cpu.task,
      mm: cpu.loaded ? this.ctxOf(cpu.loaded).label : null,
      pcid: kernPcid(cpu.loadedAsid),
      lazy: cpu.lazy,
    });
  }

  /** mm->context: ctx_id from last_mm_ctx_id (init_new_context()), tlb_gen, mm_cpumask. */
  ctxOf(mm: Charge): MmCtx {
    let c = this.ctx.get(mm);
    if (!c) {
      c = {
        ctxId: ++this.lastCtxId,
        tlbGen: 0,
        cpumask: new Set(),
        label: (mm as Mm).label ?? 'mm',
        dead: false,
        host: false,
      };
      this.ctx.set(mm, c);
    }
    return c;
  }

  cpumask(mm: Charge): number[] {
    return [...this.ctxOf(mm).cpumask].sort((a, b) => a - b);
  }

  cpuOf(task: string): Cpu | undefined {
    return this.cpus.find((c) => c.task === task);
  }

  /** The CPU a task acts on: where it runs, else the lowest idle CPU, else CPU 0 (it is switched in). */
  placeFor(task: string, mm: Mm): Cpu {
    const on = this.cpuOf(task);
    if (on) return on;
    const cpu = this.cpus.find((c) => c.task === null) ?? (this.cpus[0] as Cpu);
    this.run(cpu.id, task, mm);
    return cpu;
  }

  /** context_switch() to task on cpu: switch_mm_irqs_off(prev, next). */
  run(cpuId: number, task: string, mm: Mm): void {
    const elsewhere = this.cpuOf(task);
    if (elsewhere && elsewhere.id !== cpuId) this.idle(elsewhere.id);
    const cpu = this.cpus[cpuId] as Cpu;
    cpu.task = task;
    this.switchMm(cpu, mm);
  }

  /** The CPU runs nothing (the idle task): enter_lazy_tlb(), the mm stays loaded. */
  idle(cpuId: number): void {
    const cpu = this.cpus[cpuId] as Cpu;
    cpu.task = null;
    if (cpu.loaded !== null) cpu.lazy = true;
    this.noteSwitch(cpu);
    this.m.ev.emit(
      'enter_lazy_tlb',
      `CPU ${cpuId} runs nothing${cpu.loaded ? `: ${this.ctxOf(cpu.loaded).label}'s mm stays loaded (lazy TLB), its PCID ${kernPcid(cpu.loadedAsid)} entries kept` : ''}`,
    );
    this.commit();
  }

  /** exit_mm(): the task's CPU goes lazy before exit_mmap() tears the mm down. */
  taskExits(task: string): void {
    const cpu = this.cpuOf(task);
    if (cpu) this.idle(cpu.id);
  }

  markHost(mm: Charge): void {
    this.ctxOf(mm).host = true;
  }

  /** After exit_mmap(): the mm is gone; its ASID slots can never match again (ctx_ids are unique). */
  mmGone(mm: Charge): void {
    this.ctxOf(mm).dead = true;
  }

  /** switch_mm_irqs_off() of arch/x86/mm/tlb.c; next null = init_mm. */
  private switchMm(cpu: Cpu, next: Charge | null): void {
    cpu.lazy = false;
    const prev = cpu.loaded;
    if (prev === next) {
      if (next) {
        // A lazy CPU skipped by flushes catches up here (the tlb_gen check of the real_prev == next path).
        const flushed = this.catchUp(cpu, next);
        this.noteSwitch(cpu);
        this.m.ev.emit(
          'switch_mm_irqs_off',
          `CPU ${cpu.id}: ${this.ctxOf(next).label}'s mm is still loaded (PCID ${kernPcid(cpu.loadedAsid)}), leaving lazy TLB mode: ${flushed ? 'its tables changed meanwhile (tlb_gen is behind), so its entries are flushed' : 'its entries are up to date and kept'}`,
        );
        this.commit();
      }
      return;
    }
    if (prev !== null) this.ctxOf(prev).cpumask.delete(cpu.id);
    const c: Pick<MmCtx, 'ctxId' | 'tlbGen' | 'label'> =
      next === null ? { ctxId: INIT_MM_CTX_ID, tlbGen: 0, label: 'init_mm' } : this.ctxOf(next);
    if (next !== null) this.ctxOf(next).cpumask.add(cpu.id);
    // choose_new_asid()
    let asid = cpu.ctxs.findIndex((s) => s.ctxId === c.ctxId);
    let needFlush: boolean;
    const reused = asid >= 0;
    if (asid >= 0) {
      needFlush = (cpu.ctxs[asid] as AsidSlot).tlbGen < c.tlbGen;
    } else {
      // "*new_asid = this_cpu_add_return(cpu_tlbstate.next_asid, 1) - 1;": the old next_asid.
      asid = cpu.nextAsid++;
      if (asid >= TLB_NR_DYN_ASIDS) {
        asid = 0;
        cpu.nextAsid = 1;
      }
      needFlush = true;
    }
    const slot = cpu.ctxs[asid] as AsidSlot;
    const evicted = slot.mm !== null && slot.ctxId !== c.ctxId ? this.ctxOf(slot.mm).label : null;
    if (needFlush) {
      slot.ctxId = c.ctxId;
      slot.tlbGen = c.tlbGen;
      slot.mm = next;
      this.dropAsid(cpu, asid);
    }
    cpu.loaded = next;
    cpu.loadedAsid = asid;
    this.noteSwitch(cpu);
    if (next === null) {
      this.m.ev.emit(
        'switch_mm_irqs_off',
        `CPU ${cpu.id} switches to init_mm (no user mappings), PCID ${kernPcid(asid)}; it leaves mm_cpumask${prev ? ` of ${this.ctxOf(prev).label}` : ''}`,
      );
      this.commit();
      return;
    }
    this.m.ev.emit(
      'switch_mm_irqs_off',
      `CPU ${cpu.id} loads ${c.label}'s mm, PCID ${kernPcid(asid)}: ${!needFlush ? 'its entries from last time kept (tlb_gen up to date)' : reused ? 'its old entries flushed (the tables changed while it ran elsewhere)' : evicted ? `a new ASID slot, ${evicted}'s old entries in it flushed` : 'a new ASID slot, flushed'}; CPU ${cpu.id} joins mm_cpumask`,
    );
    this.commit();
  }

  /** tlb_gen check on a CPU whose loaded slot may be behind the mm (flush_tlb_func's full-flush path). */
  private catchUp(cpu: Cpu, mm: Charge): boolean {
    const c = this.ctxOf(mm);
    const slot = cpu.ctxs[cpu.loadedAsid] as AsidSlot;
    if (slot.tlbGen >= c.tlbGen) return false;
    this.dropAsid(cpu, cpu.loadedAsid);
    slot.tlbGen = c.tlbGen;
    return true;
  }

  private dropAsid(cpu: Cpu, asid: number): void {
    const n = cpu.tlb.reduce((a, e) => a + (e.asid === asid ? 1 : 0), 0);
    if (n > 0) this.pending.push({ kind: 'tlb-flush', cpu: cpu.id, pcid: kernPcid(asid), count: n, full: true });
    cpu.tlb = cpu.tlb.filter((e) => e.asid !== asid);
    cpu.psc = cpu.psc.filter((e) => e.asid !== asid);
  }

  /* ----- accesses ----- */

  /**
   * The TLB's answer for an access by the task on cpu: an entry that allows
   * it (a hit, no walk), or null (a walk). An entry that forbids the access is
   * dropped: the CPU faults and invalidates it (SDM §4.10.4.1), and the walk
   * that follows reads the tables.
   */
  lookup(cpu: Cpu, vpn: number, access: Access): TlbEntry | null {
    const i = cpu.tlb.findIndex((e) => e.asid === cpu.loadedAsid && vpn >= e.vpn && vpn < e.vpn + e.pages);
    if (i < 0) return null;
    const e = cpu.tlb[i] as TlbEntry;
    const ok = access === 'write' ? e.write && e.dirty : access === 'exec' ? !e.nx : true;
    if (ok && e.user) return e;
    // A write through a clean entry sets D by walking (SDM §4.8); a denied one faults.
    cpu.tlb.splice(i, 1);
    return null;
  }

  /** A walk that succeeded fills the TLB and the paging-structure caches. */
  fill(cpu: Cpu, mm: Mm, vpn: number, w: Walk): void {
    if (!w.leaf || w.fault) return;
    const { pfn, flags, lvl } = w.leaf;
    const pages = 512 ** lvl;
    const base = vpn - (vpn % pages);
    cpu.tlb = cpu.tlb.filter((e) => !(e.asid === cpu.loadedAsid && e.vpn === base));
    cpu.tlb.push({
      asid: cpu.loadedAsid,
      vpn: base,
      pages,
      pfn: subpage(pfn, lvl, base),
      write: (flags & _PAGE_RW) !== 0,
      user: (flags & _PAGE_USER) !== 0,
      nx: (flags & _PAGE_NX) !== 0,
      dirty: (flags & _PAGE_DIRTY) !== 0,
      mm: mm.label,
    });
    if (cpu.tlb.length > TLB_ENTRIES) cpu.tlb.shift();
    const top = this.m.top;
    w.levels.forEach((l, k) => {
      const at = top - k;
      if (at <= lvl || l.pfn === null) return;
      const prefix = Math.floor(vpn / 512 ** at);
      if (cpu.psc.some((p) => p.asid === cpu.loadedAsid && p.lvl === at && p.prefix === prefix)) return;
      cpu.psc.push({ asid: cpu.loadedAsid, lvl: at, prefix, tablePfn: l.pfn });
    });
    while (cpu.psc.length > PSC_ENTRIES) cpu.psc.shift();
    this.step.walks++;
    this.pending.push({
      kind: 'tlb-fill',
      cpu: cpu.id,
      pcid: kernPcid(cpu.loadedAsid),
      va: hexAddr(addrOf(base)),
      pfn: subpage(pfn, lvl, base),
      perms: permsOf(cpu.tlb[cpu.tlb.length - 1] as TlbEntry),
      mm: mm.label,
    });
    this.m.ev.emit(
      'page walk',
      () =>
        `CPU ${cpu.id}, PCID ${kernPcid(cpu.loadedAsid)}: TLB miss; the walk's translation ${hexAddr(addrOf(base))} → pfn 0x${subpage(pfn, lvl, base).toString(16)} is cached`,
    );
    this.commit();
  }

  /** Does the entry still say what the tables say? null if so, else why not. */
  disagreement(e: TlbEntry, mm: Mm, vpn: number): string | null {
    const w = walk(this.m, mm, vpn);
    const frame = e.pfn + (vpn - e.vpn);
    if (!w.leaf || (w.fault && !w.leaf)) return 'the page is no longer mapped';
    const now = subpage(w.leaf.pfn, w.leaf.lvl, vpn);
    if (now !== frame) return `the page now maps pfn 0x${now.toString(16)}`;
    if (w.fault) return 'the page is no longer accessible (PROT_NONE)';
    if (e.write && !(w.leaf.flags & _PAGE_RW)) return 'the page is no longer writable';
    if (!e.nx && w.leaf.flags & _PAGE_NX) return 'the page is no longer executable';
    return null;
  }

  /** Who holds a frame now, in words (for a stale hit). */
  ownerOf(pfn: number, mms: Mm[]): string {
    const k = this.m.frames.kindOf(pfn);
    if (k === FrameKind.Free) return 'nobody: the frame is free';
    if (k >= FrameKind.TableBase && k < FrameKind.Anon) return `a page-table page (level ${k - FrameKind.TableBase})`;
    for (const mm of mms) {
      for (const v of mm.vmas) {
        if (v.end - v.start > 4096) continue;
        for (let p = v.start; p < v.end; p++) {
          const w = walk(this.m, mm, p);
          if (w.leaf && !w.fault && subpage(w.leaf.pfn, w.leaf.lvl, p) === pfn)
            return `${mm.label} (its page at ${hexAddr(addrOf(p))})`;
        }
      }
    }
    return k === FrameKind.Anon
      ? 'an anonymous page'
      : k === FrameKind.Shmem
        ? 'a shmem page'
        : k === FrameKind.Zero
          ? 'the zero page'
          : 'the kernel';
  }

  /* ----- flushes ----- */

  /**
   * flush_tlb_mm_range(mm, start, end, PAGE_SHIFT, freed_tables), vpns
   * [a, b); b = Infinity for TLB_FLUSH_ALL (flush_tlb_mm()). A change in an
   * mshare host mm with the notifier also runs flush_tlb_all().
   */
  flushMmRange(mm: Charge, a: number, b: number, freedTables: boolean, why: string): void {
    const c = this.ctxOf(mm);
    c.tlbGen++; // inc_mm_tlb_gen()
    const full = !Number.isFinite(b) || b - a > TLB_SINGLE_PAGE_FLUSH_CEILING;
    const reached: number[] = [];
    const skipped: number[] = [];
    const toInit: number[] = [];
    const mask = this.cpumask(mm);
    for (const id of mask) {
      const cpu = this.cpus[id] as Cpu;
      if (cpu.loaded !== mm) continue;
      const isLocal = id === this.local;
      // should_flush_tlb(): a lazy CPU gets no IPI unless tables were freed.
      if (cpu.lazy && !isLocal && !freedTables) {
        skipped.push(id);
        continue;
      }
      reached.push(id);
      if (cpu.lazy) toInit.push(id);
      this.flushFunc(cpu, mm, a, b, full);
    }
    const rec: FlushRecord = {
      why,
      fn: 'flush_tlb_mm_range',
      mm: c.label,
      full,
      freed_tables: freedTables,
      reached,
      skipped_lazy: skipped,
      to_init_mm: toInit,
    };
    if (!full) {
      rec.start = hexAddr(addrOf(a));
      rec.end = hexAddr(addrOf(b));
    }
    this.step.flushes.push(rec);
    const notify = this.notifierFlushAll && c.host;
    const range = full ? 'a full flush' : `INVLPG ×${b - a} (${rec.start}–${rec.end})`;
    this.m.ev.emit(
      'flush_tlb_mm_range',
      `${why}: ${c.label}'s mm, ${range}${freedTables ? ', freed_tables' : ''}; mm_cpumask {${mask.join(', ')}}${reached.length ? `: CPU ${reached.join(', ')} flushed` : ': no CPU has it loaded, nothing to flush'}${skipped.length ? `; lazy CPU ${skipped.join(', ')} skipped (flushes when it switches back)` : ''}`,
    );
    this.commit();
    // msharefs v1 (2025): "Use an mmu notifier to flush all TLBs" when the host mm changes.
    if (notify) this.flushAll(`mmu notifier of ${c.label}`);
  }

  /** flush_tlb_func() on one CPU that has mm loaded. */
  private flushFunc(cpu: Cpu, mm: Charge, a: number, b: number, full: boolean): void {
    if (cpu.lazy) {
      // "switch_mm_irqs_off(NULL, &init_mm, NULL);": a lazy CPU leaves the mm.
      this.switchMm(cpu, null);
      return;
    }
    const c = this.ctxOf(mm);
    const slot = cpu.ctxs[cpu.loadedAsid] as AsidSlot;
    // Partial flush only when it brings the CPU exactly up to date (f->new_tlb_gen == local_tlb_gen + 1).
    if (!full && slot.tlbGen + 1 === c.tlbGen) {
      const before = cpu.tlb.length;
      cpu.tlb = cpu.tlb.filter((e) => !(e.asid === cpu.loadedAsid && e.vpn < b && e.vpn + e.pages > a));
      if (cpu.tlb.length < before)
        this.pending.push({
          kind: 'tlb-flush',
          cpu: cpu.id,
          pcid: kernPcid(cpu.loadedAsid),
          count: before - cpu.tlb.length,
          full: false,
        });
      cpu.psc = cpu.psc.filter((e) => e.asid !== cpu.loadedAsid);
    } else {
      this.dropAsid(cpu, cpu.loadedAsid);
    }
    slot.tlbGen = c.tlbGen;
  }

  /** flush_tlb_all(): on_each_cpu(do_flush_tlb_all): every entry of every PCID on every CPU. */
  flushAll(why: string): void {
    for (const cpu of this.cpus) {
      const byPcid = new Map<number, number>();
      for (const e of cpu.tlb) byPcid.set(e.asid, (byPcid.get(e.asid) ?? 0) + 1);
      for (const [asid, n] of byPcid)
        this.pending.push({ kind: 'tlb-flush', cpu: cpu.id, pcid: kernPcid(asid), count: n, full: true });
      cpu.tlb = [];
      cpu.psc = [];
    }
    const all = this.cpus.map((c) => c.id);
    this.step.flushes.push({
      why,
      fn: 'flush_tlb_all',
      full: true,
      freed_tables: false,
      reached: all,
      skipped_lazy: [],
      to_init_mm: [],
    });
    this.m.ev.emit('flush_tlb_all', `${why}: every CPU (${all.join(', ')}) drops every entry`);
    this.commit();
  }

  /**
   * Entries a user access could hit now without a flush first, that disagree
   * with the tables: those of the PCID each CPU has loaded (not lazy), and
   * those of other slots whose tlb_gen is current (a switch back would reuse
   * them unflushed). Mainline must never have one after a step.
   */
  staleEntries(): { cpu: number; va: string; why: string }[] {
    const out: { cpu: number; va: string; why: string }[] = [];
    for (const cpu of this.cpus) {
      cpu.ctxs.forEach((slot, asid) => {
        if (slot.mm === null) return;
        const c = this.ctxOf(slot.mm);
        if (c.dead || slot.ctxId !== c.ctxId) return;
        if (slot.tlbGen < c.tlbGen) return;
        const mm = slot.mm as Mm;
        for (const e of cpu.tlb) {
          if (e.asid !== asid) continue;
          const why = this.disagreement(e, mm, e.vpn);
          if (why) out.push({ cpu: cpu.id, va: hexAddr(addrOf(e.vpn)), why });
        }
        for (const p of cpu.psc) {
          if (p.asid !== asid) continue;
          const w = walk(this.m, mm, p.prefix * 512 ** p.lvl);
          const l = w.levels[this.m.top - p.lvl];
          if (!l || l.pfn !== p.tablePfn)
            out.push({
              cpu: cpu.id,
              va: hexAddr(addrOf(p.prefix * 512 ** p.lvl)),
              why: `paging-structure cache: level ${p.lvl} entry points to a table no longer there`,
            });
        }
      });
    }
    return out;
  }

  /**
   * What an entry is worth now (for the report and the views): 'stale' when
   * an access could hit it without a flush first and it disagrees with the
   * tables (the hazard); 'behind' when its PCID slot's tlb_gen is behind its
   * mm's, so it is flushed before that mm runs here again; 'dead' when its mm
   * exited or lost the slot (never hit again); else 'ok'.
   */
  entryState(cpu: Cpu, e: TlbEntry): 'ok' | 'stale' | 'behind' | 'dead' {
    const slot = cpu.ctxs[e.asid] as AsidSlot;
    if (!slot.mm) return 'dead';
    const c = this.ctxOf(slot.mm);
    if (slot.ctxId !== c.ctxId || c.dead) return 'dead';
    if (slot.tlbGen < c.tlbGen) return 'behind';
    return this.disagreement(e, slot.mm as Mm, e.vpn) === null ? 'ok' : 'stale';
  }
}

/** 'r', then 'w' if writable, 'x' if not NX, 'd' if dirty (the report's perms). */
export function permsOf(e: TlbEntry): string {
  return 'r' + (e.write ? 'w' : '') + (e.nx ? '' : 'x') + (e.dirty ? 'd' : '');
}
