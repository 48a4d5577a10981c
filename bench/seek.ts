/**
 * Row 3: seeking. A 2,000-step scenario (gen.ts busyScenario: tasks mapping,
 * touching, writing, forking, unmapping, protecting, advising, exiting) in a
 * Timeline (src/scenario/timeline.ts). The timeline is run through once (as
 * the app does when a scenario is opened and played, and as the first visit
 * to a late step does), then it jumps to 300 random steps: the time from
 * seek(n) to having the Runner at step n, p50 and p95.
 *
 * Run alone: PTX_BENCH_MAIN=seek node --import tsx bench/seek.ts [--reps N] [--every K] [--budget MS]
 */
import { parseScenario } from '../src/scenario/parser';
import { Runner } from '../src/scenario/run';
import { Timeline, type TimelineOptions } from '../src/scenario/timeline';
import { busyScenario } from './gen';
import { fmtMs, median, quantile, rng, type Row } from './lib';

const STEPS = 2000;
const SEEKS = 300;

export interface SeekResult {
  steps: number;
  reps: number;
  every: number;
  budgetMs: number;
  /** Running all steps once with a plain Runner (no checkpoints). */
  plainRunMs: number;
  /** Running all steps once through the Timeline (checkpoints taken on the way). */
  firstPassMs: number;
  checkpoints: number;
  p50: number;
  p95: number;
  max: number;
}

export function runSeek(opts: { reps: number } & TimelineOptions): SeekResult {
  const p = parseScenario(busyScenario(1, STEPS));
  if (!p.ok) throw new Error(`busy scenario does not load: ${p.errors[0]?.message}`);
  const s = p.scenario;
  const plain: number[] = [];
  const first: number[] = [];
  const p50: number[] = [];
  const p95: number[] = [];
  const max: number[] = [];
  let checkpoints = 0;
  let every = 0;
  for (let rep = 0; rep < opts.reps; rep++) {
    let t = performance.now();
    const r = new Runner(s);
    while (!r.finished) r.step();
    plain.push(performance.now() - t);
    const tl = new Timeline(s, opts);
    t = performance.now();
    tl.seek(STEPS);
    first.push(performance.now() - t);
    const rand = rng(100 + rep);
    const lat: number[] = [];
    for (let i = 0; i < SEEKS; i++) {
      const n = Math.floor(rand() * (STEPS + 1));
      t = performance.now();
      const { runner } = tl.seek(n);
      lat.push(performance.now() - t);
      if (runner.done !== n) throw new Error('seek went astray');
    }
    p50.push(quantile(lat, 0.5));
    p95.push(quantile(lat, 0.95));
    max.push(Math.max(...lat));
    checkpoints = tl.checkpointSteps.length;
    every = tl.spacing;
  }
  return {
    steps: STEPS,
    reps: opts.reps,
    every,
    budgetMs: opts.budgetMs ?? 8,
    plainRunMs: median(plain),
    firstPassMs: median(first),
    checkpoints,
    p50: median(p50),
    p95: median(p95),
    max: median(max),
  };
}

export function seekRows(r: SeekResult): Row[] {
  return [
    {
      what: `seek to a random step of ${r.steps.toLocaleString('en-US')} (Timeline, p50 / p95)`,
      figure: `${fmtMs(r.p50)} / ${fmtMs(r.p95)} (max ${fmtMs(r.max)}; ${r.checkpoints} checkpoints)`,
      goal: 'p95 < 50 ms',
      status: r.p95 < 50 ? 'pass' : 'miss',
    },
    {
      what: `first pass over all ${r.steps.toLocaleString('en-US')} steps, checkpointing`,
      figure: `${fmtMs(r.firstPassMs)} (plain Runner ${fmtMs(r.plainRunMs)})`,
      goal: '(cost of checkpoints)',
      status: 'info',
    },
  ];
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.env.PTX_BENCH_MAIN === 'seek') {
  const every = arg('--every');
  const budgetMs = arg('--budget');
  const r = runSeek({
    reps: arg('--reps') ?? 3,
    ...(every !== undefined ? { every } : {}),
    ...(budgetMs !== undefined ? { budgetMs } : {}),
  });
  process.stdout.write(JSON.stringify(r) + '\n');
}
