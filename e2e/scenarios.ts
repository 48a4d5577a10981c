// Scenario texts the specs open (the built-in ones come from the app itself).
export { BIG_SCENARIO, INTRO_SCENARIO, SEED_SCENARIO } from '../src/scenario/examples';

/** Three steps, each with a caption. */
export const SMALL = `title "Small"
spawn A
note "A maps 4 MiB"
A: mmap 0x7f0000000000 4M rw private anon fixed
note "A writes: PUD, PMD and PTE pages appear"
A: write 0x7f0000001000 "hi"
`;

/** hugetlb-free sharing on mainline: fork shares data pages (copy-on-write). */
export const FORK = `title "Fork"
spawn A
A: mmap 0x7f0000000000 4M rw private anon fixed
A: write 0x7f0000001000 "x"
A: fork B
B: read 0x7f0000001000
`;

/** One group step of 69 forks: 138 events (dup_mm and copy_page_range per child), past the trace's cap of 120. */
export const MANY_FORKS = `title "Many forks"
spawn t1
t1: mmap 0x7f0000000000 4M rw private anon fixed
t1: write 0x7f0000001000 "x"
t1: fork t[2..70]
`;

/** The seed's step numbers (1-based, as links count them). */
export const SEED_STEPS = { hostWrite: 5, guestAttach: 6, guestFirstFault: 7, last: 8 };

/**
 * 32 forked tasks, each with a PGD, a PUD, 8 PMD and 8 PTE pages (one write per GiB): 576 tables, more than the view
 * draws at once (src/views/cull.ts).
 */
export const WIDE = [
  'title "Wide"',
  'spawn t1',
  'A: mmap 1T 8G rw private anon fixed'.replace('A:', 't1:'),
  ...Array.from({ length: 8 }, (_, g) => `t1: write 0x${(2 ** 40 + g * 2 ** 30).toString(16)} "x"`),
  't1: fork t[2..32]',
  't[1..32]: write 0x10000001000 "y"',
].join('\n');
