import { describe, expect, it } from 'vitest';
import { decodeLink } from '../scenario/link';
import { createExplorerStore } from '../store/store';
import { INTRO_SCENARIO } from '../scenario/examples';
import { lessonItems } from './gallery';
import { lessonFragment, openLessonFragment, parseLessonFragment } from './lessonLink';

const madvise = () => lessonItems().find((i) => i.lesson.name === 'madvise-reclaim')!;

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

  it('open the named lesson at the step, as a link does', () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    expect(openLessonFragment(store, '#lesson=madvise-reclaim&step=3')).toBe(true);
    expect(store.getState().text).toBe(madvise().text);
    expect(store.getState().cursor).toBe(3);
    expect(store.getState().notices).toEqual([]);
  });

  it('say so for an unknown name and leave the text alone', () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    store.getState().setText('spawn A\n# mine\n');
    expect(openLessonFragment(store, '#lesson=no-such-lesson')).toBe(true);
    expect(store.getState().text).toBe('spawn A\n# mine\n');
    expect(store.getState().notices.map((n) => [n.kind, n.message])).toEqual([
      [
        'error',
        'This link names a lesson "no-such-lesson" that this explorer does not have. Open the Gallery for the lessons. Your own text is unchanged.',
      ],
    ]);
  });

  it("keep the user's own text restorable", () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    store.getState().setText('spawn A\n# mine\n');
    openLessonFragment(store, '#lesson=madvise-reclaim');
    expect(store.getState().previousText).toBe('spawn A\n# mine\n');
    expect(store.getState().notices.at(-1)?.action).toBe('restore');
  });

  it('leave every other fragment to the share-link decoder (old links keep opening)', () => {
    const store = createExplorerStore({ defaultText: INTRO_SCENARIO });
    expect(openLessonFragment(store, '#v3=xyz&step=1')).toBe(false);
    expect(openLessonFragment(store, '#v2=xyz')).toBe(false);
    // And a lesson link is no share link: the old decoder would refuse it, so the two never compete.
    expect(decodeLink('#lesson=first-steps&step=2').ok).toBe(false);
  });
});
