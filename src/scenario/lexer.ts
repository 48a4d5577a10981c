/**
 * Lexer of the scenario language. The language is line-based (one statement
 * per line, no construct spans lines), so the lexer works one line at a time:
 * that keeps error columns exact and lets the parser go on after a bad line.
 */

export type TokenKind = 'name' | 'group' | 'number' | 'string' | 'path' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The token exactly as written (for a string: with its quotes). */
  text: string;
  /** 1-based column of the first character (UTF-16 code units, as editors count). */
  col: number;
  /** string: the content with escapes resolved. */
  value?: string;
  /** group `NAME[a..b]`: the parts. */
  prefix?: string;
  from?: bigint;
  to?: bigint;
}

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; col: number; message: string };

/** Lines as the language sees them: split at \n, \r\n or a lone \r (as CodeMirror does). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isNameChar = (c: number) => isNameStart(c) || isDigit(c) || c === 45;
const isSpace = (c: number) => c === 32 || c === 9;
/** A bare path (`/sys/fs/mshare/a`) runs to the next space or comment. */
const isPathChar = (c: number) => c > 32 && c !== 35 && c !== 34 && c !== 127;

const HINTS: Record<string, string> = {
  "'": 'strings are written in double quotes: "like this"',
  ',': 'arguments are separated by spaces, not commas',
  '-': 'only + joins numbers in an address, e.g. 1T+0x1000',
  '[': 'a group is written right after a name: db[1..8]',
};

/**
 * Characters refused inside a string: C0 controls but tab, DEL, C1 controls
 * (an ESC or U+009B starts a terminal escape sequence, ECMA-48 §5.3-5.4:
 * a title could clear the screen or set the window title of whoever runs
 * `ptx run`), and the bidi embeddings, overrides and isolates of UAX #9
 * (U+202A–U+202E, U+2066–U+2069), which make a line read differently from
 * what it is ("Trojan Source", CVE-2021-42574).
 */
function isRefusedInString(c: number): boolean {
  return (c < 32 && c !== 9) || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const code = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  // Controls and lone surrogates by code only: shown, they would act or be invisible.
  const bare =
    cp < 32 ||
    (cp >= 0x7f && cp < 0xa0) ||
    (cp >= 0xd800 && cp < 0xe000) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069);
  return bare ? code : `"${ch}" (${code})`;
}

export function lexLine(line: string): LexResult {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 35 /* # */) break;
    const start = i;
    const col = i + 1;
    if (isNameStart(c)) {
      while (i < n && isNameChar(line.charCodeAt(i))) i++;
      const name = line.slice(start, i);
      if (line.charCodeAt(i) !== 91 /* [ */) {
        tokens.push({ kind: 'name', text: name, col });
        continue;
      }
      const g = /^\[([0-9]+)\.\.([0-9]+)\]/.exec(line.slice(i, i + 64));
      if (!g)
        return {
          ok: false,
          col,
          message: `a group is written NAME[a..b] with two decimal numbers, e.g. ${name}[1..8]`,
        };
      i += g[0].length;
      if (g[1]!.length > 20 || g[2]!.length > 20)
        return { ok: false, col, message: `the numbers of group ${line.slice(start, i)} are too large` };
      tokens.push({
        kind: 'group',
        text: line.slice(start, i),
        col,
        prefix: name,
        from: BigInt(g[1]!),
        to: BigInt(g[2]!),
      });
      continue;
    }
    if (isDigit(c)) {
      // Take letters too, so `4k` or `12Q` is one bad number rather than a number and a name.
      while (i < n && isNameChar(line.charCodeAt(i)) && line.charCodeAt(i) !== 45) i++;
      tokens.push({ kind: 'number', text: line.slice(start, i), col });
      continue;
    }
    if (c === 34 /* " */) {
      let value = '';
      let from = ++i;
      for (;;) {
        if (i >= n) return { ok: false, col, message: 'unterminated string: it needs a closing " on the same line' };
        const d = line.charCodeAt(i);
        if (d === 34) break;
        if (isRefusedInString(d)) {
          const what = d >= 0x202a ? 'a bidirectional-text control' : 'a control character';
          return {
            ok: false,
            col: i + 1,
            message: `${describeChar(line[i]!)} is ${what}, not allowed in a string: it could change how the text or a terminal shows it`,
          };
        }
        if (d === 92 /* \ */) {
          const e = line[i + 1];
          if (e !== '"' && e !== '\\') {
            const shown = e === undefined ? '\\ at the end of the line' : `\\${e}`;
            return {
              ok: false,
              col: i + 1,
              message: `unknown escape ${shown}: inside a string only \\" and \\\\ are escapes`,
            };
          }
          value += line.slice(from, i) + e;
          i += 2;
          from = i;
          continue;
        }
        i++;
      }
      value += line.slice(from, i);
      i++;
      tokens.push({ kind: 'string', text: line.slice(start, i), col, value });
      continue;
    }
    if (c === 47 /* / */) {
      while (i < n && isPathChar(line.charCodeAt(i))) i++;
      tokens.push({ kind: 'path', text: line.slice(start, i), col });
      continue;
    }
    // `*` marks the right answer of an `ask` (docs/scenario-language.md "Questions").
    if (c === 58 || c === 43 || c === 124 || c === 61 || c === 42 /* : + | = * */) {
      tokens.push({ kind: 'punct', text: line[i]!, col });
      i++;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    const hint = HINTS[ch];
    return { ok: false, col, message: `unexpected character ${describeChar(ch)}` + (hint ? `: ${hint}` : '') };
  }
  return { ok: true, tokens };
}
