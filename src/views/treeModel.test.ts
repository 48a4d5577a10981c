import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { snapshotAt, stepReport } from '../store/sim';
import { stepAt } from '../store/derive';
import { treeModelFor } from './treeModel';
import { INTRO_SCENARIO } from '../scenario/examples';

describe('the tree model of a step', () => {
  const p = parseScenario(INTRO_SCENARIO);
  if (!p.ok) throw new Error('intro does not parse');
  const sc = p.scenario;
  const r = snapshotAt(INTRO_SCENARIO, sc, 3);
  if (!r.ok) throw new Error(r.failure.message);
  const snap = r.snapshot;
  const step = stepAt(sc, 3);
  const report = stepReport(INTRO_SCENARIO, sc, 3);

  it('is laid out once per snapshot and UI state', () => {
    const a = treeModelFor(snap, step, report, null, []);
    expect(treeModelFor(snap, step, report, null, [])).toBe(a);
    // The first write's walk: PGD, PUD, PMD, PTE entries, to the page.
    expect(a.walk.map((w) => w.index)).toEqual([254, 0, 0, 1]);
    const sel = treeModelFor(snap, step, report, { kind: 'entry', node: a.walk[0]?.node ?? '', index: 254 }, []);
    expect(sel).not.toBe(a);
    expect(treeModelFor(snap, step, report, null, ['t1'])).not.toBe(a);
  });

  it('keeps the models of a few snapshots only', () => {
    const a = treeModelFor(snap, step, report, null, []);
    // Six other snapshots laid out since: the first is laid out again.
    for (let n = 0; n < 6; n++) {
      const o = snapshotAt(INTRO_SCENARIO, sc, n);
      if (o.ok) treeModelFor({ ...o.snapshot }, stepAt(sc, n), stepReport(INTRO_SCENARIO, sc, n), null, []);
    }
    const again = treeModelFor(snap, step, report, null, []);
    expect(again).not.toBe(a);
    expect(again).toEqual(a);
  });
});
