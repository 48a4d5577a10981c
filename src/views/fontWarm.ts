/**
 * Fonts made ready while the user reads.
 *
 * Chromium makes a font's platform data the first time a text needs it: one per family, weight, style and size,
 * and on Linux each is a synchronous call to the browser process (FontCache::GetFontPlatformData and
 * WebSandboxSupportLinux::GetWebFontRenderStyleForStrike in Chromium's trace: 0.3-0.9 ms each). A step that first
 * shows the address bar, a bold copied entry or the tree at a new scale (SVG text is laid out at its size on screen)
 * made two or three inside its frame: 1-2 ms of it (docs/PERFORMANCE.md, session 12). A 2D canvas shares the page's
 * font cache, so measuring a text in each font the app will use, in idle time, makes them before the click.
 */

import { TREE_CSS, TREE_MONO, TREE_SANS } from './treeStyle';

export interface FontSpec {
  /** A CSS font-family list, as the style sheet has it (its first available family is the one made). */
  family: string;
  /** CSS px, before any scale. */
  size: number;
  weight?: number;
  italic?: boolean;
}

/** The canvas `font` of f drawn at `scale` (SVG text at the view's scale). */
export function fontString(f: FontSpec, scale = 1): string {
  return `${f.italic ? 'italic ' : ''}${f.weight ?? 400} ${f.size * scale}px ${f.family}`;
}

type Measure = (font: string) => void;

/** A measurer over a 2D canvas, or null where there is none (a test's DOM, a browser without canvas text). */
function canvasMeasure(): Measure | null {
  if (typeof OffscreenCanvas !== 'function') return null;
  const ctx = new OffscreenCanvas(1, 1).getContext('2d');
  if (!ctx) return null;
  return (font) => {
    ctx.font = font;
    ctx.measureText('0x7f PGD');
  };
}

/** Fonts asked for and not measured yet, in order; and those done (a font is measured once per page). */
const queue: string[] = [];
const done = new Set<string>();
let measure: Measure | null | undefined;
let scheduled = false;

const idle = (fn: (deadline: { timeRemaining(): number } | null) => void): void => {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(fn, { timeout: 2000 });
  else setTimeout(() => fn(null), 50);
};

function run(deadline: { timeRemaining(): number } | null): void {
  scheduled = false;
  measure ??= canvasMeasure();
  // One font at a time while the idle period lasts (a new one is up to ~1 ms): never more than a sliver of a
  // click's wait if one comes.
  while (queue.length > 0 && measure) {
    const font = queue.shift() as string;
    if (done.has(font)) continue;
    done.add(font);
    measure(font);
    if (!deadline || deadline.timeRemaining() < 2) break;
  }
  if (!measure) queue.length = 0;
  if (queue.length > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  idle(run);
}

/** Make these fonts (canvas `font` strings) while the page is idle; those already made or queued cost nothing. */
export function warmFonts(fonts: readonly string[]): void {
  let added = false;
  for (const f of fonts) {
    if (done.has(f) || queue.includes(f)) continue;
    queue.push(f);
    added = true;
  }
  if (added) schedule();
}

/**
 * Every font the tree's text may be drawn in, at scale 1: each size and weight a rule above sets, in both families
 * (a rule's text may be .mono or not). Made at the view's scale ahead of a step (warmTreeFonts).
 */
export function treeFonts(css: string = TREE_CSS): FontSpec[] {
  const pairs = new Set<string>();
  for (const [, body = ''] of css.matchAll(/\{([^{}]*)\}/g)) {
    const size = /font-size:\s*([\d.]+)px/.exec(body)?.[1];
    if (!size) continue;
    pairs.add(`${size}/${/font-weight:\s*(\d+)/.exec(body)?.[1] ?? '400'}`);
  }
  return [...pairs].flatMap((p) => {
    const [size, weight] = p.split('/').map(Number) as [number, number];
    return [TREE_SANS, TREE_MONO].map((family) => ({ family, size, weight }));
  });
}

/** The tree's fonts at scale k (its text is drawn at its size on screen), made while the page is idle. */
export function warmTreeFonts(k: number): void {
  treeFontList ??= treeFonts();
  warmFonts(treeFontList.map((f) => fontString(f, k)));
}
let treeFontList: FontSpec[] | undefined;

/** For tests: what has been measured, and a fresh start. */
export function warmedFonts(): ReadonlySet<string> {
  return done;
}
export function resetFontWarm(m?: Measure | null): void {
  queue.length = 0;
  done.clear();
  measure = m;
  scheduled = false;
}
