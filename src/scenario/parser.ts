/**
 * Parser of the scenario language (shared/spec/scenario-language.md §1).
 *
 * parseScenario never throws and never half-loads: it returns either the whole
 * Scenario or the errors. Each line is parsed on its own (the language has no
 * multi-line construct), so after a bad line it goes on to report a few more.
 */

import type { Access, Ask, KernelName, Op, ParseResult, Scenario, ScenarioError, Step } from './ast';
import { lexLine, type Token } from './lexer';
import {
  MAP_LONG,
  MAP_SHORT,
  O_ACCESS,
  O_OTHER,
  PROT_LONG,
  PROT_SHORT,
  U64_MAX,
  formatCount,
  parseMode,
  parseNumber,
} from './numbers';

/** The spec's limit on the text: 1 MiB of UTF-8. */
export const MAX_TEXT_BYTES = 1 << 20;
/** The spec's limit on one group `NAME[a..b]`. */
export const MAX_GROUP = 100_000;
/**
 * Ours: all groups of a scenario together may name at most this many tasks
 * (created and acting, counted each time). Without it 1 MiB of
 * `db[1..100000]: read 0` lines would expand to billions of names.
 */
export const MAX_TASK_NAMES = 1_000_000;
const UTF8 = new TextEncoder();

/** Ours: how many errors one parse reports before it stops looking. */
export const MAX_ERRORS = 20;

export const KERNELS: readonly KernelName[] = ['mainline', 'mshare-v1', 'msharefs'];
const DIRECTIVES = ['title', 'kernel', 'paging', 'memory', 'cpus', 'notifier'] as const;
type Directive = (typeof DIRECTIVES)[number];

/** How each statement is written, for messages about missing or extra words. */
const USAGE: Record<Op['op'], string> = {
  spawn: 'spawn T',
  fork: 'T: fork C',
  exit: 'T: exit',
  mmap: 'T: mmap ADDR LEN PROT FLAGS [fd=F] [offset=N]',
  munmap: 'T: munmap ADDR LEN',
  mprotect: 'T: mprotect ADDR LEN PROT',
  madvise: 'T: madvise ADDR LEN MADV_DONTNEED',
  read: 'T: read ADDR [LEN]',
  write: 'T: write ADDR [VALUE]',
  exec: 'T: exec ADDR',
  touch: 'T: touch ADDR LEN [read|write]',
  translate: 'T: translate ADDR',
  run: 'T: run CPU',
  idle: 'idle CPU',
  mshare: 'T: mshare NAME ADDR LEN OFLAGS [MODE]',
  mshare_unlink: 'T: mshare_unlink NAME',
  open: 'T: open PATH OFLAGS [MODE] as F',
  close: 'T: close F',
  unlink: 'T: unlink PATH',
  ftruncate: 'T: ftruncate F LEN',
  ioctl: 'T: ioctl F MSHAREFS_CREATE_MAPPING region_offset=N size=N prot=P flags=M',
  execve: 'T: execve',
};
const DIRECTIVE_USAGE: Record<string, string> = {
  title: 'title "…"',
  kernel: 'kernel mainline|mshare-v1|msharefs',
  paging: 'paging 4|5',
  memory: 'memory SIZE',
  cpus: 'cpus N',
  notifier: 'notifier flush_tlb_all',
  note: 'note "…"',
  ask: 'ask "QUESTION" *"RIGHT" | "OTHER" …',
};
const OPS = Object.keys(USAGE) as Op['op'][];
const KEYWORDS: readonly string[] = [...OPS, ...DIRECTIVES, 'note', 'ask'];
const KEYWORD_SET = new Set(KEYWORDS);
const NOT_BY_TASK = new Set<string>([...DIRECTIVES, 'note', 'ask', 'spawn', 'idle']);
/** Ours: most choices one `ask` may offer (keys 1–9 pick them in Predict mode). */
export const MAX_ASK_CHOICES = 9;
/** Ours: the most CPUs a scenario may declare (each has a TLB panel). */
export const MAX_CPUS = 16;

const EXPECT = {
  address: 'an address such as 1T, 0x7f0000000000 or 1T+0x1000',
  length: 'a length such as 4K, 2M or 0x1000',
  prot: 'a protection such as r, rw, rx, rwx, none or PROT_READ|PROT_WRITE',
  flags: 'map flags such as "shared anon" or MAP_SHARED|MAP_ANONYMOUS',
  oflags: 'open flags such as O_RDWR or O_CREAT|O_EXCL|O_RDWR',
  mode: 'an octal mode such as 0600',
  fd: 'a file name given by "open … as F", such as fd1',
};

/** A problem on the current line; caught per line. */
class Fail {
  constructor(
    readonly col: number,
    readonly message: string,
  ) {}
}

/** Optimal string alignment distance (edit distance with swaps): "mmpa" → "mmap" is 1. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = word.length <= 3 ? 2 : 3;
  for (const c of candidates) {
    const dd = c === word.toLowerCase() ? 0 : distance(word, c);
    if (dd < bestD) {
      best = c;
      bestD = dd;
    }
  }
  return best;
}

const didYouMean = (word: string, candidates: readonly string[]) => {
  const s = suggest(word, candidates);
  return s ? ` — did you mean "${s}"?` : '';
};

/** UTF-8 length of a JS string, counting a lone surrogate as the 3 bytes of U+FFFD. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A cursor over one line's tokens, with the argument readers every statement uses. */
class Line {
  i = 0;
  constructor(
    readonly toks: Token[],
    readonly usage: string,
  ) {}

  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  next(): Token | undefined {
    return this.toks[this.i++];
  }
  /** Where a missing word would go: just after the last token. */
  endCol(): number {
    const last = this.toks[this.toks.length - 1]!;
    return last.col + last.text.length;
  }
  fail(tok: Token | undefined, message: string): never {
    throw new Fail(tok ? tok.col : this.endCol(), message);
  }
  expected(what: string, tok = this.peek()): never {
    this.fail(tok, tok ? `expected ${what}, not "${tok.text}"` : `expected ${what} (${this.usage})`);
  }
  done(): void {
    const t = this.peek();
    if (t) this.fail(t, `unexpected "${t.text}" after the end of the statement (${this.usage})`);
  }
  isWord(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === 'name' && t.text === text;
  }
  isPunct(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }
  /** `key=` ahead? */
  isKey(k = 0): boolean {
    return this.peek(k)?.kind === 'name' && this.isPunct('=', k + 1);
  }

  /** Numbers joined by `+`. `what` is the EXPECT text of the argument. */
  expr(what: string): bigint {
    let sum = this.number(what);
    while (this.isPunct('+')) {
      this.next();
      sum += this.number(what);
      if (sum > U64_MAX) this.fail(this.toks[this.i - 1], 'the sum is larger than 2^64-1, the largest 64-bit value');
    }
    return sum;
  }
  number(what: string): bigint {
    const t = this.peek();
    if (!t || t.kind !== 'number') this.expected(what);
    const r = parseNumber(t.text);
    if (!r.ok) this.fail(t, r.kind === 'syntax' ? `expected ${what}, not "${t.text}"` : r.message);
    this.next();
    return r.value;
  }
  addr(): bigint {
    return this.expr(EXPECT.address);
  }
  len(): bigint {
    return this.expr(EXPECT.length);
  }
  name(what: string): string {
    const t = this.peek();
    if (!t || t.kind !== 'name') this.expected(what);
    this.next();
    return t.text;
  }
  string(what: string): string {
    const t = this.peek();
    if (!t || t.kind !== 'string') this.expected(what);
    this.next();
    return t.value!;
  }
  /** A path: a string, or bare when it has no space (`/sys/fs/mshare/a`). */
  path(): string {
    const t = this.peek();
    if (t && t.kind === 'path') {
      this.next();
      return t.text;
    }
    return this.string('a path such as "/sys/fs/mshare/region" or /tmp/f');
  }
  /** An mshare region name: a string (as in the spec) or a bare name. */
  regionName(): string {
    const t = this.peek();
    if (t && t.kind === 'name') {
      this.next();
      return t.text;
    }
    return this.string('an mshare name such as "sga"');
  }
  /** Names from `table` joined by `|`; with `spaced`, also separated by spaces (map flags). */
  private words(
    table: ReadonlyArray<readonly [string, number]>,
    what: string,
    unknown: (word: string) => string,
    spaced = false,
  ): number {
    let value = 0;
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'name') this.expected(what);
      const hit = table.find(([k]) => k === t.text);
      if (!hit) this.fail(t, unknown(t.text));
      value |= hit[1];
      this.next();
      if (this.isPunct('|')) {
        this.next();
        continue;
      }
      const u = this.peek();
      if (spaced && u?.kind === 'name' && !this.isKey() && table.some(([k]) => k === u.text)) continue;
      return value;
    }
  }
  prot(): number {
    const t = this.peek();
    if (t?.kind === 'name' && t.text in PROT_SHORT && !this.isPunct('|', 1)) {
      this.next();
      return PROT_SHORT[t.text]!;
    }
    const table = [...PROT_LONG, ['PROT_NONE', 0] as const];
    return this.words(table, EXPECT.prot, (w) => {
      if (/^[rwx]+$/.test(w))
        return `"${w}" has no short form: the short forms are r, rw, rx, rwx and none; otherwise write PROT_READ|PROT_WRITE|PROT_EXEC`;
      return (
        `unknown protection "${w}": expected ${EXPECT.prot}` +
        didYouMean(w, [...table.map(([k]) => k), ...Object.keys(PROT_SHORT)])
      );
    });
  }
  mapFlags(): number {
    const table = [...MAP_LONG, ...MAP_SHORT];
    return this.words(
      table,
      EXPECT.flags,
      (w) =>
        w.startsWith('MAP_')
          ? `${w} is not one of the simulated map flags (${MAP_LONG.map(([k]) => k).join(' ')})` +
            didYouMean(
              w,
              MAP_LONG.map(([k]) => k),
            )
          : `unknown map flag "${w}": expected ${EXPECT.flags}` +
            didYouMean(
              w,
              table.map(([k]) => k),
            ),
      true,
    );
  }
  oflags(): number {
    const table = [...O_ACCESS, ...O_OTHER];
    return this.words(
      table,
      EXPECT.oflags,
      (w) =>
        `unknown open flag "${w}": expected O_RDONLY, O_WRONLY, O_RDWR, O_CREAT or O_EXCL` +
        didYouMean(
          w,
          table.map(([k]) => k),
        ),
    );
  }
  /** An optional octal mode: present when the next token is a number. */
  mode(): number | undefined {
    const t = this.peek();
    if (!t || t.kind !== 'number') return undefined;
    const m = parseMode(t.text);
    if (m === undefined) this.fail(t, `expected ${EXPECT.mode} (octal, with a leading 0), not "${t.text}"`);
    this.next();
    return m;
  }
  /** `key=` has been seen: consume both tokens. */
  key(): Token {
    const k = this.next()!;
    this.next();
    return k;
  }
}

interface Target {
  text: string;
  names: string[];
  tok: Token;
}

/** State across lines: the scenario so far and what the text has created. */
class ScenarioParser {
  readonly errors: ScenarioError[] = [];
  readonly steps: Step[] = [];
  readonly scenario: Scenario = { kernel: 'mainline', paging: 4, steps: this.steps };
  private readonly directiveLine = new Map<Directive, number>();
  private notes: string[] = [];
  /** `ask` lines waiting for the step they are asked before. */
  private asks: Ask[] = [];
  /** Task name → line of the spawn or fork that created it. */
  private readonly tasks = new Map<string, number>();
  private namesLeft = MAX_TASK_NAMES;
  private lineNo = 0;

  parse(text: string): void {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM is not part of line 1
    const re = /\r\n|\n|\r/g;
    let start = 0;
    for (;;) {
      const m = re.exec(text);
      const end = m ? m.index : text.length;
      this.lineNo++;
      this.line(text.slice(start, end));
      if (!m || this.errors.length >= MAX_ERRORS) break;
      start = re.lastIndex;
    }
    if (this.notes.length) this.scenario.trailingNote = this.notes.join('\n');
    // An ask is asked before a step: after the last one there is no step to ask it before.
    const lone = this.asks[0];
    if (lone && this.errors.length < MAX_ERRORS) {
      this.errors.push({
        ...lone.pos,
        message: 'this ask has no statement after it: an ask is asked before the step written below it',
      });
    }
    const nl = this.directiveLine.get('notifier');
    if (nl !== undefined && this.scenario.kernel !== 'msharefs') {
      this.errors.push({
        line: nl,
        col: 1,
        message: `"notifier" needs kernel msharefs: only its 2025 version has the mmu notifier that runs flush_tlb_all()`,
      });
    }
  }

  /** A CPU number, valid for the `cpus` declared. */
  private cpu(line: Line): number {
    const t = line.peek();
    const n = line.number('a CPU number such as 0 or 1');
    const cpus = this.scenario.cpus;
    if (cpus === undefined)
      line.fail(t, 'there are no CPUs to run on: declare them first with "cpus N" (before the first step)');
    if (n >= BigInt(cpus)) line.fail(t, `there is no CPU ${n}: "cpus ${cpus}" gives CPUs 0 to ${cpus - 1}`);
    return Number(n);
  }

  private line(src: string): void {
    const lexed = lexLine(src);
    if (!lexed.ok) {
      this.errors.push({ line: this.lineNo, col: lexed.col, message: lexed.message });
      return;
    }
    if (lexed.tokens.length === 0) return;
    try {
      this.statement(lexed.tokens);
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      this.errors.push({ line: this.lineNo, col: e.col, message: e.message });
    }
  }

  private statement(toks: Token[]): void {
    const first = toks[0]!;
    const hasTask =
      (first.kind === 'name' || first.kind === 'group') && toks[1]?.kind === 'punct' && toks[1].text === ':';
    const kwTok = hasTask ? toks[2] : first;
    if (!kwTok)
      throw new Fail(toks[1]!.col + 1, `expected a statement after "${first.text}:", such as mmap, read or exit`);
    // `A mmap …`: a task and a statement, the colon forgotten.
    const second = toks[1];
    if (
      !hasTask &&
      (first.kind === 'group' || !KEYWORD_SET.has(first.text)) &&
      second?.kind === 'name' &&
      second.text !== 'spawn' &&
      OPS.includes(second.text as Op['op'])
    ) {
      throw new Fail(
        first.col + first.text.length,
        `missing ":" after the task name: write ${first.text}: ${second.text} …`,
      );
    }
    if (kwTok.kind !== 'name')
      throw new Fail(kwTok.col, `expected a statement such as spawn, mmap or read, not "${kwTok.text}"`);
    const kw = kwTok.text;
    if (!KEYWORD_SET.has(kw)) throw new Fail(kwTok.col, `unknown statement "${kw}"` + didYouMean(kw, KEYWORDS));
    const line = new Line(toks, USAGE[kw as Op['op']] ?? DIRECTIVE_USAGE[kw]!);
    line.i = hasTask ? 3 : 1;
    if (NOT_BY_TASK.has(kw)) {
      if (hasTask)
        throw new Fail(first.col, `"${kw}" is not done by a task: write it on its own line without "${first.text}:"`);
      if (kw === 'note') {
        this.notes.push(line.string('the caption in double quotes, e.g. note "A writes"'));
        line.done();
      } else if (kw === 'ask') {
        this.asks.push(this.ask(kwTok, line));
      } else if (kw === 'spawn') {
        const t = this.target(line, 'the name of the new task, e.g. spawn A');
        this.create(t); // before done(): trailing junk must not also make every later use an error
        line.done();
        this.push(first, null, [], { op: 'spawn', names: t.names });
      } else if (kw === 'idle') {
        const cpu = this.cpu(line);
        line.done();
        this.push(first, null, [], { op: 'idle', cpu });
      } else this.directive(kw as Directive, kwTok, line);
      return;
    }
    if (!hasTask)
      throw new Fail(first.col, `"${kw}" needs the task that does it: write it as ${USAGE[kw as Op['op']]}`);
    const actor = this.target(new Line(toks, USAGE[kw as Op['op']]), 'a task name');
    this.mustExist(actor);
    const op = this.op(kw as Op['op'], line, actor);
    line.done();
    this.push(first, actor.text, actor.names, op);
  }

  private push(first: Token, taskText: string | null, tasks: string[], op: Op): void {
    const step: Step = { pos: { line: this.lineNo, col: first.col }, taskText, tasks, op };
    if (this.notes.length) {
      step.note = this.notes.join('\n');
      this.notes = [];
    }
    if (this.asks.length) {
      step.asks = this.asks;
      this.asks = [];
    }
    this.steps.push(step);
  }

  private directive(kw: Directive, tok: Token, line: Line): void {
    if (this.steps.length > 0) {
      throw new Fail(tok.col, `"${kw}" must come before the first step (line ${this.steps[0]!.pos.line})`);
    }
    const seen = this.directiveLine.get(kw);
    if (seen !== undefined) throw new Fail(tok.col, `"${kw}" is given twice: it was already set on line ${seen}`);
    const s = this.scenario;
    if (kw === 'title') s.title = line.string('the title in double quotes, e.g. title "fork and COW"');
    else if (kw === 'kernel') {
      const t = line.peek();
      const valid = 'expected mainline, mshare-v1 or msharefs';
      if (!t || t.kind !== 'name') line.expected(`a kernel: ${KERNELS.join(', ')}`);
      if (!KERNELS.includes(t.text as KernelName))
        line.fail(t, `unknown kernel "${t.text}": ${valid}` + didYouMean(t.text, KERNELS));
      line.next();
      s.kernel = t.text as KernelName;
    } else if (kw === 'paging') {
      const t = line.peek();
      if (!t || (t.text !== '4' && t.text !== '5')) line.expected('4 or 5 (levels of page tables)', t);
      line.next();
      s.paging = t.text === '4' ? 4 : 5;
    } else if (kw === 'cpus') {
      const t = line.peek();
      const n = line.number(`a number of CPUs from 1 to ${MAX_CPUS}`);
      if (n < 1n || n > BigInt(MAX_CPUS)) line.fail(t, `cpus must be from 1 to ${MAX_CPUS}`);
      s.cpus = Number(n);
    } else if (kw === 'notifier') {
      const t = line.peek();
      if (!t || t.text !== 'flush_tlb_all') line.expected('flush_tlb_all (the mmu notifier of msharefs, 2025)', t);
      line.next();
      s.notifier = 'flush_tlb_all';
    } else {
      const t = line.peek();
      const mem = line.expr('a memory size such as 512M or 16G');
      // Ours: whole 4 KiB pages, at most 4 PiB (52-bit physical addresses).
      if (mem < 4096n || mem % 4096n !== 0n || mem > 1n << 52n) {
        line.fail(t, 'memory must be a whole number of 4K pages, from 4K up to 4P');
      }
      s.memory = mem;
    }
    line.done();
    this.directiveLine.set(kw, this.lineNo);
  }

  /** `ask "Q" *"right" | "other" …`: exactly one choice marked `*`, at least two, none twice. */
  private ask(kwTok: Token, line: Line): Ask {
    const prompt = line.string('the question in double quotes, e.g. ask "Why does B pay nothing?" *"…" | "…"');
    if (prompt.trim() === '') line.fail(line.toks[line.i - 1], 'the question is empty');
    const choices: string[] = [];
    let answer = -1;
    for (;;) {
      const star = line.isPunct('*') ? line.next()! : undefined;
      const t = line.peek();
      if (!t || t.kind !== 'string') {
        line.expected(
          choices.length === 0
            ? 'the choices in double quotes, the right one marked with *: *"right" | "other"'
            : 'a choice in double quotes after "|"',
        );
      }
      line.next();
      if (t.value!.trim() === '') line.fail(t, 'a choice is empty');
      if (choices.includes(t.value!)) line.fail(t, `the choice "${t.value}" is given twice`);
      if (star) {
        if (answer >= 0)
          line.fail(star, `only one choice can be marked * as the right one (choice ${answer + 1} already is)`);
        answer = choices.length;
      }
      choices.push(t.value!);
      if (choices.length > MAX_ASK_CHOICES) line.fail(t, `an ask offers at most ${MAX_ASK_CHOICES} choices`);
      if (!line.isPunct('|')) break;
      line.next();
    }
    line.done();
    if (choices.length < 2) line.fail(undefined, 'an ask needs at least two choices, separated by |');
    if (answer < 0)
      throw new Fail(
        kwTok.col,
        'mark the right choice with a * just before it, e.g. *"its PGD entry points at the host\'s PUD page"',
      );
    return { pos: { line: this.lineNo, col: kwTok.col }, prompt, choices, answer };
  }

  /** A task name or group at the cursor, expanded. */
  private target(line: Line, what: string): Target {
    const t = line.peek();
    if (!t || (t.kind !== 'name' && t.kind !== 'group')) line.expected(what);
    line.next();
    if (t.kind === 'name') return { text: t.text, names: [t.text], tok: t };
    const { prefix, from, to } = t as Required<Token>;
    if (from > to)
      throw new Fail(t.col, `group ${t.text} is empty: the first number must not be larger than the second`);
    const count = Number(to - from + 1n);
    if (count > MAX_GROUP)
      throw new Fail(
        t.col,
        `group ${t.text} has ${formatCount(count)} tasks; a group may have at most ${formatCount(MAX_GROUP)}`,
      );
    if (count > this.namesLeft) {
      throw new Fail(
        t.col,
        `too many tasks: the groups of this scenario name more than ${formatCount(MAX_TASK_NAMES)} tasks in all`,
      );
    }
    this.namesLeft -= count;
    const names = new Array<string>(count);
    if (to <= BigInt(Number.MAX_SAFE_INTEGER)) {
      const a = Number(from);
      for (let k = 0; k < count; k++) names[k] = prefix + (a + k);
    } else for (let k = 0; k < count; k++) names[k] = prefix + (from + BigInt(k));
    return { text: t.text, names, tok: t };
  }

  private mustExist(t: Target): void {
    let i = 0;
    while (i < t.names.length && this.tasks.has(t.names[i]!)) i++;
    if (i === t.names.length) return;
    const missing = t.names.slice(i).filter((n) => !this.tasks.has(n));
    // Register them so one forgotten spawn gives one error, not one per line.
    for (const n of missing) this.tasks.set(n, this.lineNo);
    const which = t.names.length > 1 ? `task "${missing[0]}" of ${t.text}` : `task "${missing[0]}"`;
    throw new Fail(t.tok.col, `${which} is used before it is created by spawn or fork`);
  }

  private create(t: Target): void {
    const dup = t.names.find((n) => this.tasks.has(n));
    for (const n of t.names) if (!this.tasks.has(n)) this.tasks.set(n, this.lineNo);
    if (dup !== undefined) {
      throw new Fail(
        t.tok.col,
        `task "${dup}" already exists (created on line ${this.tasks.get(dup)}); each task name can be created only once`,
      );
    }
  }

  private op(op: Op['op'], l: Line, actor: Target): Op {
    switch (op) {
      case 'spawn':
        throw new Fail(1, 'unreachable');
      case 'fork': {
        if (actor.names.length > 1) {
          throw new Fail(
            actor.tok.col,
            `${actor.text} cannot fork: every task of a group would create children of the same names; fork from one task, e.g. ${actor.names[0]}: fork C`,
          );
        }
        const child = this.target(l, 'the name of the child, e.g. A: fork B');
        this.create(child);
        return { op, children: child.names };
      }
      case 'run':
        return { op, cpu: this.cpu(l) };
      case 'idle':
        throw new Fail(1, 'unreachable');
      case 'exit':
        return { op };
      case 'execve':
        return { op };
      case 'mmap': {
        const t = l.peek();
        let addr: bigint | 'auto';
        if (t?.kind === 'name' && t.text === 'auto') {
          l.next();
          addr = 'auto';
        } else addr = l.expr(`${EXPECT.address}, or auto`);
        const res: Op = { op, addr, len: l.len(), prot: l.prot(), flags: l.mapFlags() };
        const seen = new Set<string>();
        while (l.peek()) {
          if (!l.isKey())
            l.fail(l.peek(), `unexpected "${l.peek()!.text}": after the flags come only fd=F and offset=N`);
          const k = l.key();
          if (seen.has(k.text)) l.fail(k, `${k.text}= is given twice`);
          seen.add(k.text);
          if (k.text === 'fd') res.fd = l.name(EXPECT.fd);
          else if (k.text === 'offset') res.offset = l.len();
          else l.fail(k, `unknown argument "${k.text}=": mmap takes fd=F and offset=N`);
        }
        return res;
      }
      case 'munmap':
        return { op, addr: l.addr(), len: l.len() };
      case 'mprotect':
        return { op, addr: l.addr(), len: l.len(), prot: l.prot() };
      case 'madvise': {
        const res = { op, addr: l.addr(), len: l.len() };
        const t = l.peek();
        if (!t || t.text !== 'MADV_DONTNEED') {
          l.expected('MADV_DONTNEED (the only advice simulated)');
        }
        l.next();
        return { ...res, advice: 'MADV_DONTNEED' };
      }
      case 'read': {
        const addr = l.addr();
        return l.peek() ? { op, addr, len: l.len() } : { op, addr };
      }
      case 'write': {
        const addr = l.addr();
        const t = l.peek();
        if (!t) return { op, addr };
        if (t.kind === 'string') {
          l.next();
          return { op, addr, value: UTF8.encode(t.value!), valueText: t.value! };
        }
        if (t.kind !== 'number') l.expected('a value: a string in double quotes or a byte 0..255');
        const b = l.number('a byte 0..255');
        if (b > 255n)
          l.fail(t, `a byte value is 0..255 (0xff); ${t.text} is too large — write a string to store several bytes`);
        return { op, addr, value: new Uint8Array([Number(b)]) };
      }
      case 'exec':
      case 'translate':
        return { op, addr: l.addr() };
      case 'touch': {
        const addr = l.addr();
        const len = l.len();
        const t = l.peek();
        if (!t) return { op, addr, len, access: 'read' }; // ours: a touch reads unless told
        if (t.text !== 'read' && t.text !== 'write') l.expected('read or write', t);
        l.next();
        return { op, addr, len, access: t.text as Access };
      }
      case 'mshare': {
        const name = l.regionName();
        const res: Op = { op, name, addr: l.addr(), len: l.len(), oflags: l.oflags() };
        const mode = l.mode();
        return mode === undefined ? res : { ...res, mode };
      }
      case 'mshare_unlink':
        return { op, name: l.regionName() };
      case 'open': {
        const path = l.path();
        const oflags = l.oflags();
        const mode = l.mode();
        if (!l.isWord('as')) l.expected('"as F" to name the file descriptor, e.g. as fd1');
        l.next();
        const as = l.name(EXPECT.fd);
        return mode === undefined ? { op, path, oflags, as } : { op, path, oflags, mode, as };
      }
      case 'close':
        return { op, fd: l.name(EXPECT.fd) };
      case 'unlink':
        return { op, path: l.path() };
      case 'ftruncate':
        return { op, fd: l.name(EXPECT.fd), len: l.len() };
      case 'ioctl':
        return this.ioctl(l);
    }
  }

  private ioctl(l: Line): Op {
    const fd = l.name(EXPECT.fd);
    const reqTok = l.peek();
    const requests = ['MSHAREFS_CREATE_MAPPING', 'MSHAREFS_UNMAP'] as const;
    if (!reqTok || !requests.includes(reqTok.text as (typeof requests)[number])) {
      l.expected('MSHAREFS_CREATE_MAPPING or MSHAREFS_UNMAP');
    }
    l.next();
    const request = reqTok.text as (typeof requests)[number];
    const create = request === 'MSHAREFS_CREATE_MAPPING';
    const keys = create ? ['region_offset', 'size', 'prot', 'flags'] : ['region_offset', 'size'];
    const got: Record<string, bigint | number> = {};
    while (l.peek()) {
      if (!l.isKey())
        l.fail(l.peek(), `unexpected "${l.peek()!.text}": ${request} takes ${keys.map((k) => k + '=').join(' ')}`);
      const k = l.key();
      if (!keys.includes(k.text))
        l.fail(k, `unknown argument "${k.text}=": ${request} takes ${keys.map((x) => x + '=').join(' ')}`);
      if (k.text in got) l.fail(k, `${k.text}= is given twice`);
      got[k.text] = k.text === 'prot' ? l.prot() : k.text === 'flags' ? l.mapFlags() : l.len();
    }
    const missing = keys.filter((k) => !(k in got));
    if (missing.length) l.fail(undefined, `${request} needs ${missing.map((k) => k + '=').join(' ')}`);
    const base = {
      op: 'ioctl' as const,
      fd,
      request,
      regionOffset: got.region_offset as bigint,
      size: got.size as bigint,
    };
    return create ? { ...base, prot: got.prot as number, flags: got.flags as number } : base;
  }
}

/** Parses a whole scenario. Never throws; see the module comment. */
export function parseScenario(text: string): ParseResult {
  try {
    if (typeof text !== 'string')
      return { ok: false, errors: [{ line: 1, col: 1, message: 'the scenario is not text' }] };
    if (text.length > MAX_TEXT_BYTES || utf8Length(text) > MAX_TEXT_BYTES) {
      return {
        ok: false,
        errors: [
          {
            line: 1,
            col: 1,
            message: `the scenario is larger than 1 MiB (${utf8Length(text)} bytes); the limit is ${MAX_TEXT_BYTES} bytes`,
          },
        ],
      };
    }
    const p = new ScenarioParser();
    p.parse(text);
    if (p.errors.length) return { ok: false, errors: p.errors };
    return { ok: true, scenario: p.scenario };
  } catch (e) {
    // A bug of ours must still not take the caller down.
    return { ok: false, errors: [{ line: 1, col: 1, message: `internal error of the parser: ${String(e)}` }] };
  }
}

/** `LINE:COL: message`, the form the spec and the command line use. */
export function formatError(e: ScenarioError): string {
  return `${e.line}:${e.col}: ${e.message}`;
}
