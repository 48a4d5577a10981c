/**
 * Golden reports: every scenarios/*.ptx is run and its ptx-report/1 JSON is
 * compared with test/golden/<name>.json.
 *
 * A golden is a record of numbers someone checked by hand against Linux's
 * rules (test/golden/README.md says which, for each file). So:
 *  - a scenario without a golden fails, saying how to make one;
 *  - `PTX_UPDATE_GOLDEN=1 npx vitest run test/golden` (re)writes the goldens
 *    of the scenarios run — do it only after checking the new report by hand;
 *  - a mismatch fails with a readable list of what changed, path by path.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../../src/scenario/run';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const scenarioDir = join(root, 'scenarios');
const update = process.env.PTX_UPDATE_GOLDEN === '1';

const scenarios = existsSync(scenarioDir)
  ? readdirSync(scenarioDir)
      .filter((f) => f.endsWith('.ptx'))
      .sort()
  : [];

/** The report as stored: plain JSON, two-space indented, newline at the end. */
function render(report: unknown): string {
  return JSON.stringify(report, null, 2) + '\n';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function show(v: Json | undefined): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + '…' : s;
}

/** Every difference between two JSON values, as `path: golden X, now Y` lines. */
export function jsonDiff(golden: Json | undefined, now: Json | undefined, path = '', out: string[] = []): string[] {
  if (out.length >= 200) return out;
  const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(golden) && Array.isArray(now)) {
    const n = Math.max(golden.length, now.length);
    for (let i = 0; i < n; i++) jsonDiff(golden[i], now[i], `${path}[${i}]`, out);
    return out;
  }
  if (isObj(golden) && isObj(now)) {
    const keys = [...new Set([...Object.keys(golden), ...Object.keys(now)])];
    for (const k of keys) jsonDiff(golden[k], now[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  if (JSON.stringify(golden) !== JSON.stringify(now))
    out.push(`${path || '(root)'}: golden ${show(golden)}, now ${show(now)}`);
  return out;
}

/** A step-level summary first (what a reader checks), then the detailed paths. */
function explain(name: string, golden: Json, now: Json): string {
  const lines = jsonDiff(golden, now);
  const steps = new Map<string, number>();
  for (const l of lines) {
    const m = /^steps\[(\d+)\]/.exec(l);
    const key = m ? `step ${Number(m[1]) + 1}` : (l.split(/[.[:]/)[0] ?? '');
    steps.set(key, (steps.get(key) ?? 0) + 1);
  }
  const shown = lines.slice(0, 40);
  return [
    `scenarios/${name}.ptx no longer gives test/golden/${name}.json (${lines.length}${lines.length >= 200 ? '+' : ''} difference${lines.length === 1 ? '' : 's'}).`,
    `Where: ${[...steps].map(([k, n]) => `${k} (${n})`).join(', ')}`,
    '',
    ...shown.map((l) => `  ${l}`),
    ...(lines.length > shown.length ? [`  … ${lines.length - shown.length} more`] : []),
    '',
    'If the new report is right (check its numbers by hand against Linux, and note them in',
    'test/golden/README.md), accept it with: PTX_UPDATE_GOLDEN=1 npx vitest run test/golden',
  ].join('\n');
}

describe('golden reports of scenarios/*.ptx', () => {
  it('finds the scenarios', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  for (const file of scenarios) {
    const name = file.replace(/\.ptx$/, '');
    it(name, () => {
      const text = readFileSync(join(scenarioDir, file), 'utf8');
      const report = runScenarioText(text);
      const fresh = render(report);
      // The same scenario run twice must give the same report, or a golden means nothing.
      expect(render(runScenarioText(text))).toBe(fresh);
      const goldenPath = join(here, `${name}.json`);
      if (update) {
        writeFileSync(goldenPath, fresh);
        return;
      }
      if (!existsSync(goldenPath)) {
        throw new Error(
          `no golden for scenarios/${file}: test/golden/${name}.json is missing.\n` +
            `Run the scenario (npm run --silent ptx -- run scenarios/${file} --json), check its numbers by hand ` +
            `(pgtables_bytes after each step, outcomes, entry values), note them in test/golden/README.md, ` +
            `then run with PTX_UPDATE_GOLDEN=1 after checking it by hand: PTX_UPDATE_GOLDEN=1 npx vitest run test/golden`,
        );
      }
      const stored = readFileSync(goldenPath, 'utf8');
      if (stored === fresh) return;
      const diff = explain(name, JSON.parse(stored) as Json, JSON.parse(fresh) as Json);
      throw new Error(diff);
    });
  }
});

describe('jsonDiff', () => {
  it('names each changed path', () => {
    expect(jsonDiff({ a: [1, { b: 2 }], c: 'x' }, { a: [1, { b: 3 }], d: true })).toEqual([
      'a[1].b: golden 2, now 3',
      'c: golden "x", now (absent)',
      'd: golden (absent), now true',
    ]);
    expect(jsonDiff([1, 2], [1])).toEqual(['[1]: golden 2, now (absent)']);
    expect(jsonDiff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
