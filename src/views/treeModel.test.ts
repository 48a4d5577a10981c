import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { snapshotAt, stepReport } from '../store/sim';
import { stepAt } from '../store/derive';
import { MARKED_ROWS, rolesOf, treeModelFor } from './treeModel';
import { nodeMarkup } from './nodeMarkup';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('a step that changes a whole page table', () => {
  // scenarios/munmap-frees-tables.ptx: X is [1T, 1T+5M) read-write, Y [1T+5M, 1T+6M) read-only. X's third PTE page
  // maps [1T+4M, 1T+6M): X's last MiB (256 entries) and Y's (256 more once Y is read).
  const text = readFileSync(join(__dirname, '../../scenarios/munmap-frees-tables.ptx'), 'utf8');
  const p = parseScenario(text);
  if (!p.ok) throw new Error('munmap-frees-tables does not parse');
  const sc = p.scenario;
  const model = (n: number) => {
    const r = snapshotAt(text, sc, n);
    if (!r.ok) throw new Error(r.failure.message);
    return treeModelFor(r.snapshot, stepAt(sc, n), stepReport(text, sc, n), null, []);
  };
  const thirdPte = (n: number) => {
    // The other PTE pages are drawn as summaries (all their entries alike): this one is the only table.
    const ptes = model(n).layout.nodes.filter((x) => x.info.level === 'pte' && x.info.kind === 'table');
    expect(ptes).toHaveLength(1);
    return ptes[0];
  };

  it(`draws at most ${MARKED_ROWS} of the entries a step wrote two rows high, and counts the rest`, () => {
    expect(MARKED_ROWS).toBe(8);
    // Step 5, "touch 1T 5M write": the third PTE page's 256 entries are new.
    const t = thirdPte(5);
    expect(t?.info.present).toBe(256);
    expect(t?.rows.map((r) => r.h)).toEqual(Array(8).fill(40));
    expect(t?.more).toBe(248);
    // A selected entry among them is one of the 8, first: the one the user asked about keeps its "new:" line.
    const r = snapshotAt(text, sc, 5);
    if (!r.ok || !t) throw new Error('no step 5');
    const picked = treeModelFor(
      r.snapshot,
      stepAt(sc, 5),
      stepReport(text, sc, 5),
      {
        kind: 'entry',
        node: t.id,
        index: 50,
      },
      [],
    ).layout.byId.get(t.id);
    const tall = picked?.rows.filter((row) => row.h === 40).map((row) => row.index);
    expect(tall).toEqual([0, 1, 2, 3, 4, 5, 6, 50]);
  });

  it(`draws at most ${MARKED_ROWS} of the entries a step cleared, struck out, and one row with the count of the rest`, () => {
    // Step 9, "munmap 1T+4M 1M": X's last 256 entries go; Y's 256 stay (listed 8, "+248 more").
    const t = thirdPte(9);
    expect(t?.info.present).toBe(256);
    expect(t?.clearedRows?.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t?.clearedMore).toBe(248);
    expect(t?.more).toBe(248);
    // The table's height: header, 8 rows, 8 cleared, the count, "+248 more", padding.
    const s = nodeMarkup(t!, model(9).layout, false, {});
    expect(s).toContain('+248 more cleared at this step');
    expect(s.match(/class="row cleared"/g)).toHaveLength(8);
  });
});

describe('the trees’ roles (rolesOf)', () => {
  const s = parseScenario(`kernel mshare-v1
spawn A
spawn B
spawn C
A: mmap 1T 1G rw shared anon fixed
A: mshare "r" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
B: mshare "r" 1T 512G O_RDWR
`);
  if (!s.ok) throw new Error('scenario');
  it('names the host, the creator and the guests as of step n, and no other tree', () => {
    const roles = rolesOf(s.scenario, 6);
    expect(roles.get('mshare:r')).toBe('host mm (r)');
    expect(roles.get('A')).toBe('A (creator)');
    expect(roles.get('B')).toBe('B (guest)');
    expect(roles.get('C')).toBeUndefined();
    // Before B attaches, B has no role; before any mshare, A has none either.
    expect(rolesOf(s.scenario, 5).get('A')).toBe('A (creator)');
    expect(rolesOf(s.scenario, 5).get('B')).toBeUndefined();
    expect(rolesOf(s.scenario, 4).get('A')).toBeUndefined();
    expect(rolesOf(undefined, 6).get('A')).toBeUndefined();
  });
});
