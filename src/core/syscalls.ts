/**
 * The memory system calls over one mm: mmap (mm/mmap.c do_mmap(),
 * mmap_region()), munmap (mm/vma.c do_vmi_align_munmap()), mprotect
 * (mm/mprotect.c), madvise(MADV_DONTNEED) (mm/madvise.c), and the teardown of
 * exit_mmap(). Errors are the errno values Linux returns for the same call.
 */
import type { Tlbs } from './tlb';
import type { Machine } from './machine';
import {
  detachVmas,
  findVmaIndex,
  insertVma,
  isSpecial,
  mergeAround,
  splitVmaAt,
  vmaAt,
  vmasIn,
  type Mm,
  type SpecialExt,
  type Vma,
} from './mm';
import {
  DEFAULT_MAP_WINDOW_VPN,
  MMAP_MIN_ADDR_VPN,
  VM_ACCOUNT,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_HUGETLB,
  VM_MAYSHARE,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  addrOf,
  hexAddr,
  taskSizeVpn,
} from './paging';
import { Shmem } from './shmem';
import { zapRange } from './zap';
import { HUGE_PAGES, unshareHugetlb, zapHugetlb, type HugeCtx } from './hugetlb';
import { freePgtables } from './free-pgtables';
import { releaseSlot } from './entries';
import { changeMark, claimChanges, rec } from './change-hook';
import { changeProtection } from './mprotect';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_HUGETLB,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
} from './uapi';

export type SysResult = { ok: true; value?: bigint } | { ok: false; errno: string; why: string };

const ok = (value?: bigint): SysResult => (value === undefined ? { ok: true } : { ok: true, value });
const err = (errno: string, why: string): SysResult => ({ ok: false, errno, why });

export interface VmCtx {
  m: Machine;
  shmems: Map<number, Shmem>;
  /**
   * A kernel variant's say over unmapping one of its VMAs: 'skip' leaves its
   * tables alone entirely (mshare v1 09/14 skips VMAs whose vm_mm is not
   * tlb->mm), 'unlinked' means the variant already cleared its entries and
   * only free_pgtables() remains.
   */
  unmapHook?(mm: Mm, vma: Vma): 'skip' | 'unlinked' | undefined;
  /**
   * A variant's own free_pgtables() over the removed VMAs (skipped ones
   * included); true when it did the job (mshare v1 09/14 gathers and skips
   * differently from mainline).
   */
  freePgtablesHook?(mm: Mm, removed: Vma[], floor: number, ceiling: number): boolean;
  /** Called by exit_mmap() before the PGD goes: drop links into other mms' tables. */
  beforePgdFree?(mm: Mm): void;
  /** A variant's VMA that refuses to be split or mprotected: the reason, for EINVAL. */
  vmaRefuses?(vma: Vma, what: 'split' | 'mprotect'): string | undefined;
  /** The mm (and address shift) a VMA's own operations act on: vma->vm_mm. */
  vmaTarget?(vma: Vma): { mm: Mm; delta: number } | undefined;
}

export function protToVmFlags(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

function pagesOf(len: bigint): number {
  return Number((len + 4095n) >> 12n);
}

/** Is [a, b) free of VMAs? */
function isFree(mm: Mm, a: number, b: number): boolean {
  return vmasIn(mm, a, b).length === 0;
}

/**
 * The mmap_min_addr that get_unmapped_area() works with: security/min_addr.c
 * takes the larger of the sysctl (4096 here, what /proc/sys/vm/mmap_min_addr
 * shows) and CONFIG_LSM_MMAP_MIN_ADDR (65536 on this kernel). Measured: a
 * hint of 0x1000 gives 0x10000. MAP_FIXED is checked against the sysctl only
 * (cap_mmap_addr(); no LSM here enforces the larger one): MAP_FIXED at 0x1000 works.
 */
export const MMAP_MIN_ADDR_LSM_VPN = 65536 / 4096;

/** stack_guard_gap: 256 pages kept free below a VM_GROWSDOWN VMA (vm_start_gap()). */
const STACK_GUARD_GAP = 256;

/** vm_start_gap(): where a VMA's start counts as being, for placement. */
function vmStartGap(v: Vma): number {
  return v.flags & VM_GROWSDOWN ? Math.max(0, v.start - STACK_GUARD_GAP) : v.start;
}

/**
 * vm_unmapped_area() top-down: the highest gap of `pages` below `high`,
 * above mmap_min_addr.
 */
export function unmappedAreaTopdown(mm: Mm, pages: number, high: number): number | null {
  let top = high;
  for (let i = findVmaIndex(mm, high) - 1; i >= -1; i--) {
    const v = i >= 0 ? (mm.vmas[i] as Vma) : undefined;
    const lowEnd = v ? v.end : MMAP_MIN_ADDR_LSM_VPN;
    const gapTop = Math.min(top, i + 1 < mm.vmas.length ? vmStartGap(mm.vmas[i + 1] as Vma) : top);
    if (gapTop - lowEnd >= pages) return gapTop - pages;
    if (v) top = v.start;
  }
  return null;
}

/** unmappedAreaTopdown() for a start aligned to `align` pages (mshare's get_unmapped_area). */
export function unmappedAreaTopdownAligned(mm: Mm, pages: number, high: number, align: number): number | null {
  let top = high;
  for (let i = findVmaIndex(mm, high) - 1; i >= -1; i--) {
    const v = i >= 0 ? (mm.vmas[i] as Vma) : undefined;
    const lowEnd = v ? v.end : MMAP_MIN_ADDR_LSM_VPN;
    const start = Math.floor((top - pages) / align) * align;
    if (start >= lowEnd && start >= 0) return start;
    if (v) top = Math.min(top, v.start);
  }
  return null;
}

/**
 * __thp_get_unmapped_area() (mm/huge_memory.c) with off = 0 (anonymous memory):
 * search for len + PMD_SIZE, then
 *   off_sub = (off - ret) & (size - 1);
 *   if (mm_flags_test(MMF_TOPDOWN, current->mm) && !off_sub) return ret + size;
 *   ret += off_sub;
 * Either way the result is the highest 2 MiB-aligned start that fits in the gap
 * the padded search found (an aligned ret is moved up by a whole 2 MiB, not kept).
 */
export function thpGetUnmappedArea(mm: Mm, pages: number): number | null {
  const ret = unmappedAreaTopdown(mm, pages + HUGE_PAGES, mm.mmapBase);
  if (ret === null) return null;
  const offSub = (HUGE_PAGES - (ret % HUGE_PAGES)) % HUGE_PAGES;
  return offSub === 0 ? ret + HUGE_PAGES : ret + offSub;
}

/**
 * What execve() leaves at the top of every process's address space, with ASLR
 * off (personality(ADDR_NO_RANDOMIZE)), as /proc/PID/maps shows on this
 * machine's 6.18 for a small static binary:
 *   7ffff7ff7000-7ffff7ffb000 r--p  [vvar]         (4 pages)
 *   7ffff7ffb000-7ffff7ffd000 r--p  [vvar_vclock]  (2 pages)
 *   7ffff7ffd000-7ffff7fff000 r-xp  [vdso]         (2 pages)
 *   7ffffffde000-7ffffffff000 rw-p  [stack]        (33 pages: 128 KiB of
 *     setup_arg_pages()'s stack_expand plus one page of arguments)
 * map_vdso() puts the vDSO at mmap_base by get_unmapped_area(), so an mmap
 * without an address lands below it: the first `mmap auto 12K` at
 * 0x7ffff7ff4000. Nothing is touched, so no table exists (VmPTE 0); the binary,
 * its heap and the loader are not modelled (they live in PGD slot 0).
 */
export function setupSpecialMappings(m: Machine, mm: Mm): void {
  const base = mm.mmapBase;
  // The kernel's own frames (below 0x1000): the vvar data pages, the vclock pages and the vDSO image.
  // Reading each page on this machine: [vvar] pages 1 and 3 and [vvar_vclock] page 1
  // raise SIGBUS (their fault handler finds no page: no time namespace, no Hyper-V clock).
  const special = (
    start: number,
    pages: number,
    flags: number,
    name: string,
    pfn0: number,
    pfnmap: boolean,
    sigbus?: number[],
  ): Vma => ({
    start,
    end: start + pages,
    flags,
    pgoff: 0,
    shmem: null,
    anonVma: 0,
    name,
    ext: { kind: 'special', pfn0, pfnmap, sigbus } as SpecialExt,
  });
  insertVma(mm, special(base - 8, 4, VM_READ, '[vvar]', 0x200, true, [1, 3]));
  insertVma(mm, special(base - 4, 2, VM_READ, '[vvar_vclock]', 0x204, true, [1]));
  insertVma(mm, special(base - 2, 2, VM_READ | VM_EXEC, '[vdso]', 0x206, false));
  const top = DEFAULT_MAP_WINDOW_VPN;
  insertVma(mm, {
    start: top - 33,
    end: top,
    flags: VM_READ | VM_WRITE | VM_GROWSDOWN | VM_ACCOUNT,
    pgoff: top - 33,
    shmem: null,
    anonVma: 0,
    name: '[stack]',
  });
  m.ev.emit(
    'map_vdso',
    `[vvar], [vvar_vclock], [vdso] at ${hexAddr(addrOf(base - 8))}-${hexAddr(addrOf(base))} and [stack] below ${hexAddr(addrOf(top))}, as execve() leaves them; nothing touched, no page tables`,
  );
}

/**
 * mmap_address_hint_valid() (arch/x86/mm/mmap.c): inside TASK_SIZE, and not
 * crossing DEFAULT_MAP_WINDOW ("(addr > DEFAULT_MAP_WINDOW) == (addr + len > DEFAULT_MAP_WINDOW)").
 */
function hintValid(hint: number, pages: number, taskSize: number): boolean {
  if (taskSize - pages < hint) return false;
  return hint > DEFAULT_MAP_WINDOW_VPN === hint + pages > DEFAULT_MAP_WINDOW_VPN;
}

export interface MmapArgs {
  addr: bigint | 'auto';
  len: bigint;
  prot: number;
  flags: number;
  /** A shared mapping of an existing shmem object (a file), at a page offset into it. */
  backing?: { shmem: Shmem; pgoff: number };
}

/** do_mmap() for anonymous memory. Returns the address in `value`. */
export function doMmap(
  ctx: VmCtx,
  mm: Mm,
  a: MmapArgs,
  populate: (vma: Vma, start: number, end: number) => void,
): SysResult {
  const { m } = ctx;
  m.ev.emit('do_mmap', `${a.len} bytes, ${a.addr === 'auto' ? 'address chosen by the kernel' : hexAddr(a.addr)}`);
  if (a.len === 0n) return err('EINVAL', 'length 0');
  const type = a.flags & (MAP_SHARED | MAP_PRIVATE);
  if (type === 0) return err('EINVAL', 'neither MAP_SHARED nor MAP_PRIVATE');
  if (!(a.flags & MAP_ANONYMOUS) && !a.backing) return err('EBADF', 'a file mapping needs an open file (fd=)');
  const huge = (a.flags & MAP_HUGETLB) !== 0;
  if (huge && type === MAP_PRIVATE)
    return err('EINVAL', 'private hugetlb mappings are not modelled; use MAP_SHARED|MAP_HUGETLB');
  // ksys_mmap_pgoff(): a hugetlb length is rounded up to the 2 MiB page size.
  const pages = huge ? Math.ceil(pagesOf(a.len) / HUGE_PAGES) * HUGE_PAGES : pagesOf(a.len);
  const taskSize = taskSizeVpn(mm.paging);
  if (pages > taskSize) return err('ENOMEM', 'longer than the address space');
  const fixed = (a.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
  const shared = type !== MAP_PRIVATE;
  let start: number;
  if (fixed) {
    if (a.addr === 'auto') return err('EINVAL', 'MAP_FIXED needs an address');
    if (a.addr & 0xfffn) return err('EINVAL', `${hexAddr(a.addr)} is not page aligned`);
    start = Number(a.addr >> 12n);
    if (huge && start % HUGE_PAGES)
      return err('EINVAL', `${hexAddr(a.addr)} is not 2 MiB aligned, as a hugetlb mapping must be`);
    if (start + pages > taskSize) return err('ENOMEM', 'beyond TASK_SIZE');
    if (start < MMAP_MIN_ADDR_VPN) return err('EPERM', 'below mmap_min_addr');
    if (a.flags & MAP_FIXED_NOREPLACE && !(a.flags & MAP_FIXED) && !isFree(mm, start, start + pages)) {
      return err('EEXIST', 'MAP_FIXED_NOREPLACE: the range is already mapped');
    }
  } else {
    // do_mmap(): round_hint_to_min(): "hint &= PAGE_MASK", and a non-null hint below
    // mmap_min_addr becomes PAGE_ALIGN(mmap_min_addr) (measured: 0x10000000123 gives
    // 0x10000000000, and 0x1000 gives 0x10000).
    let hint = a.addr === 'auto' ? 0 : Number(a.addr >> 12n);
    if (hint !== 0 && hint < MMAP_MIN_ADDR_LSM_VPN) hint = MMAP_MIN_ADDR_LSM_VPN;
    // arch_get_unmapped_area_topdown() (arch/x86/kernel/sys_x86_64.c): a valid hint
    // whose range is free (up to vm_start_gap() of the next VMA) is taken as is; else
    // top-down below mmap_base, and "if (addr > DEFAULT_MAP_WINDOW …)
    // info.high_limit += TASK_SIZE_MAX - DEFAULT_MAP_WINDOW": a hint above 47 bits
    // that could not be taken still searches the whole 5-level space from its top.
    let found: number | null = null;
    if (hint !== 0 && hintValid(hint, pages, taskSize)) {
      const next = mm.vmas[findVmaIndex(mm, hint)];
      if (!next || hint + pages <= vmStartGap(next)) found = hint;
    }
    const high = mm.mmapBase + (hint > DEFAULT_MAP_WINDOW_VPN ? taskSize - DEFAULT_MAP_WINDOW_VPN : 0);
    if (found !== null && huge && found % HUGE_PAGES) found = null;
    if (found === null && huge) found = unmappedAreaTopdownAligned(mm, pages, high, HUGE_PAGES);
    // __get_unmapped_area(): *private* anonymous memory with no hint and a length
    // that is a multiple of PMD_SIZE is THP aligned (thp_get_unmapped_area_vmflags()).
    // MAP_SHARED|MAP_ANONYMOUS goes to shmem_get_unmapped_area() instead, which
    // aligns nothing while shmem THP is "never" (as on this kernel: measured, a
    // 2 MiB shared mapping lands at 0x7ffff7df6000 after a 4 KiB one).
    if (found === null && !shared && hint === 0 && pages % HUGE_PAGES === 0) {
      found = thpGetUnmappedArea(mm, pages);
    }
    if (found === null) found = unmappedAreaTopdown(mm, pages, high);
    if (found === null) return err('ENOMEM', 'no free range large enough');
    start = found;
  }
  if (!isFree(mm, start, start + pages)) {
    m.ev.emit('do_vmi_munmap', 'MAP_FIXED replaces what was mapped there');
    unmapRange(ctx, mm, start, start + pages);
  }
  const vma: Vma = {
    start,
    end: start + pages,
    // accountable_mapping(): private writable memory is VM_ACCOUNT.
    flags:
      protToVmFlags(a.prot) |
      (shared ? VM_SHARED | VM_MAYSHARE : a.prot & PROT_WRITE ? VM_ACCOUNT : 0) |
      (huge ? VM_HUGETLB : 0),
    // Anonymous private memory counts its pgoff in virtual pages (vm_pgoff = addr >> PAGE_SHIFT),
    // which is what lets neighbours merge; a shmem file starts at offset 0.
    pgoff: shared ? 0 : start,
    shmem: null,
    anonVma: 0,
  };
  if (a.backing) {
    a.backing.shmem.refs++;
    vma.shmem = a.backing.shmem;
    vma.pgoff = a.backing.pgoff;
  } else if (shared) {
    // shmem_zero_setup() (or hugetlb_file_setup()): shared anonymous memory is a file.
    const sh = new Shmem(pages, huge);
    sh.refs = 1;
    ctx.shmems.set(sh.id, sh);
    vma.shmem = sh;
    m.ev.emit('shmem_zero_setup', 'shared anonymous memory is backed by a shmem file');
  }
  insertVma(mm, vma);
  const end = vma.end; // a merge with the next VMA moves vma.end
  const merged = mergeAround(mm, vma);
  m.ev.emit(
    'mmap_region',
    `VMA ${hexAddr(addrOf(start))}-${hexAddr(addrOf(end))}${merged.start !== start || merged.end !== end ? `, merged into ${hexAddr(addrOf(merged.start))}-${hexAddr(addrOf(merged.end))}` : ''}`,
  );
  // mm_populate() covers the range asked for, not the VMA it merged into.
  if (a.flags & MAP_POPULATE && vma.flags & (VM_READ | VM_WRITE | VM_EXEC)) populate(merged, start, start + pages);
  return ok(addrOf(start));
}

/** zap's callback for a shmem VMA: PTEs with D set make their folios dirty. */
function dirtyFolios(ctx: VmCtx, v: Vma, delta: number): ((vpn: number, pages: number) => void) | undefined {
  const sh = v.shmem && !(v.flags & VM_HUGETLB) ? ctx.shmems.get(v.shmem.id) : undefined;
  if (!sh) return undefined;
  return (vpn, pages) => {
    const i = v.pgoff + (vpn - delta - v.start);
    sh.markDirty(i, i + pages);
  };
}

/** Drop a VMA's reference to its backing object. */
export function releaseVma(ctx: VmCtx, vma: Vma): void {
  if (vma.shmem) releaseShmem(ctx, vma.shmem.id);
}

/** fput() of a shmem object: the last reference truncates it. */
export function releaseShmem(ctx: VmCtx, id: number): void {
  const sh = ctx.shmems.get(id);
  if (!sh) return;
  sh.refs--;
  if (sh.refs === 0) {
    sh.destroy(ctx.m.frames);
    ctx.shmems.delete(sh.id);
  }
}

/** Unmap [a, b): zap, free the tables no neighbour needs, drop the VMAs. */
export function unmapRange(ctx: VmCtx, mm: Mm, a: number, b: number): void {
  const { m } = ctx;
  const removed = detachVmas(mm, a, b);
  if (removed.length === 0) return;
  const idx = findVmaIndex(mm, a);
  const prev = mm.vmas[idx - 1];
  const next = mm.vmas[idx];
  const before = m.tlb ? tablePages(mm) : 0;
  const tables = unmapVmas(ctx, mm, removed);
  if (!ctx.freePgtablesHook?.(mm, removed, prev ? prev.end : 0, next ? next.start : 0))
    freePgtables(m, mm, tables, prev ? prev.end : 0, next ? next.start : 0);
  // TLB hook: unmap_region()'s tlb_finish_mmu(), which flushes before the gathered pages and tables are freed.
  if (m.tlb) finishMmu(m.tlb, mm, removed[0] as Vma, removed[removed.length - 1] as Vma, before);
  for (const v of removed) releaseVma(ctx, v);
}

/** unmap_vmas(): zap each VMA (or let its variant deal with it); returns those free_pgtables() may visit. */
function unmapVmas(ctx: VmCtx, mm: Mm, vmas: Vma[]): Vma[] {
  let pages = 0;
  const keep: Vma[] = [];
  const mark = changeMark();
  for (const v of vmas) {
    const h = ctx.unmapHook?.(mm, v);
    if (h === 'skip') continue;
    keep.push(v);
    if (h === 'unlinked') {
      if (ctx.m.tlb) ctx.m.tlb.gathered++; // TLB hook: the unlinked entry is flushed too (tlb_flush_p4d_range)
      continue;
    }
    pages +=
      v.flags & VM_HUGETLB
        ? zapHugetlb(ctx as VmCtx & HugeCtx, mm, v.start, v.end)
        : zapRange(ctx.m, mm, v.start, v.end, { reclaim: false, dirty: dirtyFolios(ctx, v, 0) }).pages;
  }
  if (ctx.m.tlb) ctx.m.tlb.gathered += pages; // TLB hook: what the mmu_gather cleared
  ctx.m.ev.emit('unmap_vmas', `${pages} mapped page${pages === 1 ? '' : 's'} unmapped`);
  claimChanges(mark);
  return keep;
}

function rangeArgs(addr: bigint, len: bigint, paging: Mm['paging']): { a: number; b: number } | SysResult {
  if (addr & 0xfffn) return err('EINVAL', `${hexAddr(addr)} is not page aligned`);
  const pages = pagesOf(len);
  const a = Number(addr >> 12n);
  if (a + pages > taskSizeVpn(paging) + 1) return err('EINVAL', 'beyond TASK_SIZE');
  return { a, b: a + pages };
}

export function doMunmap(ctx: VmCtx, mm: Mm, addr: bigint, len: bigint): SysResult {
  ctx.m.ev.emit('do_vmi_munmap');
  const r = rangeArgs(addr, len, mm.paging);
  if ('ok' in r) return r;
  if (len === 0n) return err('EINVAL', 'length 0');
  for (const v of vmasIn(mm, r.a, r.b)) {
    const no = (v.start < r.a || v.end > r.b) && ctx.vmaRefuses?.(v, 'split');
    if (no) return err('EINVAL', no);
    // hugetlb_vm_op_split(): a hugetlb VMA splits only at 2 MiB boundaries.
    if (v.flags & VM_HUGETLB && ((v.start < r.a && r.a % HUGE_PAGES) || (v.end > r.b && r.b % HUGE_PAGES)))
      return err('EINVAL', 'a hugetlb mapping can only be split at a 2 MiB boundary');
  }
  unmapRange(ctx, mm, r.a, r.b);
  return ok();
}

export function doMprotect(ctx: VmCtx, mm: Mm, addr: bigint, len: bigint, prot: number): SysResult {
  const { m } = ctx;
  m.ev.emit('do_mprotect_pkey');
  const r = rangeArgs(addr, len, mm.paging);
  if ('ok' in r) return r;
  if (r.b === r.a) return ok();
  // Linux changes VMA after VMA and stops with ENOMEM at the first hole (do_mprotect_pkey()).
  let at = r.a;
  while (at < r.b) {
    const here = vmaAt(mm, at);
    if (!here) return err('ENOMEM', `nothing is mapped at ${hexAddr(addrOf(at))}`);
    const no = ctx.vmaRefuses?.(here, 'mprotect');
    if (no) return err('EINVAL', no);
    // mprotect_fixup(): "if (newflags == oldflags) return 0" — before any split: nothing changes.
    const newflags = mprotectFlags(here, protToVmFlags(prot));
    if (newflags === here.flags) {
      at = Math.min(r.b, here.end);
      continue;
    }
    // __split_vma() → hugetlb_vm_op_split(): a hugetlb VMA splits only at a huge page boundary.
    if (here.flags & VM_HUGETLB && ((at > here.start && at % HUGE_PAGES) || (r.b < here.end && r.b % HUGE_PAGES))) {
      return err('EINVAL', 'a hugetlb mapping can only be split at a 2 MiB boundary (hugetlb_vm_op_split())');
    }
    const oldFlags = here.flags;
    splitVmaAt(mm, at);
    splitVmaAt(mm, Math.min(r.b, (vmaAt(mm, at) as Vma).end));
    const vma = vmaAt(mm, at) as Vma;
    at = vma.end;
    vma.flags = newflags;
    if (vma.flags & VM_HUGETLB) unshareHugetlb(ctx as VmCtx & HugeCtx, mm, vma.start, vma.end);
    const mark = changeMark();
    const n = changeProtection(m, mm, vma, vma.start, vma.end);
    m.ev.emit('change_protection', `${n} present entr${n === 1 ? 'y' : 'ies'} updated`);
    claimChanges(mark);
    // TLB hook: change_pte_range() flushes only when pte_needs_flush(): a permission went away.
    if (m.tlb && n > 0 && oldFlags & ~newflags & (VM_READ | VM_WRITE | VM_EXEC))
      m.tlb.flushMmRange(mm, vma.start, vma.end, false, 'change_protection');
    mergeAround(mm, vma);
  }
  if (at < r.b) return err('ENOMEM', `nothing is mapped at ${hexAddr(addrOf(at))}`);
  return ok();
}

/**
 * mprotect_fixup()'s new vm_flags: a private mapping that becomes writable is
 * charged (VM_ACCOUNT); one that stops being writable is uncharged only while
 * it has no anon_vma. VM_ACCOUNT then decides which neighbours may merge.
 */
function mprotectFlags(vma: Vma, access: number): number {
  let f = (vma.flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | access;
  if (access & VM_WRITE) {
    if (!(vma.flags & (VM_ACCOUNT | VM_WRITE | VM_SHARED))) f |= VM_ACCOUNT;
  } else if (vma.flags & VM_ACCOUNT && !vma.shmem && !vma.anonVma) {
    f &= ~VM_ACCOUNT;
  }
  return f;
}

export function doMadviseDontneed(ctx: VmCtx, mm: Mm, addr: bigint, len: bigint): SysResult {
  const { m } = ctx;
  m.ev.emit('madvise_dontneed_single_vma');
  const r = rangeArgs(addr, len, mm.paging);
  if ('ok' in r) return r;
  let at = r.a;
  let hole = false;
  for (const v of vmasIn(mm, r.a, r.b)) {
    if (v.start > at) hole = true;
    // madvise_dontneed_free_valid_vma(): VM_PFNMAP ([vvar]) is refused; in a hugetlb VMA
    // the start must be huge-page aligned, and the end is aligned down
    // ("range->end = ALIGN_DOWN(range->end, huge_page_size(…))").
    if (isSpecial(v) && v.ext.pfnmap) return err('EINVAL', `${v.name ?? 'the mapping'} is VM_PFNMAP`);
    let end = Math.min(r.b, v.end);
    if (v.flags & VM_HUGETLB) {
      if (Math.max(r.a, v.start) % HUGE_PAGES)
        return err('EINVAL', 'MADV_DONTNEED of a hugetlb mapping must start at a 2 MiB boundary');
      end = Math.floor(end / HUGE_PAGES) * HUGE_PAGES;
    }
    const tgt = ctx.vmaTarget?.(v) ?? { mm, delta: 0 };
    const lo = Math.max(r.a, v.start) + tgt.delta;
    const hi = Math.max(lo, end + tgt.delta);
    if (tgt.mm !== mm)
      m.ev.emit(
        'unmap_page_range',
        `vma->vm_mm is ${tgt.mm.label}: its tables are walked at ${hexAddr(addrOf(lo))}-${hexAddr(addrOf(hi))}`,
      );
    const mark = changeMark();
    const t =
      v.flags & VM_HUGETLB
        ? { pages: zapHugetlb(ctx as VmCtx & HugeCtx, tgt.mm, lo, hi), reclaimed: 0 }
        : zapRange(m, tgt.mm, lo, hi, {
            reclaim: true,
            dirty: tgt.delta === 0 && tgt.mm === mm ? dirtyFolios(ctx, v, 0) : undefined,
          });
    claimChanges(mark);
    // TLB hook: zap_page_range_single()'s tlb_finish_mmu().
    if (m.tlb && (t.pages > 0 || t.reclaimed > 0))
      m.tlb.flushMmRange(tgt.mm, lo, hi, t.reclaimed > 0, 'tlb_finish_mmu');
    m.ev.emit(
      'zap_page_range_single',
      `${t.pages} page${t.pages === 1 ? '' : 's'} zapped, ${t.reclaimed} PTE page${t.reclaimed === 1 ? '' : 's'} reclaimed`,
    );
    at = v.end;
  }
  if (hole || at < r.b) return err('ENOMEM', 'part of the range is not mapped');
  return ok();
}

/** exit_mmap(): unmap everything, free every table, then the PGD. */
export function exitMmap(ctx: VmCtx, mm: Mm): void {
  const { m } = ctx;
  m.ev.emit('exit_mmap');
  const all = mm.vmas;
  const tables = unmapVmas(ctx, mm, all);
  mm.vmas = [];
  if (!ctx.freePgtablesHook?.(mm, all, 0, 0)) freePgtables(m, mm, tables, 0, 0);
  // TLB hook: tlb_gather_mmu_fullmm() … tlb_finish_mmu(): flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL, …, freed_tables).
  if (m.tlb) {
    m.tlb.gathered = 0;
    m.tlb.flushMmRange(mm, 0, Infinity, true, 'exit_mmap');
  }
  for (const v of all) releaseVma(ctx, v);
  ctx.beforePgdFree?.(mm);
  const mark = changeMark();
  m.frames.release(mm.pgd.pfn, 1);
  releaseSlot(mm.pgd); // pgd_free(): the PGD's slot in the arena goes too (entries.ts)
  mm.tables[mm.pgd.lvl] = (mm.tables[mm.pgd.lvl] ?? 0) - 1;
  rec?.table('free', mm, mm.pgd.lvl, mm.pgd.pfn, 1);
  m.ev.emit('mm_free_pgd', `PGD page pfn 0x${mm.pgd.pfn.toString(16)} freed`);
  claimChanges(mark);
}

/* ----- TLB hooks (issue 17; only with `cpus N`) ----- */

function tablePages(mm: Mm): number {
  let n = 0;
  for (const c of mm.tables) n += c ?? 0;
  return n;
}

/**
 * tlb_finish_mmu() of unmap_region(): nothing to flush when nothing was
 * gathered (tlb_flush_mmu_tlbonly() returns early); freed_tables when
 * free_pgtables() freed a table page.
 */
function finishMmu(tlb: Tlbs, mm: Mm, first: Vma, last: Vma, tablesBefore: number): void {
  const gathered = tlb.gathered;
  tlb.gathered = 0;
  const freed = tablePages(mm) < tablesBefore;
  if (gathered === 0 && !freed) return;
  tlb.flushMmRange(mm, first.start, last.end, freed, 'tlb_finish_mmu');
}
