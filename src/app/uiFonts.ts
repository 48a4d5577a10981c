import { fontString, warmFonts, type FontSpec } from '../views/fontWarm';

/** styles.css's families, as the browser reports them. */
const SANS = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
const MONO = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
const MONO_SHORT = 'ui-monospace, "DejaVu Sans Mono", monospace';

const sans = (size: number, weight = 400, italic = false): FontSpec => ({ family: SANS, size, weight, italic });
const mono = (size: number, weight = 400, italic = false): FontSpec => ({ family: MONO, size, weight, italic });

/**
 * The fonts of the page's own text (not the tree's: treeStyle.ts) that the explorer's steps show, made while the page
 * is idle after its first paint (fontWarm.ts): the step that first shows the address bar or a statement's bold
 * outcome no longer makes them in its frame. Found by stepping through every gallery scenario and reading each text's
 * computed font; e2e/fonts.spec.ts checks that this list still has every font two scenarios' steps show. The
 * lesson cards' (NextLesson.tsx) come after a step's frame, but are listed too, in Present mode's sizes as well.
 */
export const UI_FONTS: readonly FontSpec[] = [
  sans(11),
  sans(12),
  sans(13),
  sans(14),
  sans(15),
  sans(16),
  sans(18),
  sans(20),
  sans(14, 400, true),
  sans(13, 600),
  sans(14, 600),
  sans(15, 600),
  sans(16, 600),
  sans(17, 600),
  sans(20, 600),
  sans(12, 700),
  sans(14, 700),
  sans(15, 700),
  sans(16, 700),
  sans(18, 700),
  sans(20, 700),
  sans(22, 700),
  sans(30, 700),
  mono(11),
  mono(11.5),
  mono(13),
  mono(14),
  mono(15),
  mono(18),
  mono(14, 400, true),
  mono(14, 600),
  mono(11, 700),
  mono(13, 700),
  mono(15, 700),
  { family: MONO_SHORT, size: 11, weight: 400 },
];

/** Make UI_FONTS while the page is idle. */
export function warmUiFonts(): void {
  warmFonts(UI_FONTS.map((f) => fontString(f)));
}
