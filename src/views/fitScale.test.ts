import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FIT_MAX, snapScale } from './fitScale';

describe('snapScale', () => {
  it('keeps the top and the ladder values, by hand: 1.25 · 2^(-n/6)', () => {
    expect(snapScale(1.25)).toBe(1.25);
    expect(snapScale(2)).toBe(1.25);
    // Six steps down is half: 0.625; twelve is a quarter.
    expect(snapScale(0.625)).toBeCloseTo(0.625, 12);
    expect(snapScale(0.3125)).toBeCloseTo(0.3125, 12);
    // 1.25 · 2^(-1/6) = 1.1136…: (2^(1/6) = 1.122462, its inverse 0.890899): 1.2 is between it and 1.25, so it snaps
    // down to it.
    expect(snapScale(1.2)).toBeCloseTo(1.113624, 5);
    // 0.7 is between 0.625 · 2^(1/6) = 0.70154… and 0.625.
    expect(snapScale(0.7)).toBeCloseTo(0.625, 12);
    expect(snapScale(0.702)).toBeCloseTo(0.701539, 5);
  });

  it('never exceeds k (the forest still fits) and is within one step of it', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: FIT_MAX, noNaN: true }), (k) => {
        const s = snapScale(k);
        expect(s).toBeLessThanOrEqual(k * (1 + 1e-12));
        expect(s).toBeGreaterThan(k * 2 ** (-1 / 6) * (1 - 1e-12));
      }),
    );
  });

  it('gives one scale to a range of k: a forest that grows a little keeps its scale', () => {
    const ks = [0.66, 0.665, 0.67, 0.68, 0.69, 0.7];
    expect(new Set(ks.map(snapScale)).size).toBe(1);
  });
});
