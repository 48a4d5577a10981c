import { useEffect, useRef, useState } from 'react';
import { useExplorer } from './context';
import { LONG_LINK, appBase, embedLink, shareLink } from './links';
import { formatCount } from './format';

type CopyState = 'copying' | 'copied' | 'manual';

/** The async clipboard, absent outside secure contexts. */
function clipboard(): Clipboard | undefined {
  const c = (navigator as { clipboard?: Clipboard }).clipboard;
  return typeof c?.writeText === 'function' ? c : undefined;
}

/** The link of this scenario at this step: copied to the clipboard when possible, always shown to copy by hand. */
export function SharePanel({ onClose }: { onClose: () => void }) {
  const text = useExplorer((s) => s.text);
  const cursor = useExplorer((s) => s.cursor);
  const errors = useExplorer((s) => s.errors);
  const present = useExplorer((s) => s.present);
  const predict = useExplorer((s) => s.predict);
  // Inside a step (issue 14), the link opens at that moment.
  const event = useExplorer((s) => s.event);
  const [state, setState] = useState<CopyState>(() => (clipboard() ? 'copying' : 'manual'));
  const input = useRef<HTMLInputElement>(null);
  const base = appBase(window.location);
  let link = '';
  let problem: string | null = null;
  try {
    link = shareLink(base, text, cursor, { present, event, predict });
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  const embed = problem ? '' : embedLink(base, text, cursor, { present, event, predict });

  // Copy once, when the panel opens; afterwards the field follows the step.
  const first = useRef(link);
  useEffect(() => {
    const link = first.current;
    if (!link) return;
    let live = true;
    const clip = clipboard();
    if (!clip) return;
    clip.writeText(link).then(
      () => live && setState('copied'),
      () => live && setState('manual'),
    );
    return () => {
      live = false;
    };
  }, []);

  return (
    <section className="share" aria-labelledby="share-title" data-testid="share">
      <div className="share-head">
        <h2 id="share-title">Share link</h2>
        <button type="button" className="dismiss" aria-label="Close the share panel" onClick={onClose}>
          ✕
        </button>
      </div>
      {problem ? (
        <p role="alert">No link can hold this scenario: {problem}</p>
      ) : (
        <>
          <p role="status" data-testid="share-status">
            {state === 'copied'
              ? `Link copied. The field below always holds the link to step ${cursor}.`
              : state === 'copying'
                ? 'Copying…'
                : 'Copy this link (the clipboard is not available here):'}
          </p>
          <label className="share-field">
            <span>Link ({formatCount(link.length)} characters)</span>
            <input
              ref={input}
              readOnly
              value={link}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="share-link"
            />
          </label>
          {link.length > LONG_LINK && (
            <p className="warning" data-testid="share-long">
              This link is {formatCount(link.length)} characters long. Some chat tools and mail clients cut links longer
              than about {formatCount(LONG_LINK)} characters: check it arrives whole, or share the scenario file
              instead.
            </p>
          )}
          {errors.length > 0 && (
            <p className="warning">The text has errors; the link opens it as it is, errors included.</p>
          )}
          <label className="share-field">
            <span>Embed in a page or slide</span>
            <input
              readOnly
              value={`<iframe src="${embed.replace(/"/g, '&quot;')}" width="960" height="600" title="Page Table Explorer"></iframe>`}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="share-embed"
            />
          </label>
        </>
      )}
    </section>
  );
}
