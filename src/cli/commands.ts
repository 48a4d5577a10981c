/**
 * The commands of ptx (see ./ptx.ts, which runs them in a worker thread with
 * a heap limit and catches whatever they throw).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parseScenario, MAX_TEXT_BYTES } from '../scenario/parser';
import { runScenario } from '../scenario/run';
import { decodeLink, makeLink } from '../scenario/link';
import { compareWithMainline } from '../scenario/compare';
import type { Report } from '../scenario/report';
import { formatSummary } from './summary';
import { Exit } from './exit';
import { escapeForTerminal, escapeJson } from './terminal';

/** Writes to stdout; a reader that went away (`| head`) is handled by ptx.ts's 'error' handler. */
function out(text: string): void {
  process.stdout.write(text);
}

/** Where `ptx url` links point unless --base or PTX_BASE says otherwise: the dev server of `npm start`. */
const DEFAULT_BASE = 'http://localhost:5173/';

/**
 * The site `ptx url` links point at: --base, else the environment's
 * PTX_BASE (a course sets it once, e.g. to its GitHub Pages address, and
 * every link printed for the course points there), else the dev server.
 */
export function linkBase(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined) return option;
  const fromEnv = env.PTX_BASE?.trim();
  return fromEnv ? fromEnv : DEFAULT_BASE;
}

const USAGE = `usage: ptx run FILE [--json] [--compare mainline]
       ptx url FILE [--step N] [--base URL]   (or PTX_BASE=URL in the environment)
       ptx decode LINK
FILE and LINK may be '-' for standard input.`;

/** Longer than any link of ours (link.ts allows 1.5 M characters), so reading stops well before. */
const MAX_LINK_INPUT = 2 << 20;

const nameOf = (file: string): string => (file === '-' ? '<stdin>' : file);

/**
 * At most `limit` + 1 bytes of a file or of stdin: enough to tell that it is
 * too large without ever holding more (`ptx run /dev/zero` must not grow
 * until the host gives out). Undefined when there was more.
 */
function readBounded(file: string, limit: number): Buffer | undefined {
  const buf = Buffer.alloc(limit + 1);
  let fd: number | undefined;
  let got = 0;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
    while (got < buf.length) {
      let n: number;
      try {
        n = readSync(fd, buf, got, buf.length - got, null);
      } catch (e) {
        // stdin may be a non-blocking pipe or terminal: wait a little and read again.
        if ((e as { code?: string }).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        throw e;
      }
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e));
    throw new Exit(2, `${nameOf(file)}: cannot read: ${why}`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
  return got > limit ? undefined : buf.subarray(0, got);
}

function readSource(file: string): string {
  const bytes = readBounded(file, MAX_TEXT_BYTES);
  if (!bytes)
    throw new Exit(
      2,
      `${nameOf(file)}:1:1: the scenario is larger than 1 MiB (the limit is ${MAX_TEXT_BYTES} bytes); nothing was run`,
    );
  return bytes.toString('utf8');
}

function load(file: string): { text: string; scenario: ReturnType<typeof parseScenario> & { ok: true } } {
  const text = readSource(file);
  const p = parseScenario(text);
  if (!p.ok) throw new Exit(2, p.errors.map((e) => `${nameOf(file)}:${e.line}:${e.col}: ${e.message}`).join('\n'));
  return { text, scenario: p };
}

function takeOpt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Exit(2, `${name} needs a value\n${USAGE}`);
  args.splice(i, 2);
  return v;
}

function takeFlag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

/** 1-based column where a link's payload starts (after '#v2='), or 1. */
function linkDataColumn(link: string): number {
  const m = /#?v\d+=/.exec(link);
  return m ? m.index + m[0].length + 1 : 1;
}

/** A run stopped by the work budget (src/core/budget.ts) is not a report: exit 2 with where and why. */
function tooLarge(file: string, report: Report): Report {
  const st = report.steps.find((s) => s.too_large);
  if (st && st.outcome.kind === 'skipped')
    throw new Exit(
      2,
      `${file === '-' ? '<stdin>' : file}:${st.line}:1: step ${st.index}: ${st.outcome.why ?? 'too large to simulate'}`,
    );
  return report;
}

export function main(argv: string[]): number {
  const args = [...argv];
  const cmd = args.shift();
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === 'run') {
    const json = takeFlag(args, '--json');
    const against = takeOpt(args, '--compare');
    if (against !== undefined && against !== 'mainline')
      throw new Exit(2, `--compare takes "mainline" (the only kernel without sharing), not "${against}"`);
    const [file, ...rest] = args;
    if (file === undefined || rest.length) throw new Exit(2, USAGE);
    const { text, scenario } = load(file);
    const report = runScenario(scenario.scenario);
    tooLarge(file, report);
    if (against) report.compare = compareWithMainline(scenario.scenario, report);
    out(
      json
        ? escapeJson(JSON.stringify(report, null, 2)) + '\n'
        : escapeForTerminal(formatSummary(report, text.split(/\r?\n/))) + '\n',
    );
    return 0;
  }
  if (cmd === 'url') {
    const stepText = takeOpt(args, '--step');
    const base = linkBase(takeOpt(args, '--base'));
    const [file, ...rest] = args;
    if (file === undefined || rest.length) throw new Exit(2, USAGE);
    const { text, scenario } = load(file);
    let step: number | undefined;
    if (stepText !== undefined) {
      step = Number(stepText);
      const max = scenario.scenario.steps.length;
      if (!/^\d+$/.test(stepText) || step > max)
        throw new Exit(2, `--step must be a whole number from 0 to ${max} (the scenario has ${max} steps)`);
    }
    out(escapeForTerminal(makeLink(base, text, step)) + '\n');
    return 0;
  }
  if (cmd === 'decode') {
    const [arg, ...rest] = args;
    if (arg === undefined || rest.length) throw new Exit(2, USAGE);
    let link = arg;
    if (arg === '-') {
      const bytes = readBounded('-', MAX_LINK_INPUT);
      if (!bytes) throw new Exit(2, '<stdin>:1:1: this is too long to be a link of ours (over 2 MiB)');
      link = bytes.toString('utf8');
    }
    const d = decodeLink(link);
    // A link is one line: point at its data (after '#vN=') so the message has a place, like a scenario's.
    if (!d.ok) throw new Exit(2, `<link>:1:${linkDataColumn(link)}: ${d.message}`);
    // As the app does (src/app/links.ts): an empty scenario is no scenario.
    if (d.text.trim() === '')
      throw new Exit(
        2,
        `<link>:1:${linkDataColumn(link)}: this link holds an empty scenario, so there is nothing to open`,
      );
    out(escapeForTerminal(d.text.endsWith('\n') ? d.text : d.text + '\n'));
    if (d.step !== undefined) process.stderr.write(`(link opens at step ${d.step}; format v${d.version})\n`);
    return 0;
  }
  throw new Exit(2, `unknown command "${cmd}"\n${USAGE}`);
}
