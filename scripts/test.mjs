#!/usr/bin/env node
// `npm test`: every check, in order: typecheck, lint, format (Prettier), unit/property tests, e2e.
// Every stage runs even when an earlier one failed, so one run shows everything.
// Ends with exactly one line `N passed, M failed` (see scripts/summary.mjs for how
// it is counted; a failed typecheck/lint/format stage counts as 1 failed) and nothing after
// it. Exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR, summarize, summaryLine } from './summary.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SYSTEM_CHROMIUM = '/usr/bin/chromium'; // what playwright.config.ts looks for
const env = {
  ...process.env,
  // Works the same via `npm test` or `node scripts/test.mjs`.
  PATH: [join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
};

// No stdin: CI has none, and nothing here should ever wait for a keypress.
function run(cmd, args, extraEnv = {}) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error) console.error(`cannot run ${cmd}: ${r.error.message}`);
  return r.status === 0;
}

// Playwright's own browser download is often unreachable (only npm and apt are),
// so on Debian as root we use Debian's chromium; elsewhere Playwright's download.
function ensureChromium() {
  if (existsSync(SYSTEM_CHROMIUM)) return true;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/etc/debian_version')) {
    console.log("Chromium is missing: installing Debian's chromium with apt-get (one time)...");
    const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
    return run('apt-get', ['update'], aptEnv) && run('apt-get', ['install', '-y', 'chromium'], aptEnv);
  }
  console.log(
    `No ${SYSTEM_CHROMIUM} and not root on Debian: falling back to Playwright's own Chromium (npx playwright install chromium).`,
  );
  return run('npx', ['playwright', 'install', 'chromium']);
}

// Stale results from an earlier run must never be counted.
rmSync(RESULTS_DIR, { recursive: true, force: true });
mkdirSync(RESULTS_DIR, { recursive: true });

const stages = [];
function stage(name, fn) {
  const ok = fn();
  stages.push({ name, ok });
  // Written after every stage so a killed run still leaves what it knew.
  writeFileSync(join(RESULTS_DIR, 'stages.json'), JSON.stringify(stages, null, 2));
  if (!ok) console.error(`\n✗ stage "${name}" failed`);
}

stage('browser', ensureChromium);
stage('typecheck', () => run('npm', ['run', '--silent', 'typecheck']));
stage('lint', () => run('npm', ['run', '--silent', 'lint']));
stage('format', () => run('npm', ['run', '--silent', 'format:check']));
stage('unit', () =>
  run('npm', [
    'run',
    '--silent',
    'test:unit',
    '--',
    '--reporter=default',
    '--reporter=json',
    '--outputFile=test-results/vitest.json',
  ]),
);
// The list + json reporters (test-results/playwright.json) are set in playwright.config.ts.
stage('e2e', () => run('npm', ['run', '--silent', 'test:e2e']));

const result = summarize();
const failedStages = stages.filter((s) => !s.ok).map((s) => s.name);
if (failedStages.length > 0) console.log(`\nfailed stages: ${failedStages.join(', ')}`);
console.log('');
console.log(summaryLine(result)); // must stay the last line printed
process.exitCode = result.failed > 0 ? 1 : 0;
