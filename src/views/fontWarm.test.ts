import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fontString, resetFontWarm, treeFonts, warmFonts, warmedFonts } from './fontWarm';
import { TREE_MONO, TREE_SANS } from './treeStyle';

describe('fontString', () => {
  it('writes a canvas font: style, weight, size at the scale, family', () => {
    expect(fontString({ family: 'serif', size: 13, weight: 700 })).toBe('700 13px serif');
    expect(fontString({ family: 'serif', size: 14, italic: true })).toBe('italic 400 14px serif');
    expect(fontString({ family: 'serif', size: 10 }, 0.5)).toBe('400 5px serif');
  });
});

describe('warmFonts', () => {
  let measured: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    measured = [];
    resetFontWarm((font) => measured.push(font));
  });
  afterEach(() => {
    resetFontWarm();
    vi.useRealTimers();
  });

  it('measures nothing in the call: only when the page is idle', () => {
    warmFonts(['400 11px a']);
    expect(measured).toEqual([]);
    vi.runAllTimers();
    expect(measured).toEqual(['400 11px a']);
  });

  it('measures each font once, however often it is asked for', () => {
    warmFonts(['400 11px a', '700 11px a', '400 11px a']);
    vi.runAllTimers();
    warmFonts(['700 11px a', '400 12px a']);
    vi.runAllTimers();
    expect(measured).toEqual(['400 11px a', '700 11px a', '400 12px a']);
    expect([...warmedFonts()]).toEqual(measured);
  });

  it('does nothing where there is no canvas', () => {
    resetFontWarm(null);
    warmFonts(['400 11px a']);
    vi.runAllTimers();
    expect(measured).toEqual([]);
  });
});

describe('treeFonts', () => {
  it("has every size and weight the tree's rules set, in both families", () => {
    const key = (f: { size: number; weight?: number; family: string }) =>
      `${f.size}/${f.weight}/${f.family === TREE_MONO ? 'mono' : f.family === TREE_SANS ? 'sans' : f.family}`;
    const fonts = treeFonts().map(key).sort();
    // Read off treeStyle.ts by hand: .mono, .sub, .more text 11/400; .badge text, .open-summary text 11/700;
    // .row .change 12/700; .col-label, .title, .ghost-more 13/700; .token text 14/700; .role-label 15/700.
    const want = ['11/400', '11/700', '12/700', '13/700', '14/700', '15/700'].flatMap((p) => [
      `${p}/mono`,
      `${p}/sans`,
    ]);
    expect(fonts).toEqual(want.sort());
  });

  it('reads a rule without a weight as 400 and skips rules without a size', () => {
    const css = '.a { font-size: 9px; } .b { font-weight: 700; } .c { font-weight: 600; font-size: 10.5px; }';
    expect(treeFonts(css).map((f) => `${f.size}/${f.weight}`)).toEqual(['9/400', '9/400', '10.5/600', '10.5/600']);
  });
});
