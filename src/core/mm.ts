/**
 * mm_struct and vm_area_struct, reduced to what page tables depend on.
 * (include/linux/mm_types.h; VMA flags from include/linux/mm.h.)
 */
import { Table, type Charge } from './table';
import type { Paging } from './paging';

/** The shmem object behind a MAP_SHARED|MAP_ANONYMOUS mapping (mm/shmem.c, shmem_zero_setup()). */
export interface ShmemRef {
  readonly id: number;
  /** VMAs (and open files) holding the object: each VMA holds its own reference, as vm_file does. */
  refs: number;
}

export interface Vma {
  /** [start, end) in vpn. */
  start: number;
  end: number;
  /** VM_READ | VM_WRITE | VM_EXEC | VM_SHARED | VM_MAYSHARE … */
  flags: number;
  /** Page offset into the backing object of vm_start. */
  pgoff: number;
  /** The shmem object of a shared anonymous mapping; null for private anonymous memory. */
  shmem: ShmemRef | null;
  /**
   * vma->anon_vma (0 = none; equal numbers = the same anon_vma): the first write fault (anon_vma_prepare() in
   * do_anonymous_page) or COW of a private mapping sets it, and fork copies
   * page tables only for VMAs that have one (vma_needs_copy(), mm/memory.c).
   */
  anonVma: number;
  /**
   * The anon_vma came from anon_vma_fork(): its chain is not singular, so
   * the VMA may not hand it to a neighbour in a merge (vma_had_uncowed_parents()).
   */
  anonForked?: boolean;
  /** Extra behaviour attached by a kernel variant (mshare, msharefs, hugetlb), or a special mapping. */
  ext?: VmaExt;
  /** The name /proc/PID/maps shows: [vvar], [vvar_vclock], [vdso], [stack]. */
  name?: string;
}

/**
 * A special mapping (_install_special_mapping(), mm/mmap.c): its pages are the
 * kernel's, handed out by its fault handler (vvar_fault() inserts PFNs,
 * vdso_fault() the vDSO image's pages). `pfn0` is the frame of its first page.
 */
export interface SpecialExt extends VmaExt {
  readonly kind: 'special';
  readonly pfn0: number;
  /** VM_PFNMAP (the vvar pages: vmf_insert_pfn() makes special PTEs). */
  readonly pfnmap: boolean;
  /** Page offsets with nothing behind them: the fault handler returns VM_FAULT_SIGBUS. */
  readonly sigbus?: readonly number[];
}

export function isSpecial(v: Vma): v is Vma & { ext: SpecialExt } {
  return v.ext?.kind === 'special';
}

/** Opaque to the mainline core; the mshare models keep their state here. */
export interface VmaExt {
  readonly kind: string;
}

let nextMmId = 1;

export class Mm implements Charge {
  readonly id = nextMmId++;
  /** Table pages by level allocated by this mm (index = level); pgtables_bytes counts PTE/PMD/PUD. */
  tables: number[] = [0, 0, 0, 0, 0];
  vmas: Vma[] = [];
  /** MM_ANONPAGES and MM_SHMEMPAGES of the rss counters. */
  rssAnon = 0;
  rssShmem = 0;
  /**
   * Minor faults of the task that owns this mm (current->min_flt; one task
   * per mm here): mm_account_fault() in mm/memory.c counts each
   * handle_mm_fault() that returns without VM_FAULT_ERROR or VM_FAULT_RETRY,
   * so VM_FAULT_NOPAGE counts (mshare's set_pgd, and the re-executed access
   * that faults again counts once more), a fault-around that maps 16 pages
   * counts once, and access_error()/no-VMA SIGSEGVs, SIGBUS and OOM do not.
   * fork gives the child 0 (copy_mm(): "tsk->min_flt = tsk->maj_flt = 0;").
   */
  minFlt = 0;
  /** mm->mmap_base: where top-down placement starts. */
  mmapBase: number;
  users = 1;
  constructor(
    readonly pgd: Table,
    readonly paging: Paging,
    mmapBase: number,
    /** Who this mm is for (a task name, or a region's host). */
    readonly label: string,
  ) {
    this.mmapBase = mmapBase;
  }

  /**
   * mm_pgtables_bytes(): PTE, PMD and PUD pages (mm_inc_nr_ptes/pmds/puds).
   * Linux keeps no counter for P4D pages (__p4d_alloc() charges nothing) nor
   * for the PGD, so neither is counted, with 5-level paging either.
   */
  get pgtablesBytes(): number {
    return ((this.tables[0] as number) + (this.tables[1] as number) + (this.tables[2] as number)) * 4096;
  }
}

/** find_vma(): the first VMA ending above vpn. */
export function findVmaIndex(mm: Mm, vpn: number): number {
  const v = mm.vmas;
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((v[mid] as Vma).end <= vpn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The VMA containing vpn, or undefined. */
export function vmaAt(mm: Mm, vpn: number): Vma | undefined {
  const v = mm.vmas[findVmaIndex(mm, vpn)];
  return v && v.start <= vpn ? v : undefined;
}

/** VMAs that intersect [a, b), in order. */
export function vmasIn(mm: Mm, a: number, b: number): Vma[] {
  const out: Vma[] = [];
  for (let i = findVmaIndex(mm, a); i < mm.vmas.length; i++) {
    const v = mm.vmas[i] as Vma;
    if (v.start >= b) break;
    out.push(v);
  }
  return out;
}

/** __split_vma(): cut the VMA containing vpn so that vpn starts a VMA. */
export function splitVmaAt(mm: Mm, vpn: number): void {
  const i = findVmaIndex(mm, vpn);
  const v = mm.vmas[i];
  if (!v || v.start >= vpn) return;
  const right: Vma = { ...v, start: vpn, pgoff: v.pgoff + (vpn - v.start) };
  if (right.shmem) right.shmem.refs++; // __split_vma(): get_file(new->vm_file)
  v.end = vpn;
  mm.vmas.splice(i + 1, 0, right);
}

export function insertVma(mm: Mm, vma: Vma): void {
  mm.vmas.splice(findVmaIndex(mm, vma.start), 0, vma);
}

/** Remove the VMAs inside [a, b) (after splitting at a and b); returns them. */
export function detachVmas(mm: Mm, a: number, b: number): Vma[] {
  splitVmaAt(mm, a);
  splitVmaAt(mm, b);
  const i = findVmaIndex(mm, a);
  let j = i;
  while (j < mm.vmas.length && (mm.vmas[j] as Vma).start < b) j++;
  return mm.vmas.splice(i, j - i);
}

let nextAnonVma = 1;

/** A fresh anon_vma for a forked child (anon_vma_fork()). */
export function newAnonVma(): number {
  return nextAnonVma++;
}

/** Same backing and contiguous offsets (is_mergeable_vma() / anon_vma_compatible()). */
function sameBacking(a: Vma, b: Vma): boolean {
  return (
    a.end === b.start &&
    a.shmem === b.shmem &&
    a.pgoff + (a.end - a.start) === b.pgoff &&
    a.ext === undefined &&
    b.ext === undefined
  );
}

/**
 * anon_vma_prepare(): a VMA's first anonymous page needs an anon_vma; it
 * reuses a neighbour's when the two could merge but for their protection and
 * the neighbour's anon_vma is its own (find_mergeable_anon_vma()).
 */
export function anonVmaPrepare(mm: Mm, vma: Vma): void {
  if (vma.anonVma) return;
  const i = mm.vmas.indexOf(vma);
  const ACCESS = VM_ACCESS_FLAGS;
  for (const n of [mm.vmas[i + 1], mm.vmas[i - 1]]) {
    if (!n || !n.anonVma || n.anonForked) continue;
    const [a, b] = n.start < vma.start ? [n, vma] : [vma, n];
    if (sameBacking(a, b) && ((a.flags ^ b.flags) & ~ACCESS) === 0) {
      vma.anonVma = n.anonVma;
      return;
    }
  }
  vma.anonVma = nextAnonVma++;
}

const VM_ACCESS_FLAGS = 0x7;

/** is_mergeable_anon_vma(): equal, or only one has one and it was not inherited through fork. */
function anonMergeable(a: Vma, b: Vma): boolean {
  if (a.anonVma && b.anonVma) return a.anonVma === b.anonVma;
  const has = a.anonVma ? a : b.anonVma ? b : null;
  return !has || !has.anonForked;
}

function canMerge(a: Vma, b: Vma): boolean {
  return sameBacking(a, b) && a.flags === b.flags && anonMergeable(a, b);
}

/** are_anon_vmas_compatible() (mm/vma.c): at most one has an anon_vma, or both the same. */
function anonVmasCompatible(a: Vma, b: Vma): boolean {
  return !a.anonVma || !b.anonVma || a.anonVma === b.anonVma;
}

/**
 * vma_merge_new_range() / vma_merge_existing_range() (mm/vma.c): join the VMA
 * with compatible neighbours. Both neighbours are taken only if their own
 * anon_vmas are compatible (can_vma_merge_right(): "if (!can_merge_left)
 * return true; … return are_anon_vmas_compatible(prev, next);"); otherwise
 * the merge with prev alone happens. Returns the VMA that now covers it.
 */
export function mergeAround(mm: Mm, vma: Vma): Vma {
  const i = mm.vmas.indexOf(vma);
  const prev = mm.vmas[i - 1];
  const next = mm.vmas[i + 1];
  const left = prev !== undefined && canMerge(prev, vma);
  const right = next !== undefined && canMerge(vma, next) && (!left || anonVmasCompatible(prev as Vma, next));
  let cur = vma;
  if (right) {
    const n = next as Vma;
    cur.end = n.end;
    if (!cur.anonVma) {
      cur.anonVma = n.anonVma;
      cur.anonForked = n.anonForked;
    }
    if (n.shmem) n.shmem.refs--;
    mm.vmas.splice(i + 1, 1);
  }
  if (left) {
    const p = prev as Vma;
    p.end = cur.end;
    if (!p.anonVma) {
      p.anonVma = cur.anonVma;
      p.anonForked = cur.anonForked;
    }
    if (cur.shmem) cur.shmem.refs--;
    mm.vmas.splice(i, 1);
    cur = p;
  }
  return cur;
}
