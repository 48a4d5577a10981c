/**
 * `npm run bench`: every benchmark of issue 5, one table.
 *
 *   npm run bench                      all rows (about 20 minutes: the gallery is stepped three times each way)
 *   npm run bench -- --only fault,seek rows by part: fault, sga, seek, bundle, browser
 *                                      (wide: only the browser's 64-task rows)
 *   npm run bench -- --quick           fewer repetitions (a smoke run; figures are rougher)
 *   npm run bench -- --write           also put the table into docs/PERFORMANCE.md
 *   npm run bench -- --only browser --gallery intro,fork
 *                                      only the gallery scenarios whose name has one of
 *                                      these (while profiling; the table says so)
 *
 * Figures are medians over repetitions. The in-process parts (fault, seek)
 * run on the code bundled by esbuild, as the app (Vite) and the CLI
 * (`npm run build:cli`) ship it, each in a fresh `node` process. Raw figures
 * go to node_modules/.cache/ptx-bench/last.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, table, type Row } from './lib';
import { faultRows, type FaultResult } from './fault';
import { seekRows, type SeekResult } from './seek';
import { runSga, sgaRows } from './sga';
import { buildApp, bundleRows, measureBundle } from './bundle';
import { browserRows, GALLERY_PASSES, runBrowser } from './browser';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules/.cache/ptx-bench');
const PARTS = ['fault', 'sga', 'seek', 'bundle', 'browser', 'wide'] as const;
type Part = (typeof PARTS)[number];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = argv.includes('--write');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') && onlyArg ? (onlyArg.split(',') as Part[]) : [...PARTS];
const galleryArg = argv[argv.indexOf('--gallery') + 1];
const galleryFilter = argv.includes('--gallery') && galleryArg ? galleryArg.split(',') : undefined;
if (galleryFilter && write) throw new Error('--gallery measures part of the gallery: not for --write');
for (const p of only)
  if (!PARTS.includes(p)) throw new Error(`--only: unknown part "${p}" (parts: ${PARTS.join(', ')})`);

/** Bundle bench/<part>.ts with esbuild and run it in a fresh node; its last stdout line is JSON. */
function inProcessPart<T>(part: 'fault' | 'seek', args: string[]): T {
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, `${part}.mjs`);
  const b = spawnSync(
    join(ROOT, 'node_modules/.bin/esbuild'),
    [
      join(ROOT, `bench/${part}.ts`),
      '--bundle',
      '--platform=node',
      '--format=esm',
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (b.status !== 0) throw new Error(`esbuild bench/${part}.ts failed:\n${b.stderr}`);
  const r = spawnSync(process.execPath, [out, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PTX_BENCH_MAIN: part },
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bench/${part}.ts failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

async function main(): Promise<void> {
  const m = machine();
  const started = new Date();
  const headerWith = (load: string): string =>
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Node ${m.node}; load average ${load}; ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${quick ? '; --quick' : ''}${galleryFilter ? `; gallery: ${galleryFilter.join(', ')} only` : ''}`;
  log(headerWith(`${m.load} at start`));
  const rows: Row[] = [];
  const raw: Record<string, unknown> = { machine: m, started: started.toISOString(), quick };
  const dist = join(CACHE, 'dist');

  if (only.includes('fault')) {
    log('fault path against the reference (row 1)…');
    const f = inProcessPart<FaultResult>('fault', ['--reps', quick ? '1' : '5', '--pages', '100000']);
    raw.fault = f;
    rows.push(...faultRows(f));
  }
  if (only.includes('sga')) {
    log('ptx run of the SGA (row 2)…');
    const s = runSga(ROOT, { reps: quick ? 1 : 5, tsxReps: quick ? 1 : 3 });
    raw.sga = s;
    rows.push(...sgaRows(s));
  }
  if (only.includes('seek')) {
    log('seeking in 2,000 steps (row 3)…');
    const s = inProcessPart<SeekResult>('seek', ['--reps', quick ? '1' : '3']);
    raw.seek = s;
    rows.push(...seekRows(s));
  }
  if (only.includes('bundle') || only.includes('browser') || only.includes('wide')) {
    log('vite build…');
    buildApp(ROOT, dist);
  }
  if (only.includes('browser') || only.includes('wide')) {
    log('the explorer in Chromium (row 4)…');
    const b = await runBrowser(ROOT, dist, {
      reps: quick ? 2 : 5,
      passes: quick ? 1 : GALLERY_PASSES,
      wideOnly: !only.includes('browser'),
      galleryFilter,
    });
    raw.browser = b;
    rows.push(...browserRows(b));
  }
  if (only.includes('bundle')) {
    const b = measureBundle(dist);
    raw.bundle = b;
    rows.push(...bundleRows(b));
  }

  // The load at the end too: a 1-minute average at the start still carries
  // what ran just before (a test run), and says little of the run itself.
  const header = headerWith(`${m.load} at start, ${machine().load} at end`);
  const out = `${header}\n\n${table(rows)}\n`;
  process.stdout.write('\n' + out);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(join(CACHE, 'last.json'), JSON.stringify(raw, null, 2) + '\n');
  if (write) {
    const doc = join(ROOT, 'docs/PERFORMANCE.md');
    const text = readFileSync(doc, 'utf8');
    const a = text.indexOf('<!-- bench:start -->');
    const z = text.indexOf('<!-- bench:end -->');
    if (a < 0 || z < a) throw new Error('docs/PERFORMANCE.md has no <!-- bench:start --> … <!-- bench:end --> block');
    writeFileSync(
      doc,
      `${text.slice(0, a)}<!-- bench:start -->\n${out}<!-- bench:end -->${text.slice(z + '<!-- bench:end -->'.length)}`,
    );
    log('docs/PERFORMANCE.md updated');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
