/**
 * The twin run statement by statement (twin.ts): never past the step asked
 * for, stoppable between statements, and going back without running again.
 * Its figures on the SGA (what fit, what was needed) are checked by hand in
 * ./compare.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from './parser';
import { TwinAccounting } from './twin';
import type { Scenario } from './ast';

function load(text: string): Scenario {
  const p = parseScenario(text);
  if (!p.ok) throw new Error(p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return p.scenario;
}
const scenario = (f: string): Scenario =>
  load(readFileSync(new URL(`../../scenarios/${f}.ptx`, import.meta.url), 'utf8'));

describe('the twin runs up to the cursor, never further (issue 13)', () => {
  // Issue 13's hostile link with `kernel mshare-v1`: the last statement faults in
  // 128 TiB of hugetlb pages. Opening the Accounting tab at step 0 ran all of it.
  const hostile = load(`kernel mshare-v1
spawn A
A: mmap 0x200000 0x7fffffc00000 rw shared anon hugetlb fixed
A: touch 0x200000 0x7fffffc00000 write
`);

  it('runTo(n) runs n statements: at step 2 the touch has not run', () => {
    const twin = new TwinAccounting(hostile);
    expect(twin.runTo(0)).toBe(true);
    expect(twin.done).toBe(0);
    expect(twin.at(0)).toEqual({
      step: 0,
      fit: {},
      fitTotal: 0,
      oomKilled: 0,
      needed: null,
      neededTotal: 0,
      neededShort: false,
    });
    expect(twin.runTo(2)).toBe(true);
    expect(twin.done).toBe(2);
    expect(() => twin.at(3)).toThrow(RangeError);
  });

  it('stop() is asked before each statement: a stopped run keeps what it did and can go on', () => {
    const twin = new TwinAccounting(hostile);
    let asked = 0;
    expect(twin.runTo(3, () => ++asked > 1)).toBe(false);
    expect(twin.done).toBe(1);
    expect(asked).toBe(2);
    expect(twin.runTo(2)).toBe(true);
    expect(twin.done).toBe(2);
  });

  it('going back reads the kept changes: no statement runs again, and the figures are those of that step', () => {
    const s = scenario('mshare-v1-guest-fault');
    const twin = new TwinAccounting(s);
    twin.runTo(7);
    const seven = twin.at(7);
    expect(seven.fit).toEqual({ A: 12288, B: 12288 });
    twin.runTo(11);
    expect(twin.done).toBe(11);
    expect(twin.at(2)).toMatchObject({ fit: { A: 0, B: 0 }, fitTotal: 0 });
    expect(twin.at(7)).toEqual(seven);
    expect(twin.runTo(7)).toBe(true);
    expect(twin.done).toBe(11);
  });
});
