/**
 * The per-step `tlb` field of ptx-report/1 (additive; present only when the
 * scenario declares `cpus N`; docs/tlb.md, docs/scenario-language.md).
 */
import type { FlushRecord, StaleHit, Tlbs } from '../core/tlb';
import { kernPcid, permsOf } from '../core/tlb';
import { addrOf, hexAddr } from '../core/paging';
import type { TlbChange } from '../core/changes';

export interface ReportTlbEntry {
  va: string;
  /** 4 KiB pages the entry covers (512 for a 2 MiB leaf). */
  pages: number;
  pfn: number;
  pcid: number;
  /** The mm whose walk filled it. */
  mm: string;
  /** 'r', 'rw', with 'x' when not NX, and 'd' when dirty: e.g. "rwd", "rx". */
  perms: string;
  /**
   * An access could hit it without a flush first, and it disagrees with the tables now (the page unmapped, its frame
   * reused, or its permissions reduced): the hazard.
   */
  stale?: true;
  /**
   * Its PCID slot's tlb_gen is behind the mm's: it is flushed before that mm runs on this CPU again (harmless, whatever
   * it says).
   */
  behind?: true;
  /** Its mm exited or lost the PCID slot: it can never be hit again. */
  dead?: true;
}

export interface ReportCpu {
  cpu: number;
  /** The task running, or null. */
  task: string | null;
  /** The mm loaded (cpu_tlbstate.loaded_mm), null for init_mm. */
  mm: string | null;
  pcid: number | null;
  lazy: boolean;
  entries: ReportTlbEntry[];
  /** Paging-structure cache entries held (SDM §4.10.3). */
  psc: number;
}

export interface ReportTlb {
  /** Accesses in this step that hit a TLB entry (no walk), and walks that filled one. */
  hits: number;
  walks: number;
  flushes: FlushRecord[];
  /** Accesses that hit a stale entry: the hazard. */
  stale: StaleHit[];
  cpus: ReportCpu[];
}

/** The step's report field, and its TLB changes for the step's `changes`. */
export function reportTlb(t: Tlbs): { report: ReportTlb; changes: TlbChange[] } {
  const s = t.takeStep();
  const report: ReportTlb = {
    hits: s.hits,
    walks: s.walks,
    flushes: s.flushes,
    stale: s.stale,
    cpus: t.cpus.map((c) => ({
      cpu: c.id,
      task: c.task,
      mm: c.loaded ? t.ctxOf(c.loaded).label : null,
      pcid: c.loaded ? kernPcid(c.loadedAsid) : null,
      lazy: c.lazy,
      entries: c.tlb.map((e) => {
        const r: ReportTlbEntry = {
          va: hexAddr(addrOf(e.vpn)),
          pages: e.pages,
          pfn: e.pfn,
          pcid: kernPcid(e.asid),
          mm: e.mm,
          perms: permsOf(e),
        };
        const state = t.entryState(c, e);
        if (state !== 'ok') r[state] = true;
        return r;
      }),
      psc: c.psc.length,
    })),
  };
  return { report, changes: s.changes };
}
