/**
 * Example scenarios built into the app, kept in the scenario layer so every
 * layer's tests can use them: the one a first visit opens (the first
 * lesson, "first-steps"), a big populated range (a lesson of "The SGA at
 * scale"), and the seed's mshare scenario as the spec writes it. The
 * gallery's seed lesson is scenarios/mshare-v1-guest-fault.ptx, the same
 * scenario with a note for every step, so SEED_SCENARIO is not in the
 * gallery (one copy of each scenario, issue 16): tests and benchmarks use it
 * as the spec's text, and old links holding it still open (a link carries
 * its text). See src/scenario/lessons.ts for the path.
 */

export const INTRO_SCENARIO = `# A first fault builds the tables; fork copies them; copy-on-write splits a page
title "First steps: faults build page tables, fork copies them"
kernel mainline
paging 4

spawn A
note "A maps 8 MiB of private memory: a VMA only, no page tables yet"
A: mmap 0x7f0000000000 8M rw private anon fixed
note "A's first write faults: the kernel allocates a PUD, a PMD and a PTE page"
A: write 0x7f0000001000 "hello"
note "A second page in the same 2 MiB reuses the same PTE page"
A: write 0x7f0000002000 "world"
note "fork: B gets its own page tables, mapping the same pages read-only"
A: fork B
note "B reads: the walk goes through B's own tables to A's page"
B: read 0x7f0000001000 5
note "B writes: copy-on-write gives B its own copy of the page"
B: write 0x7f0000001000 "HELLO"
note "translate: the walk without a fault, level by level"
A: translate 0x7f0000001000
note "B exits: its mm and all its page-table pages are freed"
B: exit
`;

/**
 * The spec's example scenario (shared/spec/scenario-language.md §1), verbatim: the only copy in the code (tests import
 * it, as SPEC_EXAMPLE from ./arbitrary.ts too).
 */
export const SEED_SCENARIO = `# mshare v1: a guest fault copies the host's PGD entry
title "mshare: the guest's first fault copies a PGD entry"
kernel mshare-v1
paging 4

spawn A
spawn B
A: mmap 1T 512G rw shared anon fixed
A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
note "A writes: the host mm allocates PUD, PMD and PTE pages"
A: write 1T+0x1000 "Some random shared text"
B: mshare "sga" 1T 512G O_RDWR
note "B's first touch: set_pgd copies the host entry, VM_FAULT_NOPAGE, retry"
B: read 1T+0x1000 23
B: mshare_unlink "sga"
`;

export const BIG_SCENARIO = `title "A big populated mapping: 300 GiB behind summary nodes"
kernel mainline
paging 4
memory 2T
spawn db1
note "db1 maps and populates 300 GiB of shared memory"
db1: mmap 1T 300G rw shared anon fixed populate
db1: fork db[2..4]
note "each task faults the same shared range in: its own page tables"
db[2..4]: touch 1T 300G read
`;
