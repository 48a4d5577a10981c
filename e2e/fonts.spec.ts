/**
 * The fonts made while the page is idle (src/views/fontWarm.ts) are the fonts the steps show: the page's own text
 * in UI_FONTS (src/app/uiFonts.ts), the tree's in treeFonts() at the view's scale. A font missing from them costs the
 * step that first shows it 0.3-0.9 ms (docs/PERFORMANCE.md, session 12); this test says which.
 */
import { readFileSync } from 'node:fs';
import { UI_FONTS } from '../src/app/uiFonts';
import { fontString, treeFonts, type FontSpec } from '../src/views/fontWarm';
import { expect, test } from './fixtures';

test.use({ reducedMotion: 'reduce' });

interface Seen {
  html: string[];
  /** Each tree text's font at scale 1, and its size on screen over the view's scale (should be its CSS size). */
  svg: { font: string; css: number; screen: number; scale: number }[];
}

/** The font of every text shown (or drawn ahead), read from the page. */
async function fontsShown(page: import('@playwright/test').Page): Promise<Seen> {
  return page.evaluate(() => {
    const html = new Set<string>();
    const svg: Seen['svg'] = [];
    const scale = Number(document.querySelector('svg.ptx-tree')?.getAttribute('data-scale') ?? 1);
    const walker = document.createTreeWalker(document.querySelector('main') ?? document.body, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!el || !t.textContent?.trim()) continue;
      const cs = getComputedStyle(el);
      if (el.closest('.cm-editor')) continue; // CodeMirror's, made at load with the editor
      const font = `${cs.fontStyle === 'italic' ? 'italic ' : ''}${cs.fontWeight} ${parseFloat(cs.fontSize)}px ${cs.fontFamily}`;
      const text = el.closest('text');
      if (!text) {
        if (el.getClientRects().length > 0) html.add(font);
        continue;
      }
      const m = text.getScreenCTM();
      const ctm = m ? Math.hypot(m.a, m.b) : 1;
      svg.push({ font, css: parseFloat(cs.fontSize), screen: parseFloat(cs.fontSize) * ctm, scale });
    }
    return { html: [...html], svg };
  });
}

for (const file of ['mshare-v1-host-addr', 'fork-shared-vs-private']) {
  test(`every font ${file}'s steps show is among those made ahead`, async ({ explorer, page }) => {
    const text = readFileSync(`scenarios/${file}.ptx`, 'utf8');
    await explorer.openScenario(text, 0);
    const total = Number(/of (\d+)/.exec((await explorer.stepCount.textContent()) ?? '')?.[1]);
    expect(total).toBeGreaterThan(3);
    const ui = new Set(UI_FONTS.map((f) => fontString(f)));
    const tree = new Set(treeFonts().map((f: FontSpec) => fontString(f)));
    const missing = new Set<string>();
    let svgTexts = 0;
    for (let n = 0; n <= total; n++) {
      if (n > 0) {
        await explorer.nextStep.click();
        await expect(explorer.stepCount).toHaveText(`Step ${n} of ${total}`);
        await explorer.settled();
      }
      const seen = await fontsShown(page);
      for (const f of seen.html) if (!ui.has(f)) missing.add(`step ${n}, page: ${f}`);
      for (const s of seen.svg) {
        svgTexts++;
        if (!tree.has(s.font)) missing.add(`step ${n}, tree: ${s.font}`);
        // The tree's text is drawn at the view's scale and no other: the scale its fonts are made at.
        expect(s.screen).toBeCloseTo(s.css * s.scale, 2);
      }
    }
    expect(svgTexts).toBeGreaterThan(0);
    expect([...missing]).toEqual([]);
  });
}
