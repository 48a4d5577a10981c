/**
 * The memory system calls over one mm: mmap (mm/mmap.c do_mmap(),
 * mmap_region()), munmap (mm/vma.c do_vmi_align_munmap()), mprotect
 * (mm/mprotect.c), madvise(MADV_DONTNEED) (mm/madvise.c), and the teardown of
 * exit_mmap(). Errors are the errno values Linux returns for the same call.
 */
import type { Machine } from './machine';
import { detachVmas, findVmaIndex, insertVma, mergeAround, splitVmaAt, vmaAt, vmasIn, type Mm, type Vma } from './mm';
import {
  DEFAULT_MAP_WINDOW_VPN,
  MMAP_MIN_ADDR_VPN,
  VM_ACCOUNT,
  VM_EXEC,
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
 * vm_unmapped_area() top-down: the highest gap of `pages` below `high`,
 * above mmap_min_addr.
 */
export function unmappedAreaTopdown(mm: Mm, pages: number, high: number): number | null {
  let top = high;
  for (let i = findVmaIndex(mm, high) - 1; i >= -1; i--) {
    const v = i >= 0 ? (mm.vmas[i] as Vma) : undefined;
    const lowEnd = v ? v.end : MMAP_MIN_ADDR_VPN;
    const gapTop = Math.min(top, i + 1 < mm.vmas.length ? (mm.vmas[i + 1] as Vma).start : top);
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
    const lowEnd = v ? v.end : MMAP_MIN_ADDR_VPN;
    const start = Math.floor((top - pages) / align) * align;
    if (start >= lowEnd && start >= 0) return start;
    if (v) top = Math.min(top, v.start);
  }
  return null;
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
export function doMmap(ctx: VmCtx, mm: Mm, a: MmapArgs, populate: (vma: Vma, start: number, end: number) => void): SysResult {
  const { m } = ctx;
  m.ev.emit('do_mmap', `${a.len} bytes, ${a.addr === 'auto' ? 'address chosen by the kernel' : hexAddr(a.addr)}`);
  if (a.len === 0n) return err('EINVAL', 'length 0');
  const type = a.flags & (MAP_SHARED | MAP_PRIVATE);
  if (type === 0) return err('EINVAL', 'neither MAP_SHARED nor MAP_PRIVATE');
  if (!(a.flags & MAP_ANONYMOUS) && !a.backing) return err('EBADF', 'a file mapping needs an open file (fd=)');
  const huge = (a.flags & MAP_HUGETLB) !== 0;
  if (huge && type === MAP_PRIVATE) return err('EINVAL', 'private hugetlb mappings are not modelled; use MAP_SHARED|MAP_HUGETLB');
  // ksys_mmap_pgoff(): a hugetlb length is rounded up to the 2 MiB page size.
  const pages = huge ? Math.ceil(pagesOf(a.len) / HUGE_PAGES) * HUGE_PAGES : pagesOf(a.len);
  const taskSize = taskSizeVpn(mm.paging);
  if (pages > taskSize) return err('ENOMEM', 'longer than the address space');
  const fixed = (a.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
  let start: number;
  if (fixed) {
    if (a.addr === 'auto') return err('EINVAL', 'MAP_FIXED needs an address');
    if (a.addr & 0xfffn) return err('EINVAL', `${hexAddr(a.addr)} is not page aligned`);
    start = Number(a.addr >> 12n);
    if (huge && start % HUGE_PAGES) return err('EINVAL', `${hexAddr(a.addr)} is not 2 MiB aligned, as a hugetlb mapping must be`);
    if (start + pages > taskSize) return err('ENOMEM', 'beyond TASK_SIZE');
    if (start < MMAP_MIN_ADDR_VPN) return err('EPERM', 'below mmap_min_addr');
    if (a.flags & MAP_FIXED_NOREPLACE && !(a.flags & MAP_FIXED) && !isFree(mm, start, start + pages)) {
      return err('EEXIST', 'MAP_FIXED_NOREPLACE: the range is already mapped');
    }
  } else {
    // get_unmapped_area(): a free hint is taken as is; else top-down below mmap_base.
    let found: number | null = null;
    if (a.addr !== 'auto' && a.addr !== 0n) {
      const hint = Number((a.addr + 4095n) >> 12n);
      const limit = hint > DEFAULT_MAP_WINDOW_VPN ? taskSize : DEFAULT_MAP_WINDOW_VPN;
      if (hint >= MMAP_MIN_ADDR_VPN && hint + pages <= limit && isFree(mm, hint, hint + pages)) found = hint;
    }
    if (found !== null && huge && found % HUGE_PAGES) found = null;
    if (found === null && huge) found = unmappedAreaTopdownAligned(mm, pages, mm.mmapBase, HUGE_PAGES);
    // __get_unmapped_area(): anonymous memory with no hint and a length that is a
    // multiple of PMD_SIZE is THP aligned (thp_get_unmapped_area_vmflags()): ask
    // for 2 MiB more, then round the start up.
    if (found === null && (a.addr === 'auto' || a.addr === 0n) && pages % HUGE_PAGES === 0) {
      const padded = unmappedAreaTopdown(mm, pages + HUGE_PAGES, mm.mmapBase);
      if (padded !== null) found = Math.ceil(padded / HUGE_PAGES) * HUGE_PAGES;
    }
    if (found === null) found = unmappedAreaTopdown(mm, pages, mm.mmapBase);
    if (found === null) return err('ENOMEM', 'no free range large enough');
    start = found;
  }
  if (!isFree(mm, start, start + pages)) {
    m.ev.emit('do_vmi_munmap', 'MAP_FIXED replaces what was mapped there');
    unmapRange(ctx, mm, start, start + pages);
  }
  const shared = type !== MAP_PRIVATE;
  const vma: Vma = {
    start,
    end: start + pages,
    // accountable_mapping(): private writable memory is VM_ACCOUNT.
    flags: protToVmFlags(a.prot) | (shared ? VM_SHARED | VM_MAYSHARE : a.prot & PROT_WRITE ? VM_ACCOUNT : 0) | (huge ? VM_HUGETLB : 0),
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
  const merged = mergeAround(mm, vma);
  m.ev.emit('mmap_region', `VMA ${hexAddr(addrOf(vma.start))}-${hexAddr(addrOf(vma.end))}${merged !== vma || merged.end !== vma.end ? `, merged into ${hexAddr(addrOf(merged.start))}-${hexAddr(addrOf(merged.end))}` : ''}`);
  // mm_populate() covers the range asked for, not the VMA it merged into.
  if (a.flags & MAP_POPULATE && vma.flags & (VM_READ | VM_WRITE | VM_EXEC)) populate(merged, start, start + pages);
  return ok(addrOf(start));
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
  const tables = unmapVmas(ctx, mm, removed);
  freePgtables(m, mm, tables, prev ? prev.end : 0, next ? next.start : 0);
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
    if (h === 'unlinked') continue;
    pages += v.flags & VM_HUGETLB ? zapHugetlb(ctx as VmCtx & HugeCtx, mm, v.start, v.end) : zapRange(ctx.m, mm, v.start, v.end, { reclaim: false }).pages;
  }
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
    if (v.flags & VM_HUGETLB && ((v.start < r.a && r.a % HUGE_PAGES) || (v.end > r.b && r.b % HUGE_PAGES))) return err('EINVAL', 'a hugetlb mapping can only be split at a 2 MiB boundary');
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
    const tgt = ctx.vmaTarget?.(v) ?? { mm, delta: 0 };
    const lo = Math.max(r.a, v.start) + tgt.delta;
    const hi = Math.min(r.b, v.end) + tgt.delta;
    const mark = changeMark();
    const t = v.flags & VM_HUGETLB ? { pages: zapHugetlb(ctx as VmCtx & HugeCtx, tgt.mm, lo, hi), reclaimed: 0 } : zapRange(m, tgt.mm, lo, hi, { reclaim: true });
    claimChanges(mark);
    m.ev.emit('zap_page_range_single', `${t.pages} page${t.pages === 1 ? '' : 's'} zapped, ${t.reclaimed} PTE page${t.reclaimed === 1 ? '' : 's'} reclaimed`);
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
  freePgtables(m, mm, tables, 0, 0);
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
