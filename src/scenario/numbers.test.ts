import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  U64_MAX,
  formatAddr,
  formatByte,
  formatCount,
  formatLen,
  formatMapFlags,
  formatMapFlagsLong,
  formatMode,
  formatOpenFlags,
  formatProt,
  parseMode,
  parseNumber,
} from './numbers';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_SHARED, O_CREAT, O_EXCL, O_RDWR, O_WRONLY } from './ast';

const value = (t: string) => {
  const r = parseNumber(t);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};
const error = (t: string) => {
  const r = parseNumber(t);
  if (r.ok) throw new Error(`${t} parsed`);
  return r;
};

describe('parseNumber', () => {
  it('reads decimal and hex, with underscores', () => {
    expect(value('0')).toBe(0n);
    expect(value('4096')).toBe(4096n);
    expect(value('1_000')).toBe(1000n);
    expect(value('0x1000')).toBe(0x1000n);
    expect(value('0x7f00_0000_0000')).toBe(0x7f0000000000n);
    expect(value('0xDEADbeef')).toBe(0xdeadbeefn);
    expect(value('010')).toBe(10n); // not octal
  });
  it('applies binary suffixes K M G T P', () => {
    expect(value('4K')).toBe(4096n);
    expect(value('2M')).toBe(2n * 1024n * 1024n);
    expect(value('1G')).toBe(1n << 30n);
    expect(value('512G')).toBe(0x8000000000n);
    expect(value('1T')).toBe(0x10000000000n);
    expect(value('1P')).toBe(1n << 50n);
    expect(value('0x10K')).toBe(16n * 1024n);
  });
  it('accepts exactly 2^64-1 and refuses more', () => {
    expect(value('0xffff_ffff_ffff_ffff')).toBe(U64_MAX);
    expect(value('18446744073709551615')).toBe(U64_MAX);
    expect(error('18446744073709551616')).toMatchObject({ kind: 'range', message: expect.stringContaining('2^64-1') });
    expect(error('16384P')).toMatchObject({ kind: 'range' });
    expect(error('9'.repeat(5000)).kind).toBe('range');
  });
  it('explains bad numbers', () => {
    expect(error('4k')).toMatchObject({ kind: 'suffix', message: expect.stringContaining('write 4K') });
    expect(error('12Q').kind).toBe('syntax');
    expect(error('0x').kind).toBe('syntax');
    expect(error('0x_').kind).toBe('syntax');
    expect(error('0X10').kind).toBe('syntax');
    expect(error('4KK').kind).toBe('syntax');
  });
});

describe('modes', () => {
  it('reads octal with a leading 0', () => {
    expect(parseMode('0600')).toBe(0o600);
    expect(parseMode('0')).toBe(0);
    expect(parseMode('07777')).toBe(0o7777);
    expect(parseMode('600')).toBeUndefined();
    expect(parseMode('0800')).toBeUndefined();
    expect(parseMode('017777')).toBeUndefined();
  });
  it('prints with a leading 0 and three digits', () => {
    expect(formatMode(0o600)).toBe('0600');
    expect(formatMode(0)).toBe('0000');
    expect(formatMode(0o4755)).toBe('04755');
  });
});

describe('formatAddr and formatLen', () => {
  it('uses size suffixes when exact', () => {
    expect(formatAddr(0x10000000000n)).toBe('1T');
    expect(formatAddr(0x8000000000n)).toBe('512G');
    expect(formatAddr(4096n)).toBe('4K');
    expect(formatAddr(0n)).toBe('0');
    expect(formatLen(6000n * 1024n)).toBe('6000K');
  });
  it('writes an exact part plus a remainder when shorter than hex', () => {
    expect(formatAddr(0x10000001000n)).toBe('1T+0x1000');
    expect(formatAddr((1n << 40n) + (2n << 20n))).toBe('1T+2M');
  });
  it('falls back to plain hex', () => {
    expect(formatAddr(0x7ffffffff000n)).toBe('0x7ffffffff000');
    expect(formatAddr(0x12345n)).toBe('0x12345');
    expect(formatAddr(U64_MAX)).toBe('0xffffffffffffffff');
  });
  it('writes small lengths in decimal', () => {
    expect(formatLen(23n)).toBe('23');
    expect(formatLen(5000n)).toBe('5000');
    expect(formatLen(0n)).toBe('0');
  });
  it('round-trips every 64-bit value through the parser', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), (n) => {
        for (const text of [formatAddr(n), formatLen(n)]) {
          const sum = text.split('+').reduce((acc, part) => acc + value(part), 0n);
          expect(sum).toBe(n);
        }
      }),
    );
  });
});

describe('flag words', () => {
  it('prints prot in short forms where they exist', () => {
    expect([0, 1, 3, 5, 7].map(formatProt)).toEqual(['none', 'r', 'rw', 'rx', 'rwx']);
    expect(formatProt(2)).toBe('PROT_WRITE');
    expect(formatProt(6)).toBe('PROT_WRITE|PROT_EXEC');
  });
  it('prints map flags short (spaced) or long (|-joined)', () => {
    expect(formatMapFlags(MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED)).toBe('shared anon fixed');
    expect(formatMapFlags(MAP_FIXED_NOREPLACE)).toBe('fixed_noreplace');
    expect(formatMapFlagsLong(MAP_SHARED | MAP_ANONYMOUS)).toBe('MAP_SHARED|MAP_ANONYMOUS');
  });
  it('prints open flags with the access mode named', () => {
    expect(formatOpenFlags(O_CREAT | O_EXCL | O_RDWR)).toBe('O_CREAT|O_EXCL|O_RDWR');
    expect(formatOpenFlags(0)).toBe('O_RDONLY');
    expect(formatOpenFlags(O_CREAT)).toBe('O_CREAT|O_RDONLY');
    expect(formatOpenFlags(O_WRONLY | O_RDWR)).toBe('O_WRONLY|O_RDWR');
  });
  it('formats bytes and counts', () => {
    expect(formatByte(0x41)).toBe('0x41');
    expect(formatByte(0)).toBe('0x00');
    expect(formatCount(100000)).toBe('100,000');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
  });
});
