import { describe, expect, it } from 'vitest';
import { medianOfPasses, type StepFigures } from '../../bench/browser';

const pass = (all: number[], work: number[], ready: number): StepFigures => ({
  name: 's',
  steps: all.length,
  p50: NaN,
  p95: NaN,
  nodes: 7,
  drawn: 7,
  all,
  work,
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
