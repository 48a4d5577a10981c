import { describe, expect, it } from 'vitest';
import type { StepChange } from '../core/changes';
import type { Forest, NodeInfo } from '../core/inspect';
import { nodeMarkup } from './nodeMarkup';
import { changeMarks, changesOf, eventsTouching, shortHex, touchedBy } from './treeChanges';
import { layoutForest } from './treeLayout';
import type { ReportStep } from '../scenario/report';

// Hand-built changes, values checked by hand against x86-64's PTE layout:
// 0x...1003067 = PFN 0x1003, flags P RW US A D (0x67); fork's write-protect
// clears RW (bit 1): 0x...067 → 0x...065.
const SET_PGD: StepChange = {
  kind: 'entry-set',
  event: 2,
  fn: 'set_pgd',
  mm: 'B',
  level: 'pgd',
  table: 0x1001,
  index: 2,
  old: null,
  new: '0000000001003067',
};
const WRPROTECT: StepChange = {
  kind: 'entry-set',
  event: 1,
  fn: 'copy_present_pte',
  mm: 'A',
  level: 'pte',
  table: 0x1003,
  index: 0,
  old: '8000000000a3c067',
  new: '8000000000a3c065',
  flags: [{ name: 'RW', from: 1, to: 0 }],
};
const PUD_ALLOC: StepChange = {
  kind: 'table-alloc',
  event: 0,
  fn: 'pud_alloc',
  mm: 'mshare:sga',
  level: 'pud',
  pfn: 0x1003,
};
const FREED: StepChange = { kind: 'table-free', event: 4, fn: 'free_pgd_range', mm: 'A', level: 'pte', pfn: 0x1010 };

function pgd(id: string, entries: { index: number; value: string }[]): NodeInfo {
  return {
    id,
    kind: 'table',
    level: 'pgd',
    pfn: Number(id.slice(1)),
    owner: 'B',
    entries: entries.map((e) => ({
      index: e.index,
      value: e.value,
      flags: 0x67,
      pfn: 0x1003,
      target: 't4099',
      from: '0x10000000000',
      to: '0x17fffffffff',
    })),
    present: entries.length,
    parents: [],
  };
}

describe("a step's changes as the tree marks them", () => {
  it('reads `changes` from a report step only when it is there', () => {
    expect(changesOf(undefined)).toBeUndefined();
    expect(changesOf({ events: [] } as unknown as ReportStep)).toBeUndefined();
    expect(changesOf({ events: [], changes: [SET_PGD] } as unknown as ReportStep)).toEqual([SET_PGD]);
    expect(changeMarks(undefined).rows.size).toBe(0);
  });

  it("a new entry reads `new: value`, a flag flip `RW 1→0`, by the table's node id t<pfn>", () => {
    const m = changeMarks([SET_PGD, WRPROTECT]);
    expect(m.rows.get('t4097')?.get(2)).toMatchObject({ kind: 'set', short: 'new: 0x1003067', fn: 'set_pgd' });
    expect(m.rows.get('t4097')?.get(2)?.full).toBe('PGD[2]: none → 0x0000000001003067 (set_pgd)');
    expect(m.rows.get('t4099')?.get(0)?.short).toBe('RW 1→0');
    expect(shortHex('0000000000000000')).toBe('0x0');
  });

  it('new tables are marked, freed ones become ghosts with the function that freed them', () => {
    const m = changeMarks([PUD_ALLOC, FREED]);
    expect([...m.added]).toEqual(['t4099']);
    expect(m.freed).toEqual([{ id: 't4112', level: 'pte', pfn: 0x1010, mm: 'A', fn: 'free_pgd_range', event: 4 }]);
  });

  it('trace ↔ tree: an event touches its rows and pages; an entry lists the events that touched it', () => {
    const m = changeMarks([PUD_ALLOC, WRPROTECT, SET_PGD]);
    expect(touchedBy(m, 2)).toEqual({ nodes: new Set(), rows: new Set(['t4097:2']) });
    expect(touchedBy(m, 0).nodes).toEqual(new Set(['t4099']));
    expect(touchedBy(m, null).rows.size).toBe(0);
    expect(eventsTouching(m, 't4097', 2)).toEqual([2]);
    expect(eventsTouching(m, 't4097', 3)).toEqual([]);
  });

  it('the markup: the changed row is highlighted, two rows high, with old → new under its value', () => {
    const forest: Forest = {
      roots: [{ mm: 'B', node: 't4097' }],
      nodes: { t4097: pgd('t4097', [{ index: 2, value: '0x0000000001003067' }]) },
    };
    const marks = changeMarks([SET_PGD]);
    const layout = layoutForest(forest, { paging: 4, tallRows: new Map([['t4097', new Set([2])]]) });
    const n = layout.byId.get('t4097')!;
    expect(n.rows[0]?.h).toBe(40);
    const s = nodeMarkup(n, layout, false, { rows: marks.rows.get('t4097'), role: 'B (guest)' });
    expect(s).toContain('<g class="row changed" data-index="2"');
    expect(s).toContain('<text class="mono change" x="12" y="34">new: 0x1003067</text>');
    expect(s).toContain('changed at this step: PGD[2]: none → 0x0000000001003067 (set_pgd)');
    expect(s).toContain('>B (guest)</text>');
    // Without changes: no mark.
    expect(nodeMarkup(n, layout, false)).not.toContain('changed');
  });

  it('an entry cleared at this step is drawn struck out after the rows, with the function that cleared it', () => {
    const CLEARED: StepChange = {
      kind: 'entry-cleared',
      event: 3,
      fn: 'free_pgd_range',
      mm: 'A',
      level: 'pgd',
      table: 0x1001,
      index: 5,
      old: '0000000001405067',
    };
    const forest: Forest = {
      roots: [{ mm: 'A', node: 't4097' }],
      nodes: { t4097: pgd('t4097', [{ index: 2, value: '0x0000000001003067' }]) },
    };
    const marks = changeMarks([CLEARED]);
    expect(marks.rows.get('t4097')?.get(5)).toMatchObject({ kind: 'cleared', short: 'cleared: free_pgd_range' });
    const layout = layoutForest(forest, { paging: 4, clearedRows: new Map([['t4097', [5]]]) });
    const n = layout.byId.get('t4097')!;
    // Header 40, one row of 20, the cleared row of 20, padding 6.
    expect(n.h).toBe(86);
    const s = nodeMarkup(n, layout, false, { rows: marks.rows.get('t4097') });
    expect(s).toContain('<g class="row cleared" data-index="5" transform="translate(0,60)"');
    expect(s).toContain('<tspan x="48">cleared: free_pgd_range</tspan>');
    expect(s).toContain('PGD[5]: 0x0000000001405067 → none (free_pgd_range)');
  });
});
