import { describe, expect, it } from 'vitest';
import type { Forest, NodeInfo } from '../core/inspect';
import { layoutForest } from './treeLayout';
import { TREE_MIN_FONT } from './treeStyle';
import { fitTransform } from './treeViewport';

function chain(mm: string, n: number): Forest {
  const nodes: Record<string, NodeInfo> = {};
  const levels = ['pgd', 'pud', 'pmd', 'pte'] as const;
  for (let t = 0; t < n; t++) {
    levels.forEach((level, k) => {
      const id = `${mm}${t}${level}`;
      const next = k < 3 ? `${mm}${t}${levels[k + 1]}` : `${mm}${t}d`;
      nodes[id] = {
        id,
        kind: 'table',
        level,
        pfn: t * 8 + k,
        owner: mm,
        entries: [{ index: 1, value: '0x67', flags: 0x67, pfn: 1, target: next, from: '0x0', to: '0xfff' }],
        present: 1,
        parents: [],
      };
    });
    nodes[`${mm}${t}d`] = {
      id: `${mm}${t}d`,
      kind: 'data',
      level: 'data',
      pfn: 99 + t,
      owner: 'anon',
      entries: [],
      present: 0,
      parents: [],
    };
  }
  return { roots: Array.from({ length: n }, (_, t) => ({ mm: `${mm}${t}`, node: `${mm}${t}pgd` })), nodes };
}

describe('the fit', () => {
  const layout = layoutForest(chain('t', 6), { paging: 4 });

  it('never scales text below 9 px (normal) or 12 px (Present) on screen, even when the forest does not fit', () => {
    const boxes: [number, number][] = [
      [640, 440],
      [940, 500],
      [1260, 560],
      [300, 300],
    ];
    for (const [w, h] of boxes) {
      expect(
        fitTransform({ layout, leftGutter: 0, focus: null, minTextPx: 9 }, w, h).k * TREE_MIN_FONT,
      ).toBeGreaterThanOrEqual(9);
      expect(
        fitTransform({ layout, leftGutter: 0, focus: null, minTextPx: 12 }, w, h).k * TREE_MIN_FONT,
      ).toBeGreaterThanOrEqual(12);
    }
  });

  it('pans to the focus when the forest does not fit: the focus is on screen', () => {
    const last = layout.byId.get('t5pte')!;
    const focus = { x0: last.x, y0: last.y, x1: last.x + last.w, y1: last.y + last.h };
    const t = fitTransform({ layout, leftGutter: 0, focus, minTextPx: 9 }, 640, 440);
    const sx0 = focus.x0 * t.k + t.x;
    const sy0 = focus.y0 * t.k + t.y;
    expect(sx0).toBeGreaterThanOrEqual(0);
    expect(focus.x1 * t.k + t.x).toBeLessThanOrEqual(640);
    expect(sy0).toBeGreaterThanOrEqual(0);
    expect(focus.y1 * t.k + t.y).toBeLessThanOrEqual(440);
  });

  it("keeps a tall focus's end in view when anchored there (a copy's guest slot), its start otherwise", () => {
    // From the first tree's PGD to the last tree's PGD: taller than a 440 px view at the readable scale.
    const first = layout.byId.get('t0pgd')!;
    const last = layout.byId.get('t5pgd')!;
    const focus = { x0: first.x, y0: first.y, x1: last.x + last.w, y1: last.y + last.h };
    const end = fitTransform({ layout, leftGutter: 0, focus, focusAnchor: 'end', minTextPx: 12 }, 640, 440);
    expect((focus.y1 - focus.y0) * end.k).toBeGreaterThan(440);
    expect(focus.y1 * end.k + end.y).toBeLessThanOrEqual(440);
    expect(last.y * end.k + end.y).toBeGreaterThanOrEqual(0);
    const start = fitTransform({ layout, leftGutter: 0, focus, minTextPx: 12 }, 640, 440);
    expect(first.y * start.k + start.y).toBeGreaterThanOrEqual(0);
    expect(focus.y1 * start.k + start.y).toBeGreaterThan(440);
  });

  it('shows the whole forest when it fits, centred, and its scale does not depend on the focus', () => {
    const small = layoutForest(chain('a', 1), { paging: 4 });
    const a = fitTransform({ layout: small, leftGutter: 0, focus: null, minTextPx: 9 }, 1600, 900);
    const b = fitTransform(
      { layout: small, leftGutter: 0, focus: { x0: 0, y0: 0, x1: 10, y1: 10 }, minTextPx: 9 },
      1600,
      900,
    );
    expect(a.toString()).toBe(b.toString());
    expect(small.width * a.k).toBeLessThanOrEqual(1600);
  });

  it('keeps the column labels (34 units above the drawing) in view when it shows the top of a forest that does not fit', () => {
    const t = fitTransform({ layout, leftGutter: 0, focus: null, minTextPx: 9 }, 640, 440);
    // The label's top: its baseline at -34, a 13 px font's ascent above it.
    expect((-34 - 13) * t.k + t.y).toBeGreaterThanOrEqual(0);
  });
});
