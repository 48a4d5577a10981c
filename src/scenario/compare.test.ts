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
import { compareReport, comparison } from './compare';
import type { Scenario } from './ast';

function load(text: string): Scenario {
  const p = parseScenario(text);
  if (!p.ok) throw new Error(p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return p.scenario;
}
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const scenario = (f: string): Scenario => load(readFileSync(new URL(`../../scenarios/${f}.ptx`, import.meta.url), 'utf8'));

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
    const c = comparison(runScenario(s), runScenario(s, { twin: true }));
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
    const c = comparison(runScenario(s), runScenario(s, { twin: true }));
    expect(c.tasks).toHaveLength(20);
    expect(c.tasks.every((t) => t.pgtables_bytes === 0 && t.mainline_pgtables_bytes === 514 * 4096)).toBe(true);
    expect(c.totals).toEqual({ pgtables_bytes: 514 * 4096, mainline_pgtables_bytes: 20 * 514 * 4096, saved_bytes: 19 * 514 * 4096 });
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
    expect(read?.events.map((e) => e.fn)).toEqual(['handle_mm_fault', '__handle_mm_fault', 'pud_alloc', 'pmd_alloc', 'do_read_fault', 'pte_alloc', 'filemap_map_pages']);
    expect(read?.pgtables_bytes).toEqual({ A: 12288, B: 12288 });
    // Both tasks reach the same data page through different tables.
    expect(steps[7]?.walk?.pfn).toBe(steps[8]?.walk?.pfn);
    expect(steps[7]?.walk?.levels[0]?.entry).not.toBe(steps[8]?.walk?.levels[0]?.entry);
  });

  it('keeps the errors of the API: EEXIST for O_CREAT on an existing name', () => {
    const steps = twinSteps(load(`kernel mshare-v1
spawn A
spawn B
A: mmap 1T 512G rw shared anon fixed
A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
B: mshare "sga" 1T 512G O_CREAT|O_RDWR 0600
`));
    expect(steps[4]?.outcome).toMatchObject({ kind: 'errno', errno: 'EEXIST' });
  });

  it("a guest's unlink unmaps its mapping; the last unlink releases the object", () => {
    const steps = twinSteps(load(`kernel mshare-v1
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
`));
    expect(steps[7]?.pgtables_bytes).toEqual({ A: 12288, B: 0 });
    expect(steps[8]?.outcome).toEqual({ kind: 'ok' });
    // A's own mapping still holds the object: the data is still there.
    expect(steps[9]?.outcome).toEqual({ kind: 'ok', value: hex('x') });
  });
});
