import { useEffect, useRef } from 'react';
import { formatError } from '../scenario/parser';
import type { EditorHandle } from '../views/editor';
import { useExplorer, useExplorerStore } from './context';

/** The scenario text in CodeMirror, its errors inline and listed, and what the view shows meanwhile. */
export function EditorPanel() {
  const store = useExplorerStore();
  const text = useExplorer((s) => s.text);
  const errors = useExplorer((s) => s.errors);
  const loaded = useExplorer((s) => s.loaded);
  const shown = useExplorer((s) => s.showEditor || s.embed);
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
      });
      h.setDiagnostics(st.errors);
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

  // Shown again after display: none: CodeMirror measures its lines anew.
  useEffect(() => {
    if (shown) editor.current?.refresh();
  }, [shown]);

  const stale = errors.length > 0;
  return (
    <section className="panel editor-panel" aria-labelledby="editor-heading">
      <h2 id="editor-heading" className="panel-title">
        Scenario
      </h2>
      <div className="editor-host" ref={host} data-testid="editor" />
      {stale && (
        <div className="errors" role="alert" data-testid="errors">
          <p>
            <strong>
              This text does not load ({errors.length} problem{errors.length === 1 ? '' : 's'}).
            </strong>{' '}
            {loaded ? 'The view still shows the last version that loaded.' : 'Nothing is shown until it loads.'} Your text is kept.
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
