/**
 * The gallery: the project's scenarios/*.ptx (bundled by Vite's
 * import.meta.glob as raw text) and the built-in ones, each with its title
 * and a one-line summary (its first note, else its leading comment).
 */
import { parseScenario } from '../scenario/parser';
import { BIG_SCENARIO, INTRO_SCENARIO, SEED_SCENARIO } from '../scenario/examples';

export interface GalleryItem {
  id: string;
  title: string;
  summary: string;
  text: string;
  /** Where it comes from: a file of scenarios/, or built in. */
  source: string;
}

const FILES = import.meta.glob('../../scenarios/**/*.ptx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** `"…"` with \" and \\ escapes, as the language writes strings. */
function unquote(s: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(s.trim());
  return m ? (m[1] as string).replace(/\\(["\\])/g, '$1') : undefined;
}

/** Title and summary from the text, even when it does not parse. */
export function describe(text: string, fallbackTitle: string): { title: string; summary: string } {
  let title: string | undefined;
  let note: string | undefined;
  let comment: string | undefined;
  let seenStatement = false;
  const parsed = parseScenario(text);
  if (parsed.ok) {
    title = parsed.scenario.title;
    note = parsed.scenario.steps.find((s) => s.note !== undefined)?.note?.split('\n')[0];
  }
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (!seenStatement && comment === undefined) comment = line.replace(/^#+\s*/, '');
      continue;
    }
    seenStatement = true;
    if (title === undefined && line.startsWith('title ')) title = unquote(line.slice(6));
    if (note === undefined && line.startsWith('note ')) note = unquote(line.slice(5));
    if (title !== undefined && note !== undefined) break;
  }
  const summary = note ?? comment ?? '';
  return { title: title ?? fallbackTitle, summary: summary.length > 160 ? summary.slice(0, 157) + '…' : summary };
}

function fileName(path: string): string {
  return path.replace(/^.*scenarios\//, '');
}

export function galleryItems(files: Record<string, string> = FILES): GalleryItem[] {
  const fromFiles = Object.keys(files)
    .sort()
    .map((path) => {
      const text = files[path] as string;
      const name = fileName(path);
      return { id: `file:${name}`, ...describe(text, name.replace(/\.ptx$/, '')), text, source: `scenarios/${name}` };
    });
  const builtins = [
    { id: 'builtin:intro', text: INTRO_SCENARIO },
    { id: 'builtin:seed', text: SEED_SCENARIO },
    { id: 'builtin:big', text: BIG_SCENARIO },
  ].map((b) => ({ ...b, ...describe(b.text, b.id), source: 'built in' }));
  // A project file with the same title replaces the built-in one.
  const titles = new Set(fromFiles.map((f) => f.title));
  return [...builtins.filter((b) => !titles.has(b.title)), ...fromFiles];
}
