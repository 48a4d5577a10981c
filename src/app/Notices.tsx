import { useExplorer, useExplorerStore } from './context';

/** Messages the app owes the user (a broken link, an unsaved text, a restorable backup). */
export function Notices() {
  const store = useExplorerStore();
  const notices = useExplorer((s) => s.notices);
  const previous = useExplorer((s) => s.previousText);
  return (
    <div className="notices" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-kind={n.kind}>
          <span className="notice-text">{n.message}</span>
          {n.action === 'restore' && previous !== null && (
            <button
              type="button"
              onClick={() => {
                store.getState().restorePrevious();
                store.getState().dismiss(n.id);
              }}
            >
              Restore my previous text
            </button>
          )}
          <button type="button" className="dismiss" aria-label="Dismiss this message" onClick={() => store.getState().dismiss(n.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
