/**
 * What one step changed, computed by the core (issue 12 "What changed", issue 14
 * "the state after each event"): a pure diff of the machine's page tables, data
 * pages and accounting after a step against before it. Views draw it (changed rows,
 * ghosts of freed tables, flag flips), the step panel reads it out, and the JSON
 * report carries it as the additive per-step field `changes`.
 *
 * Identities match ./inspect.ts: a table page is the node `t${pfn}`, a data frame
 * `d${pfn}` (the zero page: 'zero'); `mm` is the label inspect() gives an mm (the task's
 * name, or the mshare host's label).
 *
 * This file is the contract between the core and the views; the diff itself lives
 * beside it.
 */
import type { LevelName } from './paging';

/** A flag bit that flipped in an entry that stayed present (names as paging.ts FLAG_NAMES). */
export interface FlagFlip {
  name: string;
  from: 0 | 1;
  to: 0 | 1;
}

/**
 * A change to many entries at once (a bulk populate, a zap, mprotect or
 * fork over a Run: see docs/core.md "Singles, Runs and Lins"). It covers
 * `count` consecutive entries from (table, index), running on into the next
 * table pages of the level (table + 1 from index 0, …) past index 511: the
 * table pages of a block are consecutive. Entry k's PFN is the first one's
 * plus k·stride for `new`, k·oldStride for `old` (0: all the same page, such
 * as the zero page or a zapped entry; 1: consecutive pages; 512: consecutive
 * 2 MiB hugetlb pages, PMD leaves of a hugetlb Run); the flags are
 * the same for all. blockEntry() (./change-log.ts) gives entry k. Absent
 * count = 1 entry.
 */
export interface BlockFields {
  count?: number;
  stride?: 0 | 1 | 512;
  oldStride?: 0 | 1 | 512;
}

interface ChangeBase {
  /**
   * Index (0-based) into the step's `events` of the event that made this change:
   * applying the changes with `event <= k` gives the state after event k.
   */
  event: number;
  /** The kernel function that made it (the event's `fn`), e.g. 'set_pgd', 'pud_alloc', 'free_pgd_range'. */
  fn: string;
}

export type StepChange =
  | (ChangeBase & {
      /** An entry went from not present (old null) or one value to another. */
      kind: 'entry-set';
      mm: string;
      level: LevelName;
      /** PFN of the table page holding the entry (node `t${table}`). */
      table: number;
      index: number;
      /** 16-hex-digit values as paging.ts entryHex() prints them; null = none (not present). */
      old: string | null;
      new: string;
      /** Set when the entry stayed present: which flag bits flipped (e.g. fork's RW 1→0). */
      flags?: FlagFlip[];
    } & BlockFields)
  | (ChangeBase & {
      kind: 'entry-cleared';
      mm: string;
      level: LevelName;
      table: number;
      index: number;
      old: string;
    } & BlockFields)
  | (ChangeBase & {
      /** A page-table page allocated (pud_alloc, __pte_alloc, …) or freed (free_pgd_range, …). */
      kind: 'table-alloc' | 'table-free';
      /** The mm it is charged to. */
      mm: string;
      level: LevelName;
      pfn: number;
      /** Consecutive table pages pfn … pfn + count − 1 of this level (a bulk populate's extent); absent = 1. */
      count?: number;
    })
  | (ChangeBase & {
      kind: 'data-alloc' | 'data-free';
      pfn: number;
      /** 'anonymous page', 'shmem page cache', 'hugetlb page', … */
      what: string;
      /**
       * Consecutive frames pfn … pfn + count − 1 (a bulk populate's pages; a 2 MiB hugetlb page is 512); absent = 1.
       */
      count?: number;
    })
  | (ChangeBase & {
      /** An mm's pgtables_bytes (VmPTE) changed. */
      kind: 'pgtables';
      mm: string;
      from: number;
      to: number;
    })
  | TlbChange;

/**
 * A change to a CPU's TLB (issue 17; docs/tlb.md). Only in scenarios that
 * declare `cpus N`: without it no step has one.
 */
export type TlbChange =
  | (ChangeBase & {
      /**
       * A walk's translation cached: VA → PFN with its permissions ('r', 'w', 'x', 'd' as in the report), under a PCID.
       */
      kind: 'tlb-fill';
      cpu: number;
      pcid: number;
      va: string;
      pfn: number;
      perms: string;
      mm: string;
    })
  | (ChangeBase & {
      /** Entries of one PCID dropped on one CPU: `count` leaf entries (INVLPG of a range, or a full flush). */
      kind: 'tlb-flush';
      cpu: number;
      pcid: number;
      count: number;
      full: boolean;
    })
  | (ChangeBase & {
      /** The CPU now has this mm loaded (null: init_mm) under this PCID, running task (null: nothing, lazy or not). */
      kind: 'tlb-switch';
      cpu: number;
      task: string | null;
      mm: string | null;
      pcid: number;
      lazy: boolean;
    });
