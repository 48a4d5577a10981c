/**
 * Lessons by name in a link (issue 16): `#lesson=NAME` opens the lesson at
 * its start, `#lesson=NAME&step=N` at step N, and `&present=1` in Present
 * mode as with any link (src/app/links.ts). The name is the one of
 * src/scenario/lessons.ts, so a course can link its lessons by name, and a
 * link keeps opening the lesson as its text improves. Once open, the address
 * bar holds the usual `#v3=` link of the text and step (syncAddressBar), as
 * for any scenario.
 *
 * The lessons' texts are not part of the first load (issue 18): opening a
 * lesson link waits for them (loadScenarioFiles), so it is asynchronous.
 *
 * A fragment without `lesson=` is not ours: openFragment decodes it as
 * before, so every old link keeps opening.
 */
import type { StoreApi } from 'zustand/vanilla';
import { LESSON_NAME } from '../scenario/lessons';
import type { ExplorerState } from '../store/store';
import { lessonItems, loadScenarioFiles, type ScenarioFiles } from './gallery';

export interface LessonRef {
  name: string;
  step?: number;
}

/** The fragment's parameters (`#a=1&b=2`), decoded; undefined when it has no `lesson=`. */
export function parseLessonFragment(hash: string): LessonRef | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const name = params.get('lesson');
  if (name === null) return undefined;
  const stepText = params.get('step');
  const step = stepText !== null && /^\d{1,9}$/.test(stepText) ? Number(stepText) : undefined;
  return step === undefined ? { name } : { name, step };
}

/** The fragment that opens a lesson (with its '#'). */
export function lessonFragment(name: string, step?: number): string {
  if (!LESSON_NAME.test(name)) throw new RangeError(`not a lesson name: ${name}`);
  return `#lesson=${name}${step !== undefined && step > 0 ? `&step=${Math.trunc(step)}` : ''}`;
}

/**
 * Open the lesson a fragment names, once the lessons' texts are loaded.
 * Resolves to false when the fragment names none (the caller decodes it as a
 * `#v3=` link); to true when it did, whether the lesson opened or could not
 * (an unknown name, or texts that would not load: said in a notice, the
 * text left as it was). `stillWanted` is asked after the wait: when it says
 * no (a newer link came meanwhile), this one does nothing.
 */
export async function openLessonFragment(
  store: StoreApi<ExplorerState>,
  hash: string,
  opts: { stillWanted?: () => boolean; load?: () => Promise<ScenarioFiles> } = {},
): Promise<boolean> {
  const ref = parseLessonFragment(hash);
  if (ref === undefined) return false;
  const { stillWanted = () => true, load = loadScenarioFiles } = opts;
  let files: ScenarioFiles;
  try {
    files = await load();
  } catch (e) {
    if (stillWanted()) {
      const why = e instanceof Error ? e.message : String(e);
      store
        .getState()
        .notify(
          'error',
          `The lessons could not be loaded (${why}), so this link's lesson did not open. Check the connection and open the link again. Your own text is unchanged.`,
        );
    }
    return true;
  }
  if (!stillWanted()) return true;
  // Read after the wait: the text may have changed meanwhile.
  const s = store.getState();
  const item = lessonItems(files).find((i) => i.lesson.name === ref.name);
  if (!item) {
    // The name comes from a stranger's link: shown only as text, and cut short.
    const shown = ref.name.length > 60 ? `${ref.name.slice(0, 57)}…` : ref.name;
    s.notify(
      'error',
      `This link names a lesson "${shown}" that this explorer does not have. Open the Gallery for the lessons. Your own text is unchanged.`,
    );
    return true;
  }
  if (item.text === s.text && (ref.step ?? 0) === s.cursor) return true; // a reload of the same lesson link
  const stashed = s.loadScenario(
    item.text,
    ref.step === undefined ? { source: 'link' } : { source: 'link', step: ref.step },
  );
  if (stashed && !s.embed) {
    store.getState().notify('info', `Opened the lesson "${item.title}". Your previous text was kept.`, 'restore');
  }
  return true;
}
