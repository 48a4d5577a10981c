/**
 * "With and without sharing" (compare.ts): an mshare scenario run a second
 * time as mainline Linux, each mshare region turned into a plain shared
 * mapping of one shmem object (as shm_open() + mmap(MAP_SHARED) would give),
 * so the memory is shared in both runs and only the page tables differ.
 * Numbers: a touched 4 KiB page of a fresh 512 GiB slot costs a PUD, a PMD
 * and a PTE page (3 × 4096 B) in whichever mm builds the tables; 1 GiB of
 * 4 KiB pages costs 512 PTE + 1 PMD + 1 PUD = 514 pages.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from './parser';
import { Runner, runScenario } from './run';
import { bytesInWords, collapseRuns, compareReport, comparison, oomWords } from './compare';
import { TwinAccounting } from './twin';
import type { Scenario } from './ast';

function load(text: string): Scenario {
  const p = parseScenario(text);
  if (!p.ok) throw new Error(p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return p.scenario;
}
const GiB = 2 ** 30;
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const scenario = (f: string): Scenario =>
  load(readFileSync(new URL(`../../scenarios/${f}.ptx`, import.meta.url), 'utf8'));

function twinToEnd(s: Scenario): TwinAccounting {
  const t = new TwinAccounting(s);
  expect(t.runTo(s.steps.length)).toBe(true);
  return t;
}

/** The twin run, step by step, with the invariants checked after each step. */
function twinSteps(s: Scenario): ReturnType<Runner['step']>[] {
  const r = new Runner(s, { twin: true });
  const out = [];
  while (!r.finished) {
    out.push(r.step());
    expect(r.kernel.invariants()).toEqual([]);
  }
  return out;
}

describe('compareReport', () => {
  it('is null for a mainline scenario: there is nothing to compare', () => {
    expect(compareReport(scenario('hugetlb-pmd-sharing'))).toBeNull();
  });

  it('runs the mshare-v1 scenario as mainline, with the same steps and the same outcomes where sharing does not matter', () => {
    const s = scenario('mshare-v1-guest-fault');
    const twin = compareReport(s);
    expect(twin).not.toBeNull();
    expect(twin?.kernel).toBe('mainline');
    expect(twin?.steps).toHaveLength(s.steps.length);
    const real = runScenario(s);
    // Every step has the same outcome kind, and the reads return the same bytes.
    expect(twin?.steps.map((x) => x.outcome.kind)).toEqual(real.steps.map((x) => x.outcome.kind));
    expect(twin?.steps[6]?.outcome).toEqual({ kind: 'ok', value: hex('Some random shared text') });
    expect(twin?.steps[10]?.outcome).toEqual({ kind: 'ok', value: hex('from B') });
    // No mshare host in the twin.
    expect(twin?.mshare).toEqual([]);
  });
});

describe('comparison: per task and in total', () => {
  it("the seed's guest fault: each task pays 12 KiB under mainline, nothing with mshare, and the host 12 KiB once", () => {
    const s = scenario('mshare-v1-guest-fault');
    const c = comparison(runScenario(s), twinToEnd(s));
    expect(c.kernel).toBe('mainline');
    expect(c.tasks).toEqual([
      { name: 'A', pgtables_bytes: 0, mainline_pgtables_bytes: 12288 },
      { name: 'B', pgtables_bytes: 0, mainline_pgtables_bytes: 12288 },
    ]);
    expect(c.totals).toEqual({ pgtables_bytes: 12288, mainline_pgtables_bytes: 24576, saved_bytes: 12288 });
    expect(c.steps).toHaveLength(s.steps.length);
    // After A's write (step 5): the host's 12 KiB here, A's own 12 KiB there; after B's read (7): 12 vs 24.
    expect(c.steps[4]).toEqual({ index: 5, pgtables_bytes: 12288, mainline_pgtables_bytes: 12288 });
    expect(c.steps[6]).toEqual({ index: 7, pgtables_bytes: 12288, mainline_pgtables_bytes: 24576 });
  });

  it('N clients of a 1 GiB region: 514 pages once with mshare, N × 514 pages without', () => {
    const s = load(`kernel mshare-v1
spawn c[1..20]
c1: mmap 1T 1G rw shared anon fixed
c1: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
c[2..20]: mshare "sga" 1T 512G O_RDWR
c[1..20]: touch 1T 1G read
`);
    const c = comparison(runScenario(s), twinToEnd(s));
    expect(c.tasks).toHaveLength(20);
    expect(c.tasks.every((t) => t.pgtables_bytes === 0 && t.mainline_pgtables_bytes === 514 * 4096)).toBe(true);
    expect(c.totals).toEqual({
      pgtables_bytes: 514 * 4096,
      mainline_pgtables_bytes: 20 * 514 * 4096,
      saved_bytes: 19 * 514 * 4096,
    });
    expect(c.steps.at(-1)).toEqual({ index: 5, pgtables_bytes: 514 * 4096, mainline_pgtables_bytes: 20 * 514 * 4096 });
  });
});

describe('the mainline twin', () => {
  it('shares the memory (one shmem object) but builds tables per task, and holds the invariants', () => {
    const steps = twinSteps(scenario('mshare-v1-guest-fault'));
    expect(steps[3]?.events.map((e) => e.fn)).toEqual(['shm_open']);
    expect(steps[5]?.events.map((e) => e.fn)[0]).toBe('mmap');
    // B's first read under mainline: a real fault in B's own tables, the page found in the page cache.
    const read = steps[6];
    expect(read?.events.map((e) => e.fn)).toEqual([
      'handle_mm_fault',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_read_fault',
      'pte_alloc',
      'filemap_map_pages',
    ]);
    expect(read?.pgtables_bytes).toEqual({ A: 12288, B: 12288 });
    // Both tasks reach the same data page through different tables.
    expect(steps[7]?.walk?.pfn).toBe(steps[8]?.walk?.pfn);
    expect(steps[7]?.walk?.levels[0]?.entry).not.toBe(steps[8]?.walk?.levels[0]?.entry);
  });

  it('keeps the errors of the API: EEXIST for O_CREAT on an existing name', () => {
    const steps = twinSteps(
      load(`kernel mshare-v1
spawn A
spawn B
A: mmap 1T 512G rw shared anon fixed
A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
B: mshare "sga" 1T 512G O_CREAT|O_RDWR 0600
`),
    );
    expect(steps[4]?.outcome).toMatchObject({ kind: 'errno', errno: 'EEXIST' });
  });

  it("a guest's unlink unmaps its mapping; the last unlink releases the object", () => {
    const steps = twinSteps(
      load(`kernel mshare-v1
spawn A
spawn B
A: mmap 1T 512G rw shared anon fixed
A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
A: write 1T "x"
B: mshare "sga" 1T 512G O_RDWR
B: read 1T 1
B: mshare_unlink "sga"
A: mshare_unlink "sga"
A: read 1T 1
`),
    );
    expect(steps[7]?.pgtables_bytes).toEqual({ A: 12288, B: 0 });
    expect(steps[8]?.outcome).toEqual({ kind: 'ok' });
    // A's own mapping still holds the object: the data is still there.
    expect(steps[9]?.outcome).toEqual({ kind: 'ok', value: hex('x') });
  });
});

describe('the twin that runs out of memory: what fit, what was killed, what was needed', () => {
  /*
   * scenarios/sga-1500-mshare.ptx by hand. The SGA is 300 GiB of 4 KiB pages
   * at 1 TiB (2^40: PGD index 2, aligned to 1 GiB):
   *   data pages  300 GiB / 4 KiB          = 78,643,200
   *   PTE pages   300 GiB / 2 MiB          =    153,600 (one per 512 PTEs)
   *   PMD pages   300 GiB / 1 GiB          =        300
   *   PUD pages   300 GiB within one 512 GiB PGD slot =  1
   *   one client's tables: 153,901 × 4096 B = 630,378,496 B = 601.2 MiB (/ 2^20 = 601.17)
   *   every client's:  1,500 × 630,378,496 B = 945,567,744,000 B
   *                                           = 880.6 GiB (/ 2^30 = 880.62)
   * The machine: 512 GiB = 134,217,728 pages. Without sharing there is no host
   * mm: 1,500 PGD pages and the data (one shmem object) leave
   *   134,217,728 − 1,500 − 78,643,200 = 55,573,028 pages,
   *   55,573,028 / 153,901 = 361.09 → 361 clients fit, 1,500 − 361 = 1,139 are
   *   killed (each later one faults until a table page cannot be allocated;
   *   the OOM model kills it and frees its tables, docs/mshare.md),
   *   and those 361 hold 361 × 630,378,496 = 227,566,637,056 B = 211.9 GiB.
   */
  const perClient = 153_901 * 4096;
  const sga = scenario('sga-1500-mshare');

  it('the SGA: 361 of 1,500 fit in 512 GiB, 1,139 OOM-killed, 880.6 GiB needed, measured on a second twin', () => {
    expect(perClient).toBe(630_378_496);
    const twin = new TwinAccounting(sga);
    expect(twin.runTo(4)).toBe(true);
    // Nothing touched yet: no tables, no kill, and no second twin started.
    expect(twin.at(4)).toMatchObject({ fitTotal: 0, oomKilled: 0, needed: null, neededTotal: 0 });
    expect(twin.measuresNeeded).toBe(false);
    expect(twin.oomAt(4, 0)).toBeNull();

    expect(twin.runTo(5)).toBe(true);
    expect(twin.measuresNeeded).toBe(true);
    const at = twin.at(5);
    expect(at.oomKilled).toBe(1139);
    expect(Object.keys(at.fit)).toHaveLength(361);
    expect(at.fit.db1).toBe(perClient);
    expect(at.fit.db361).toBe(perClient);
    expect(at.fit.db362).toBeUndefined();
    expect(at.fitTotal).toBe(227_566_637_056);
    expect(at.fitTotal).toBe(361 * perClient);
    expect(at.neededTotal).toBe(945_567_744_000);
    expect(at.neededTotal).toBe(1500 * perClient);
    expect(Object.values(at.needed ?? {}).every((b) => b === perClient)).toBe(true);

    const o = twin.oomAt(5, perClient);
    expect(o).toEqual({
      killed: 1139,
      fit: 361,
      tasks: 1500,
      memory_bytes: 512 * GiB,
      fit_pgtables_bytes: 361 * perClient,
      needed_pgtables_bytes: 1500 * perClient,
      needed_each: perClient,
      with_pgtables_bytes: perClient,
      with_kernel: 'mshare-v1',
    });
    expect(oomWords(o!)).toBe(
      "Without sharing, only 361 of the 1,500 tasks fit in the machine's 512 GiB: the other 1,139 were killed out of memory (OOM). " +
        'Their page tables would need 880.6 GiB (1,500 × 601.2 MiB); the 361 that fit hold 211.9 GiB. With mshare-v1, all page tables take 601.2 MiB.',
    );
  });

  it('the comparison of ptx run: saved is what was needed less what sharing used, and the killed tasks are marked', () => {
    const c = comparison(runScenario(sga), twinToEnd(sga));
    expect(c.totals).toEqual({
      pgtables_bytes: perClient,
      mainline_pgtables_bytes: 361 * perClient,
      saved_bytes: 1499 * perClient,
    });
    expect(c.oom?.killed).toBe(1139);
    expect(c.oom?.words).toContain('880.6 GiB');
    expect(c.steps.at(-1)).toEqual({
      index: 5,
      pgtables_bytes: perClient,
      mainline_pgtables_bytes: 361 * perClient,
      mainline_needed_pgtables_bytes: 1500 * perClient,
    });
    // Before the kills the steps carry no needed figure: it would equal mainline's.
    expect(c.steps[3]).toEqual({ index: 4, pgtables_bytes: 0, mainline_pgtables_bytes: 0 });
    expect(c.tasks[360]).toEqual({
      name: 'db361',
      pgtables_bytes: 0,
      mainline_pgtables_bytes: perClient,
      mainline_needed_pgtables_bytes: perClient,
    });
    expect(c.tasks[361]).toEqual({
      name: 'db362',
      pgtables_bytes: 0,
      mainline_pgtables_bytes: 0,
      mainline_needed_pgtables_bytes: perClient,
      mainline_oom_killed: true,
    });
  });

  it("a small machine: room for the data, the PGDs and one task's tables, so 1 of 3 fit and 3 × 514 pages were needed", () => {
    // A 1 GiB region: 262,144 data pages; a task's tables 512 PTE + 1 PMD + 1 PUD = 514 pages.
    // With mshare: 3 PGDs + the host's PGD + 514 + data = 262,662 pages ≤ the 262,663 given.
    // The twin: 3 PGDs + data + c1's 514 = 262,661, 2 pages left: c2 and c3 are killed.
    const pages = 262_144 + 3 + 514 + 2;
    const s = load(`kernel mshare-v1
memory ${pages * 4096}
spawn c[1..3]
c1: mmap 1T 1G rw shared anon fixed
c1: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
c[2..3]: mshare "sga" 1T 512G O_RDWR
c[1..3]: touch 1T 1G read
`);
    const real = runScenario(s);
    expect(real.steps.at(-1)?.outcomes).toEqual({ ok: 3 });
    const c = comparison(real, twinToEnd(s));
    expect(c.oom).toMatchObject({
      killed: 2,
      fit: 1,
      tasks: 3,
      fit_pgtables_bytes: 514 * 4096,
      needed_pgtables_bytes: 3 * 514 * 4096,
      needed_each: 514 * 4096,
    });
    expect(c.tasks.map((t) => t.mainline_oom_killed ?? false)).toEqual([false, true, true]);
    // 262,663 pages = 1,075,867,648 B = 1.002 GiB; 514 pages = 2.008 MiB; 1,542 pages = 6.02 MiB.
    expect(c.oom?.words).toBe(
      "Without sharing, only 1 of the 3 tasks fit in the machine's 1 GiB: the other 2 were killed out of memory (OOM). " +
        'Their page tables would need 6 MiB (3 × 2 MiB); the 1 that fit hold 2 MiB. With mshare-v1, all page tables take 2 MiB.',
    );
  });

  it('no kill, no OOM section: the seed fits', () => {
    const s = scenario('mshare-v1-guest-fault');
    expect(comparison(runScenario(s), twinToEnd(s)).oom).toBeUndefined();
  });
});

describe('words and rows', () => {
  it('bytesInWords: one decimal in the largest binary unit, ".0" dropped', () => {
    expect(bytesInWords(0)).toBe('0 B');
    expect(bytesInWords(1023)).toBe('1023 B');
    expect(bytesInWords(12288)).toBe('12 KiB');
    expect(bytesInWords(630_378_496)).toBe('601.2 MiB');
    expect(bytesInWords(945_567_744_000)).toBe('880.6 GiB');
    expect(bytesInWords(512 * GiB)).toBe('512 GiB');
    expect(bytesInWords(2 ** 52)).toBe('4 PiB');
    expect(bytesInWords(2000 * 2 ** 50)).toBe('2,000 PiB');
  });

  it('collapseRuns: three or more consecutive equal rows become one, labelled first–last; others stay apart', () => {
    const rows = [
      ['db1', 5],
      ['db2', 0],
      ['db3', 0],
      ['db4', 0],
      ['db5', 5],
      ['db6', 0],
      ['db7', 0],
    ] as const;
    const g = collapseRuns(
      rows,
      (r) => r[0],
      (r) => String(r[1]),
    );
    expect(g.map((x) => [x.label, x.names.length, x.first[1]])).toEqual([
      ['db1', 1, 5],
      ['db2–db4', 3, 0],
      ['db5', 1, 5],
      ['db6', 1, 0],
      ['db7', 1, 0],
    ]);
    // Pairs collapse too when asked.
    expect(
      collapseRuns(
        rows,
        (r) => r[0],
        (r) => String(r[1]),
        2,
      ).map((x) => x.label),
    ).toEqual(['db1', 'db2–db4', 'db5', 'db6–db7']);
    expect(collapseRuns([], String, String)).toEqual([]);
  });
});
