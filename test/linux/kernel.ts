/**
 * The real-kernel side of the differential test: builds test/linux/vmpte.c,
 * runs a scenario on it and parses what it prints (protocol: README.md).
 *
 * Also a tiny converter from the scenario language to the driver's line
 * protocol. It understands exactly the subset that gen.ts writes (spawn, fork,
 * exit, anonymous fixed mmap, munmap, mprotect, madvise MADV_DONTNEED, read,
 * write, touch); it deliberately does not use the project's parser, so the two
 * sides of the test share no code.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, 'vmpte.c');
/** Included by vmpte.c: the BPF entry reader. */
const HEADER = join(HERE, 'ptread.h');
const BUILD_DIR = join(HERE, 'build');

export type LinuxStep =
  | { op: 'spawn'; task: string }
  | { op: 'fork'; task: string; child: string }
  | { op: 'exit' | 'nop'; task: string }
  | {
      op: 'mmap';
      task: string;
      addr: number;
      len: number;
      prot: string;
      shared: boolean;
      /** false: addr is a hint (0 = none) */ fixed?: boolean;
    }
  | { op: 'munmap' | 'madvise' | 'read' | 'write'; task: string; addr: number; len: number }
  | { op: 'mprotect'; task: string; addr: number; len: number; prot: string }
  | { op: 'touch'; task: string; addr: number; len: number; write: boolean };

export type LinuxOutcome =
  | { kind: 'ok'; value: string }
  | { kind: 'errno'; errno: string }
  | { kind: 'signal'; signal: string }
  | { kind: 'skipped' };

export interface LinuxStepResult {
  outcome: LinuxOutcome;
  /** Task name -> VmPTE bytes minus the task's own footprint, every alive task. */
  pgtables: Record<string, number>;
  /** Task name -> VmPTE bytes as /proc shows them (for diagnostics). */
  raw: Record<string, number>;
  /** Task name -> [RssAnon, RssShmem] bytes beyond the task's own footprint. */
  rss: Record<string, [number, number]>;
  /** Task name -> VmRSS bytes beyond the task's own footprint (its file pages cancel out). */
  vmrss: Record<string, number>;
  /** Task name -> ru_minflt of the scenario's operations so far (a fork's own COW faults in the parent left out). */
  minflt: Record<string, number>;
  /**
   * Task name -> probe address (hex) -> the entries on its path, PGD first, as
   * read from the task's own page tables by ptread.h (BigInt; 0n = none); the
   * walk stops after a none or leaf entry. Empty when entries are unavailable.
   */
  entries: Record<string, Record<string, bigint[]>>;
}

export interface LinuxResult {
  steps: LinuxStepResult[];
  /** Task name -> VmPTE bytes of its own footprint (spawned tasks). */
  baselines: Record<string, number>;
  /** The driver's output, verbatim. */
  output: string;
  /** Entry reading: 'ok', 'unavailable: WHY', or undefined when no probe addresses were given. */
  entries?: string;
}

/** Why the harness cannot run here, or undefined when it can. */
export function linuxUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.arch !== 'x64') return `not x86-64 (${process.arch})`;
  if (spawnSync('gcc', ['--version']).status !== 0) return 'gcc is not installed';
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '/proc/self/status is not readable';
  }
  if (!/^VmPTE:/m.test(status)) return '/proc/PID/status has no VmPTE field';
  // x86 clears the la57 flag when the kernel runs 4-level paging, so the flag
  // means 5-level tables: every mm then has a real P4D level, which a
  // `paging 4` scenario does not have.
  if (/\bla57\b/.test(readFileSync('/proc/cpuinfo', 'utf8')))
    return 'the kernel uses 5-level paging (la57): scenarios here are paging 4';
  return undefined;
}

let builtPath: string | undefined;

/**
 * Compiles vmpte.c into test/linux/build/vmpte-<hash of source> once (static
 * when the static libc is installed, else dynamic: both keep the task's own
 * mappings far from the scenario's PGD slots) and returns the binary's path.
 */
export function buildHarness(): string {
  if (builtPath) return builtPath;
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(readFileSync(HEADER))
    .digest('hex')
    .slice(0, 16);
  const out = join(BUILD_DIR, `vmpte-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(BUILD_DIR, { recursive: true });
    const tmp = `${out}.tmp${process.pid}`;
    let r = spawnSync('gcc', ['-O2', '-static', '-Wall', '-o', tmp, SOURCE], { encoding: 'utf8' });
    if (r.status !== 0) r = spawnSync('gcc', ['-O2', '-Wall', '-o', tmp, SOURCE], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc failed to build ${SOURCE}:\n${r.stderr}`);
    renameSync(tmp, out); // atomic: parallel builders never see half a binary
  }
  builtPath = out;
  return out;
}

const hex = (n: number) => '0x' + n.toString(16);

/**
 * Addresses whose entries are read after every step (at most 64): for each
 * range a step names, its first page, the next, its last, the one after it,
 * and the one before it.
 */
export function probeAddresses(steps: LinuxStep[]): number[] {
  const out = new Set<number>();
  for (const s of steps) {
    if (!('addr' in s) || !('len' in s) || (s.op === 'mmap' && s.fixed === false)) continue;
    const a = Math.floor(s.addr / 4096) * 4096;
    const last = Math.floor((s.addr + Math.max(s.len, 1) - 1) / 4096) * 4096;
    for (const p of [a, a + 4096, last, last + 4096, a - 4096]) if (p >= 2 ** 40) out.add(p);
  }
  return [...out].slice(0, 64);
}

/** One protocol line (README.md) per step, after a `probe` line when probes are given. */
export function toProtocol(steps: LinuxStep[], probes: number[] = []): string {
  return (
    (probes.length ? `probe ${probes.map(hex).join(' ')}\n` : '') +
    steps
      .map((s) => {
        switch (s.op) {
          case 'spawn':
            return `spawn ${s.task}`;
          case 'fork':
            return `${s.task} fork ${s.child}`;
          case 'exit':
          case 'nop':
            return `${s.task} ${s.op}`;
          case 'mmap':
            return `${s.task} mmap ${hex(s.addr)} ${hex(s.len)} ${s.prot} ${s.shared ? 'shared' : 'private'}${s.fixed === false ? ' hint' : ''}`;
          case 'mprotect':
            return `${s.task} mprotect ${hex(s.addr)} ${hex(s.len)} ${s.prot}`;
          case 'madvise':
            return `${s.task} madvise ${hex(s.addr)} ${hex(s.len)} dontneed`;
          case 'touch':
            return `${s.task} touch ${hex(s.addr)} ${hex(s.len)} ${s.write ? 'write' : 'read'}`;
          default:
            return `${s.task} ${s.op} ${hex(s.addr)} ${hex(s.len)}`;
        }
      })
      .join('\n') +
    '\n'
  );
}

/** Parses the driver's output (README.md, "Output"). */
export function parseOutput(output: string): LinuxResult {
  const steps: LinuxStepResult[] = [];
  const baselines: Record<string, number> = {};
  let ended = false;
  let entries: string | undefined;
  for (const line of output.split('\n')) {
    const w = line.split(' ');
    if (w[0] === 'step') {
      const kind = w[2];
      const outcome: LinuxOutcome =
        kind === 'ok'
          ? { kind: 'ok', value: w[3] ?? '' }
          : kind === 'errno'
            ? { kind: 'errno', errno: w[3] ?? '' }
            : kind === 'signal'
              ? { kind: 'signal', signal: w[3] ?? '' }
              : { kind: 'skipped' };
      steps.push({ outcome, pgtables: {}, raw: {}, rss: {}, vmrss: {}, minflt: {}, entries: {} });
    } else if (w[0] === 'pte') {
      const cur = steps[steps.length - 1];
      if (!cur) throw new Error(`vmpte: pte line before any step: ${line}`);
      cur.pgtables[w[1]!] = Number(w[2]);
      cur.raw[w[1]!] = Number(w[3]);
    } else if (w[0] === 'rss') {
      const cur = steps[steps.length - 1];
      if (!cur) throw new Error(`vmpte: rss line before any step: ${line}`);
      cur.rss[w[1]!] = [Number(w[2]), Number(w[3])];
    } else if (w[0] === 'mem') {
      const cur = steps[steps.length - 1];
      if (!cur) throw new Error(`vmpte: mem line before any step: ${line}`);
      cur.vmrss[w[1]!] = Number(w[2]);
      cur.minflt[w[1]!] = Number(w[3]);
    } else if (w[0] === 'ent') {
      const cur = steps[steps.length - 1];
      if (!cur) throw new Error(`vmpte: ent line before any step: ${line}`);
      const vals: bigint[] = [];
      for (const x of w.slice(3)) if (x !== '-') vals.push(BigInt(x));
      (cur.entries[w[1]!] ??= {})[w[2]!] = vals;
    } else if (w[0] === '#' && w[1] === 'entries') {
      entries = w[2] === 'ok' ? 'ok' : w.slice(2).join(' ');
    } else if (w[0] === '#' && w[1] === 'baseline') {
      baselines[w[2]!] = Number(w[6]);
    } else if (w[0] === 'end') {
      ended = true;
    } else if (w[0] === 'fatal') {
      throw new Error(`vmpte: ${line}`);
    }
  }
  if (!ended) throw new Error(`vmpte: output ends early:\n${output}`);
  return { steps, baselines, output, ...(entries !== undefined ? { entries } : {}) };
}

/** Runs the steps as real processes and returns each step's outcome and VmPTE deltas. */
export function runOnLinux(steps: LinuxStep[], probes: number[] = []): LinuxResult {
  const r = spawnSync(buildHarness(), [], {
    input: toProtocol(steps, probes),
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`vmpte exited with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
  const result = parseOutput(r.stdout);
  if (result.steps.length !== steps.length) {
    throw new Error(`vmpte: ${steps.length} steps sent, ${result.steps.length} reported:\n${r.stdout}`);
  }
  return result;
}

// ---------------------------------------------------------------- converter

const SUFFIX: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50 };

/** `1T+0x3000`, `2M+4K`, `0x7f00_0000`, `4096`: a sum of numbers with optional suffixes. */
export function evalExpr(text: string): number {
  let sum = 0;
  for (const term of text.split('+')) {
    const m = /^(0x[0-9a-fA-F_]+|[0-9][0-9_]*)([KMGTP]?)$/.exec(term);
    if (!m) throw new Error(`not a number: ${term}`);
    sum += Number(m[1]!.replace(/_/g, '')) * (m[2] ? SUFFIX[m[2]]! : 1);
  }
  if (!Number.isSafeInteger(sum)) throw new Error(`number too large for this converter: ${text}`);
  return sum;
}

/** `rw`, `PROT_READ|PROT_WRITE`, `none` -> the driver's letters (`rw`, `none`). */
function protLetters(text: string): string {
  if (text === 'none' || text === 'PROT_NONE') return 'none';
  if (/^[rwx]+$/.test(text)) return text;
  const names = text.split('|');
  const letters =
    (names.includes('PROT_READ') ? 'r' : '') +
    (names.includes('PROT_WRITE') ? 'w' : '') +
    (names.includes('PROT_EXEC') ? 'x' : '');
  if (!letters || names.some((n) => !['PROT_READ', 'PROT_WRITE', 'PROT_EXEC'].includes(n)))
    throw new Error(`bad prot: ${text}`);
  return letters;
}

/** Splits a statement into words, keeping a "quoted string" as one word (with its quotes). */
function words(line: string): string[] {
  return line.match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? [];
}

/** Byte length of a write VALUE: a "string" (ASCII escapes \" \\) or one byte. */
function valueLength(word: string | undefined): number {
  if (word === undefined) return 1;
  if (word.startsWith('"')) return Math.max(1, word.slice(1, -1).replace(/\\(.)/g, '$1').length);
  return 1;
}

/**
 * Scenario text (the subset gen.ts writes) -> driver steps, one per scenario
 * step, in order. Throws on anything outside that subset.
 */
export function scenarioToSteps(text: string): LinuxStep[] {
  const steps: LinuxStep[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim(); // gen.ts never puts '#' inside strings
    if (!line) continue;
    const w = words(line);
    if (['title', 'kernel', 'paging'].includes(w[0]!)) continue;
    if (w[0] === 'note') throw new Error('note is not supported by this converter');
    if (w[0] === 'spawn') {
      steps.push({ op: 'spawn', task: w[1]! });
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_-]*):$/.exec(w[0]!);
    if (!m) throw new Error(`not a step: ${line}`);
    const task = m[1]!;
    const [op, a, b, c] = w.slice(1);
    const addr = a !== undefined && op !== 'fork' && a !== 'auto' ? evalExpr(a) : 0;
    switch (op) {
      case 'fork':
        steps.push({ op: 'fork', task, child: a! });
        break;
      case 'exit':
        steps.push({ op: 'exit', task });
        break;
      case 'mmap': {
        const flags = w
          .slice(5)
          .join(' ')
          .split(/[\s|]+/);
        const shared = flags.includes('shared') || flags.includes('MAP_SHARED');
        const fixed = flags.includes('fixed') || flags.includes('MAP_FIXED');
        const anon = flags.includes('anon') || flags.includes('MAP_ANONYMOUS');
        if (!anon) throw new Error(`only anonymous mmap is supported: ${line}`);
        steps.push({
          op: 'mmap',
          task,
          addr: a === 'auto' ? 0 : addr,
          len: evalExpr(b!),
          prot: protLetters(c!),
          shared,
          fixed,
        });
        break;
      }
      case 'munmap':
        steps.push({ op: 'munmap', task, addr, len: evalExpr(b!) });
        break;
      case 'mprotect':
        steps.push({ op: 'mprotect', task, addr, len: evalExpr(b!), prot: protLetters(c!) });
        break;
      case 'madvise':
        if (c !== 'MADV_DONTNEED') throw new Error(`only MADV_DONTNEED is supported: ${line}`);
        steps.push({ op: 'madvise', task, addr, len: evalExpr(b!) });
        break;
      case 'read':
        steps.push({ op: 'read', task, addr, len: b === undefined ? 1 : evalExpr(b) });
        break;
      case 'write':
        steps.push({ op: 'write', task, addr, len: valueLength(b) });
        break;
      case 'touch':
        steps.push({ op: 'touch', task, addr, len: evalExpr(b!), write: c === 'write' });
        break;
      default:
        throw new Error(`unsupported step: ${line}`);
    }
  }
  return steps;
}
