import { useMemo, useState, type ReactNode } from 'react';
import { useAfterPaint } from './afterPaint';
import { useExplorer, useExplorerStore } from './context';
import { lessonItems, lessonOfText } from './gallery';
import { lessonFragment } from './lessonLink';
import { useScenarioFiles } from './useScenarioFiles';

/**
 * A lesson's first and last pages (issue 16, and the lecture hall): at step 0
 * the tree is empty, so the lesson says there what it is about (its title in
 * full, the goal, what the learner will see and should know first) with a
 * button that runs the first step; at its last step it offers the next lesson.
 * Both only while the text is a lesson's, unedited. Whether it is needs the
 * lessons' texts, loaded the first time either is wanted (issue 18).
 */
function useLessonAt(where: 'start' | 'end') {
  const text = useExplorer((s) => s.text);
  const atNow = useExplorer(
    (s) =>
      s.loaded !== null &&
      s.loaded.text === s.text &&
      s.loaded.scenario.steps.length > 0 &&
      (where === 'start' ? s.cursor === 0 : s.cursor === s.loaded.scenario.steps.length),
  );
  // The card comes once the step's frame is painted (useAfterPaint): that frame is the step's own (issue 18's
  // step budget, docs/PERFORMANCE.md). It goes at once.
  const at = useAfterPaint(atNow) && atNow;
  const { files } = useScenarioFiles(at);
  const current = useMemo(() => (at && files ? lessonOfText(text, files) : undefined), [at, text, files]);
  return { current, files };
}

/**
 * Step 0 of a lesson: what it teaches, over the empty tree. Read aloud by a
 * lecturer before the first click, or alone by a student who followed a link.
 * `otherwise` is shown for a text that is no lesson's (and until that is known).
 */
export function LessonStart({ otherwise }: { otherwise: ReactNode }) {
  const store = useExplorerStore();
  const { current } = useLessonAt('start');
  if (!current) return otherwise;
  const l = current.lesson;
  return (
    <section className="ls-card" aria-labelledby="ls-title" data-testid="lesson-start">
      <div className="ls-head">
        <p className="ls-kicker">
          Lesson {l.index} of {l.of} · about {l.minutes} min
        </p>
        {/* First, so that a short window never scrolls it out of sight. */}
        <p className="ls-go">
          <button
            type="button"
            onClick={() => {
              store.getState().next();
              // This button goes with step 0: the keyboard carries on from the step controls' Next.
              document.querySelector<HTMLButtonElement>('button[aria-label="Next step"]')?.focus();
            }}
          >
            Start: step 1 →
          </button>
          <span className="muted">
            or press <kbd>→</kbd>
          </span>
        </p>
      </div>
      <h2 id="ls-title" className="ls-title">
        {current.title}
      </h2>
      <dl className="ls-facts">
        <dt>Goal</dt>
        <dd>{l.goal}</dd>
        <dt>You will see</dt>
        <dd>{l.see}</dd>
        <dt>Know first</dt>
        <dd>{l.know}</dd>
      </dl>
    </section>
  );
}

/**
 * The last step of a lesson offers the next one: a slim card at the foot of
 * the tree (two lines: the last step's tree is the lesson's conclusion, and a
 * taller card hid half of it at 1280×720), there only at the end. The link is
 * `#lesson=NAME`, which main.tsx opens on hashchange, so it also works from
 * the keyboard, in a new tab, or copied; the next lesson's goal is its first
 * page (LessonStart). After the last lesson it says the path is done and
 * offers the gallery. It can be closed; it comes back at the next lesson's end.
 */
export function NextLesson({ onGallery }: { onGallery: () => void }) {
  const { current, files } = useLessonAt('end');
  const next = useMemo(() => {
    if (!current || !files) return undefined;
    return lessonItems(files)[current.lesson.index]; // index is 1-based: this is the one after
  }, [current, files]);
  const [closedFor, setClosedFor] = useState<string | null>(null);
  if (!current || closedFor === current.lesson.name) return null;
  return (
    <aside className="nl-card" aria-label="Next lesson" data-testid="next-lesson">
      <div className="nl-head">
        <p className="nl-done">
          ✓ Lesson {current.lesson.index} of {current.lesson.of} done
          {next ? ` · next, about ${next.lesson.minutes} min:` : ''}
        </p>
        <button
          type="button"
          className="nl-close"
          aria-label="Close the next-lesson card"
          onClick={() => setClosedFor(current.lesson.name)}
        >
          ✕
        </button>
      </div>
      {next ? (
        <a
          className="nl-next"
          href={lessonFragment(next.lesson.name)}
          data-lesson={next.lesson.name}
          title={next.lesson.goal}
        >
          <span className="nl-label">Next lesson →</span> <span className="nl-title">{next.title}</span>
        </a>
      ) : (
        <p className="nl-last">
          <span className="nl-meta">That was the last lesson: from a first fault to the 1,500-client SGA.</span>{' '}
          <button type="button" onClick={onGallery}>
            Open the gallery
          </button>
        </p>
      )}
    </aside>
  );
}
