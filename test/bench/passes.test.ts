import { describe, expect, it } from 'vitest';
import { mainThreadWork, medianOfPasses, type StepFigures } from '../../bench/browser';

const pass = (all: number[], work: number[], ready: number): StepFigures => ({
  name: 's',
  steps: all.length,
  p50: NaN,
  p95: NaN,
  nodes: 7,
  drawn: 7,
  all,
  work,
  workWall: work.map((w) => w + 100),
  ready,
});

describe("the gallery's passes, step by step", () => {
  it("keeps each step's median: a burst on one pass's step is dropped, a step slow in every pass stays", () => {
    const m = medianOfPasses([
      pass([20, 40, 25], [10, 30, 12], 3),
      pass([21, 22, 60], [11, 12, 40], 2),
      pass([70, 23, 24], [50, 13, 11], 3),
    ]);
    expect(m.all).toEqual([21, 23, 25]);
    expect(m.work).toEqual([11, 13, 12]);
    expect(m.workWall).toEqual([111, 113, 112]);
    expect(m.ready).toBe(3);
    // p50 and p95 over the medians (linear between order statistics): 23, and 23 + 0.9 * (25 - 23).
    expect(m.p50).toBe(23);
    expect(m.p95).toBeCloseTo(24.8, 10);
    expect(m.passes?.map((p) => p.work[0])).toEqual([10, 11, 50]);
  });

  it('counts the steps every pass measured, and one pass is itself', () => {
    const one = pass([1, 2], [1, 2], 2);
    expect(medianOfPasses([one])).toBe(one);
    expect(medianOfPasses([pass([5, 6, 7], [5, 6, 7], 3), pass([5, 6], [5, 6], 2)]).steps).toBe(2);
  });
});

describe("a step's main-thread work, from the trace", () => {
  const task = (ts: number, dur: number, tdur: number, tid = 1) => ({
    name: 'ThreadControllerImpl::RunTask',
    cat: 'toplevel',
    ph: 'X',
    ts,
    dur,
    tdur,
    pid: 7,
    tid,
  });
  const mark = (name: string, ts: number) => ({ name, cat: 'blink.user_timing', ph: 'R', ts, pid: 7, tid: 1 });

  it("sums the main thread's tasks from the click's to the frame's, CPU and wall, and nothing outside them", () => {
    const events = [
      task(0, 500, 400), // before the click: not counted
      task(1_000, 6_000, 5_000), // the click's task
      mark('ptx-click-1', 1_200),
      task(8_000, 1_000, 900), // a task between them (a worker's reply): counted
      task(8_500, 3_000, 3_000, 2), // another thread (the compositor): not counted
      task(20_000, 4_000, 2_500), // the frame's task
      mark('ptx-frame-1', 20_100),
      task(25_000, 9_000, 9_000), // after the frame (an idle callback): not counted
      task(40_000, 2_000, 2_000),
      mark('ptx-click-2', 40_500),
      mark('ptx-frame-2', 41_000), // the click and its frame in one task
    ];
    const w = mainThreadWork(events);
    // (5,000 + 900 + 2,500) µs of CPU, (6,000 + 1,000 + 4,000) µs of wall clock.
    expect(w.get(1)).toEqual({ cpu: 8.4, wall: 11 });
    expect(w.get(2)).toEqual({ cpu: 2, wall: 2 });
    expect([...w.keys()].sort()).toEqual([1, 2]);
  });

  it('leaves out a step whose frame never came', () => {
    expect(mainThreadWork([task(0, 1_000, 1_000), mark('ptx-click-1', 10)]).size).toBe(0);
  });
});
