import { useEffect, useMemo, useRef } from 'react';
import { useExplorerStore } from './context';
import { galleryItems } from './gallery';

/** The built-in scenarios in a modal dialog: title, one-line summary, and where each comes from. */
export function Gallery({ open, onClose }: { open: boolean; onClose: () => void }) {
  const store = useExplorerStore();
  const ref = useRef<HTMLDialogElement>(null);
  const items = useMemo(() => galleryItems(), []);

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
        <h2 id="gallery-title">Scenario gallery</h2>
        <button type="button" onClick={onClose} aria-label="Close the gallery">
          ✕
        </button>
      </div>
      <ul className="gallery-list">
        {items.map((it) => (
          <li key={it.id}>
            <button type="button" className="gallery-item" onClick={() => choose(it.text)} data-gallery-id={it.id}>
              <span className="gallery-title">{it.title}</span>
              {it.summary && <span className="gallery-summary">{it.summary}</span>}
              <span className="gallery-source">{it.source}</span>
            </button>
          </li>
        ))}
      </ul>
    </dialog>
  );
}
