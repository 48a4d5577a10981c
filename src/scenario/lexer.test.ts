import { describe, expect, it } from 'vitest';
import { lexLine, splitLines, type Token } from './lexer';

const toks = (line: string): Token[] => {
  const r = lexLine(line);
  if (!r.ok) throw new Error(`${r.col}: ${r.message}`);
  return r.tokens;
};
const kinds = (line: string) => toks(line).map((t) => `${t.kind}:${t.text}`);
const fail = (line: string) => {
  const r = lexLine(line);
  if (r.ok) throw new Error('lexed');
  return r;
};

describe('lexLine', () => {
  it('splits a step into names, punctuation and numbers, with 1-based columns', () => {
    const t = toks('A: mmap 1T+0x1000 4K rw');
    expect(t.map((x) => [x.kind, x.text, x.col])).toEqual([
      ['name', 'A', 1],
      ['punct', ':', 2],
      ['name', 'mmap', 4],
      ['number', '1T', 9],
      ['punct', '+', 11],
      ['number', '0x1000', 12],
      ['number', '4K', 19],
      ['name', 'rw', 22],
    ]);
  });
  it('drops comments outside strings, but keeps # inside them', () => {
    expect(kinds('spawn A # the first task')).toEqual(['name:spawn', 'name:A']);
    expect(kinds('# only a comment')).toEqual([]);
    expect(toks('title "a # b" # c')[1]!.value).toBe('a # b');
  });
  it('reads names with - and _ (kernel names, flags)', () => {
    expect(kinds('kernel mshare-v1')).toEqual(['name:kernel', 'name:mshare-v1']);
    expect(kinds('O_CREAT|O_EXCL')).toEqual(['name:O_CREAT', 'punct:|', 'name:O_EXCL']);
    expect(kinds('_x-1 y_2')).toEqual(['name:_x-1', 'name:y_2']);
  });
  it('reads strings with \\" and \\\\ escapes', () => {
    const [s] = toks('"say \\"hi\\" \\\\ ok"');
    expect(s).toMatchObject({ kind: 'string', value: 'say "hi" \\ ok', col: 1 });
    expect(toks('""')[0]!.value).toBe('');
  });
  it('rejects other escapes and unterminated strings with the right column', () => {
    expect(fail('title "abc')).toMatchObject({ col: 7, message: expect.stringContaining('unterminated string') });
    expect(fail('title "a\\nb"')).toMatchObject({ col: 9, message: expect.stringContaining('unknown escape \\n') });
    expect(fail('note "x\\')).toMatchObject({ col: 8, message: expect.stringContaining('end of the line') });
  });
  it('reads groups NAME[a..b] as one token', () => {
    const [g] = toks('db[1..1500]:');
    expect(g).toMatchObject({ kind: 'group', text: 'db[1..1500]', prefix: 'db', from: 1n, to: 1500n, col: 1 });
    expect(kinds('db1: fork worker[1..8]')).toEqual(['name:db1', 'punct::', 'name:fork', 'group:worker[1..8]']);
  });
  it('rejects malformed groups', () => {
    expect(fail('spawn db[1-5]')).toMatchObject({ col: 7, message: expect.stringContaining('NAME[a..b]') });
    expect(fail('spawn db[a..b]').message).toContain('db[1..8]');
    expect(fail('spawn db[1..]').col).toBe(7);
  });
  it('takes a number with its letters, so bad suffixes are one token', () => {
    expect(kinds('4k 12Q 0x7f_00')).toEqual(['number:4k', 'number:12Q', 'number:0x7f_00']);
  });
  it('reads bare paths up to a space or comment', () => {
    expect(kinds('open /sys/fs/mshare/a O_RDWR#c')).toEqual(['name:open', 'path:/sys/fs/mshare/a', 'name:O_RDWR']);
  });
  it('reads key=value', () => {
    expect(kinds('fd=f offset=4K')).toEqual(['name:fd', 'punct:=', 'name:f', 'name:offset', 'punct:=', 'number:4K']);
  });
  it('names unexpected characters, with hints', () => {
    expect(fail('A: read 1T-4K')).toMatchObject({ col: 11, message: expect.stringContaining('only + joins') });
    expect(fail("title 'x'")).toMatchObject({ col: 7, message: expect.stringContaining('double quotes') });
    expect(fail('a, b').message).toContain('not commas');
    expect(fail('\u0000').message).toBe('unexpected character U+0000');
    expect(fail('  €').message).toContain('"€" (U+20AC)');
    expect(fail('😀').message).toContain('U+1F600');
    expect(fail('\ud800x').message).toContain('U+D800');
  });
  it('refuses control characters and bidi controls inside strings, at their column (issue 13)', () => {
    // A title that would set a terminal's window title and clear its screen under `ptx run`.
    expect(fail('title "\x1b]0;pwned\x07\x1b[2J"')).toEqual({
      ok: false,
      col: 8,
      message:
        'U+001B is a control character, not allowed in a string: it could change how the text or a terminal shows it',
    });
    expect(fail('note "ok \x07"').col).toBe(10);
    expect(fail('note "\x7f"').message).toMatch(/^U\+007F is a control/);
    expect(fail('note "a\u009bb"')).toMatchObject({ col: 8, message: expect.stringMatching(/^U\+009B is a control/) });
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      const r = fail(`title "abc${String.fromCharCode(cp)}"`);
      expect(r.col).toBe(11);
      expect(r.message).toBe(
        `U+${cp.toString(16).toUpperCase()} is a bidirectional-text control, not allowed in a string: it could change how the text or a terminal shows it`,
      );
      // The message never carries the character itself.
      expect(r.message).not.toContain(String.fromCharCode(cp));
    }
    // Outside strings they were already unexpected characters; named by code only.
    expect(fail('spawn \u202eA').message).toBe('unexpected character U+202E');
    // Tab, and characters near the refused ranges, stay allowed.
    for (const ok of ['"a\tb"', '"\u00a0é"', '"\u2029\u2065\u206a"', '"€ 😀 עברית"'])
      expect(lexLine(`title ${ok}`).ok, ok).toBe(true);
  });
  it('treats tabs as spaces', () => {
    expect(kinds('\tspawn\tA')).toEqual(['name:spawn', 'name:A']);
  });
});

describe('splitLines', () => {
  it('splits at \\n, \\r\\n and a lone \\r', () => {
    expect(splitLines('a\nb\r\nc\rd')).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('the * of an ask', () => {
  it('is a punctuation token of its own, also glued to the string it marks', () => {
    expect(kinds('ask "q" *"a" | "b"')).toEqual([
      'name:ask',
      'string:"q"',
      'punct:*',
      'string:"a"',
      'punct:|',
      'string:"b"',
    ]);
    expect(toks('ask "q" * "a"').map((t) => t.col)).toEqual([1, 5, 9, 11]);
    // Inside a string it is a character like any other.
    expect(toks('note "a * b"')[1]!.value).toBe('a * b');
  });
});
