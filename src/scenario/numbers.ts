/**
 * Values of the scenario language: numbers, modes and flag words, parsed
 * from one token and spelled the canonical way the printer uses.
 */

import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_HUGETLB,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
} from './ast';

/** The largest value a number or an expression may have: addresses are 64-bit. */
export const U64_MAX = (1n << 64n) - 1n;

/** Binary size suffixes, largest first (the printer tries them in this order). */
export const SIZE_SUFFIXES: ReadonlyArray<readonly [string, bigint]> = [
  ['P', 1n << 50n],
  ['T', 1n << 40n],
  ['G', 1n << 30n],
  ['M', 1n << 20n],
  ['K', 1n << 10n],
];

const SUFFIX_VALUE: Record<string, bigint> = Object.fromEntries(SIZE_SUFFIXES);

/** `syntax`: not a number at all (the caller says what it expected instead). */
export type NumberResult =
  { ok: true; value: bigint } | { ok: false; kind: 'syntax' | 'suffix' | 'range'; message: string };

const NUMBER = /^(0x[0-9a-fA-F_]+|[0-9][0-9_]*)([KMGTP]?)$/;

/**
 * Parses one number token: decimal or `0x` hex, `_` allowed between digits,
 * then an optional upper-case binary suffix. A leading 0 does not mean octal
 * here (only a mode is octal): `010` is ten.
 */
export function parseNumber(token: string): NumberResult {
  // Fast path for the common plain decimal (a 100,000-line scenario is mostly these).
  if (token.length <= 15 && /^[0-9]+$/.test(token)) return { ok: true, value: BigInt(token) };
  const m = NUMBER.exec(token);
  const digits = m ? m[1]!.replace(/_/g, '') : '';
  if (!m || digits === '0x') {
    if (/^[0-9][0-9_]*[kmgtp]$/.test(token)) {
      return {
        ok: false,
        kind: 'suffix',
        message: `size suffixes are upper-case: write ${token.slice(0, -1)}${token.slice(-1).toUpperCase()}`,
      };
    }
    if (/^0[xX]/.test(token))
      return {
        ok: false,
        kind: 'syntax',
        message: `"${token}" is not a number: hex is written 0x followed by 0-9 a-f, e.g. 0x7f00_0000`,
      };
    return {
      ok: false,
      kind: 'syntax',
      message: `"${token}" is not a number: write decimal or 0x hex, with an optional K, M, G, T or P suffix`,
    };
  }
  // Refuse absurdly long digit strings before BigInt spends time on them.
  const significant = digits.replace(/^(0x)?0*/, '');
  if (significant.length > 24)
    return {
      ok: false,
      kind: 'range',
      message: `${token.slice(0, 24)}… is larger than 2^64-1, the largest 64-bit value`,
    };
  const value = BigInt(digits) * (m[2] ? SUFFIX_VALUE[m[2]]! : 1n);
  if (value > U64_MAX)
    return { ok: false, kind: 'range', message: `${token} is larger than 2^64-1, the largest 64-bit value` };
  return { ok: true, value };
}

/** Parses an octal mode token such as `0600` (the leading 0 is required). */
export function parseMode(token: string): number | undefined {
  if (!/^0[0-7]{0,4}$/.test(token)) return undefined;
  return parseInt(token, 8);
}

/** `0600`: the form a mode is printed in (at least three octal digits after the 0). */
export function formatMode(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

/** `512G`, `6000K`: an exact multiple of a unit, with at most four digits (not `137438953468K`). */
function exactSuffix(n: bigint): string | undefined {
  for (const [s, unit] of SIZE_SUFFIXES) {
    if (n >= unit && n % unit === 0n) return n / unit < 10000n ? `${n / unit}${s}` : undefined;
  }
  return undefined;
}

/**
 * An address as people write them: `1T`, `512G`, `1T+0x1000`, or plain hex
 * when that is shorter (`0x7ffffffff000` rather than `127T+0xffffffff000`).
 */
export function formatAddr(n: bigint): string {
  if (n === 0n) return '0';
  const exact = exactSuffix(n);
  if (exact !== undefined) return exact;
  const hex = '0x' + n.toString(16);
  for (const [s, unit] of SIZE_SUFFIXES) {
    if (n > unit) {
      if (n / unit >= 10000n) return hex; // `16383P+896T` is no help: say 0xffff800000000000
      const head = `${n / unit}${s}`;
      const rest = n % unit;
      // `1T+2M` reads well, `1T+4K` less so than the spec's own `1T+0x1000`.
      const tailExact = rest >= 1n << 20n ? exactSuffix(rest) : undefined;
      const tail = tailExact ?? '0x' + rest.toString(16);
      const split = `${head}+${tail}`;
      return split.length < hex.length ? split : hex;
    }
  }
  return hex;
}

/**
 * A length or count: `4K`, `2M` when exact, small numbers in decimal (`23`
 * bytes), otherwise like an address.
 */
export function formatLen(n: bigint): string {
  const exact = n === 0n ? '0' : exactSuffix(n);
  if (exact !== undefined) return exact;
  if (n < 1n << 20n) return n.toString(10);
  return formatAddr(n);
}

/** A byte value for `write ADDR VALUE`. */
export function formatByte(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/*
 * Flag words. Each table is in the order the printer writes the names, and
 * gives Linux's value (from ast.ts) for each name.
 */

export const PROT_LONG: ReadonlyArray<readonly [string, number]> = [
  ['PROT_READ', PROT_READ],
  ['PROT_WRITE', PROT_WRITE],
  ['PROT_EXEC', PROT_EXEC],
];
export const PROT_SHORT: Readonly<Record<string, number>> = { none: 0, r: 1, rw: 3, rx: 5, rwx: 7 };

export const MAP_LONG: ReadonlyArray<readonly [string, number]> = [
  ['MAP_SHARED', MAP_SHARED],
  ['MAP_PRIVATE', MAP_PRIVATE],
  ['MAP_ANONYMOUS', MAP_ANONYMOUS],
  ['MAP_FIXED', MAP_FIXED],
  ['MAP_FIXED_NOREPLACE', MAP_FIXED_NOREPLACE],
  ['MAP_POPULATE', MAP_POPULATE],
  ['MAP_HUGETLB', MAP_HUGETLB],
];
/** Short forms, same order as MAP_LONG; `fixed_noreplace` is ours (the spec lists no short form for it). */
export const MAP_SHORT: ReadonlyArray<readonly [string, number]> = [
  ['shared', MAP_SHARED],
  ['private', MAP_PRIVATE],
  ['anon', MAP_ANONYMOUS],
  ['fixed', MAP_FIXED],
  ['fixed_noreplace', MAP_FIXED_NOREPLACE],
  ['populate', MAP_POPULATE],
  ['hugetlb', MAP_HUGETLB],
];

/** O_RDONLY is 0, so the access mode (the low two bits) is printed by value, not by bit. */
export const O_ACCESS: ReadonlyArray<readonly [string, number]> = [
  ['O_RDONLY', O_RDONLY],
  ['O_WRONLY', O_WRONLY],
  ['O_RDWR', O_RDWR],
];
export const O_OTHER: ReadonlyArray<readonly [string, number]> = [
  ['O_CREAT', O_CREAT],
  ['O_EXCL', O_EXCL],
];

export function formatProt(prot: number): string {
  const short = Object.entries(PROT_SHORT).find(([, v]) => v === prot);
  if (short) return short[0];
  return PROT_LONG.filter(([, v]) => prot & v)
    .map(([k]) => k)
    .join('|');
}

/** Short forms, space-separated, as in `mmap … rw shared anon`. */
export function formatMapFlags(flags: number): string {
  return MAP_SHORT.filter(([, v]) => flags & v)
    .map(([k]) => k)
    .join(' ');
}

/** Kernel names joined with `|`, used inside `flags=` where a space would end the value. */
export function formatMapFlagsLong(flags: number): string {
  return MAP_LONG.filter(([, v]) => flags & v)
    .map(([k]) => k)
    .join('|');
}

/** `O_CREAT|O_EXCL|O_RDWR`, the order of the spec's example; the access mode is always named. */
export function formatOpenFlags(oflags: number): string {
  const names = O_OTHER.filter(([, v]) => oflags & v).map(([k]) => k);
  const acc = oflags & 3;
  names.push(acc === 3 ? 'O_WRONLY|O_RDWR' : O_ACCESS[acc]![0]);
  return names.join('|');
}

/**
 * 100000 → "100,000", whatever the locale: the core's one count formatter (groupDigits), by the name the language's
 * modules use.
 */
export { groupDigits as formatCount } from '../core/events';

/**
 * n bytes (n ≥ 1024) in the largest binary unit that keeps the value at 1 or
 * more (KiB to PiB): the one unit loop behind every size the app and the CLI print.
 */
export function largestBinaryUnit(n: number): { v: number; unit: string } {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return { v, unit: units[u] as string };
}
