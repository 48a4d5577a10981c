import { useMemo, useState } from 'react';
import { useAfterPaint } from './afterPaint';
import { useExplorer } from './context';
import { lessonItems, lessonOfText } from './gallery';
import { lessonFragment } from './lessonLink';
import { useScenarioFiles } from './useScenarioFiles';

/**
 * The last step of a lesson offers the next one (issue 16): a card over the
 * foot of the tree, there only while the text is a lesson's, unedited, and the
 * cursor is at its end. The link is `#lesson=NAME`, which main.tsx opens on
 * hashchange, so it also works from the keyboard, in a new tab, or copied.
 * After the last lesson it says the path is done and offers the gallery.
 * It can be closed (it covers the foot of the tree); it comes back at the
 * next lesson's end. Whether the text is a lesson's needs the lessons' texts,
 * loaded the first time a scenario's last step is reached (issue 18).
 */
export function NextLesson({ onGallery }: { onGallery: () => void }) {
  const text = useExplorer((s) => s.text);
  const atEndNow = useExplorer(
    (s) => s.loaded !== null && s.loaded.text === s.text && s.cursor === s.loaded.scenario.steps.length && s.cursor > 0,
  );
  // The card comes once the last step's frame is painted (useAfterPaint): that frame is the step's own (issue 18's
  // step budget, docs/PERFORMANCE.md). It goes at once.
  const atEnd = useAfterPaint(atEndNow) && atEndNow;
  const { files } = useScenarioFiles(atEnd);
  const current = useMemo(() => (atEnd && files ? lessonOfText(text, files) : undefined), [atEnd, text, files]);
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
          Lesson {current.lesson.index} of {current.lesson.of} done
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
        <a className="nl-next" href={lessonFragment(next.lesson.name)} data-lesson={next.lesson.name}>
          <span className="nl-label">Next lesson →</span>
          <span className="nl-title">{next.title}</span>
          <span className="nl-meta">
            {next.lesson.goal} About {next.lesson.minutes} min.
          </span>
        </a>
      ) : (
        <>
          <p className="nl-meta">That was the last lesson: from a first fault to the 1,500-client SGA.</p>
          <button type="button" onClick={onGallery}>
            Open the gallery
          </button>
        </>
      )}
    </aside>
  );
}
