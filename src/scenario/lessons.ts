/**
 * The lessons (issue 16): the gallery as an ordered path, in sections, from
 * a first fault to the cover letter's 1,500-client SGA. Pure data: the app's
 * gallery (src/app/gallery.ts) resolves each lesson's text (a file of
 * scenarios/ or a scenario built into the app), links name a lesson with
 * `#lesson=NAME&step=N` (src/app/lessonLink.ts), and lessons.test.ts checks
 * that every scenarios/*.ptx file is here exactly once.
 *
 * Each lesson says what it teaches (`goal`, one sentence), what the learner
 * will see on screen (`see`), what to know first (`know`) and about how long
 * it takes (`minutes`: reading every note and looking at the tree, the walks
 * and the Changes list of each step, at a student's pace; about one minute
 * per two or three steps, more for a step with a long note).
 */

/** Where a lesson's text comes from: a file of scenarios/, or a scenario built into the app (src/app/builtins.ts). */
export type LessonSource = { file: string } | { builtin: 'intro' | 'big' };

export interface Lesson {
  /** The name in links (`#lesson=NAME`): lower case, digits and '-'. Never rename one: links hold it. */
  name: string;
  source: LessonSource;
  /** The learning goal, one sentence. */
  goal: string;
  /** What the learner will see, one or two sentences. */
  see: string;
  /** What to know first. */
  know: string;
  /** About how many minutes it takes. */
  minutes: number;
}

export interface LessonSection {
  /** A stable id (the gallery's section anchor). */
  id: string;
  title: string;
  lessons: Lesson[];
}

const file = (name: string): LessonSource => ({ file: name });

export const SECTIONS: LessonSection[] = [
  {
    id: 'basics',
    title: 'Paging basics and the walk',
    lessons: [
      {
        name: 'first-steps',
        source: { builtin: 'intro' },
        goal: 'Get a first picture of the whole story: a fault builds page tables, fork copies them, a write splits a shared page.',
        see: 'One process grows a PUD, a PMD and a PTE page with its first write; a forked child gets tables of its own, then its own copy of the page it writes.',
        know: 'Nothing yet: start here. A page is 4 KiB; a virtual address is translated through a tree of tables.',
        minutes: 5,
      },
      {
        name: 'mainline-first-fault',
        source: file('mainline-first-fault.ptx'),
        goal: 'Know which table pages a first anonymous fault allocates, and what VmPTE counts.',
        see: 'mmap allocates nothing; the first write allocates a PUD, a PMD and a PTE page (VmPTE 12 KiB); a read maps the shared zero page; writes 2 MiB and 1 GiB away add a PTE page, then a PMD page.',
        know: 'The first lesson, or what a page table is: each level indexes 9 bits of the address.',
        minutes: 8,
      },
      {
        name: 'non-canonical',
        source: file('non-canonical.ptx'),
        goal: 'Tell a non-canonical address (#GP before any walk) from a page fault.',
        see: 'A write at the last user page works as usual; an address with bit 47 set but not the bits above is refused by the CPU before any walk; the first kernel address faults as a page fault.',
        know: 'How a walk splits an address into 9-bit indices (the previous lesson).',
        minutes: 5,
      },
    ],
  },
  {
    id: 'cow',
    title: 'Zero page, copy-on-write and fork',
    lessons: [
      {
        name: 'zero-page-cow-fork',
        source: file('zero-page-cow-fork.ptx'),
        goal: 'Follow a page from the zero page to a private copy, and see which writer copies after fork and which reuses.',
        see: 'A read maps the zero page without RW; a write replaces it with a page of its own; after fork both PTEs lose RW; the first writer gets a copy, the last one keeps the old page.',
        know: 'The first fault (what PTE flags like RW mean).',
        minutes: 8,
      },
      {
        name: 'fork-shared-vs-private',
        source: file('fork-shared-vs-private.ptx'),
        goal: 'Predict which VMAs fork copies page tables for: only private ones with an anon_vma.',
        see: 'Three mappings (written private, read-only private, shared); the child gets tables for the first alone, and pays for its own tables when it touches the other two.',
        know: 'Copy-on-write after fork (the previous lesson).',
        minutes: 10,
      },
    ],
  },
  {
    id: 'munmap',
    title: 'munmap and free_pgtables',
    lessons: [
      {
        name: 'munmap-frees-tables',
        source: file('munmap-frees-tables.ptx'),
        goal: 'Work out which table pages munmap frees, from the floor and ceiling that the neighbouring VMAs set.',
        see: 'Three VMAs; five unmaps, each freeing a PTE page, nothing, or a whole PMD or PUD page, with VmPTE going 28 → 24 → 24 → 20 → 12 → 0 KiB.',
        know: 'Which address range a PTE page (2 MiB), a PMD page (1 GiB) and a PUD page (512 GiB) maps.',
        minutes: 10,
      },
    ],
  },
  {
    id: 'madvise',
    title: 'MADV_DONTNEED and PT_RECLAIM',
    lessons: [
      {
        name: 'madvise-reclaim',
        source: file('madvise-reclaim.ptx'),
        goal: 'See when MADV_DONTNEED frees the PTE pages it empties (CONFIG_PT_RECLAIM, Linux 6.14+).',
        see: 'An 8 MiB touched range; zapping a page or 2 MiB less a page frees no table; zapping all 8 MiB frees the 4 PTE pages; the next read finds zeros.',
        know: 'munmap and its floor and ceiling (the previous lesson).',
        minutes: 6,
      },
    ],
  },
  {
    id: 'five-level',
    title: '5-level paging',
    lessons: [
      {
        name: 'five-level-paging',
        source: file('five-level-paging.ptx'),
        goal: 'Read a 57-bit address through five levels, and know why VmPTE does not count P4D pages.',
        see: 'A first write allocates a P4D page too; addresses at 32 PiB and just under 64 PiB walk other PGD and P4D entries; 64 PiB itself is non-canonical.',
        know: 'The 4-level walk and canonical addresses (the first section).',
        minutes: 8,
      },
    ],
  },
  {
    id: 'hugetlb',
    title: 'hugetlb PMD sharing',
    lessons: [
      {
        name: 'hugetlb-pmd-sharing',
        source: file('hugetlb-pmd-sharing.ptx'),
        goal: "Understand mainline's own page-table sharing: two processes' PUD entries pointing at one PMD page of huge pages.",
        see: "A maps 1 GiB of 2 MiB huge pages (no PTE pages); its child B touches it and huge_pmd_share() points B at A's PMD page; a partial munmap unshares it.",
        know: 'fork and shared mappings (the copy-on-write section), and the PMD level.',
        minutes: 10,
      },
    ],
  },
  {
    id: 'mshare-v1',
    title: 'mshare v1 (2022, the seed)',
    lessons: [
      {
        name: 'mshare-v1-guest-fault',
        source: file('mshare-v1-guest-fault.ptx'),
        goal: "See mshare's core move: a guest's first fault copies the host's PGD entry (set_pgd, VM_FAULT_NOPAGE, retry).",
        see: 'A shares 512 GiB as region "sga"; B attaches and its first read copies one PGD entry; from then on both walk the host\'s PUD, PMD and PTE pages to the same page, and B\'s VmPTE stays 0.',
        know: 'The 4-level walk; hugetlb PMD sharing helps (the same idea one level lower).',
        minutes: 10,
      },
      {
        name: 'mshare-v1-other-address',
        source: file('mshare-v1-other-address.ptx'),
        goal: 'See that the v1 code lets a guest attach at another PGD-aligned address, though the authors said it must not.',
        see: "B attaches at 2 TiB, not 1 TiB: set_pgd copies the host's entry into PGD slot 4, and both walks end at the same page.",
        know: 'The guest fault (the previous lesson).',
        minutes: 6,
      },
      {
        name: 'mshare-v1-host-addr',
        source: file('mshare-v1-host-addr.ptx'),
        goal: "Find the v1 bug in find_shared_vma()'s host address for a donor VMA that does not start the region.",
        see: "The creator's second VMA faults in a page of the first VMA instead, and its write faults again and again until the simulator stops it with SIGSEGV.",
        know: 'The guest fault, and how host_addr is computed (the previous lesson).',
        minutes: 8,
      },
      {
        name: 'mshare-v1-hole',
        source: file('mshare-v1-hole.ptx'),
        goal: 'See what a guest gets for touching a hole in a region: SIGSEGV from the code, not the SIGBUS the cover letter promised.',
        see: 'A region of 512 GiB with only 1 GiB mapped; the guest reads the mapped part fine, then faults in the hole: VM_FAULT_SIGSEGV.',
        know: 'The guest fault.',
        minutes: 6,
      },
      {
        name: 'mshare-v1-rdonly',
        source: file('mshare-v1-rdonly.ptx'),
        goal: 'See why a read-only attach in v1 is unusable: O_RDONLY is 0, so the mapping gets PROT_NONE.',
        see: 'A read-only guest dies with SIGSEGV on its first read; O_CREAT on an existing name gives EEXIST; a read-only creator refuses read-write guests with EPERM.',
        know: 'The guest fault; open() flags (O_RDONLY, O_RDWR, O_CREAT).',
        minutes: 10,
      },
      {
        name: 'mshare-v1-mprotect',
        source: file('mshare-v1-mprotect.ptx'),
        goal: "Understand why one task's mprotect on a shared region changes what every sharer may do.",
        see: "B makes a page read-only and the shared PTE loses RW for A too; A's write sets RW again, and B then writes to memory its own VMA calls read-only.",
        know: 'The guest fault; PTE flags (RW) and copy-on-write faults.',
        minutes: 8,
      },
      {
        name: 'mshare-v1-guest-exit',
        source: file('mshare-v1-guest-exit.ptx'),
        goal: "See what a guest's exit frees in v1: only its own link, while the region's refcount stays up.",
        see: "B exits without unlinking: the host's tables and pages stay, only B's PGD entry goes; A's unlink then leaves a region no one can free.",
        know: 'The guest fault.',
        minutes: 6,
      },
      {
        name: 'mshare-v1-last-unlink',
        source: file('mshare-v1-last-unlink.ptx'),
        goal: 'Follow the reference count of a region to the last mshare_unlink(), which frees the host mm and its tables.',
        see: "B's unlink removes only B's view; A's, the last, frees the host mm with its 2,048 pages and all its tables, and A's next access ends in SIGSEGV.",
        know: 'The guest fault and a guest exit (the previous lesson).',
        minutes: 10,
      },
      {
        name: 'mshare-v1-unaligned',
        source: file('mshare-v1-unaligned.ptx'),
        goal: 'Know the alignment rule of a v1 region (whole 512 GiB PGD entries) and every check that enforces it.',
        see: 'Five mshare() calls: four refused with EINVAL (an unaligned address, a short length, a VMA crossing the range, twice), one accepted with a VMA smaller than the region.',
        know: 'How much one PGD entry maps with 4-level paging (512 GiB).',
        minutes: 6,
      },
      {
        name: 'mshare-v1-unaligned-5level',
        source: file('mshare-v1-unaligned-5level.ptx'),
        goal: 'See that the same v1 program fails with 5-level paging, where a PGD entry maps 256 TiB.',
        see: "The 512 GiB region gets EINVAL; a 256 TiB region works, and one set_pgd then brings the host's P4D, PUD, PMD and PTE pages.",
        know: '5-level paging, and the alignment rule (the previous lesson).',
        minutes: 6,
      },
    ],
  },
  {
    id: 'msharefs',
    title: 'msharefs (2025)',
    lessons: [
      {
        name: 'msharefs-two-addresses',
        source: file('msharefs-two-addresses.ptx'),
        goal: 'Learn the 2025 interface (a file in /sys/fs/mshare, ftruncate, an ioctl, mmap) and its fault, which copies a P4D entry.',
        see: "A creates, sizes and fills a region and maps it at 1 TiB; B maps it at 2 TiB; set_p4d links both to the host's PUD page, and B's munmap drops only its link.",
        know: "mshare v1's guest fault (set_pgd); with 4-level paging the P4D level is folded into the PGD.",
        minutes: 10,
      },
      {
        name: 'msharefs-5level',
        source: file('msharefs-5level.ptx'),
        goal: "See where the shared entry sits with 5-level paging: a slot in each task's own P4D page.",
        see: "A at 1 TiB and B at 256 TiB each get a P4D page of their own; set_p4d copies the host's entry into both, and the walks meet at the host's PUD page.",
        know: 'The 2025 interface (the previous lesson) and 5-level paging.',
        minutes: 8,
      },
      {
        name: 'msharefs-refusals',
        source: file('msharefs-refusals.ptx'),
        goal: 'Know what a 2025 region refuses (EINVAL) and what MSHAREFS_UNMAP does to a sharer.',
        see: 'A dozen calls in a row, each refused or accepted with its reason (size, alignment, MAP_PRIVATE, split, mprotect); then MSHAREFS_UNMAP and a write that gets SIGSEGV, as in the selftest.',
        know: 'The 2025 interface.',
        minutes: 8,
      },
      {
        name: 'msharefs-unlink',
        source: file('msharefs-unlink.ptx'),
        goal: 'See that unlinking a 2025 region only removes its name; it is freed when the last user lets go.',
        see: "A unlinks while A and B both map the region: B keeps reading, a new open gets ENOENT, and the host mm goes only at B's last close.",
        know: "The 2025 interface; v1's mshare_unlink() helps for contrast.",
        minutes: 8,
      },
      {
        name: 'msharefs-owner-exit',
        source: file('msharefs-owner-exit.ptx'),
        goal: "Understand a 2025 region's owner: when it exits, the region is emptied for everyone.",
        see: 'A owns the region and forks C; after A exits, B and C both get SIGSEGV, and a new mmap of the region fails with EINVAL.',
        know: 'The 2025 interface.',
        minutes: 10,
      },
      {
        name: 'msharefs-unmap-tlb',
        source: file('msharefs-unmap-tlb.ptx'),
        goal: 'See the moment where a TLB flush must reach every CPU that ran a sharer.',
        see: "B reads a shared page; A unmaps it from the host; B's next read finds no page (SIGSEGV), where a stale TLB entry would have read freed memory.",
        know: 'The 2025 interface; a TLB caches translations.',
        minutes: 8,
      },
    ],
  },
  {
    id: 'tlb',
    title: 'TLBs and the stale-TLB hazard',
    lessons: [
      {
        name: 'tlb-hit',
        source: file('tlb-hit.ptx'),
        goal: 'See that a TLB caches the walk: the first access walks the tables, the next one to the same page does not.',
        see: "A runs on CPU 0 with PCID 2; its first write faults, fills the tables and then CPU 0's TLB; the next access to that page is a TLB hit with no walk.",
        know: 'The first fault (the first section).',
        minutes: 4,
      },
      {
        name: 'tlb-cow-flush',
        source: file('tlb-cow-flush.ptx'),
        goal: "Know the two flushes copy-on-write needs: fork's flush_tlb_mm() of the parent and the fault's ptep_clear_flush().",
        see: "fork write-protects A's PTE and flushes CPU 0; B on CPU 1 caches the shared page read-only, and its write copies the page after flushing the old entry.",
        know: 'Copy-on-write after fork (the second section).',
        minutes: 6,
      },
      {
        name: 'tlb-munmap-tables',
        source: file('tlb-munmap-tables.ptx'),
        goal: 'Understand why munmap flushes before the page tables are freed, and why that flush also reaches lazy CPUs.',
        see: 'A moves from CPU 0 to CPU 1, leaving CPU 0 lazy; unmapping one page flushes CPU 1 only; unmapping the rest frees the tables, and the flush reaches CPU 0 too.',
        know: 'munmap and free_pgtables (the third section); the previous lesson.',
        minutes: 6,
      },
      {
        name: 'tlb-lazy',
        source: file('tlb-lazy.ptx'),
        goal: 'Follow lazy TLB and PCIDs: a CPU keeps an mm loaded after its task leaves, and catches up on missed flushes when the task returns.',
        see: "CPU 0 idles with A's mm still loaded; a flush skips it; when A comes back, switch_mm_irqs_off() sees A's tlb_gen moved on and flushes PCID 2 first.",
        know: 'The previous TLB lessons.',
        minutes: 8,
      },
      {
        name: 'tlb-msharefs-stale',
        source: file('tlb-msharefs-stale.ptx'),
        goal: "See the hazard reviewers raised against shared page tables: a flush aimed at the host mm misses a guest's CPU.",
        see: "B caches a shared page on CPU 1; A unmaps it from the host and the flush reaches no CPU; A's next page reuses the frame, and B's read hits its stale entry and reads A's new data.",
        know: 'The 2025 interface (the msharefs section) and the previous TLB lessons.',
        minutes: 8,
      },
      {
        name: 'tlb-msharefs-notifier',
        source: file('tlb-msharefs-notifier.ptx'),
        goal: "See how the 2025 series' mmu notifier closes the hazard: flush_tlb_all() reaches every CPU.",
        see: "The same steps as the previous lesson; the unmap's flush_tlb_all() empties CPU 1's TLB too, so B's last read walks, finds nothing and gets SIGSEGV.",
        know: 'The previous lesson.',
        minutes: 5,
      },
      {
        name: 'tlb-mshare-v1-stale',
        source: file('tlb-mshare-v1-stale.ptx'),
        goal: "See that mshare v1 (2022) has the same gap: MADV_DONTNEED in the host mm flushes only the host mm's CPUs.",
        see: "B caches a shared page on CPU 1; A's MADV_DONTNEED clears the host's PTE and flushes no CPU; B's next read still hits the stale entry.",
        know: "mshare v1's guest fault (the mshare v1 section) and the previous lessons.",
        minutes: 5,
      },
    ],
  },
  {
    id: 'sga',
    title: 'The SGA at scale',
    lessons: [
      {
        name: 'big-mapping',
        source: { builtin: 'big' },
        goal: 'See what 300 GiB of shared memory costs in page tables when every process maps it itself.',
        see: 'db1 populates 300 GiB of shared memory; three forked processes touch all of it, each through tables of its own; the tree folds the thousands of table pages into summary nodes you can open.',
        know: 'The first fault and fork (the first two sections).',
        minutes: 4,
      },
      {
        name: 'sga-1500-mainline',
        source: file('sga-1500-mainline.ptx'),
        goal: "Reproduce the cover letter's numbers: 1,500 clients of a 300 GiB SGA need about 880 GiB of page tables on mainline.",
        see: 'A 512 GiB machine; 1,500 processes map a 300 GiB SGA and each builds 601 MiB of tables of its own: after 361 clients memory runs out and every later client is killed.',
        know: 'The previous lesson; how many PTE pages map 1 GiB (512).',
        minutes: 5,
      },
      {
        name: 'sga-1500-mshare',
        source: file('sga-1500-mshare.ptx'),
        goal: 'See the same load with mshare v1: one set of tables, 601 MiB in all instead of 880 GiB.',
        see: "1,500 clients attach to the SGA as an mshare region; the host builds the tables once and every client's VmPTE stays 0.",
        know: "The mainline SGA (the previous lesson) and mshare v1's guest fault.",
        minutes: 5,
      },
    ],
  },
];

/** Every lesson in path order. */
export const LESSONS: Lesson[] = SECTIONS.flatMap((s) => s.lessons);

/** A name that can sit in a URL fragment as it is. */
export const LESSON_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function lessonByName(name: string): Lesson | undefined {
  return LESSONS.find((l) => l.name === name);
}

/** The lesson after `name` on the path, or undefined after the last (or for an unknown name). */
export function nextLesson(name: string): Lesson | undefined {
  const i = LESSONS.findIndex((l) => l.name === name);
  return i < 0 ? undefined : LESSONS[i + 1];
}

/** The section a lesson belongs to. */
export function sectionOf(name: string): LessonSection | undefined {
  return SECTIONS.find((s) => s.lessons.some((l) => l.name === name));
}
