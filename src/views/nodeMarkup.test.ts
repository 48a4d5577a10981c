import { describe, expect, it } from 'vitest';
import type { Forest, NodeInfo } from '../core/inspect';
import { esc, nodeMarkup } from './nodeMarkup';
import { layoutForest } from './treeLayout';

function table(id: string, level: NodeInfo['level'], n: number, owner = 'x'): NodeInfo {
  return {
    id,
    kind: 'table',
    level,
    pfn: 0x1a2,
    owner,
    // P RW US (flags bits 0-2), each entry a 4 KiB page at its index.
    entries: Array.from({ length: n }, (_, i) => ({
      index: i,
      value: '0x7',
      flags: 7,
      pfn: 0x10 + i,
      target: `p${i}`,
      from: `0x${(i * 4096).toString(16)}`,
      to: `0x${(i * 4096 + 4095).toString(16)}`,
    })),
    present: n,
    parents: [],
  };
}

function markupOf(forest: Forest, id: string, opened = false): string {
  const layout = layoutForest(forest, { paging: 4, openTables: opened ? new Set([id]) : undefined });
  const n = layout.byId.get(id);
  if (!n) throw new Error(`no node ${id}`);
  return nodeMarkup(n, layout, opened);
}

/** The elements the markup opens and closes, in order: to see it nests. */
function balanced(markup: string): boolean {
  const open: string[] = [];
  for (const m of markup.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) open.push(m[2] as string);
    else if (open.pop() !== m[2]) return false;
  }
  return open.length === 0;
}

describe("a tree node's markup", () => {
  it('escapes what a scenario names: a task called <a&"b\'>', () => {
    expect(esc(`<a&"b'>`)).toBe('&lt;a&amp;&quot;b&#39;&gt;');
    const m = markupOf({ roots: [{ mm: `<a&"b'>`, node: 'g' }], nodes: { g: table('g', 'pgd', 1) } }, 'g');
    expect(m).not.toContain('<a&');
    expect(m).toContain(
      'aria-label="PGD page of &lt;a&amp;&quot;b&#39;&gt;, pfn 0x1a2, 1 present entries, allocated by x. Press the down arrow for its entries"',
    );
    expect(balanced(m)).toBe(true);
  });

  it('draws a header button, one row per entry with its index, flags and PFN, and the entry as tooltip', () => {
    const m = markupOf({ roots: [{ mm: 'A', node: 'g' }], nodes: { g: table('g', 'pgd', 2) } }, 'g');
    expect(m.match(/<g class="header" role="button" tabindex="0"/g)).toHaveLength(1);
    expect(m.match(/<g class="row" data-index="\d+"/g)).toEqual([
      '<g class="row" data-index="0"',
      '<g class="row" data-index="1"',
    ]);
    expect(m).toContain('<tspan x="8">[1]</tspan>');
    expect(m).toMatch(/<tspan class="flags" x="48">P RW US<\/tspan>/);
    expect(m).toContain('>0x11</tspan>');
    expect(m).toContain('<title>entry 1: 0x7, maps 0x1000–0x1fff</title>');
    expect(m).toContain('>PGD · A<');
    expect(m).not.toContain('class="more"');
    expect(balanced(m)).toBe(true);
  });

  it('"+N more" is a button only when there is more to list, and "show fewer" when opened', () => {
    const forest: Forest = { roots: [{ mm: 'A', node: 'g' }], nodes: { g: table('g', 'pgd', 20) } };
    const closed = markupOf(forest, 'g');
    expect(closed).toMatch(
      /<g class="more" transform="translate\(0,[\d.]+\)" role="button" tabindex="0" aria-label="Show all entries of this PGD page">/,
    );
    expect(closed).toMatch(/>\+\d+ more: show all</);
    const opened = markupOf(forest, 'g', true);
    expect(opened).toContain('aria-label="Show fewer entries of this PGD page"');
    expect(opened.match(/<g class="row"/g)).toHaveLength(20);
    expect(balanced(closed) && balanced(opened)).toBe(true);
  });

  it('clips a long title and keeps it whole as the tooltip', () => {
    const long = 'a-task-with-a-very-long-name-indeed';
    const m = markupOf({ roots: [{ mm: long, node: 'g' }], nodes: { g: table('g', 'pgd', 1) } }, 'g');
    expect(m).toContain(`<title>PGD · ${long}</title>`);
    expect(m).toMatch(/<text class="title" x="8" y="17">PGD · a-task[^<]*…<title>/);
    // ...and drawn whole over the header while it has the keyboard focus.
    expect(m).toContain(`<g class="full-title">`);
    expect(m).toContain(`<text class="title" x="8" y="17">PGD · ${long}</text></g>`);
  });

  it('never clips a number: a long subtitle drops words, not digits; an mshare host reads "host <name>"', () => {
    const big = { ...table('g', 'pud', 3, 'mshare:a-region-with-a-long-name'), pfn: 0x1fffffff, present: 123456 };
    const m = markupOf({ roots: [{ mm: 'mshare:a-region-with-a-long-name', node: 'g' }], nodes: { g: big } }, 'g');
    expect(m).toContain('>pfn 0x1fffffff · 123,456<');
    expect(m).toMatch(/>PUD · host a-region[^<]*…<title>PUD · host a-region-with-a-long-name<\/title>/);
  });
});
