/**
 * ptx: the command line over the core (../../shared/spec/scenario-language.md §2).
 *
 *   ptx run FILE [--json]              run a scenario ('-' reads stdin)
 *   ptx url FILE [--step N] [--base URL]
 *   ptx decode LINK
 *
 * Exit 0 when the scenario loaded (whatever its outcomes), 2 with
 * FILE:LINE:COL: message when it did not. Never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseScenario } from '../scenario/parser';
import { runScenario } from '../scenario/run';
import { decodeLink, makeLink } from '../scenario/link';
import { formatSummary } from './summary';
import type { Report } from '../scenario/report';
import { compareWithMainline } from '../scenario/compare';

/** Where `ptx url` links point unless --base says otherwise: the dev server of `npm start`. */
const DEFAULT_BASE = 'http://localhost:5173/';

const USAGE = `usage: ptx run FILE [--json] [--compare mainline]
       ptx url FILE [--step N] [--base URL]
       ptx decode LINK
FILE may be '-' for standard input.`;

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function readSource(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Exit(2, `${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`);
  }
}

function load(file: string): { text: string; scenario: ReturnType<typeof parseScenario> & { ok: true } } {
  const text = readSource(file);
  const p = parseScenario(text);
  if (!p.ok) throw new Exit(2, p.errors.map((e) => `${file === '-' ? '<stdin>' : file}:${e.line}:${e.col}: ${e.message}`).join('\n'));
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
  if (st && st.outcome.kind === 'skipped') throw new Exit(2, `${file === '-' ? '<stdin>' : file}:${st.line}:1: step ${st.index}: ${st.outcome.why ?? 'too large to simulate'}`);
  return report;
}

function main(argv: string[]): number {
  const args = [...argv];
  const cmd = args.shift();
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === 'run') {
    const json = takeFlag(args, '--json');
    const against = takeOpt(args, '--compare');
    if (against !== undefined && against !== 'mainline') throw new Exit(2, `--compare takes "mainline" (the only kernel without sharing), not "${against}"`);
    const [file, ...rest] = args;
    if (file === undefined || rest.length) throw new Exit(2, USAGE);
    const { text, scenario } = load(file);
    const report = runScenario(scenario.scenario);
    tooLarge(file, report);
    if (against) report.compare = compareWithMainline(scenario.scenario, report);
    process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report, text.split(/\r?\n/)) + '\n');
    return 0;
  }
  if (cmd === 'url') {
    const stepText = takeOpt(args, '--step');
    const base = takeOpt(args, '--base') ?? DEFAULT_BASE;
    const [file, ...rest] = args;
    if (file === undefined || rest.length) throw new Exit(2, USAGE);
    const { text, scenario } = load(file);
    let step: number | undefined;
    if (stepText !== undefined) {
      step = Number(stepText);
      const max = scenario.scenario.steps.length;
      if (!/^\d+$/.test(stepText) || step > max) throw new Exit(2, `--step must be a whole number from 0 to ${max} (the scenario has ${max} steps)`);
    }
    process.stdout.write(makeLink(base, text, step) + '\n');
    return 0;
  }
  if (cmd === 'decode') {
    const [link, ...rest] = args;
    if (link === undefined || rest.length) throw new Exit(2, USAGE);
    const d = decodeLink(link);
    // A link is one line: point at its data (after '#vN=') so the message has a place, like a scenario's.
    if (!d.ok) throw new Exit(2, `<link>:1:${linkDataColumn(link)}: ${d.message}`);
    process.stdout.write(d.text.endsWith('\n') ? d.text : d.text + '\n');
    if (d.step !== undefined) process.stderr.write(`(link opens at step ${d.step}; format v${d.version})\n`);
    return 0;
  }
  throw new Exit(2, `unknown command "${cmd}"\n${USAGE}`);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof Exit) {
    process.stderr.write(e.message + '\n');
    process.exitCode = e.code;
  } else {
    process.stderr.write(`ptx: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 70;
  }
}
