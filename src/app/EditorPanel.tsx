import { useEffect, useRef, useState } from 'react';
import { formatError } from '../scenario/parser';
import type { EditorHandle, StepLines } from '../views/editor';
import type { ExplorerState } from '../store/store';
import { afterPaint } from './afterPaint';
import { useExplorer, useExplorerStore } from './context';
import { stepOfLine } from './stepText';

/**
 * The statement lines and the current step's line, when the editor holds the text that loaded (else none: lines would
 * be off).
 */
function stepLines(s: Pick<ExplorerState, 'loaded' | 'text' | 'cursor'>, veil = false): StepLines {
  const l = s.loaded;
  if (!l || l.text !== s.text) return { lines: [], current: null };
  const steps = l.scenario.steps;
  let lines = linesOf.get(l.scenario);
  if (!lines) linesOf.set(l.scenario, (lines = steps.map((st) => st.pos.line)));
  const current = s.cursor > 0 ? (steps[s.cursor - 1]?.pos.line ?? null) : null;
  // Predict mode: what follows the current statement (all of it before the first step: a lesson's opening comments
  // tell its story) is veiled, since the notes ahead answer the questions; nothing is at the last step.
  const veilFrom = veil && s.cursor < steps.length ? (current ?? 0) + 1 : null;
  return { lines, current, veilFrom };
}

/** Statement lines per parsed scenario: computed once, not at every step of a long scenario. */
const linesOf = new WeakMap<object, number[]>();

/** The scenario text in CodeMirror, its errors inline and listed, and what the view shows meanwhile. */
export function EditorPanel() {
  const store = useExplorerStore();
  const text = useExplorer((s) => s.text);
  const errors = useExplorer((s) => s.errors);
  const loaded = useExplorer((s) => s.loaded);
  const cursor = useExplorer((s) => s.cursor);
  const loadCount = useExplorer((s) => s.loadCount);
  const shown = useExplorer((s) => (s.showEditor && !s.present) || s.embed);
  const predict = useExplorer((s) => s.predict);
  // Predict mode veils the text ahead of the step unless asked not to; each time it is turned on, it veils again.
  const [showAhead, setShowAhead] = useState(false);
  const [wasPredict, setWasPredict] = useState(predict);
  if (predict !== wasPredict) {
    setWasPredict(predict);
    if (predict) setShowAhead(false);
  }
  const veil = predict && !showAhead;
  // For the callbacks below that run later (the editor's creation, its showing again).
  const veilRef = useRef(veil);
  useEffect(() => {
    veilRef.current = veil;
  }, [veil]);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<EditorHandle | null>(null);

  // CodeMirror is loaded on its own, after the first paint: it is most of the
  // app's code, and the view and the step controls need none of it (issue 5's
  // first-load budget). The editor starts from whatever the store holds then.
  useEffect(() => {
    let cancelled = false;
    let h: EditorHandle | null = null;
    void import('../views/editor').then(({ createEditor }) => {
      if (cancelled || !host.current) return;
      const st = store.getState();
      h = createEditor(host.current, {
        doc: st.text,
        label: 'Scenario text',
        onChange: (t) => store.getState().setText(t),
        onStepLine: (line) => {
          const s = store.getState();
          if (!s.loaded || s.loaded.text !== s.text) return;
          const n = stepOfLine(s.loaded.scenario, line);
          if (n !== undefined && n !== s.cursor) s.goTo(n);
        },
      });
      h.setDiagnostics(st.errors);
      h.setStepLines(stepLines(st, veilRef.current), true);
      editor.current = h;
    });
    return () => {
      cancelled = true;
      h?.destroy();
      editor.current = null;
    };
  }, [store]);

  // Text replaced from outside (gallery, link, restore): show it.
  useEffect(() => {
    editor.current?.setDoc(text);
  }, [text]);

  useEffect(() => {
    editor.current?.setDiagnostics(errors);
  }, [errors]);

  // The editor follows the step: its statement marked and scrolled into view. Only a new step (or a
  // newly loaded scenario) scrolls; a text re-parsed while typing must not pull the view away.
  const last = useRef({ cursor: -1, loadCount: -1, scroll: false });
  useEffect(() => {
    const l = last.current;
    // A scroll asked for by a step whose update was overtaken (cancelled below) still happens.
    const scroll = l.scroll || l.cursor !== cursor || l.loadCount !== loadCount;
    last.current = { cursor, loadCount, scroll };
    // After the step's frame: CodeMirror's update reads the DOM (selection, line heights) and so forces a layout,
    // about 7 ms a step on a gallery scenario (profiled, docs/PERFORMANCE.md). The tree and caption come first.
    return afterPaint(() => {
      last.current.scroll = false;
      editor.current?.setStepLines(stepLines({ loaded, text, cursor }, veil), scroll);
    });
  }, [loaded, text, cursor, loadCount, veil]);

  // Shown again after display: none: CodeMirror measures its lines anew.
  useEffect(() => {
    if (!shown) return;
    editor.current?.refresh();
    // Shown again: bring the current step back into view.
    editor.current?.setStepLines(stepLines(store.getState(), veilRef.current), true);
  }, [shown, store]);

  const stale = errors.length > 0;
  return (
    <section className="panel editor-panel" aria-labelledby="editor-heading">
      <h2 id="editor-heading" className="panel-title">
        Scenario
      </h2>
      {predict && (
        <p className="veil-note" role="note" data-testid="veil-note">
          {showAhead
            ? 'Predict mode: the text ahead of the step is shown, answers and all.'
            : 'Predict mode veils the text ahead of the step: its notes give the answers.'}{' '}
          <button type="button" className="link-button" onClick={() => setShowAhead(!showAhead)}>
            {showAhead ? 'Veil it' : 'Show it'}
          </button>
        </p>
      )}
      <div className="editor-host" ref={host} data-testid="editor" />
      {stale && (
        <div className="errors" role="alert" data-testid="errors">
          <p>
            <strong>
              This text does not load ({errors.length} problem{errors.length === 1 ? '' : 's'}).
            </strong>{' '}
            {loaded ? 'The view still shows the last version that loaded.' : 'Nothing is shown until it loads.'} Your
            text is kept.
          </p>
          <ul>
            {errors.map((e) => (
              <li key={`${e.line}:${e.col}:${e.message}`}>
                <button type="button" className="link-button" onClick={() => editor.current?.focusAt(e.line, e.col)}>
                  {formatError(e)}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
