/**
 * Differential test against the real kernel (README.md in this folder).
 *
 * (a) The harness itself: a task's own footprint cancels out, and the figures
 *     measured on this kernel (shared/reference/mshare-versions.md, section 6)
 *     come out, plus the kernel rules the simulator must follow.
 * (b) The property: random scenarios (gen.ts) run on the real kernel and on the
 *     simulator; after every step, every alive task's pgtables_bytes and the
 *     step's outcome kind must agree.
 *
 * Needs Linux x86-64 with 4-level paging and gcc; elsewhere the whole file is
 * skipped with a note (the only environment-dependent skip).
 * Knobs: PTX_LINUX_RUNS (scenarios, default 200), PTX_LINUX_SEED (replay).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../src/scenario/run';
import { parseScenario } from '../../src/scenario/parser';
import { scenarioArb } from './gen';
import { walk } from '../../src/core/walk';
import {
  buildHarness,
  linuxUnavailableReason,
  probeAddresses,
  runOnLinux,
  scenarioToSteps,
  type LinuxResult,
  type LinuxStep,
} from './kernel';

const unavailable = linuxUnavailableReason();
if (unavailable !== undefined) {
  console.warn(`[test/linux] differential test against the real kernel SKIPPED: ${unavailable}`);
}

const K = 1024;
/** How long the property may run (PTX_LINUX_TIME_MS, for long explorations; default 40 s). */
const TIME_LIMIT_MS = Number(process.env.PTX_LINUX_TIME_MS ?? 40_000);

/**
 * Failing scenarios found by the property, pinned so they are checked first on
 * every run (paste the scenario text printed by the failure, with a comment
 * saying what was wrong).
 */
const REGRESSIONS: string[] = [
  // 2026-12-03, entry values (found with PTX_LINUX_SEED=random, seed -1357173332, shrunk by
  // hand). mprotect r moves A's Dirty to SavedDirty; the zap at munmap must still mark the
  // shmem folio dirty (pte_dirty() tests _PAGE_DIRTY_BITS), so B's fault-around maps page 0
  // dirty: Linux PTE …067, simulator …027 at step 8.
  'spawn A\nA: mmap 1T 8K rw shared anon fixed\nA: read 1T\nA: fork B\nA: write 1T "x"\nA: mprotect 1T 4K r\nA: munmap 1T 8K\nB: read 1T+0x1000\n',
  // 2026-12-03, minor faults (found by the property when ru_minflt joined it). B reads 5 MiB
  // of shmem of which only page 0 is cached: Linux 1,280 faults (one per page); the block
  // path filled the page cache before finding it was not one extent, and the page-by-page
  // faults then mapped 16 cached pages each: simulator 800 at step 5.
  'spawn A\nA: mmap 1T+0x7fffe00000 6M rw shared anon\nA: fork B\nA: touch 1T+0x7fffe00000 4K read\nB: touch 1T+0x7fffe00000 5M read\n',
  // 2026-12-03, minor faults: after A unmaps all but one page, B's write-protected pages
  // take different do_wp_page() branches; the block counted its faults and then went page
  // by page, counting them again: Linux B 512, simulator 1,024 at step 6.
  'spawn A\nA: mmap 1T 2M rw private anon fixed\nA: touch 1T 2M write\nA: fork B\nA: munmap 1T 2044K\nB: touch 1T 2M write\n',
  // Issue 15 item 2: a VMA between two neighbours whose anon_vmas differ merges with
  // prev only (can_vma_merge_right()), on mmap and on mprotect: Linux 12 KiB after
  // the madvise, the simulator had 16 KiB.
  'spawn A\nA: mmap 1T 1M rw private anon fixed\nA: mmap 1T+2M 1M rw private anon fixed\nA: write 1T "x"\nA: write 1T+2M "x"\nA: mmap 1T+1M 1M rw private anon fixed\nA: touch 1T 2M write\nA: madvise 1T 2M MADV_DONTNEED\n',
  'spawn A\nA: mmap 1T 1M rw private anon fixed\nA: mmap 1T+1M 1M r private anon fixed\nA: mmap 1T+2M 1M rw private anon fixed\nA: write 1T "x"\nA: write 1T+2M "x"\nA: mprotect 1T+1M 1M rw\nA: touch 1T 2M write\nA: madvise 1T 2M MADV_DONTNEED\n',
  // Issue 15 items 1, 7, 9: placement with ADDR_NO_RANDOMIZE (untouched, so VmPTE stays 0).
  'spawn A\nA: mmap auto 12K rw private anon\nA: mmap auto 2M rw private anon\nA: mmap auto 2M rw private anon\nA: mmap auto 4K rw private anon\nA: mmap auto 2M rw shared anon\nA: mmap 0x10000000123 4K rw private anon\nA: mmap 0x10000000fff 4K rw private anon\nA: fork B\nB: mmap auto 4K rw private anon\n',
  // 2025-11-25, found by the property (shrunk). A 4K MAP_FIXED mapping into a
  // compatible anonymous VMA merges back into one VMA (vma_merge_new_range() in
  // __mmap_region()), so the 2 MiB MADV_DONTNEED lies in one VMA and frees the
  // PTE page: Linux 8 KiB, simulator 12 KiB at step 5.
  'spawn A\nA: mmap 1T 2M rw private anon fixed\nA: mmap 1T 4K rw private anon fixed\nA: touch 1T 4K read\nA: madvise 1T 2M MADV_DONTNEED\nA: mmap 1T 4K rw shared anon fixed\n',
  // 2025-11-25, same root cause, seen at fork: after the merge the write gives
  // the whole 1 GiB VMA an anon_vma, so fork copies the zero-page PTE page at
  // 1T+8M too (vma_needs_copy()): Linux B 16 KiB, simulator 12 KiB at step 6.
  'spawn A\nA: mmap 1T 1G rw private anon fixed\nA: mmap 1T+2M 2M rw private anon fixed\nA: write 1T+2M "x"\nA: touch 1T+8M 4K read\nA: fork B\n',
  // 2025-11-25, same root cause through mprotect: `mprotect 1T 4K none` makes
  // the first page like the rest, and the two VMAs merge (vma_modify_flags()),
  // so the 2 MiB MADV_DONTNEED frees the PTE page: Linux 8 KiB, simulator 12 KiB at step 6.
  'spawn A\nA: mmap 1T 2M rw shared anon fixed\nA: mprotect 1T+0x1000 2044K none\nA: touch 1T 4K read\nA: mprotect 1T 4K none\nA: madvise 1T 2M MADV_DONTNEED\n',
  // 2025-11-25, same root cause: the two private pages merge into one VMA, the
  // write gives it an anon_vma, the shared mmap over page 1 splits it and the
  // rest keeps the anon_vma; fork then copies the tables over the untouched
  // page 2 (an all-none PTE page): Linux B 12 KiB, simulator 0 at step 6.
  'spawn A\nA: mmap 1T 8K rw private anon fixed\nA: mmap 1T 4K rw private anon fixed\nA: touch 1T 4K write\nA: mmap 1T 4K rw shared anon fixed\nA: fork B\n',
  // 2025-11-25, found by the property (seed 3): mprotect to PROT_NONE keeps
  // VM_ACCOUNT on a VMA with an anon_vma (mprotect_fixup()), so it no longer
  // merges with its read-only neighbour, which never had VM_ACCOUNT; the piece
  // left after munmap has no anon_vma and fork copies nothing: Linux B 0 KiB.
  'spawn A\nA: mmap 1T 4K rw private anon fixed\nA: mmap 1T+0x1000 4K r private anon fixed\nA: touch 1T 4K write\nA: mprotect 1T 8K none\nA: munmap 1T 4K\nA: fork B\nA: mmap 1T+0x1000 4K rw shared anon fixed\n',
];

function linux(text: string): LinuxResult {
  const steps = scenarioToSteps(text);
  const r = runOnLinux(steps, probeAddresses(steps));
  if (r.entries !== undefined && r.entries !== 'ok' && !entriesWarned) {
    entriesWarned = true;
    console.warn(`[test/linux] entry values NOT COMPARED: ${r.entries}`);
  }
  return r;
}
let entriesWarned = false;

/** The PFN field of an entry (bits 12-51, PTE_PFN_MASK); the rest are the flags compared. */
const PFN_MASK = 0x000ffffffffff000n;

/** Step n (1-based) of a Linux run: task -> KiB of page tables beyond its own footprint. */
function kib(r: LinuxResult, step: number): Record<string, number> {
  const s = r.steps[step - 1];
  if (!s) throw new Error(`no step ${step}`);
  return Object.fromEntries(Object.entries(s.pgtables).map(([t, b]) => [t, b / K]));
}

/** The part of a ptx-report/1 report this test reads. */
interface SimReport {
  steps: {
    op: string;
    outcome: { kind: string; value?: string; errno?: string; signal?: string };
    pgtables_bytes: Record<string, number>;
    /** Task -> [MM_ANONPAGES, MM_SHMEMPAGES] in bytes after the step, every alive task. */
    rss: Record<string, [number, number]>;
    /** Task -> (MM_ANONPAGES + MM_SHMEMPAGES) in bytes: VmRSS without file pages, which the model has none of. */
    vmrss: Record<string, number>;
    /** Task -> minor faults so far (mm.minFlt, current->min_flt). */
    minflt: Record<string, number>;
    /** Task -> probe address (hex) -> the walk's entries, PGD first (0n = none), as ptread.h reports them. */
    entries: Record<string, Record<string, bigint[]>>;
  }[];
}

/** The simulator's run, step by step, with each alive task's RSS counters after each step. */
function simulate(text: string): SimReport {
  const probes = probeAddresses(scenarioToSteps(text));
  const p = parseScenario(text);
  if (!p.ok) throw new Error(p.errors.map((e) => e.message).join('\n'));
  const r = new Runner(p.scenario);
  const steps: SimReport['steps'] = [];
  while (!r.finished) {
    const s = r.step();
    const rss: Record<string, [number, number]> = {};
    const vmrss: Record<string, number> = {};
    const minflt: Record<string, number> = {};
    for (const t of r.kernel.tasks.values()) {
      if (!t.mm) continue;
      rss[t.name] = [t.mm.rssAnon * 4096, t.mm.rssShmem * 4096];
      vmrss[t.name] = (t.mm.rssAnon + t.mm.rssShmem) * 4096;
      minflt[t.name] = t.mm.minFlt;
    }
    const entries: SimReport['steps'][number]['entries'] = {};
    for (const t of r.kernel.tasks.values()) {
      if (!t.mm || t.state !== 'running') continue;
      const mine: Record<string, bigint[]> = (entries[t.name] = {});
      for (const a of probes) {
        const w = walk(r.kernel.m, t.mm, a / 4096, 'read', true);
        mine['0x' + a.toString(16)] = w.levels.map((l) => (l.entry === null ? 0n : BigInt(l.entry)));
      }
    }
    steps.push({ op: s.op, outcome: s.outcome, pgtables_bytes: s.pgtables_bytes, rss, vmrss, minflt, entries });
  }
  return { steps };
}

function numbered(text: string, mark?: number): string {
  let step = 0;
  return text
    .trimEnd()
    .split('\n')
    .map((line, i) => {
      const isStep = line.trim() !== '' && !line.trim().startsWith('#');
      if (isStep) step++;
      return `${isStep && step === mark ? '>' : ' '} ${String(i + 1).padStart(3)} | ${line}`;
    })
    .join('\n');
}

const sortKeys = (o: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));

/**
 * Runs text on both sides; throws a readable error at the first step that
 * differs. The kernel side has rare noise of its own (a task's own stack or
 * vdso footprint shifting by a table page under load: seen about once in a few
 * thousand runs, never twice in a row), so a mismatch is re-measured on the
 * kernel twice and counts only if it is reproduced.
 */
function compare(text: string): void {
  const sim = simulate(text);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      compareOnce(text, linux(text), sim);
      if (attempt > 0) console.warn(`kernel-side noise: a mismatch was not reproduced on re-measurement\n${text}`);
      return;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

function compareOnce(text: string, real: LinuxResult, sim: SimReport): void {
  const fail = (step: number, what: string) => {
    const l = real.steps[step - 1];
    throw new Error(
      `simulator and Linux differ at step ${step}: ${what}\n` +
        `scenario (> marks the step):\n${numbered(text, step)}\n` +
        (l
          ? `Linux raw VmPTE bytes: ${JSON.stringify(l.raw)}, own footprints: ${JSON.stringify(real.baselines)}\n`
          : ''),
    );
  };
  if (sim.steps.length !== real.steps.length)
    fail(0, `${sim.steps.length} simulator steps, ${real.steps.length} on Linux`);
  real.steps.forEach((l, i) => {
    const s = sim.steps[i]!;
    const lo = l.outcome;
    const detail = (o: { kind: string; errno?: string; signal?: string }) =>
      o.kind + (o.kind === 'errno' ? ` ${o.errno}` : o.kind === 'signal' ? ` ${o.signal}` : '');
    if (s.outcome.kind !== lo.kind) fail(i + 1, `outcome: Linux ${detail(lo)}, simulator ${detail(s.outcome)}`);
    // Placement: with ADDR_NO_RANDOMIZE (the driver re-executes itself under it) mmap returns the same address.
    if (
      s.op === 'mmap' &&
      lo.kind === 'ok' &&
      s.outcome.kind === 'ok' &&
      BigInt(lo.value) !== BigInt(s.outcome.value ?? -1)
    ) {
      fail(i + 1, `mmap placed at ${lo.value} by Linux, ${s.outcome.value} by the simulator`);
    }
    const a = sortKeys(l.pgtables);
    const b = sortKeys(s.pgtables_bytes);
    if (a !== b) fail(i + 1, `pgtables_bytes: Linux ${a}, simulator ${b}`);
    // RssAnon and RssShmem beyond each task's own footprint (/proc/PID/status; MM_ANONPAGES, MM_SHMEMPAGES).
    const ra = JSON.stringify(Object.entries(l.rss).sort());
    const rb = JSON.stringify(Object.entries(s.rss).sort());
    if (ra !== rb) fail(i + 1, `[RssAnon, RssShmem] bytes: Linux ${ra}, simulator ${rb}`);
    // VmRSS beyond the footprint: RssFile must not move (the scenario maps no file), so it is RssAnon + RssShmem.
    const va = sortKeys(l.vmrss);
    const vb = sortKeys(s.vmrss);
    if (va !== vb) fail(i + 1, `VmRSS bytes: Linux ${va}, simulator ${vb}`);
    // ru_minflt of the scenario's operations per task (getrusage() around each op in the task).
    const fa = sortKeys(l.minflt);
    const fb = sortKeys(s.minflt);
    if (fa !== fb) fail(i + 1, `minor faults: Linux ${fa}, simulator ${fb}`);
    if (real.entries === 'ok') compareEntries(l.entries, s.entries, (what) => fail(i + 1, what));
  });
}

/**
 * The entries on each probe address's path, in every alive task: which are
 * present, every bit but the PFN, and which share a PFN (each PFN named by
 * where it first appears, tasks by name, probes in order, PGD first: the two
 * sides' PFNs differ, their sharing must not).
 */
function compareEntries(
  real: Record<string, Record<string, bigint[]>>,
  sim: Record<string, Record<string, bigint[]>>,
  fail: (what: string) => never,
): void {
  const hex = (v: bigint) => '0x' + v.toString(16).padStart(16, '0');
  const labels = (side: Record<string, Record<string, bigint[]>>) => {
    const names = new Map<bigint, number>();
    const out: string[] = [];
    for (const task of Object.keys(side).sort()) {
      for (const [addr, ents] of Object.entries(side[task]!)) {
        ents.forEach((e, lvl) => {
          if (e === 0n) return;
          const pfn = e & PFN_MASK;
          if (!names.has(pfn)) names.set(pfn, names.size);
          out.push(`${task} ${addr} level ${lvl}: pfn #${names.get(pfn)}`);
        });
      }
    }
    return out;
  };
  const tasks = Object.keys(real).sort().join(',');
  if (tasks !== Object.keys(sim).sort().join(','))
    fail(`entries read for tasks ${tasks} on Linux, ${Object.keys(sim).sort().join(',')} in the simulator`);
  for (const task of Object.keys(real).sort()) {
    for (const [addr, ents] of Object.entries(real[task]!)) {
      const mine = sim[task]?.[addr] ?? [];
      const show = (xs: bigint[]) => xs.map(hex).join(' ');
      if (
        ents.length !== mine.length ||
        ents.some((e, l) => (e & ~PFN_MASK) !== (mine[l]! & ~PFN_MASK) || (e === 0n) !== (mine[l] === 0n))
      ) {
        fail(
          `entries of ${task} at ${addr} (PGD first; the PFNs may differ): Linux ${show(ents)}, simulator ${show(mine)}`,
        );
      }
    }
  }
  const a = labels(real);
  const b = labels(sim);
  const k = a.findIndex((x, j) => x !== b[j]);
  if (k >= 0 || a.length !== b.length)
    fail(`PFN sharing differs: Linux "${a[k] ?? '(none)'}", simulator "${b[k] ?? '(none)'}"`);
}

describe.skipIf(unavailable !== undefined)('real kernel (VmPTE)', () => {
  describe('the harness', () => {
    it('builds', () => {
      expect(buildHarness()).toMatch(/vmpte-[0-9a-f]+$/);
    });

    it('reads entry values with its BPF program (as root; otherwise it says so)', () => {
      const r = linux('spawn A\nA: mmap 1T 2M rw private anon fixed\nA: write 1T "x"\nA: read 1T+0x1000\nA: fork B\n');
      if (process.getuid?.() !== 0) {
        console.warn(`[test/linux] not root: entry values are not compared (${r.entries})`);
        expect(r.entries).not.toBe('ok');
        return;
      }
      expect(r.entries).toBe('ok');
      const e = (step: number, task: string, addr: string) =>
        r.steps[step - 1]!.entries[task]![addr]!.map((v) => v & ~PFN_MASK);
      // A write fault: P|RW|US|A|D|NX; a read: the zero page, special, read-only (bit 9).
      expect(e(3, 'A', '0x10000000000')).toEqual([0x67n, 0x67n, 0x67n, 0x8000000000000067n]);
      expect(e(4, 'A', '0x10000001000')).toEqual([0x67n, 0x67n, 0x67n, 0x8000000000000225n]);
      // After fork both sides are write-protected, Dirty moved to SavedDirty (bit 58); the child's is old.
      expect(e(5, 'A', '0x10000000000')[3]).toBe(0x8400000000000025n);
      expect(e(5, 'B', '0x10000000000')[3]).toBe(0x8400000000000005n);
      // Not present: the walk stops at the none entry.
      expect(e(5, 'A', '0x10000002000')).toEqual([0x67n, 0x67n, 0x67n, 0n]);
      expect(e(5, 'A', '0x100001ff000')).toEqual([0x67n, 0x67n, 0x67n, 0n]);
    });

    it("cancels each task's own footprint: fork chains, exits and spawns show 0", () => {
      const text = [
        'spawn A',
        'A: fork B',
        'B: fork C',
        'C: fork D',
        'D: fork E',
        'A: exit',
        'E: fork F',
        'spawn G',
        'G: fork H',
        'C: exit',
      ].join('\n');
      // Several runs: each gets a new random layout of stack, heap and vdso.
      for (let run = 0; run < 5; run++) {
        const r = linux(text);
        for (const s of r.steps) {
          expect(s.outcome.kind).toBe('ok');
          for (const [task, bytes] of Object.entries(s.pgtables)) {
            expect(bytes, `${task}: raw ${s.raw[task]}`).toBe(0);
            expect(s.raw[task]).toBeGreaterThan(0);
          }
        }
        expect(Object.keys(r.steps.at(-1)!.pgtables).sort()).toEqual(['B', 'D', 'E', 'F', 'G', 'H']);
      }
    });

    it('does not drift: after random scenarios, unmapping 1T..17T brings every alive task back to 0', () => {
      for (const text of fc.sample(scenarioArb, { numRuns: 40, seed: 20251125 })) {
        const steps = scenarioToSteps(text);
        const tasks = new Set(steps.flatMap((s) => (s.op === 'spawn' ? [s.task] : s.op === 'fork' ? [s.child] : [])));
        const all: LinuxStep[] = [
          ...steps,
          ...[...tasks].map((task) => ({ op: 'munmap' as const, task, addr: 2 ** 40, len: 16 * 2 ** 40 })),
        ];
        const r = runOnLinux(all);
        for (const s of r.steps)
          for (const bytes of Object.values(s.pgtables)) expect(bytes, text).toBeGreaterThanOrEqual(0);
        expect(
          Object.values(r.steps.at(-1)!.pgtables).every((b) => b === 0),
          text,
        ).toBe(true);
      }
    });

    it('1 GiB MAP_SHARED|MAP_ANONYMOUS touched at 1T costs 2,056 KiB, and again in a forked child (reference 6)', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 1G rw shared anon fixed\nA: touch 1T 1G write\nA: fork B\nB: touch 1T 1G read\n',
      );
      expect(kib(r, 3)).toEqual({ A: 2056 }); // 512 PTE + 1 PMD + 1 PUD pages
      expect(kib(r, 4)).toEqual({ A: 2056, B: 0 }); // no anon_vma: fork copies no tables
      expect(kib(r, 5)).toEqual({ A: 2056, B: 2056 });
    });

    it('1 MiB costs 12 KiB, 3 MiB from a 2 MiB boundary 16 KiB, 2 GiB 4,108 KiB (reference 6)', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 1M rw shared anon fixed\nA: touch 1T 1M write\n' +
          'spawn B\nB: mmap 1T+2M 3M rw shared anon fixed\nB: touch 1T+2M 3M write\n' +
          // Private and read: the zero page, so the same tables cost no memory.
          'spawn C\nC: mmap 1T 2G rw private anon fixed\nC: touch 1T 2G read\n',
      );
      expect(kib(r, 3)).toEqual({ A: 12 });
      expect(kib(r, 6)).toEqual({ A: 12, B: 16 });
      expect(kib(r, 9)).toEqual({ A: 12, B: 16, C: 4108 });
    });

    it('MADV_DONTNEED frees a PTE page only when it zaps that whole 2 MiB inside one VMA (reference 6, CONFIG_PT_RECLAIM)', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 8M rw private anon fixed\nA: touch 1T 8M write\n' +
          'A: madvise 1T+0x1000 4K MADV_DONTNEED\n' + // one page: frees none
          'A: madvise 1T+2M 2044K MADV_DONTNEED\n' + // 2 MiB less a page: frees none
          'A: madvise 1T 8M MADV_DONTNEED\n' + // the whole range: its 4 PTE pages
          'A: touch 1T+1M 4M write\n' + // PTE pages of [0,2M) [2M,4M) [4M,6M)
          'A: madvise 1T+1M 4M MADV_DONTNEED\n' + // only [2M,4M) is wholly covered
          'A: madvise 1T 8M MADV_DONTNEED\n', // now the two emptied ones go too
      );
      expect(kib(r, 3)).toEqual({ A: 24 });
      expect(kib(r, 4)).toEqual({ A: 24 });
      expect(kib(r, 5)).toEqual({ A: 24 });
      expect(kib(r, 6)).toEqual({ A: 8 });
      expect(kib(r, 7)).toEqual({ A: 20 });
      expect(kib(r, 8)).toEqual({ A: 16 });
      expect(kib(r, 9)).toEqual({ A: 8 });
    });

    it('munmap frees a wholly covered PTE page, then PMD and PUD pages with the last VMA under them (reference 6)', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 8M rw private anon fixed\nA: touch 1T 8M write\n' +
          'A: munmap 1T+2M 2M\n' + // frees the PTE page of [2M,4M)
          'A: munmap 1T+5M 2M\n' + // its two PTE pages still serve [4M,5M) and [7M,8M)
          'A: munmap 1T 8M\n', // last VMA under the PUD entry: PTE, PMD and PUD pages go
      );
      expect(kib(r, 3)).toEqual({ A: 24 });
      expect(kib(r, 4)).toEqual({ A: 20 });
      expect(kib(r, 5)).toEqual({ A: 20 });
      expect(kib(r, 6)).toEqual({ A: 0 });
    });

    it('fork copies tables only of VMAs with an anon_vma: not after zero-page reads, yes after one write', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T 4M read\nA: fork B\n' +
          'A: write 1T "x"\nA: fork C\n',
      );
      expect(kib(r, 3)).toEqual({ A: 16 });
      expect(kib(r, 4)).toEqual({ A: 16, B: 0 });
      expect(kib(r, 6)).toEqual({ A: 16, B: 0, C: 16 });
    });

    it('mmap MAP_FIXED over touched memory frees its tables first', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 8M rw private anon fixed\nA: touch 1T 8M write\nA: mmap 1T 8M rw shared anon fixed\n',
      );
      expect(kib(r, 3)).toEqual({ A: 24 });
      expect(kib(r, 4)).toEqual({ A: 0 });
    });

    it('an access to PROT_NONE is SIGSEGV; the task is gone and its later steps are skipped', () => {
      const r = linux(
        'spawn A\nA: mmap 1T 4K rw private anon fixed\nA: mprotect 1T 4K none\nA: read 1T\nA: write 1T "x"\n',
      );
      expect(r.steps.map((s) => s.outcome.kind)).toEqual(['ok', 'ok', 'ok', 'signal', 'skipped']);
      expect(kib(r, 4)).toEqual({});
    });
  });

  describe('simulator against the kernel', () => {
    for (const [i, text] of REGRESSIONS.entries()) {
      it(`regression ${i + 1}`, () => compare(text));
    }

    it(
      'random scenarios: after every step every alive task has the same pgtables_bytes, RssAnon, RssShmem, VmRSS, minor faults and probed entries, and mmap the same address',
      () => {
        // A fixed seed keeps CI deterministic; PTX_LINUX_SEED=random (or a number) explores further.
        const seed =
          process.env.PTX_LINUX_SEED === 'random' ? undefined : Number(process.env.PTX_LINUX_SEED ?? 20261125);
        fc.assert(
          fc.property(scenarioArb, (text) => compare(text)),
          {
            numRuns: Number(process.env.PTX_LINUX_RUNS ?? 200),
            ...(seed !== undefined ? { seed } : {}),
            // 200 runs take ~6 s; shrinking a failure re-runs real processes:
            // bound it (the smallest failure found so far is reported).
            interruptAfterTimeLimit: TIME_LIMIT_MS,
            markInterruptAsFailure: true,
          },
        );
      },
      TIME_LIMIT_MS + 15_000,
    );
  });
});
