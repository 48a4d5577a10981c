/**
 * Highlighting of the scenario language for CodeMirror 6, as a
 * StreamLanguage (the language is one statement per line, so a line-at-a-
 * time tokenizer is exact): comments, strings, directives, operations,
 * task names, numbers with size suffixes, and flag words.
 */
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StringStream } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';

const DIRECTIVES = new Set(['title', 'kernel', 'paging', 'memory', 'note', 'ask']);
const OPS = new Set([
  'spawn',
  'fork',
  'exit',
  'mmap',
  'munmap',
  'mprotect',
  'madvise',
  'read',
  'write',
  'exec',
  'touch',
  'translate',
  'mshare',
  'mshare_unlink',
  'open',
  'close',
  'unlink',
  'ftruncate',
  'ioctl',
  'execve',
]);
const ATOMS = new Set([
  'r',
  'rw',
  'rx',
  'rwx',
  'none',
  'shared',
  'private',
  'anon',
  'fixed',
  'fixed_noreplace',
  'populate',
  'hugetlb',
  'auto',
  'as',
  'mainline',
  'mshare-v1',
  'msharefs',
  'MADV_DONTNEED',
  'MSHAREFS_CREATE_MAPPING',
  'MSHAREFS_UNMAP',
]);

interface State {
  /** Words seen on this line so far. */
  words: number;
  /** The line is `T: …` and the colon has been read. */
  afterColon: boolean;
  /** The operation word of the line has been read. */
  opSeen: boolean;
}

export const ptxStreamParser = {
  name: 'ptx',
  startState: (): State => ({ words: 0, afterColon: false, opSeen: false }),
  token(stream: StringStream, state: State): string | null {
    if (stream.sol()) {
      state.words = 0;
      state.afterColon = false;
      state.opSeen = false;
    }
    if (stream.eatSpace()) return null;
    const ch = stream.peek();
    if (ch === '#') {
      stream.skipToEnd();
      return 'comment';
    }
    if (ch === '"') {
      stream.next();
      let escaped = false;
      let c: string | void;
      while ((c = stream.next()) !== undefined) {
        if (!escaped && c === '"') break;
        escaped = !escaped && c === '\\';
      }
      return 'string';
    }
    if (stream.match(/^0x[0-9a-fA-F_]+[KMGTP]?/) || stream.match(/^[0-9][0-9_]*[KMGTP]?/)) return 'number';
    if (stream.match(/^\/[^\s#"]*/)) return 'string';
    if (ch === ':') {
      stream.next();
      state.afterColon = true;
      return 'punctuation';
    }
    if (ch === '|' || ch === '+' || ch === '=' || ch === '*') {
      stream.next();
      return 'operator';
    }
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_-]*(\[[0-9]+\.\.[0-9]+\])?/);
    if (word) {
      const w = (word as RegExpMatchArray)[0];
      const first = state.words === 0;
      state.words++;
      if (first && DIRECTIVES.has(w)) return 'keyword';
      if (first && w === 'spawn') {
        state.opSeen = true;
        return 'keyword';
      }
      if (first && stream.peek() === ':') return 'variableName';
      if (state.afterColon && !state.opSeen && OPS.has(w)) {
        state.opSeen = true;
        return 'keyword';
      }
      if (/^(PROT|MAP|O)_[A-Z_]+$/.test(w) || ATOMS.has(w)) return 'atom';
      if (/^(region_offset|size|prot|flags|fd|offset)$/.test(w) && stream.peek() === '=') return 'propertyName';
      // Task names after spawn/fork, and fds.
      return 'variableName';
    }
    stream.next();
    return null;
  },
};

export const ptxLanguage = StreamLanguage.define(ptxStreamParser);

/** Colours come from CSS variables, so the light and dark themes both apply. */
export const ptxHighlight = syntaxHighlighting(
  HighlightStyle.define([
    { tag: t.comment, color: 'var(--hl-comment)', fontStyle: 'italic' },
    { tag: t.string, color: 'var(--hl-string)' },
    { tag: t.keyword, color: 'var(--hl-keyword)', fontWeight: '600' },
    { tag: t.number, color: 'var(--hl-number)' },
    { tag: t.atom, color: 'var(--hl-atom)' },
    { tag: t.variableName, color: 'var(--hl-name)' },
    { tag: t.propertyName, color: 'var(--hl-atom)' },
    { tag: [t.punctuation, t.operator], color: 'var(--hl-punct)' },
  ]),
);
