/**
 * What each event of a step's trail means, in one line for a student, and
 * for the mshare paths the lines of the patch that ran (quoted, with their
 * source). The core names events after the kernel's functions, macros and
 * return codes; an event without an entry here is shown with its detail only.
 */

export const EXPLAIN: Record<string, string> = {
  // tasks and mms
  mm_alloc: 'A new mm_struct with an empty PGD page: the task has an address space but maps nothing yet.',
  dup_mm: 'fork: the child gets its own mm and PGD page; VMAs are copied next.',
  copy_page_range: 'fork copies page-table entries only for VMAs that have an anon_vma; the rest fault in again.',
  do_exit: 'The task exits; its last reference to the mm goes away.',
  exit_mmap: 'Tear down every mapping of the mm, then free its page-table pages.',
  mm_free_pgd: 'The PGD page itself is freed with the mm.',
  force_sig: 'A fatal signal: the task is killed and its mm torn down.',
  // mmap and friends
  do_mmap: 'The mmap system call: find room and create a VMA. No page tables are touched yet.',
  mmap_region: 'Insert the VMA into the mm; pages come later, on first access.',
  shmem_zero_setup: 'Shared anonymous memory is backed by a shmem file, so several mms can map the same pages.',
  do_vmi_munmap: 'munmap: split and remove the VMAs covering the range.',
  unmap_vmas: 'Clear the page-table entries of the removed range (zap).',
  free_pgtables: 'Free the page-table pages that no VMA needs any more.',
  free_pgd_range: 'Walk down and free PMD, PUD and PTE pages wholly inside the freed range.',
  free_pte: 'A PTE page is freed.',
  pte_free_tlb: 'A page-table page is queued for freeing after the TLB flush.',
  do_mprotect_pkey: 'mprotect: change the VMA protection, splitting VMAs at the edges.',
  change_protection: 'Rewrite the present entries of the range with the new protection bits.',
  madvise_dontneed_single_vma:
    'MADV_DONTNEED: drop the pages of the range; they read as zero (or fault in again) later.',
  zap_page_range_single: 'Clear the PTEs of the range and drop the pages they mapped.',
  // faults
  handle_mm_fault: 'The page-fault handler: the MMU found no usable entry for this address.',
  __handle_mm_fault: 'Walk down from the PGD, allocating any missing PUD/PMD page on the way.',
  handle_pte_fault: 'The walk reached the PTE level: decide what kind of fault this is.',
  p4d_alloc: 'A new P4D page (5-level paging) is allocated and linked into the PGD.',
  pud_alloc: 'A new PUD page is allocated and its address written into the level above.',
  pmd_alloc: 'A new PMD page is allocated and linked into the PUD.',
  pte_alloc: 'A new PTE page is allocated and linked into the PMD.',
  do_anonymous_page:
    'First touch of private anonymous memory: map the zero page (read) or a fresh zeroed page (write).',
  alloc_anon_folio: 'Allocate and zero a new anonymous page.',
  anon_vma_prepare: 'Attach an anon_vma to the VMA: from now on fork copies its page tables.',
  do_read_fault: 'A read fault on a file/shmem mapping: map the page from the page cache.',
  do_shared_fault: 'A write fault on a shared mapping: map the page cache page writable.',
  do_cow_fault: 'A write fault on a private file mapping: copy the page, map the copy.',
  shmem_fault: 'Find (or allocate) the page in the shmem page cache.',
  filemap_map_pages: 'Fault-around: map neighbouring page-cache pages too.',
  finish_fault: 'Write the new PTE: the access can now complete.',
  do_wp_page: 'A write to a read-only present page: copy-on-write or reuse.',
  wp_page_reuse: 'Only this mm maps the page: make the PTE writable in place, no copy.',
  wp_page_copy: 'Copy-on-write: the page is shared, so copy it and map the copy writable.',
  wp_page_shared: 'A shared mapping: make the PTE writable, no copy.',
  bad_area: 'No VMA covers the address: the access is invalid.',
  bad_area_nosemaphore: 'A user access to a kernel address: invalid without looking at VMAs.',
  bad_area_access_error: 'A VMA covers the address but forbids this kind of access.',
  exc_general_protection: 'A non-canonical address: a general-protection fault, not a page fault.',
  pagefault_out_of_memory: 'No memory left for the fault: the OOM killer ends the task.',
  VM_FAULT_SIGSEGV: 'The fault handler gives up: the task gets SIGSEGV.',
  VM_FAULT_SIGBUS: 'The fault handler gives up: the task gets SIGBUS.',
  VM_FAULT_OOM: 'The fault could not allocate memory.',
  walk: 'A walk by hand (translate): each level read, nothing changed.',
  mmap_read_lock: 'Take the mm’s mmap_lock for reading.',
  mmap_read_unlock: 'Release the mmap_lock.',
  // sharing
  find_shared_vma:
    'mshare: the VMA is shared, so look the address up in the host mm that holds the shared page tables.',
  set_pgd: 'Copy the host’s PGD entry into this task’s PGD: both now point at the same PUD page.',
  set_p4d: 'Copy the host’s P4D entry into this task’s table: both now point at the same PUD page.',
  VM_FAULT_NOPAGE: 'Return without mapping a page: the access retries and now walks the shared tables.',
  VM_FAULT_RETRY: 'The lock was dropped: the fault is retried from the start.',
  huge_pmd_share: 'hugetlb: point this PUD entry at a PMD page another mm already has (charged to both).',
  mshare: 'The mshare system call: create or attach to a named shared region.',
  mshare_unlink: 'Remove the region’s name; its host mm goes when the last user unlinks.',
  mmput: 'Drop a reference to an mm; the last one frees it.',
  // TLBs, with `cpus N` (issue 17, docs/tlb.md)
  'TLB hit': 'The CPU found the translation in its TLB: no page walk, no kernel code.',
  'stale TLB hit':
    'The CPU used a TLB entry the tables no longer agree with: nobody flushed this CPU. It reaches whatever the frame holds now.',
  'page walk':
    'A TLB miss: the MMU walked the tables and cached the translation (and the upper levels) in this CPU’s TLB.',
  switch_mm_irqs_off:
    'The CPU loads another mm (CR3) under its PCID, flushing that PCID only if its entries may be out of date.',
  enter_lazy_tlb: 'The CPU runs nothing: it keeps the last mm loaded (lazy TLB) and stays in its cpumask.',
  flush_tlb_mm_range:
    'The TLB flush: INVLPG page by page up to 33 pages, else a full flush, on every CPU in the mm’s cpumask (lazy ones only when tables were freed).',
  flush_tlb_all: 'Every CPU drops every TLB entry, whatever mm it runs.',
};

export interface PatchQuote {
  /** Where the lines come from. */
  source: string;
  lines: string[];
}

/**
 * The lines of kernel or patch code that ran at an event: the core attaches
 * them (`src`, "file, patch: line\nline\n…") on the path that ran, and only
 * there; nothing is looked up by function name, so a quote never shows on a
 * path that did not run it (a create, a failed call, an ordinary fault).
 */
export function patchQuote(_kernel: string, _fn: string, src?: string): PatchQuote | undefined {
  return srcQuote(src);
}

/** Subjects of the patches whose mail was read (the others are named by number only). */
const SUBJECTS: Record<string, string> = {
  'v1 08/14': 'mm/mshare: Add basic page table sharing using mshare',
  'v1 09/14': "mm/mshare: Do not free PTEs for mshare'd PTEs",
};

/**
 * Parse an event's `src`: the source before the first ": ", then one code
 * line per "\n" ("…" marks a gap). A patch's source ("mm/mshare.c, mshare v1
 * 08/14") is shown with the patch's mail subject, "[PATCH v1 08/14] …".
 */
export function srcQuote(src: string | undefined): PatchQuote | undefined {
  if (!src) return undefined;
  const at = src.indexOf(': ');
  if (at < 0) return undefined;
  let source = src.slice(0, at);
  const m = / (v\d+) (\d+\/\d+)$/.exec(source);
  if (m) {
    const key = `${m[1]} ${m[2]}`;
    source += ` — [PATCH ${key}]${SUBJECTS[key] ? ` ${SUBJECTS[key]}` : ''}`;
  }
  return { source, lines: src.slice(at + 2).split('\n') };
}

/** Is this quote a patch's (not mainline Linux's own source)? */
export function isPatchQuote(q: PatchQuote): boolean {
  return q.source.includes('[PATCH ');
}
