/**
 * Timeline and kernel checkpoints, over random scenarios (fast-check) of the
 * three kernels: a kernel copied after step c and run forward gives exactly
 * the reports, final report and invariants that the original gives run
 * forward (and that a run from the start gives), in whichever order the two
 * are run; and seek(n), in any order, gives the state and reports of a fresh
 * run of n steps, while the checkpoints stay within their bound.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScenario } from './parser';
import { Runner } from './run';
import type { Scenario } from './ast';
import type { ReportStep } from './report';
import { FigureLog, Timeline, cloneKernel } from './timeline';

/* ----- random scenarios, as text ----- */

type Kern = 'mainline' | 'mshare-v1' | 'msharefs';

/**
 * Three slots (1 TiB, 1 TiB + 1 GiB, 2 TiB) that mappings start at and
 * accesses aim into (the first 2 MiB, with the odd one further out), so
 * that most accesses hit something mapped and tasks live long enough to
 * build up state: COW after fork, zero pages, Runs split by munmap, …
 */
const SLOTS = [2 ** 40, 2 ** 40 + 2 ** 30, 2 ** 41];
const hex = (n: number): string => `0x${n.toString(16)}`;
const addrArb = fc
  .tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 511 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 20000 }) },
    ),
  )
  .map(([slot, page]) => hex((SLOTS[slot] as number) + page * 4096));
const smallLenArb = fc.oneof(
  fc.integer({ min: 1, max: 64 }).map((p) => `${p * 4}K`),
  fc.constantFrom('2M', '4M'),
);
const mapLenArb = fc.constantFrom('2M', '64M', '1G', '1G');
const protArb = fc.constantFrom('rw', 'rw', 'rw', 'r', 'none');

type Make = (t: string, fresh: string) => { lines: string[]; creates?: boolean };

function opArb(kern: Kern): fc.Arbitrary<Make> {
  const one =
    (f: (t: string) => string): Make =>
    (t) => ({ lines: [f(t)] });
  const common: fc.Arbitrary<Make>[] = [
    fc
      .record({ slot: fc.integer({ min: 0, max: 2 }), l: mapLenArb, p: protArb, s: fc.boolean() })
      .map(({ slot, l, p, s }) =>
        one((t) => `${t}: mmap ${hex(SLOTS[slot] as number)} ${l} ${p} ${s ? 'shared' : 'private'} anon fixed`),
      ),
    fc
      .record({ a: addrArb, l: fc.oneof(smallLenArb, fc.constant('1G')), w: fc.boolean() })
      .map(({ a, l, w }) => one((t) => `${t}: touch ${a} ${l} ${w ? 'write' : 'read'}`)),
    fc
      .record({ a: addrArb, o: fc.integer({ min: 0, max: 4000 }) })
      .map(({ a, o }) => one((t) => `${t}: write ${a}+${o} "x"`)),
    addrArb.map((a) => one((t) => `${t}: read ${a} 4`)),
    addrArb.map((a) => one((t) => `${t}: translate ${a}`)),
    fc.constant<Make>((t, fresh) => ({ lines: [`${t}: fork ${fresh}`], creates: true })),
    fc.record({ a: addrArb, l: smallLenArb }).map(({ a, l }) => one((t) => `${t}: munmap ${a} ${l}`)),
    fc
      .record({ a: addrArb, l: smallLenArb, p: protArb })
      .map(({ a, l, p }) => one((t) => `${t}: mprotect ${a} ${l} ${p}`)),
    fc.record({ a: addrArb, l: smallLenArb }).map(({ a, l }) => one((t) => `${t}: madvise ${a} ${l} MADV_DONTNEED`)),
    fc.constant(one((t) => `${t}: exit`)),
    fc.constant<Make>((_t, fresh) => ({
      lines: [`spawn ${fresh}`, `${fresh}: mmap ${hex(SLOTS[0] as number)} 64M rw private anon fixed`],
      creates: true,
    })),
  ];
  const v1: fc.Arbitrary<Make>[] = [
    fc.constant<Make>((t) => ({
      lines: [`${t}: mmap 1T 512G rw shared anon fixed`, `${t}: mshare "r" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600`],
    })),
    fc.constant(one((t) => `${t}: mshare "r" 1T 512G O_RDWR`)),
    fc.constant(one((t) => `${t}: mshare "r" 1T 512G O_RDWR`)),
    fc.constant(one((t) => `${t}: mshare_unlink "r"`)),
  ];
  const fs: fc.Arbitrary<Make>[] = [
    fc.constant<Make>((t) => ({
      lines: [
        `${t}: open "/sys/fs/mshare/r" O_CREAT|O_RDWR 0600 as F`,
        `${t}: ftruncate F 512G`,
        `${t}: ioctl F MSHAREFS_CREATE_MAPPING region_offset=0 size=1G prot=rw flags=MAP_SHARED|MAP_FIXED`,
        `${t}: mmap 1T 512G rw shared fixed fd=F`,
      ],
    })),
    fc.constantFrom('1T', '2T').map((a): Make => (t) => ({
      lines: [`${t}: open "/sys/fs/mshare/r" O_RDWR as G`, `${t}: mmap ${a} 512G rw shared fixed fd=G`],
    })),
    fc.constant(one((t) => `${t}: close G`)),
    fc.constant(one((t) => `${t}: ioctl F MSHAREFS_UNMAP region_offset=0 size=1G`)),
  ];
  const extra = kern === 'mshare-v1' ? v1 : kern === 'msharefs' ? fs : [];
  return fc.oneof(...common, ...extra, ...extra);
}

const scenarioTextArb: fc.Arbitrary<string> = fc.constantFrom<Kern>('mainline', 'mshare-v1', 'msharefs').chain((kern) =>
  fc
    .tuple(fc.constantFrom(4, 5), fc.array(fc.tuple(fc.nat(), opArb(kern)), { minLength: 1, maxLength: 24 }))
    .map(([paging, ops]) => {
      const lines = [
        `kernel ${kern}`,
        `paging ${paging}`,
        'spawn T0',
        `T0: mmap ${hex(SLOTS[0] as number)} 1G rw private anon fixed`,
        `T0: mmap ${hex(SLOTS[1] as number)} 1G rw shared anon fixed`,
        `T0: mmap ${hex(SLOTS[2] as number)} 64M rw private anon fixed`,
        'T0: fork T1',
      ];
      let made = 2;
      for (const [who, make] of ops) {
        const r = make(`T${who % made}`, `T${made}`);
        if (r.creates) made++;
        lines.push(...r.lines);
      }
      return lines.join('\n') + '\n';
    }),
);

function parse(text: string): Scenario {
  const p = parseScenario(text);
  if (!p.ok) throw new Error(`generated scenario does not load: ${p.errors[0]?.message}\n${text}`);
  return p.scenario;
}

/** Steps n..end of r, with the final report (without steps) and the invariants. */
function runOut(r: Runner): { steps: ReportStep[]; report: string; invariants: string[] } {
  const steps: ReportStep[] = [];
  while (!r.finished) steps.push(r.step());
  const { steps: _s, ...report } = Runner.report(r, []);
  return { steps, report: JSON.stringify(report), invariants: r.kernel.invariants() };
}

function stateAt(s: Scenario, n: number): { report: string; invariants: string[] } {
  const r = new Runner(s);
  while (r.done < n) r.step();
  const { steps: _s, ...report } = Runner.report(r, []);
  return { report: JSON.stringify(report), invariants: r.kernel.invariants() };
}

describe('a copied kernel run forward', () => {
  it('gives exactly what the original gives, whichever runs first', () => {
    fc.assert(
      fc.property(scenarioTextArb, fc.nat(), fc.boolean(), (text, cutSeed, copyFirst) => {
        const s = parse(text);
        const full = runOut(new Runner(s));
        const cut = cutSeed % (s.steps.length + 1);
        const a = new Runner(s);
        while (a.done < cut) a.step();
        const b = new Runner(s);
        cloneKernel(a.kernel, b.kernel);
        b.done = cut;
        const [ob, oa] = copyFirst
          ? [runOut(b), runOut(a)]
          : (() => {
              const x = runOut(a);
              return [runOut(b), x];
            })();
        const expected = full.steps.slice(cut);
        expect(JSON.stringify(ob.steps)).toBe(JSON.stringify(expected));
        expect(JSON.stringify(oa.steps)).toBe(JSON.stringify(expected));
        expect(ob.report).toBe(full.report);
        expect(oa.report).toBe(full.report);
        expect(ob.invariants).toEqual(full.invariants);
        expect(oa.invariants).toEqual(full.invariants);
        expect(full.invariants).toEqual([]);
      }),
      { numRuns: 120, seed: 20251125 },
    );
  });

  it('the copy of a copy too (a checkpoint restored, then checkpointed again)', () => {
    fc.assert(
      fc.property(scenarioTextArb, (text) => {
        const s = parse(text);
        const full = runOut(new Runner(s));
        const half = Math.floor(s.steps.length / 2);
        const a = new Runner(s);
        while (a.done < half) a.step();
        const k2 = cloneKernel(cloneKernel(a.kernel));
        const b = new Runner(s);
        cloneKernel(k2, b.kernel);
        b.done = half;
        expect(JSON.stringify(runOut(b).steps)).toBe(JSON.stringify(full.steps.slice(half)));
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});

describe('Timeline.seek', () => {
  it('gives the state and reports of a fresh run to that step, in any order of seeks', () => {
    fc.assert(
      fc.property(
        scenarioTextArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 6 }),
        (text, seeks, every, maxCheckpoints) => {
          const s = parse(text);
          const full = runOut(new Runner(s));
          const tl = new Timeline(s, { every, maxCheckpoints, budgetMs: Infinity });
          for (const x of seeks) {
            const n = x % (s.steps.length + 1);
            const { runner, steps } = tl.seek(n);
            expect(runner.done).toBe(n);
            expect(JSON.stringify(steps)).toBe(JSON.stringify(full.steps.slice(0, n)));
            const { steps: _s, ...report } = Runner.report(runner, []);
            const fresh = stateAt(s, n);
            expect(JSON.stringify(report)).toBe(fresh.report);
            expect(runner.kernel.invariants()).toEqual(fresh.invariants);
            expect(tl.checkpointSteps.length).toBeLessThanOrEqual(maxCheckpoints);
          }
        },
      ),
      { numRuns: 80, seed: 42 },
    );
  });

  it('replays only from the nearest checkpoint', () => {
    const lines = ['spawn A', 'A: mmap 1T 64M rw private anon fixed'];
    for (let i = 0; i < 98; i++) lines.push(`A: write 1T+0x${(i * 4096).toString(16)} "${i}"`);
    const s = parse(lines.join('\n'));
    const tl = new Timeline(s, { every: 10, budgetMs: Infinity });
    tl.seek(100);
    expect(tl.checkpointSteps).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    const before = tl.stats.stepsRun;
    tl.seek(55); // restore 50, replay 5
    expect(tl.stats.stepsRun - before).toBe(5);
    tl.seek(57); // forward from the live Runner
    expect(tl.stats.stepsRun - before).toBe(7);
    tl.seek(3); // no checkpoint before: from the start
    expect(tl.stats.stepsRun - before).toBe(10);
    expect(tl.stats.restores).toBe(1);
  });

  it('checkpoints after a stretch of slow steps, and thins out past its bound', () => {
    const lines = ['spawn A', 'A: mmap 1T 64M rw private anon fixed'];
    for (let i = 0; i < 62; i++) lines.push(`A: read 1T+0x${(i * 4096).toString(16)} 1`);
    const s = parse(lines.join('\n'));
    let clock = 0;
    // Each reading of this clock is 1.5 ms later: a step "takes" 1.5 ms, a checkpoint is due every 7th step.
    const tl = new Timeline(s, { every: 1000, budgetMs: 10, maxCheckpoints: 8, now: () => (clock += 1.5) });
    tl.seek(64);
    const at = tl.checkpointSteps;
    expect(at.length).toBeLessThanOrEqual(8);
    expect(at.length).toBeGreaterThan(3);
    for (let i = 1; i < at.length; i++) expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(4);
    const small = new Timeline(s, { every: 2, budgetMs: Infinity, maxCheckpoints: 4 });
    small.seek(64);
    expect(small.checkpointSteps.length).toBeLessThanOrEqual(4);
    expect(small.spacing).toBeGreaterThanOrEqual(16);
    // A bound on the objects held works the same way.
    const one = new Timeline(s, { every: 1, budgetMs: Infinity });
    one.seek(1);
    one.seek(2);
    const per = one.checkpointObjects / 2;
    const lean = new Timeline(s, { every: 1, budgetMs: Infinity, maxObjects: per * 5 });
    lean.seek(64);
    expect(lean.checkpointObjects).toBeLessThanOrEqual(per * 6);
    expect(lean.checkpointSteps.length).toBeLessThanOrEqual(6);
    expect(lean.seek(30).runner.done).toBe(30);
  });

  it('rejects steps outside the scenario', () => {
    const tl = new Timeline(parse('spawn A\nA: exit\n'));
    expect(() => tl.seek(3)).toThrow(RangeError);
    expect(() => tl.seek(-1)).toThrow(RangeError);
    expect(tl.seek(2).runner.done).toBe(2);
  });
});

describe('reports kept as changes', () => {
  it('keeps per-task figures as changes: 1,000 tasks over 500 steps hold a few thousand figures, not 500,000', () => {
    // Every step lists pgtables_bytes of all 1,000 tasks (ptx-report/1); only step 2 and 3 change any.
    const lines = ['spawn T[1..1000]', 'T1: mmap 1T 4M rw private anon fixed', 'T1: touch 1T 8K write'];
    for (let i = 0; i < 497; i++) lines.push('T1: translate 1T');
    const s = parse(lines.join('\n'));
    const tl = new Timeline(s);
    tl.seek(500);
    // 1,000 new figures at step 1 (and a keyframe of them), 1 changed at step 3 (T1's PUD, PMD
    // and PTE pages: 12,288 bytes).
    expect(tl.heldFigures).toBe(2001);
    expect(tl.report(3).pgtables_bytes.T1).toBe(12288);
    expect(tl.report(500).pgtables_bytes.T1000).toBe(0);
  });

  it('rebuilds every step exactly as the Runner reported it (JSON, key order included), tasks coming and going', () => {
    fc.assert(
      fc.property(scenarioTextArb, (text) => {
        const s = parse(text);
        const full = runOut(new Runner(s));
        const tl = new Timeline(s, { every: 3, budgetMs: Infinity });
        tl.seek(s.steps.length);
        for (let n = s.steps.length; n >= 1; n--)
          expect(JSON.stringify(tl.report(n))).toBe(JSON.stringify(full.steps[n - 1]));
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('FigureLog: exits, creation order and changed figures come back as they were, in at most twice the changes', () => {
    const log = new FigureLog();
    const seq: Record<string, number>[] = [];
    // 300 tasks appear one per step; every 7th step the oldest live one exits; figures change.
    const live: string[] = [];
    let changes = 0;
    for (let i = 0; i < 300; i++) {
      live.push(`t${i}`);
      if (i % 7 === 6) live.shift();
      const f: Record<string, number> = {};
      for (const [j, name] of live.entries()) f[name] = ((i + j) % 5) * 4096;
      const prev = seq[seq.length - 1] ?? {};
      changes +=
        Object.keys(f).filter((k) => prev[k] !== f[k]).length + Object.keys(prev).filter((k) => !(k in f)).length;
      seq.push(f);
      log.push(f);
    }
    for (let n = 1; n <= 300; n++) expect(JSON.stringify(log.figures(n))).toBe(JSON.stringify(seq[n - 1]));
    // Changes, plus keyframes that are each no larger than the changes since the one before.
    expect(log.held).toBeLessThanOrEqual(2 * changes);
  });
});
