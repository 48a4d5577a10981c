/**
 * Page faults the way Linux takes them: do_user_addr_fault()
 * (arch/x86/mm/fault.c) → handle_mm_fault() → __handle_mm_fault() →
 * handle_pte_fault() → do_anonymous_page() / do_fault() / do_wp_page()
 * (mm/memory.c). Each step leaves an event named after the function.
 */
import { FrameKind, ZERO_PFN } from './frames';
import type { Machine } from './machine';
import { anonVmaPrepare, isSpecial, vmaAt, type Mm, type SpecialExt, type Vma } from './mm';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  _PAGE_RW,
  _PAGE_SPECIAL,
  _PAGE_TABLE,
  VM_EXEC,
  VM_HUGETLB,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  addrOf,
  hexAddr,
  indexAt,
  pteMkwriteDirty,
  vmPageProt,
} from './paging';
import {
  childAt,
  entryAt,
  entryVpn,
  isNone,
  materialize,
  setEntry,
  setSingle,
  type RssHolder,
  type Single,
  type Table,
} from './table';
import type { Shmem } from './shmem';
import { walk, withEntries, type Access, type Walk } from './walk';
import { hugetlbFault } from './hugetlb';
import { changeMark, claimChanges } from './change-hook';

/** vm_fault_t results that matter here. */
export type FaultResult = 'ok' | 'NOPAGE' | 'SIGSEGV' | 'SIGBUS' | 'OOM';

export interface AccessOutcome {
  kind: 'ok' | 'signal';
  signal?: 'SIGSEGV' | 'SIGBUS' | 'SIGKILL';
  cause?: string;
  walk: Walk;
}

/**
 * A kernel variant (mshare) may take over handle_mm_fault() for its VMAs, as
 * the seed's patch does with `if (unlikely(vma_is_shared(vma)))`.
 */
export type FaultHook = (m: Machine, mm: Mm, vma: Vma, vpn: number, access: Access) => FaultResult | undefined;

export interface FaultCtx {
  m: Machine;
  hook?: FaultHook;
  /**
   * Runs in do_user_addr_fault() once the VMA is found and before
   * access_error(): msharefs (2025) handles its VMAs there, against the host's.
   */
  userFaultHook?: FaultHook;
  shmemOf(vma: Vma): Shmem;
  /** A variant's quote of the code handle_mm_fault() runs for this VMA (mshare v1's shared-VMA branch). */
  faultQuote?(vma: Vma): string | undefined;
  /** Every task's mm (huge_pmd_share() searches the file's other mappings). */
  taskMms(): Mm[];
}

const allocName = ['pte_alloc', 'pmd_alloc', 'pud_alloc', 'p4d_alloc'];

const MAX_RETRIES = 8;

/**
 * One user access of one page: the MMU walks; on a fault, the kernel handles
 * it and the access is retried, as the CPU re-executes the instruction.
 */
export function userAccess(ctx: FaultCtx, mm: Mm, vpn: number, access: Access): AccessOutcome {
  const { m } = ctx;
  for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
    // The first walk's entry strings are made only if it is returned (most fault and are
    // retried); a retry, which usually succeeds, makes them at once (upper levels' are cached).
    const w = walk(m, mm, vpn, access, attempt > 0);
    if (!w.fault) return { kind: 'ok', walk: withEntries(touchBits(m, mm, vpn, access, w)) };
    const vma = vmaAt(mm, vpn);
    if (!vma) {
      m.ev.emit('bad_area', () => `no VMA covers ${atAddr(vpn)}: SEGV_MAPERR`);
      return { kind: 'signal', signal: 'SIGSEGV', cause: `no mapping at ${atAddr(vpn)}`, walk: withEntries(w) };
    }
    const early = ctx.userFaultHook?.(m, mm, vma, vpn, access);
    if (early !== undefined) {
      if (early === 'ok' || early === 'NOPAGE') {
        mm.minFlt++; // handled as handle_mm_fault() would be: mm_account_fault()
        continue;
      }
      if (early === 'OOM') {
        m.ev.emit('pagefault_out_of_memory', 'VM_FAULT_OOM: the OOM killer ends the faulting task');
        return { kind: 'signal', signal: 'SIGKILL', cause: `out of memory at ${atAddr(vpn)}`, walk: withEntries(w) };
      }
      return {
        kind: 'signal',
        signal: early,
        cause: `${early === 'SIGSEGV' ? 'VM_FAULT_SIGSEGV' : 'VM_FAULT_SIGBUS'} at ${atAddr(vpn)}`,
        walk: withEntries(w),
      };
    }
    if (accessError(access, w.fault === 'protection', vma)) {
      m.ev.emit('bad_area_access_error', () => `${access} not allowed by the VMA's protection: SEGV_ACCERR`);
      return {
        kind: 'signal',
        signal: 'SIGSEGV',
        cause: `${access} access to ${atAddr(vpn)} not permitted`,
        walk: withEntries(w),
      };
    }
    const r = handleMmFault(ctx, mm, vma, vpn, access);
    // mm_account_fault(): "if (ret & VM_FAULT_ERROR) return;" … "current->min_flt++;" (NOPAGE counts).
    if (r === 'ok' || r === 'NOPAGE') mm.minFlt++;
    if (r === 'SIGSEGV' || r === 'SIGBUS') {
      return {
        kind: 'signal',
        signal: r,
        cause: `${r === 'SIGSEGV' ? 'VM_FAULT_SIGSEGV' : 'VM_FAULT_SIGBUS'} at ${atAddr(vpn)}`,
        walk: withEntries(w),
      };
    }
    if (r === 'OOM') {
      m.ev.emit('pagefault_out_of_memory', 'VM_FAULT_OOM: the OOM killer ends the faulting task');
      return { kind: 'signal', signal: 'SIGKILL', cause: `out of memory at ${atAddr(vpn)}`, walk: withEntries(w) };
    }
  }
  const w = walk(m, mm, vpn, access);
  m.ev.emit('bad_area_access_error', 'the access keeps faulting');
  return { kind: 'signal', signal: 'SIGSEGV', cause: 'the access keeps faulting', walk: w };
}

/** The faulting address as messages print it (a function, not a closure made on every fault). */
function atAddr(vpn: number): string {
  return hexAddr(addrOf(vpn));
}

/** access_error() of arch/x86/mm/fault.c. */
export function accessError(access: Access, present: boolean, vma: Vma): boolean {
  if (access === 'write') return !(vma.flags & VM_WRITE);
  if (present) return true; // read or fetch of a present page: only NX or US can have failed
  return !(vma.flags & (VM_READ | VM_WRITE | VM_EXEC));
}

/**
 * What the MMU sets itself on a successful access: Accessed, and Dirty on a
 * write (SDM §4.8). Returns the walk as it reads afterwards (w itself when
 * the bits were set already).
 */
function touchBits(m: Machine, mm: Mm, vpn: number, access: Access, w: Walk): Walk {
  const want = _PAGE_ACCESSED | (access === 'write' ? _PAGE_DIRTY : 0);
  const leaf = w.leaf;
  if (!leaf || (leaf.flags & want) === want) return w;
  let t: Table = mm.pgd;
  for (let lvl = m.top; lvl > leaf.lvl; lvl--) t = (materialize(t, indexAt(vpn, lvl)) as Single).child as Table;
  const s = materialize(t, indexAt(vpn, leaf.lvl)) as Single;
  setEntry(t, s, s.pfn, s.flags | want);
  return walk(m, mm, vpn, access);
}

/** handle_mm_fault(): the mshare hook first, then __handle_mm_fault() in the VMA's own mm. */
export function handleMmFault(ctx: FaultCtx, mm: Mm, vma: Vma, vpn: number, access: Access): FaultResult {
  const { m } = ctx;
  m.ev.emit('handle_mm_fault', () => `${access} fault at ${hexAddr(addrOf(vpn))}`, ctx.faultQuote?.(vma));
  const hooked = ctx.hook?.(m, mm, vma, vpn, access);
  if (hooked !== undefined) return hooked;
  if (vma.flags & VM_HUGETLB) return hugetlbFault(ctx, mm, vma, vpn, ctx.shmemOf(vma), access);
  return __handleMmFault(ctx, mm, vma, vpn, access);
}

/** Allocate the table under entry i of t if it is none (p4d/pud/pmd_alloc). */
export function ensureChild(m: Machine, mm: Mm, t: Table, i: number, quiet = false): Table | null {
  const known = childAt(t, i);
  if (known) return known;
  const s = isNone(t, i) ? null : materialize(t, i);
  if (s) return s.child;
  const mark = changeMark();
  const child = m.allocTable(mm, t.lvl - 1, entryVpn(t, i));
  if (!child) return null;
  setSingle(t, i, child.pfn, _PAGE_TABLE, child);
  // Quiet: the caller counts the allocation (populate) and claims these changes for it, or copies (fork).
  if (!quiet) {
    m.ev.emit(
      allocName[t.lvl - 1] as string,
      () => `new ${levelWord(t.lvl - 1, m)} page, pfn 0x${child.pfn.toString(16)}, charged to ${mm.label}`,
    );
    claimChanges(mark);
  }
  return child;
}

function levelWord(lvl: number, m: Machine): string {
  if (lvl === m.top) return 'PGD';
  return ['PTE', 'PMD', 'PUD', 'P4D'][lvl] as string;
}

export function __handleMmFault(ctx: FaultCtx, mm: Mm, vma: Vma, vpn: number, access: Access): FaultResult {
  const { m } = ctx;
  m.ev.emit('__handle_mm_fault');
  let t: Table = mm.pgd;
  // p4d_alloc, pud_alloc, pmd_alloc; the PTE page comes later (pte_alloc in do_anonymous_page/finish_fault).
  for (let lvl = m.top; lvl > 1; lvl--) {
    const child = ensureChild(m, mm, t, indexAt(vpn, lvl));
    if (!child) return 'OOM';
    t = child;
  }
  return handlePteFault(ctx, mm, vma, t, vpn, access);
}

function handlePteFault(ctx: FaultCtx, mm: Mm, vma: Vma, pmdTable: Table, vpn: number, access: Access): FaultResult {
  const { m } = ctx;
  const pmdIdx = indexAt(vpn, 1);
  const ptes =
    childAt(pmdTable, pmdIdx) ??
    (!isNone(pmdTable, pmdIdx) && entryAt(pmdTable, pmdIdx) ? (materialize(pmdTable, pmdIdx) as Single).child : null);
  const pteIdx = indexAt(vpn, 0);
  const pte = ptes && !isNone(ptes, pteIdx) ? materialize(ptes, pteIdx) : null;
  if (!pte) {
    if (isSpecial(vma)) return specialMappingFault(ctx, mm, vma, pmdTable, vpn);
    if (vma.shmem) return doFault(ctx, mm, vma, pmdTable, vpn, access);
    return doAnonymousPage(ctx, mm, vma, pmdTable, vpn, access);
  }
  if (access === 'write' && pte.flags & _PAGE_PRESENT && !(pte.flags & _PAGE_RW)) {
    return doWpPage(ctx, mm, vma, pte, ptes as Table);
  }
  m.ev.emit('handle_pte_fault', 'the entry is already there: a spurious fault, nothing to do');
  return 'ok';
}

/** pte_alloc(): the PTE page under the PMD entry, allocated if none. */
function pteAlloc(m: Machine, mm: Mm, pmdTable: Table, vpn: number): Table | null {
  return ensureChild(m, mm, pmdTable, indexAt(vpn, 1));
}

function doAnonymousPage(ctx: FaultCtx, mm: Mm, vma: Vma, pmdTable: Table, vpn: number, access: Access): FaultResult {
  const { m } = ctx;
  const write = access === 'write';
  m.ev.emit(
    'do_anonymous_page',
    write
      ? 'write to private anonymous memory: a new zeroed page'
      : 'read of private anonymous memory: map the zero page',
  );
  const ptes = pteAlloc(m, mm, pmdTable, vpn);
  if (!ptes) return 'OOM';
  const i = indexAt(vpn, 0);
  if (!write) {
    // pte_mkspecial(pfn_pte(my_zero_pfn(addr), vma->vm_page_prot)): read-only, shared by everyone.
    setSingle(ptes, i, ZERO_PFN, vmPageProt(vma.flags) | _PAGE_SPECIAL, null);
    return 'ok';
  }
  if (!vma.anonVma) {
    anonVmaPrepare(mm, vma);
    m.ev.emit('anon_vma_prepare', 'the VMA gets an anon_vma: fork will now copy its page tables');
  }
  const mark = changeMark();
  const pfn = m.frames.alloc(1, FrameKind.Anon);
  if (pfn === null) return 'OOM';
  m.ev.emit('alloc_anon_folio', () => `pfn 0x${pfn.toString(16)}`);
  claimChanges(mark);
  let flags = vmPageProt(vma.flags);
  if (vma.flags & VM_WRITE) flags = pteMkwriteDirty(flags);
  setSingle(ptes, i, pfn, flags, null);
  m.frames.exclusive.set(pfn, pfn + 1, true);
  m.mapData(ptes.mm as RssHolder, FrameKind.Anon, pfn, 1);
  return 'ok';
}

/**
 * A read or fetch of [vvar], [vvar_vclock] or [vdso] (their VMAs are not
 * writable, so a write never gets here): the page is one of the kernel's.
 * vvar_fault() → vmf_insert_pfn() makes a special PTE (pte_mkspecial()); the
 * vDSO's fault handler returns its image page and finish_fault() maps it.
 * Neither allocates a data page. (The vDSO page would count as MM_FILEPAGES,
 * which the model does not show.)
 */
function specialMappingFault(
  ctx: FaultCtx,
  mm: Mm,
  vma: Vma & { ext: SpecialExt },
  pmdTable: Table,
  vpn: number,
): FaultResult {
  const { m } = ctx;
  m.ev.emit(
    vma.ext.pfnmap ? 'vvar_fault' : 'vdso_fault',
    () => `${vma.name ?? 'special mapping'}: one of the kernel's pages`,
  );
  if (vma.ext.sigbus?.includes(vpn - vma.start)) return 'SIGBUS';
  const ptes = pteAlloc(m, mm, pmdTable, vpn);
  if (!ptes) return 'OOM';
  const pfn = vma.ext.pfn0 + (vpn - vma.start);
  setSingle(ptes, indexAt(vpn, 0), pfn, vmPageProt(vma.flags) | (vma.ext.pfnmap ? _PAGE_SPECIAL : 0), null);
  m.mapData(ptes.mm as RssHolder, FrameKind.Kernel, pfn, 1);
  return 'ok';
}

/** fault_around_bytes = 64 KiB: do_read_fault() first maps cached neighbours (do_fault_around()). */
const FAULT_AROUND_PAGES = 16;

function doFault(ctx: FaultCtx, mm: Mm, vma: Vma, pmdTable: Table, vpn: number, access: Access): FaultResult {
  const { m } = ctx;
  const write = access === 'write';
  const shmem = ctx.shmemOf(vma);
  const index = vma.pgoff + (vpn - vma.start);
  const shared = (vma.flags & VM_SHARED) !== 0;
  m.ev.emit(write ? (shared ? 'do_shared_fault' : 'do_cow_fault') : 'do_read_fault');
  const ptes = pteAlloc(m, mm, pmdTable, vpn);
  if (!ptes) return 'OOM';
  const prot = vmPageProt(vma.flags);
  if (!write) {
    // do_fault_around(): map what the page cache already holds within the window, VMA and PTE page.
    const pteOff = indexAt(vpn, 0);
    const vmaOff = vpn - vma.start;
    const from = Math.max(pteOff - (pteOff % FAULT_AROUND_PAGES), pteOff - Math.min(pteOff, vmaOff));
    const to = Math.min(from + FAULT_AROUND_PAGES, 512, pteOff + (vma.end - vma.start) - vmaOff);
    let mapped = 0;
    const mark = changeMark();
    for (let j = from; j < to; j++) {
      if (entryAt(ptes, j)) continue;
      const pfn = shmem.pfnAt(index + (j - pteOff));
      if (pfn === null) continue;
      setSingle(ptes, j, pfn, readFaultFlags(prot, shmem, index + (j - pteOff)), null);
      m.mapData(ptes.mm as RssHolder, FrameKind.Shmem, pfn, 1);
      mapped++;
    }
    if (mapped) {
      m.ev.emit(
        'filemap_map_pages',
        () => `fault-around mapped ${mapped} page${mapped > 1 ? 's' : ''} already in the page cache`,
      );
      claimChanges(mark);
    }
    if (entryAt(ptes, pteOff)) return 'ok';
  }
  const had = shmem.pfnAt(index);
  const mark = changeMark();
  // shmem_get_folio(): the lookup just made, or a new page (getPage() would look again).
  const pfn = had !== null ? had : shmem.addPage(m.frames, index);
  if (pfn === null) return 'OOM';
  m.ev.emit('shmem_fault', () =>
    had === null
      ? `page ${index} allocated in the page cache, pfn 0x${pfn.toString(16)}`
      : `page ${index} found in the page cache, pfn 0x${pfn.toString(16)}`,
  );
  claimChanges(mark);
  let flags = readFaultFlags(prot, shmem, index);
  if (write && vma.flags & VM_WRITE) flags = pteMkwriteDirty(flags);
  // do_shared_fault() → fault_dirty_shared_page(): the folio is dirty from now on.
  if (write && shared) shmem.markDirty(index, index + 1);
  m.ev.emit('finish_fault');
  setSingle(ptes, indexAt(vpn, 0), pfn, flags, null);
  m.mapData(ptes.mm as RssHolder, FrameKind.Shmem, pfn, 1);
  return 'ok';
}

/**
 * set_pte_range() for a read fault: "else if (pte_write(entry) && folio_test_dirty(folio)) entry = pte_mkdirty(entry);"
 */
function readFaultFlags(prot: number, shmem: Shmem, index: number): number {
  return prot & _PAGE_RW && shmem.isDirty(index) ? prot | _PAGE_DIRTY : prot;
}

function doWpPage(ctx: FaultCtx, mm: Mm, vma: Vma, pte: Single, ptes: Table): FaultResult {
  const { m } = ctx;
  m.ev.emit('do_wp_page');
  const kind = m.frames.kindOf(pte.pfn);
  // wp_page_reuse() and wp_page_shared(): pte_mkyoung(), then maybe_mkwrite(pte_mkdirty()).
  if (vma.flags & VM_SHARED) {
    m.ev.emit('wp_page_shared', 'a shared page: make the PTE writable');
    // fault_dirty_shared_page(): the folio is dirty.
    if (vma.shmem && !(vma.flags & VM_HUGETLB)) {
      const index = vma.pgoff + (entryVpn(ptes, pte.start) - vma.start);
      ctx.shmemOf(vma).markDirty(index, index + 1);
    }
    setEntry(ptes, pte, pte.pfn, pteMkwriteDirty(pte.flags | _PAGE_ACCESSED));
    return 'ok';
  }
  if (kind === FrameKind.Anon && (m.frames.exclusive.get(pte.pfn) || m.frames.mapcount.get(pte.pfn) === 1)) {
    m.ev.emit('wp_page_reuse', 'the page is mapped only here: write-enable it in place');
    setEntry(ptes, pte, pte.pfn, pteMkwriteDirty(pte.flags | _PAGE_ACCESSED));
    m.frames.exclusive.set(pte.pfn, pte.pfn + 1, true);
    return 'ok';
  }
  // wp_page_copy(): a new page for this mm (from the zero page, or a COW copy).
  const mark = changeMark();
  const pfn = m.frames.alloc(1, FrameKind.Anon);
  if (pfn === null) return 'OOM';
  m.frames.copyPage(pte.pfn, pfn);
  m.ev.emit('wp_page_copy', () =>
    kind === FrameKind.Zero
      ? `write to the zero page: a new zeroed page, pfn 0x${pfn.toString(16)}`
      : `copy-on-write: pfn 0x${pte.pfn.toString(16)} copied to 0x${pfn.toString(16)}`,
  );
  const copyEvent = m.ev.current;
  if (!vma.anonVma) {
    anonVmaPrepare(mm, vma);
    m.ev.emit('anon_vma_prepare', 'vmf_anon_prepare() inside wp_page_copy()');
  }
  m.frames.exclusive.set(pfn, pfn + 1, true);
  const holder = ptes.mm as RssHolder;
  m.unmapData(holder, kind, pte.pfn, 1);
  // TLB hook: "ptep_clear_flush(vma, vmf->address, vmf->pte);" (mm/memory.c wp_page_copy()) before the new PTE.
  if (m.tlb)
    m.tlb.flushMmRange(ptes.mm, entryVpn(ptes, pte.start), entryVpn(ptes, pte.start) + 1, false, 'ptep_clear_flush');
  setEntry(ptes, pte, pfn, pteMkwriteDirty(vmPageProt(vma.flags)));
  m.mapData(holder, FrameKind.Anon, pfn, 1);
  // The new page, the old one's release and the PTE are wp_page_copy()'s, anon_vma_prepare() runs inside it.
  claimChanges(mark, copyEvent);
  return 'ok';
}
