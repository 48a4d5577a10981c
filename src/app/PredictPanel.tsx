/**
 * Predict, then reveal (issue 16): while Predict mode holds a step back
 * (store `predictAt`), this card asks the step's questions
 * (src/scenario/questions.ts, made from the step's report, which the worker
 * has usually computed ahead), one at a time, then explains: right or not,
 * the right choice, why (the change it comes from), the step's note and its
 * Changes. Keyboard only works: 1–9 answer, Enter goes on, and focus moves
 * to the choices and then to the button that goes on.
 *
 * Moving by event (Shift+→, store `predictEvent`), it asks before the next
 * event instead: what runs next, and what the entry that event sets will
 * hold (questions.ts eventQuestionsFor); answering reveals that one event.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { describeChange } from '../core/describe-changes';
import { eventQuestionsFor, questionsFor, type Question } from '../scenario/questions';
import { eventHeldAt, lessonKey, score } from '../store/predict';
import { useExplorer, useExplorerStore } from './context';
import { loadedId, simClient, useStepInfo } from './derived';
import { statementSource, stepChanges } from './stepText';
import type { ReportStep } from '../scenario/report';

/** Most change lines the feedback lists (the step panel has them all once revealed). */
const MAX_LINES = 6;

/** The report of step n, asking the worker for it when it was not computed ahead. */
function useReportOf(n: number | null): ReportStep | undefined {
  const loaded = useExplorer((s) => s.loaded);
  const expanded = useExplorer((s) => s.expanded);
  const version = useSyncExternalStore(simClient.subscribe, simClient.getVersion);
  const [ahead, setAhead] = useState(0);
  useEffect(() => simClient.onAhead(() => setAhead((k) => k + 1)), []);
  const key = loadedId(loaded);
  const view = n === null || !loaded ? undefined : simClient.get(key, n, expanded);
  useEffect(() => {
    if (n === null || !loaded || view) return;
    simClient.request({
      scenarioId: key,
      text: loaded.text,
      scenario: loaded.scenario,
      n,
      expand: expanded,
      last: loaded.scenario.steps.length,
    });
  }, [n, loaded, key, expanded, view]);
  void version;
  void ahead;
  return view?.report;
}

function isTyping(t: EventTarget | null): boolean {
  return (
    t instanceof Element &&
    t.closest('.cm-editor, input, textarea, select, [contenteditable="true"], dialog[open]') !== null
  );
}

/** An entry value's hex big, its PFN and flags on a smaller line under it (the text stays the same string). */
function ChoiceText({ text }: { text: string }) {
  const m = /^(0x[0-9a-f]{16})( \(.*\))$/.exec(text);
  if (!m) return <span className="predict-choice-text">{text}</span>;
  return (
    <span className="predict-choice-text">
      <span className="predict-choice-hex">{m[1]}</span>
      <span className="predict-choice-sub">{m[2]}</span>
    </span>
  );
}

/** The lesson's score, inside the Predict toggle ("Predict 3/5": the header has no room for more). */
export function PredictScore() {
  const store = useExplorerStore();
  const answers = useExplorer((s) => s.answers);
  const loaded = useExplorer((s) => s.loaded);
  const lesson = useExplorer((s) => s.lesson);
  const key = loaded ? lessonKey(loaded) : null;
  useEffect(() => {
    if (key) store.getState().openLesson(key);
  }, [key, store]);
  const { right, total } = score(lesson === key ? answers : {});
  return (
    <span className="predict-score" data-testid="predict-score">
      {right}/{total}
    </span>
  );
}

/**
 * Inside a step in Predict mode, what is still to come is the answer to the
 * next question: the trace's later events, the later changes and the step's
 * note (which tells the whole step). `data-predict-inside` on the root element
 * hides them (styles.css, "Predict event by event"); the step's end shows all.
 */
function useHideWhatComes(predict: boolean): void {
  const { event } = useStepInfo();
  const inside = predict && event !== null;
  useEffect(() => {
    const root = document.documentElement;
    if (inside) root.dataset.predictInside = 'true';
    else delete root.dataset.predictInside;
    return () => void delete root.dataset.predictInside;
  }, [inside]);
}

export function PredictPanel() {
  const store = useExplorerStore();
  const predict = useExplorer((s) => s.predict);
  const predictAt = useExplorer((s) => s.predictAt);
  const predictEvent = useExplorer((s) => s.predictEvent);
  const cursor = useExplorer((s) => s.cursor);
  const event = useExplorer((s) => s.event);
  useHideWhatComes(predict);
  const loaded = useExplorer((s) => s.loaded);
  const answers = useExplorer((s) => s.answers);
  const lesson = useExplorer((s) => s.lesson);
  // An event held where it was asked (moving by event), else a step held just after the cursor.
  const eventHold = predict && eventHeldAt(predictEvent, { cursor, event }) ? predictEvent : null;
  const heldAt = eventHold ? eventHold.to.cursor : predictEvent === null && predictAt === cursor + 1 ? predictAt : null;
  const held =
    predict && heldAt !== null && loaded !== null && heldAt >= 1 && heldAt <= loaded.scenario.steps.length
      ? heldAt
      : null;
  /** The event the hold reveals (1-based), when moving by event. */
  const heldEvent = held !== null && eventHold ? eventHold.k : null;
  /** What the panel's own state is about: a step, or a step and an event. */
  const holdKey = held === null ? null : `${held}${heldEvent === null ? '' : `e${heldEvent}`}`;
  const report = useReportOf(held);
  const step = held !== null ? loaded!.scenario.steps[held - 1] : undefined;
  const key = loaded ? lessonKey(loaded) : null;
  const lessonReady = key !== null && lesson === key;
  useEffect(() => {
    if (key && predict) store.getState().openLesson(key);
  }, [key, predict, store]);

  const questions: Question[] | null = useMemo(() => {
    if (held === null || !step || !report || !loaded) return null;
    const facts = {
      n: held,
      step,
      paging: loaded.scenario.paging,
      report: { ...report, changes: stepChanges(report) },
    };
    return heldEvent === null ? questionsFor(facts) : eventQuestionsFor({ ...facts, event: heldEvent });
  }, [held, heldEvent, step, report, loaded]);

  /** Which question is up, and whether its feedback shows, once the user acted on this hold. */
  const [at, setAt] = useState<{ key: string; index: number; feedback: boolean } | null>(null);
  // Before that: the first question not answered on an earlier visit (-1: none left).
  const first = questions && lessonReady ? questions.findIndex((x) => !answers[x.id]) : -2;
  const cur =
    at && at.key === holdKey
      ? at
      : holdKey !== null && first >= 0
        ? { key: holdKey, index: first, feedback: false }
        : null;

  // A hold with nothing (left) to ask is shown at once; one with a question stops Play.
  useEffect(() => {
    if (holdKey === null || (at && at.key === holdKey)) return;
    if (first === -1) store.getState().revealStep();
    else if (first >= 0) store.getState().setPlaying(false);
  }, [holdKey, at, first, store]);

  const q = cur && questions ? questions[cur.index] : undefined;
  const given = q ? answers[q.id] : undefined;

  const choose = (i: number) => {
    if (!q || !cur || given) return;
    store.getState().answerQuestion(q.id, { choice: i, right: i === q.answer });
    setAt({ ...cur, feedback: true });
  };
  const goOn = () => {
    if (!cur || !questions) return;
    const next = questions.findIndex((x, k) => k > cur.index && !store.getState().answers[x.id]);
    if (next >= 0) setAt({ key: cur.key, index: next, feedback: false });
    else store.getState().revealStep();
  };
  const skip = () => store.getState().revealStep();

  // Focus follows the question: the first choice, then the button that goes on.
  const choicesRef = useRef<HTMLOListElement>(null);
  const goOnRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!q) return;
    if (cur?.feedback) goOnRef.current?.focus();
    else choicesRef.current?.querySelector('button')?.focus();
  }, [q, cur?.feedback]);

  // 1–9 answer from anywhere but the editor; Enter goes on once answered.
  useEffect(() => {
    if (!q) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const d = /^[1-9]$/.test(e.key) ? Number(e.key) - 1 : -1;
      if (d >= 0 && d < q.choices.length && !cur?.feedback) {
        e.preventDefault();
        choose(d);
      } else if (e.key === 'Enter' && cur?.feedback && !(e.target instanceof HTMLButtonElement)) {
        e.preventDefault();
        goOn();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (held === null || !step) return null;
  const statement = statementSource(loaded!.text, step);
  // "event 3 of 4" once the report tells how many (a step of one event or none is asked and shown whole).
  const events = report?.events.length ?? 0;
  const byEvent = heldEvent !== null && events >= 2;
  const where = `step ${held}${byEvent ? `, event ${heldEvent} of ${events}` : ''}`;
  if (!q || !cur) {
    return (
      <section className="predict-panel predict-waiting" aria-label="Predict" data-testid="predict-panel">
        <p className="predict-step">
          {byEvent ? `Step ${held}, event ${heldEvent}` : `Step ${held}`}: <code>{statement}</code>
        </p>
        <p className="muted">Preparing the question…</p>
      </section>
    );
  }
  const pos = questions!.indexOf(q);
  const showing = cur.feedback && given;
  const right = q.choices[q.answer]!;
  // Event by event, the changes of the one event revealed (StepChange.event is 0-based).
  const changes = report
    ? stepChanges(report)
        .filter((c) => !byEvent || c.event === heldEvent - 1)
        .map(describeChange)
    : [];
  const lastQuestion = questions!.findIndex((x, k) => k > cur.index && !answers[x.id]) < 0;
  // Event by event, the step's note and the event's changes would give away what is asked next (the rest of the
  // step, the entry's value): the note is shown for the lesson's own questions, the changes after the last question.
  const showNote = !byEvent || q.kind === 'author';
  const showChanges = changes.length > 0 && q.because.join() !== changes.join() && (!byEvent || lastQuestion);
  return (
    <section className="predict-panel" aria-labelledby="predict-prompt" data-testid="predict-panel" data-kind={q.kind}>
      <div className="predict-head">
        <p className="predict-step">
          Predict {where}: <code data-testid="predict-statement">{statement}</code>
        </p>
        <span className="predict-count muted">
          {q.kind === 'author' ? 'From the lesson' : 'From the simulation'} · question {pos + 1} of {questions!.length}
        </span>
      </div>
      <h2 id="predict-prompt" className="predict-prompt" data-testid="predict-prompt">
        {q.prompt}
      </h2>
      <ol className="predict-choices" ref={choicesRef} aria-label="Choices">
        {q.choices.map((c, i) => {
          const state = !showing ? '' : i === q.answer ? 'right' : i === given.choice ? 'wrong' : 'other';
          return (
            <li key={c}>
              <button
                type="button"
                className={`predict-choice${state ? ` predict-${state}` : ''}`}
                onClick={() => choose(i)}
                aria-disabled={showing ? true : undefined}
                data-testid="predict-choice"
                data-state={state || undefined}
              >
                {/* Once answered the key's place says right (✓) or the wrong answer given (✗). */}
                <kbd aria-hidden="true">{state === 'right' ? '✓' : state === 'wrong' ? '✗' : i + 1}</kbd>
                <ChoiceText text={c} />
                {state === 'right' && <span className="sr-only"> (the right answer)</span>}
                {state === 'wrong' && <span className="sr-only"> (your answer)</span>}
              </button>
            </li>
          );
        })}
      </ol>
      {showing ? (
        <div
          className="predict-feedback"
          role="status"
          data-testid="predict-feedback"
          data-right={given.right ? 'true' : 'false'}
        >
          <p className="predict-verdict">
            {given.right ? (
              'Right.'
            ) : (
              <>
                Not quite: the answer is <strong>{right}</strong>.
              </>
            )}
          </p>
          {q.because.length > 0 && (
            <ul className="predict-because">
              {/* Index keys: a patch's quoted lines may repeat ("}"). */}
              {q.because.map((b, i) => (
                <li key={i}>
                  <code>{b}</code>
                </li>
              ))}
            </ul>
          )}
          {showNote && step.note && <p className="predict-note">{step.note}</p>}
          {showChanges && (
            <details className="predict-changes">
              <summary>
                Changes of this {byEvent ? 'event' : 'step'} ({changes.length})
              </summary>
              <ul>
                {changes.slice(0, MAX_LINES).map((l, i) => (
                  <li key={i}>{l}</li>
                ))}
                {changes.length > MAX_LINES && (
                  <li className="muted">
                    … and {changes.length - MAX_LINES} more, listed once the {byEvent ? 'event' : 'step'} shows
                  </li>
                )}
              </ul>
            </details>
          )}
          <button type="button" className="predict-go" ref={goOnRef} onClick={goOn} data-testid="predict-go">
            {lastQuestion ? (byEvent ? 'Show the event' : 'Show the step') : 'Next question'} <kbd>Enter</kbd>
          </button>
        </div>
      ) : (
        <p className="predict-hint muted">
          Press <kbd>1</kbd>–<kbd>{q.choices.length}</kbd> or click a choice.{' '}
          <button type="button" className="predict-skip" onClick={skip} data-testid="predict-skip">
            Skip: show the {byEvent ? 'event' : 'step'}
          </button>
          {Object.keys(answers).length > 0 && (
            <button
              type="button"
              className="predict-reset"
              onClick={() => store.getState().resetAnswers()}
              title="Forget this lesson's answers: every question is asked again"
              data-testid="predict-reset"
            >
              Reset the score
            </button>
          )}
        </p>
      )}
    </section>
  );
}
