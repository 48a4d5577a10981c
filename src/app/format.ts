import { groupDigits } from '../core/events';
import { largestBinaryUnit } from '../scenario/numbers';

/**
 * Numbers as en-US prints them, without Intl: a page's first
 * `toLocaleString()` loads ICU's number formatting, ~25 ms measured in
 * Chromium here, and that first call used to land in a step's click (the
 * SGA's fork step showing "64 of 1,500 trees"). Later calls cost ~40 µs each.
 */
export const formatCount = groupDigits;

/**
 * v ≥ 0 with at most `digits` decimals, as `toLocaleString('en-US', {
 * maximumFractionDigits })` prints it: ICU rounds the shortest decimal that
 * reads back as the double (what String(v) prints: 1.005, where toFixed
 * sees 1.00499…), a tie away from zero (ECMA-402's default "halfExpand"),
 * then drops trailing zeros and groups the integer's digits.
 */
function roundDecimal(v: number, digits: number): string {
  const s = String(v);
  if (!/^\d+(\.\d+)?$/.test(s)) return v.toLocaleString('en-US', { maximumFractionDigits: digits });
  const [int = '', frac = ''] = s.split('.');
  let kept = int + frac.slice(0, digits).padEnd(digits, '0');
  if ((frac[digits] ?? '0') >= '5') {
    // Add one at the last kept digit, carrying leftwards.
    const d = kept.split('');
    let i = d.length - 1;
    for (; i >= 0 && d[i] === '9'; i--) d[i] = '0';
    if (i >= 0) d[i] = String(Number(d[i]) + 1);
    else d.unshift('1');
    kept = d.join('');
  }
  const whole = kept.slice(0, kept.length - digits);
  const fraction = kept.slice(kept.length - digits).replace(/0+$/, '');
  return `${groupDigits(Number(whole))}${fraction ? '.' + fraction : ''}`;
}

/**
 * n bytes (n ≥ 1024) in the largest binary unit that keeps the value at 1 or
 * more, and the decimals to print it with: three significant digits.
 */
export function binaryUnit(n: number): { v: number; unit: string; digits: number } {
  const { v, unit } = largestBinaryUnit(n);
  return { v, unit, digits: v >= 100 || Number.isInteger(v) ? 0 : v >= 10 ? 1 : 2 };
}

/** Bytes as people read them: 12 KiB, 600.2 MiB, 2.35 GiB (binary units, as /proc shows kB). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const { v, unit, digits } = binaryUnit(n);
  return `${roundDecimal(v, digits)} ${unit}`;
}

export const hex = (n: number): string => '0x' + n.toString(16);
