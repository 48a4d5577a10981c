import { useExplorer, useExplorerStore } from './context';

/** A backup's label: its title, else its first line that is not blank or a comment, shortened. */
function label(text: string): string {
  const title = /^\s*title\s+"((?:[^"\\]|\\.)*)"/m.exec(text)?.[1];
  const first =
    title ??
    text
      .split(/\r\n|\r|\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#')) ??
    text.trim();
  // Bidi controls would reorder the rest of the button's text.
  const plain = first.replace(/[\u202a-\u202e\u2066-\u2069]/g, '');
  return plain.length > 48 ? plain.slice(0, 47) + '…' : plain;
}

/** Messages the app owes the user (a broken link, an unsaved text, a restorable backup). */
export function Notices() {
  const store = useExplorerStore();
  const notices = useExplorer((s) => s.notices);
  const backups = useExplorer((s) => s.backups);
  const restore = (id: number, index: number) => {
    store.getState().restorePrevious(index);
    store.getState().dismiss(id);
  };
  return (
    <div className="notices" data-testid="notices">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice notice-${n.kind}`}
          role={n.kind === 'error' ? 'alert' : 'status'}
          data-kind={n.kind}
        >
          <span className="notice-text">{n.message}</span>
          {n.action === 'restore' && backups.length > 0 && (
            <button type="button" onClick={() => restore(n.id, 0)}>
              Restore my previous text
            </button>
          )}
          {n.action === 'restore' && backups.length > 1 && (
            <details className="notice-older">
              <summary>Older texts</summary>
              {backups.slice(1).map((b, i) => (
                <button key={i} type="button" onClick={() => restore(n.id, i + 1)}>
                  Restore “{label(b)}”
                </button>
              ))}
            </details>
          )}
          <button
            type="button"
            className="dismiss"
            aria-label="Dismiss this message"
            onClick={() => store.getState().dismiss(n.id)}
          >
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
