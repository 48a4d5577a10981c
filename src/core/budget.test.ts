/**
 * The work budget (budget.ts) and the default RAM, through the Runner as the
 * app and `ptx run` use it: the inputs of issue 13 stop with a message that
 * names the limit and no later step runs; every scenario of the gallery and
 * bench/ stays far below every limit; a runaway touch without a `memory`
 * directive ends in the OOM kill.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { Runner } from '../scenario/run';
import type { ReportStep } from '../scenario/report';
import { Timeline } from '../scenario/timeline';
import { DEFAULT_MEMORY_PAGES, LIMITS, type BudgetLimits } from './budget';

function runner(text: string, limits?: Partial<BudgetLimits>): Runner {
  const p = parseScenario(text);
  if (!p.ok) throw new Error(p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  const r = new Runner(p.scenario);
  if (limits) r.kernel.m.budget.limits = { ...LIMITS, ...limits };
  return r;
}

function runAll(r: Runner): ReportStep[] {
  const out: ReportStep[] = [];
  while (!r.finished) out.push(r.step());
  return out;
}

describe('the work budget', () => {
  it('stops the 171-character link (100,000 tasks, then 1,500 steps) where its figures pass 1,000,000', () => {
    // Σ tasks alive after each step: 100,000 per step, so steps 1-10 keep exactly 1,000,000;
    // step 11 would keep 100,000 more and does not run.
    const text = ['spawn T[1..100000]', ...Array.from({ length: 1500 }, () => 'T1: translate 0')].join('\n');
    const steps = runAll(runner(text));
    expect(steps).toHaveLength(1501);
    expect(steps[9]?.outcome.kind).toBe('ok');
    expect(Object.keys(steps[9]?.pgtables_bytes ?? {})).toHaveLength(100_000);
    const stop = steps[10] as ReportStep;
    expect(stop.too_large).toEqual({ limit: 'cells', max: 1_000_000 });
    expect(stop.outcome).toEqual({
      kind: 'skipped',
      why: expect.stringMatching(
        /^too large to simulate: the report would keep more than 1,000,000 per-task figures .*Use fewer tasks/,
      ),
    });
    expect(stop.events).toEqual([]);
    for (const s of steps.slice(11)) {
      expect(s.outcome).toEqual({ kind: 'skipped', why: 'not simulated: step 11 was too large to simulate' });
      expect(s.events).toEqual([]);
      expect(s.pgtables_bytes).toEqual({});
      expect(s.too_large).toBeUndefined();
    }
  });

  it('stops a step between two pages simulated one at a time, and says which limit', () => {
    // touch from 1T+4K: the first PTE table's 511 pages fault one by one (the rest is one block).
    const r = runner('spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T+4K 2M write\nA: translate 1T+8K', {
      pages: 100,
    });
    const steps = runAll(r);
    expect(steps.map((s) => s.outcome.kind)).toEqual(['ok', 'ok', 'skipped', 'skipped']);
    expect(steps[2]?.too_large).toEqual({ limit: 'pages', max: 100 });
    expect(steps[2]?.outcome.kind === 'skipped' && steps[2].outcome.why).toMatch(
      /^too large to simulate: more than 100 pages would be simulated one at a time/,
    );
    // Counted: 1 for each of the three steps' task, then one per page; the 98th page passes 100.
    const mm = r.kernel.tasks.get('A')?.mm;
    expect(mm?.rssAnon).toBe(97);
  });

  it('stops a group step between two tasks once the events listed pass the limit', () => {
    // Each read of a fresh page lists a handful of events (handle_mm_fault, do_anonymous_page, …).
    const steps = runAll(
      runner('spawn T[1..50]\nT[1..50]: mmap 1T 4K rw private anon fixed\nT[1..50]: read 1T\nT1: exit', {
        events: 260,
      }),
    );
    expect(steps[2]?.too_large).toEqual({ limit: 'events', max: 260 });
    // Steps 1 and 2 listed 200 (mm_alloc and map_vdso per spawned task; do_mmap and mmap_region
    // per task): step 3 stops within one task's read of passing 260, so it keeps more than 60
    // events but not many more.
    const listed = steps[0]!.events.length + steps[1]!.events.length;
    expect(listed).toBe(200);
    expect(steps[2]!.events.length).toBeGreaterThan(260 - listed);
    expect(steps[2]!.events.length).toBeLessThan(260 - listed + 20);
    expect(steps[3]?.outcome).toEqual({ kind: 'skipped', why: 'not simulated: step 3 was too large to simulate' });
  });

  it('is carried by a checkpoint: a Timeline seeking back and forth stops where the first run stopped', () => {
    const p = parseScenario(
      'spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T+4K 2M write\nA: translate 1T+8K',
    );
    if (!p.ok) throw new Error('parse');
    const first = runAll(
      runner('spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T+4K 2M write\nA: translate 1T+8K', {
        pages: 100,
      }),
    );
    const tl = new Timeline(p.scenario, { every: 1 });
    // The Timeline's own Runners use LIMITS: lower them through the live Runner's kernel before any step.
    (tl.seek(0).runner.kernel.m.budget.limits as BudgetLimits) = { ...LIMITS, pages: 100 };
    expect(tl.seek(4).steps.map((s) => s.outcome)).toEqual(first.map((s) => s.outcome));
    tl.seek(1);
    expect(tl.seek(4).runner.kernel.m.budget.stopped?.step).toBe(3);
  });

  it('leaves every scenario of the gallery and bench/ far below each limit', () => {
    const files = [
      ...readdirSync('scenarios')
        .filter((f) => f.endsWith('.ptx'))
        .map((f) => `scenarios/${f}`),
      ...readdirSync('bench')
        .filter((f) => f.endsWith('.ptx'))
        .map((f) => `bench/${f}`),
    ];
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const r = runner(readFileSync(f, 'utf8'));
      const steps = runAll(r);
      const b = r.kernel.m.budget;
      expect(
        steps.filter((s) => s.too_large),
        f,
      ).toEqual([]);
      expect(b.pages, f).toBeLessThan(LIMITS.pages / 10);
      expect(b.cells, f).toBeLessThan(LIMITS.cells / 10);
      expect(b.events, f).toBeLessThan(LIMITS.events / 10);
    }
  });
});

describe('the default RAM', () => {
  it('is 4 TiB: a machine without a memory directive has 2^30 frames', () => {
    expect(DEFAULT_MEMORY_PAGES).toBe(2 ** 30);
    expect(runner('spawn A').kernel.m.frames.limit).toBe(2 ** 30);
    expect(runner('memory 4P\nspawn A').kernel.m.frames.limit).toBe(2 ** 40);
  });

  it('ends a runaway touch as Linux would, with the OOM kill', () => {
    // 8 TiB written on a 4 TiB machine: the fault that finds no frame returns VM_FAULT_OOM.
    const steps = runAll(runner('spawn A\nA: mmap 1T 8T rw private anon fixed\nA: touch 1T 8T write'));
    expect(steps[2]?.outcome).toMatchObject({ kind: 'signal', signal: 'SIGKILL' });
    expect(steps[2]?.events.map((e) => e.fn)).toContain('pagefault_out_of_memory');
  });
});
