import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryUnit, formatBytes, formatCount } from './format';

/** What the panels printed with Intl before: the oracle these formatters must equal. */
function intlBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const { v, unit, digits } = binaryUnit(n);
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`;
}

describe('formatBytes and formatCount without Intl', () => {
  it('print by hand-checked examples', () => {
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(12 * 1024)).toBe('12 KiB');
    // 153,901 table pages × 4 KiB = 601.19… MiB (sga-1500-mainline.ptx's comment says 601.2 MiB).
    expect(formatBytes(153_901 * 4096)).toBe('601 MiB');
    expect(formatBytes(2.5 * 1024 ** 3)).toBe('2.5 GiB');
    expect(formatBytes(1.25 * 1024 ** 2)).toBe('1.25 MiB');
    expect(formatBytes(9.995 * 1024)).toBe('10 KiB'); // 9.995 rounds up, carrying into the units
    expect(formatBytes(1.005 * 1024)).toBe('1.01 KiB'); // the decimal 1.005 rounds up, though the double is 1.00499…
    expect(formatBytes(999.5 * 1024 ** 2)).toBe('1,000 MiB');
    expect(formatBytes(1024 ** 5 * 2000)).toBe('2,000 PiB');
    expect(formatCount(78_643_200)).toBe('78,643,200');
  });

  it('equal what toLocaleString printed, for byte counts of every size', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat({ max: 1 << 30 }),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ min: 1024, max: 2 ** 62, noNaN: true }),
        ),
        (n) => {
          expect(formatBytes(n)).toBe(intlBytes(n));
        },
      ),
      { numRuns: 3000 },
    );
    for (const n of [1024, 1536, 10239, 10240, 102399, 102400, 1048575, 1048576, 1.005 * 1024, 1.015 * 1024 ** 2])
      expect(formatBytes(n)).toBe(intlBytes(n));
  });

  it('counts equal toLocaleString for safe integers', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
      }),
    );
  });
});
