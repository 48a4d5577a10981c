import { useEffect, useRef } from 'react';
import { formatError } from '../scenario/parser';
import { createEditor, type EditorHandle } from '../views/editor';
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

  useEffect(() => {
    if (!host.current) return;
    const h = createEditor(host.current, {
      doc: store.getState().text,
      label: 'Scenario text',
      onChange: (t) => store.getState().setText(t),
    });
    editor.current = h;
    return () => {
      h.destroy();
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
