/**
 * The gallery: the lesson path of src/scenario/lessons.ts, in its sections,
 * each lesson's text being a file of the project's scenarios/ (bundled by
 * Vite's import.meta.glob as raw text, in a chunk of its own loaded on first
 * need: loadScenarioFiles) or a scenario built into the app.
 * A file no lesson lists yet still shows, under "More scenarios", with its
 * title and a summary from its text (its first note, else its leading
 * comment), so nothing added to scenarios/ disappears.
 */
import { SECTIONS, type Lesson } from '../scenario/lessons';
import { parseScenario } from '../scenario/parser';
import { BIG_SCENARIO, INTRO_SCENARIO } from '../scenario/examples';

export interface GalleryLesson extends Lesson {
  /** Its place on the path, 1-based, over all sections. */
  index: number;
  /** How many lessons the path has. */
  of: number;
}

export interface GalleryItem {
  id: string;
  title: string;
  /** What the learner will see (a lesson's `see`; else from the text). */
  summary: string;
  text: string;
  /** Where it comes from: a file of scenarios/, or built in. */
  source: string;
  /** The lesson it is, if any. */
  lesson?: GalleryLesson;
}

export interface GallerySection {
  id: string;
  title: string;
  items: GalleryItem[];
}

/** The texts of scenarios/ by path (`../../scenarios/x.ptx`), as Vite's import.meta.glob names them. */
export type ScenarioFiles = Record<string, string>;

let loading: Promise<ScenarioFiles> | undefined;
let loaded: ScenarioFiles | undefined;

/**
 * The texts of scenarios/, loaded once: they are kept off the first load
 * (issue 18: about 20 KB gzipped of its 160 KB budget), in ./scenarioFiles.ts's
 * chunk. A failed load (offline before the service worker cached the site)
 * is forgotten, so the next call tries again.
 */
export function loadScenarioFiles(): Promise<ScenarioFiles> {
  if (loading) return loading;
  const p = import('./scenarioFiles').then((m) => (loaded = m.SCENARIO_FILES));
  loading = p;
  p.catch(() => {
    if (loading === p) loading = undefined;
  });
  return p;
}

/** The texts of scenarios/ if loadScenarioFiles() has brought them already (a view then needs no "Loading…"). */
export function loadedScenarioFiles(): ScenarioFiles | undefined {
  return loaded;
}

const BUILTINS: Record<'intro' | 'big', string> = { intro: INTRO_SCENARIO, big: BIG_SCENARIO };

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

/**
 * A scenario's title: its `title "…"` line, read without parsing the whole text (the gallery's 1,500-task
 * scenarios take milliseconds each to parse); describe()'s, when there is no such line.
 */
export function titleOf(text: string, fallbackTitle: string): string {
  const m = /^[ \t]*title[ \t]+("(?:[^"\\\n]|\\.)*")/m.exec(text);
  const title = m ? unquote(m[1] as string) : undefined;
  return title ?? describe(text, fallbackTitle).title;
}

/** Sections per set of files: computed once (NextLesson asks at the last step of every lesson). */
const sectionsOf = new WeakMap<ScenarioFiles, GallerySection[]>();

/** The gallery's sections: the lessons in order, then any file no lesson lists. */
export function gallerySections(files: ScenarioFiles): GallerySection[] {
  let sections = sectionsOf.get(files);
  if (!sections) sectionsOf.set(files, (sections = buildSections(files)));
  return sections;
}

function buildSections(files: ScenarioFiles): GallerySection[] {
  const byName = new Map(Object.keys(files).map((path) => [fileName(path), files[path] as string]));
  const used = new Set<string>();
  const of = SECTIONS.reduce((n, s) => n + s.lessons.length, 0);
  let index = 0;
  const sections: GallerySection[] = SECTIONS.map((section) => ({
    id: section.id,
    title: section.title,
    items: section.lessons.flatMap((lesson): GalleryItem[] => {
      index += 1;
      let text: string | undefined;
      let id: string;
      let source: string;
      if ('file' in lesson.source) {
        text = byName.get(lesson.source.file);
        id = `file:${lesson.source.file}`;
        source = `scenarios/${lesson.source.file}`;
        used.add(lesson.source.file);
      } else {
        text = BUILTINS[lesson.source.builtin];
        id = `builtin:${lesson.source.builtin}`;
        source = 'built in';
      }
      // A lesson whose file is missing (a test's own file set) is left out rather than shown empty.
      if (text === undefined) return [];
      return [
        {
          id,
          title: titleOf(text, lesson.name),
          summary: lesson.see,
          text,
          source,
          lesson: { ...lesson, index, of },
        },
      ];
    }),
  }));
  const more = [...byName.keys()]
    .filter((name) => !used.has(name))
    .sort()
    .map((name) => {
      const text = byName.get(name) as string;
      return { id: `file:${name}`, ...describe(text, name.replace(/\.ptx$/, '')), text, source: `scenarios/${name}` };
    });
  if (more.length > 0) sections.push({ id: 'more', title: 'More scenarios', items: more });
  return sections.filter((s) => s.items.length > 0);
}

/** Every gallery item in path order. */
export function galleryItems(files: ScenarioFiles): GalleryItem[] {
  return gallerySections(files).flatMap((s) => s.items);
}

/** The lesson items of the gallery, in path order. */
export function lessonItems(files: ScenarioFiles): (GalleryItem & { lesson: GalleryLesson })[] {
  return galleryItems(files).filter((i): i is GalleryItem & { lesson: GalleryLesson } => i.lesson !== undefined);
}

/** The lesson whose text this is, exactly (an edited text is the user's own, no longer the lesson). */
export function lessonOfText(
  text: string,
  files: ScenarioFiles,
): (GalleryItem & { lesson: GalleryLesson }) | undefined {
  return lessonItems(files).find((i) => i.text === text);
}
