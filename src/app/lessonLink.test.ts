import { beforeAll, describe, expect, it } from 'vitest';
import { decodeLink } from '../scenario/link';
import { createExplorerStore } from '../store/store';
import { INTRO_SCENARIO } from '../scenario/examples';
import { lessonItems, loadScenarioFiles, type ScenarioFiles } from './gallery';
import { lessonFragment, openLessonFragment, parseLessonFragment } from './lessonLink';

let files: ScenarioFiles;
beforeAll(async () => {
  files = await loadScenarioFiles();
});
const madvise = () => lessonItems(files).find((i) => i.lesson.name === 'madvise-reclaim')!;

describe('lesson links', () => {
  it('read the name and the step, and ignore a step that is not a whole number', () => {
    expect(parseLessonFragment('#lesson=madvise-reclaim&step=3')).toEqual({ name: 'madvise-reclaim', step: 3 });
    expect(parseLessonFragment('#step=2&present=1&lesson=first-steps')).toEqual({ name: 'first-steps', step: 2 });
    expect(parseLessonFragment('#lesson=first-steps&step=-1')).toEqual({ name: 'first-steps' });
    expect(parseLessonFragment('#lesson=first-steps&step=2.5')).toEqual({ name: 'first-steps' });
    expect(parseLessonFragment('#v3=abc&step=2')).toBeUndefined();
    expect(parseLessonFragment('')).toBeUndefined();
    expect(lessonFragment('madvise-reclaim', 4)).toBe('#lesson=madvise-reclaim&step=4');
    expect(lessonFragment('madvise-reclaim')).toBe('#lesson=madvise-reclaim');
    expect(() => lessonFragment('a&b')).toThrow(RangeError);
  });

  it('open the named lesson at the step, as a link does', async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    expect(await openLessonFragment(store, '#lesson=madvise-reclaim&step=3')).toBe(true);
    expect(store.getState().text).toBe(madvise().text);
    expect(store.getState().cursor).toBe(3);
    expect(store.getState().notices).toEqual([]);
  });

  it('say so for an unknown name and leave the text alone', async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    store.getState().setText('spawn A\n# mine\n');
    expect(await openLessonFragment(store, '#lesson=no-such-lesson')).toBe(true);
    expect(store.getState().text).toBe('spawn A\n# mine\n');
    expect(store.getState().notices.map((n) => [n.kind, n.message])).toEqual([
      [
        'error',
        'This link names a lesson "no-such-lesson" that this explorer does not have. Open the Gallery for the lessons. Your own text is unchanged.',
      ],
    ]);
  });

  it("keep the user's own text restorable", async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    store.getState().setText('spawn A\n# mine\n');
    await openLessonFragment(store, '#lesson=madvise-reclaim');
    expect(store.getState().previousText).toBe('spawn A\n# mine\n');
    expect(store.getState().notices.at(-1)?.action).toBe('restore');
  });

  it('leave every other fragment to the share-link decoder (old links keep opening)', async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    expect(await openLessonFragment(store, '#v3=xyz&step=1')).toBe(false);
    expect(await openLessonFragment(store, '#v2=xyz')).toBe(false);
    // And a lesson link is no share link: the old decoder would refuse it, so the two never compete.
    expect(decodeLink('#lesson=first-steps&step=2').ok).toBe(false);
  });

  it('issue 18: wait for the texts, and open against the text as it is then', async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    let release!: (f: ScenarioFiles) => void;
    const load = () => new Promise<ScenarioFiles>((r) => (release = r));
    const opening = openLessonFragment(store, '#lesson=madvise-reclaim&step=2', { load });
    expect(store.getState().text).toBe(INTRO_SCENARIO); // nothing yet: the texts are not there
    store.getState().setText('spawn A\n# typed meanwhile\n');
    release(files);
    expect(await opening).toBe(true);
    expect(store.getState().text).toBe(madvise().text);
    expect(store.getState().cursor).toBe(2);
    // What was typed while it loaded is kept, as for any link over the user's own text.
    expect(store.getState().previousText).toBe('spawn A\n# typed meanwhile\n');
  });

  it('issue 18: a lesson link overtaken by a newer link while its texts load does nothing', async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    let wanted = true;
    let release!: (f: ScenarioFiles) => void;
    const load = () => new Promise<ScenarioFiles>((r) => (release = r));
    const opening = openLessonFragment(store, '#lesson=madvise-reclaim', { load, stillWanted: () => wanted });
    wanted = false;
    release(files);
    expect(await opening).toBe(true);
    expect(store.getState().text).toBe(INTRO_SCENARIO);
    expect(store.getState().notices).toEqual([]);
  });

  it('issue 18: texts that will not load (offline before the site was cached) say so and change nothing', async () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    store.getState().setText('spawn A\n# mine\n');
    const load = () => Promise.reject(new TypeError('Failed to fetch dynamically imported module'));
    expect(await openLessonFragment(store, '#lesson=madvise-reclaim', { load })).toBe(true);
    expect(store.getState().text).toBe('spawn A\n# mine\n');
    expect(store.getState().notices.map((n) => [n.kind, n.message])).toEqual([
      [
        'error',
        "The lessons could not be loaded (Failed to fetch dynamically imported module), so this link's lesson did not open. Check the connection and open the link again. Your own text is unchanged.",
      ],
    ]);
  });
});
