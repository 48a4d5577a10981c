/**
 * Printer: the canonical text of a Scenario, such that parseScenario gives
 * the same Scenario back (positions aside). It expects an AST the parser could
 * have produced (names that are names, flags built from the known words, no
 * line break in a title, path or value); for anything else the text it prints
 * is refused by the parser rather than silently changed.
 */

import type { Ask, Op, Scenario, Step } from './ast';
import {
  formatAddr,
  formatByte,
  formatLen,
  formatMapFlags,
  formatMapFlagsLong,
  formatMode,
  formatOpenFlags,
  formatProt,
} from './numbers';

/** A string literal: only `"` and `\` need escaping in the language. */
export function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

/** A path as the lexer reads it bare (`/sys/fs/mshare/a`), else quoted. */
function printPath(p: string): string {
  return /^\/[\x21-\x7e]*$/.test(p) && !/["#]/.test(p) ? p : quote(p);
}

const GROUP = /^([A-Za-z_][A-Za-z0-9_-]*)\[([0-9]+)\.\.([0-9]+)\]$/;

function expands(prefix: string, from: bigint, names: readonly string[]): boolean {
  for (let k = 0; k < names.length; k++) if (names[k] !== prefix + (from + BigInt(k))) return false;
  return true;
}

/**
 * Names as one word: the name itself, or a group `prefix[a..b]` when they are
 * prefix+a … prefix+b. Several splits can work (`x10 x11` is `x[10..11]` or
 * `x1[0..1]`); any one that expands to the same names will do.
 */
export function collapseNames(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  if (names.length === 0) return '';
  const first = names[0]!;
  const digits = /[0-9]+$/.exec(first)?.[0] ?? '';
  for (let k = digits.length; k >= 1; k--) {
    const num = digits.slice(digits.length - k);
    if (num.length > 1 && num.startsWith('0')) continue; // expansions never write leading zeros
    const prefix = first.slice(0, first.length - k);
    if (!/^[A-Za-z_]/.test(prefix)) continue;
    const from = BigInt(num);
    if (expands(prefix, from, names)) return `${prefix}[${from}..${from + BigInt(names.length - 1)}]`;
  }
  return names.join(' '); // not one word: the parser will refuse it (see the module comment)
}

/** The acting task(s) as written: the step's own text when it still says the same. */
function printTasks(step: Step): string {
  const t = step.taskText;
  if (t !== null) {
    if (step.tasks.length === 1 && t === step.tasks[0]) return t;
    const g = GROUP.exec(t);
    if (
      g &&
      BigInt(g[3]!) - BigInt(g[2]!) + 1n === BigInt(step.tasks.length) &&
      expands(g[1]!, BigInt(g[2]!), step.tasks)
    )
      return t;
  }
  return collapseNames(step.tasks);
}

function printOp(op: Op): string {
  switch (op.op) {
    case 'spawn':
      return `spawn ${collapseNames(op.names)}`;
    case 'fork':
      return `fork ${collapseNames(op.children)}`;
    case 'exit':
      return 'exit';
    case 'execve':
      return 'execve';
    case 'mmap': {
      const addr = op.addr === 'auto' ? 'auto' : formatAddr(op.addr);
      let s = `mmap ${addr} ${formatLen(op.len)} ${formatProt(op.prot)} ${formatMapFlags(op.flags)}`;
      if (op.fd !== undefined) s += ` fd=${op.fd}`;
      if (op.offset !== undefined) s += ` offset=${formatLen(op.offset)}`;
      return s;
    }
    case 'munmap':
      return `munmap ${formatAddr(op.addr)} ${formatLen(op.len)}`;
    case 'mprotect':
      return `mprotect ${formatAddr(op.addr)} ${formatLen(op.len)} ${formatProt(op.prot)}`;
    case 'madvise':
      return `madvise ${formatAddr(op.addr)} ${formatLen(op.len)} ${op.advice}`;
    case 'read':
      return `read ${formatAddr(op.addr)}` + (op.len === undefined ? '' : ` ${formatLen(op.len)}`);
    case 'write': {
      let v = '';
      if (op.valueText !== undefined) v = ' ' + quote(op.valueText);
      else if (op.value?.length === 1) v = ' ' + formatByte(op.value[0]!);
      else if (op.value !== undefined) v = ' ' + quote(new TextDecoder().decode(op.value)); // lossy if not UTF-8
      return `write ${formatAddr(op.addr)}${v}`;
    }
    case 'exec':
      return `exec ${formatAddr(op.addr)}`;
    case 'touch':
      return `touch ${formatAddr(op.addr)} ${formatLen(op.len)} ${op.access}`;
    case 'run':
      return `run ${op.cpu}`;
    case 'idle':
      return `idle ${op.cpu}`;
    case 'translate':
      return `translate ${formatAddr(op.addr)}`;
    case 'mshare': {
      const mode = op.mode === undefined ? '' : ` ${formatMode(op.mode)}`;
      return `mshare ${quote(op.name)} ${formatAddr(op.addr)} ${formatLen(op.len)} ${formatOpenFlags(op.oflags)}${mode}`;
    }
    case 'mshare_unlink':
      return `mshare_unlink ${quote(op.name)}`;
    case 'open': {
      const mode = op.mode === undefined ? '' : ` ${formatMode(op.mode)}`;
      return `open ${printPath(op.path)} ${formatOpenFlags(op.oflags)}${mode} as ${op.as}`;
    }
    case 'close':
      return `close ${op.fd}`;
    case 'unlink':
      return `unlink ${printPath(op.path)}`;
    case 'ftruncate':
      return `ftruncate ${op.fd} ${formatLen(op.len)}`;
    case 'ioctl': {
      let s = `ioctl ${op.fd} ${op.request} region_offset=${formatLen(op.regionOffset)} size=${formatLen(op.size)}`;
      if (op.prot !== undefined) s += ` prot=${formatProt(op.prot)}`;
      if (op.flags !== undefined) s += ` flags=${formatMapFlagsLong(op.flags)}`;
      return s;
    }
  }
}

/** One step as one line, without its note: `A: mmap 1T 512G rw shared anon fixed`. */
export function printStep(step: Step): string {
  const body = printOp(step.op);
  return step.op.op === 'spawn' || step.op.op === 'idle' ? body : `${printTasks(step)}: ${body}`;
}

function printNotes(note: string | undefined, out: string[]): void {
  if (note === undefined) return;
  for (const line of note.split('\n')) out.push(`note ${quote(line)}`);
}

/** `ask "Q" *"right" | "other"`: the choices in their order, the right one marked. */
export function printAsk(a: Ask): string {
  return `ask ${quote(a.prompt)} ${a.choices.map((c, i) => (i === a.answer ? '*' : '') + quote(c)).join(' | ')}`;
}

/** The whole scenario: directives (kernel and paging always, for the reader), a blank line, the steps. */
export function printScenario(s: Scenario): string {
  const out: string[] = [];
  if (s.title !== undefined) out.push(`title ${quote(s.title)}`);
  out.push(`kernel ${s.kernel}`, `paging ${s.paging}`);
  if (s.memory !== undefined) out.push(`memory ${formatLen(s.memory)}`);
  if (s.cpus !== undefined) out.push(`cpus ${s.cpus}`);
  if (s.notifier !== undefined) out.push(`notifier ${s.notifier}`);
  if (s.steps.length > 0 || s.trailingNote !== undefined) out.push('');
  for (const step of s.steps) {
    printNotes(step.note, out);
    for (const a of step.asks ?? []) out.push(printAsk(a));
    out.push(printStep(step));
  }
  printNotes(s.trailingNote, out);
  return out.join('\n') + '\n';
}
