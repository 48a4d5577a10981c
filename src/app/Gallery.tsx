import { useEffect, useMemo, useRef } from 'react';
import { useExplorerStore } from './context';
import { gallerySections } from './gallery';
import { lessonFragment } from './lessonLink';
import { useScenarioFiles } from './useScenarioFiles';

/**
 * The gallery (issue 16): the lessons as an ordered path in sections, each
 * with its learning goal, what the learner will see, what to know first and
 * about how many minutes it takes; then any scenario file no lesson lists.
 * The texts (and so the titles) load the first time it opens (issue 18: not
 * part of the first load); until then it says "Loading the lessons…".
 */
export function Gallery({ open, onClose }: { open: boolean; onClose: () => void }) {
  const store = useExplorerStore();
  const ref = useRef<HTMLDialogElement>(null);
  const { files, error } = useScenarioFiles(open);
  const sections = useMemo(() => (files ? gallerySections(files) : []), [files]);
  const lessons = sections.flatMap((s) => s.items).filter((i) => i.lesson);
  const minutes = lessons.reduce((n, i) => n + (i.lesson?.minutes ?? 0), 0);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  const choose = (text: string) => {
    const s = store.getState();
    if (s.loadScenario(text, { source: 'gallery' }) && !s.embed) {
      store.getState().notify('info', 'Loaded a scenario from the gallery. Your previous text was kept.', 'restore');
    }
    onClose();
  };

  return (
    <dialog ref={ref} className="gallery" aria-labelledby="gallery-title" onClose={onClose} data-testid="gallery">
      <div className="gallery-head">
        <h2 id="gallery-title">Lessons</h2>
        <button type="button" onClick={onClose} aria-label="Close the gallery">
          ✕
        </button>
      </div>
      {files ? (
        <p className="gl-intro">
          {lessons.length} lessons in order, from a first fault to the 1,500-client SGA: about{' '}
          {Math.round(minutes / 5) * 5} minutes in all. Each one's last step offers the next.
        </p>
      ) : error !== undefined ? (
        <p className="gl-intro" role="alert" data-testid="gallery-error">
          The lessons could not be loaded ({error}). Check the connection, then close the gallery and open it again.
        </p>
      ) : (
        <p className="gl-intro muted" role="status" data-testid="gallery-loading">
          Loading the lessons…
        </p>
      )}
      {sections.map((section, si) => (
        <section key={section.id} className="gl-section" aria-labelledby={`gl-${section.id}`} data-section={section.id}>
          <h3 id={`gl-${section.id}`}>{section.id === 'more' ? section.title : `${si + 1}. ${section.title}`}</h3>
          <ol className="gallery-list">
            {section.items.map((it) => (
              <li key={it.id}>
                <button
                  type="button"
                  className="gallery-item"
                  onClick={() => choose(it.text)}
                  data-gallery-id={it.id}
                  data-lesson={it.lesson?.name}
                >
                  <span className="gl-top">
                    <span className="gallery-title">
                      {it.lesson && <span className="gl-number">{it.lesson.index}. </span>}
                      {it.title}
                    </span>
                    {it.lesson && <span className="gl-minutes">{it.lesson.minutes} min</span>}
                  </span>
                  {it.lesson && <span className="gl-goal">{it.lesson.goal}</span>}
                  {it.summary && (
                    <span className="gallery-summary">
                      {it.lesson && <span className="gl-key">You will see: </span>}
                      {it.summary}
                    </span>
                  )}
                  {it.lesson && (
                    <span className="gl-know">
                      <span className="gl-key">Know first: </span>
                      {it.lesson.know}
                    </span>
                  )}
                  <span className="gallery-source">
                    {it.source}
                    {it.lesson && <> · link: {lessonFragment(it.lesson.name)}</>}
                  </span>
                </button>
              </li>
            ))}
          </ol>
        </section>
      ))}
    </dialog>
  );
}
