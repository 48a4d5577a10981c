#!/usr/bin/env node
// Computes the one-line result `N passed, M failed` from the machine-readable
// files in test-results/ (written by scripts/test.mjs):
//   vitest.json      Vitest json reporter: numPassedTests / numFailedTests
//   playwright.json  Playwright json reporter: stats.expected / stats.unexpected + stats.flaky
//   stages.json      [{ name, ok }] for every stage scripts/test.mjs ran
// A failed stage that has no failed test to show for it (typecheck, lint, a
// browser install, or a test runner that crashed / wrote no JSON) counts as
// 1 failed, so a broken build can never read as "0 failed".
// Usage: node scripts/summary.mjs   (prints the line; exit 1 if M > 0)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

function readJson(name) {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, name), 'utf8'));
  } catch {
    return undefined; // missing or half-written: treated as "no results"
  }
}

export function summarize() {
  const vitest = readJson('vitest.json');
  const pw = readJson('playwright.json');
  const stages = readJson('stages.json') ?? [];

  const unit = {
    passed: vitest?.numPassedTests ?? 0,
    failed: vitest?.numFailedTests ?? 0,
  };
  const stats = pw?.stats ?? {};
  const e2e = {
    passed: stats.expected ?? 0,
    failed: (stats.unexpected ?? 0) + (stats.flaky ?? 0),
  };
  // Failures already visible as failed tests, per stage name.
  const counted = { unit: unit.failed, e2e: e2e.failed };
  const failedStages = stages.filter((s) => !s.ok && !(counted[s.name] > 0));

  const passed = unit.passed + e2e.passed;
  const failed = unit.failed + e2e.failed + failedStages.length;
  return { passed, failed, failedStages: failedStages.map((s) => s.name) };
}

export function summaryLine({ passed, failed }) {
  return `${passed} passed, ${failed} failed`;
}

// Run as a script (not when imported by scripts/test.mjs).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = summarize();
  console.log(summaryLine(result));
  process.exitCode = result.failed > 0 ? 1 : 0;
}
