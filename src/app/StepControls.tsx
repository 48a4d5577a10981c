import { useEffect } from 'react';
import { printStep } from '../scenario/printer';
import { announce, outcomeText } from '../store/derive';
import { useExplorer, useExplorerStore } from './context';
import { useStepInfo } from './derived';

/** How long each step stays on screen while playing. */
export const PLAY_MS = 1400;

/** First / Previous / Play / Next / Last, the slider, "Step N of M", the caption, and the spoken announcement. */
export function StepControls({ compact = false }: { compact?: boolean }) {
  const store = useExplorerStore();
  const playing = useExplorer((s) => s.playing);
  const loaded = useExplorer((s) => s.loaded);
  const { cursor, total, step, report, pending } = useStepInfo();

  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => {
      const s = store.getState();
      if (s.cursor >= (s.loaded?.scenario.steps.length ?? 0)) s.setPlaying(false);
      else s.next();
    }, PLAY_MS);
    return () => clearInterval(id);
  }, [playing, store]);

  const a = store.getState();
  const atStart = cursor <= 0;
  const atEnd = cursor >= total;
  const caption = step?.note ?? (cursor === 0 ? 'Before the first step.' : '');
  const spoken = announce(loaded?.scenario, cursor, report);

  return (
    <section className={`steps${compact ? ' compact' : ''}`} aria-label="Stepping">
      <div className="step-buttons">
        <button type="button" aria-label="First step" title="First step (Home)" onClick={a.first} disabled={atStart}>
          <span aria-hidden="true">«</span>
        </button>
        <button type="button" aria-label="Previous step" title="Previous step (←)" onClick={a.prev} disabled={atStart}>
          <span aria-hidden="true">‹</span>
        </button>
        <button
          type="button"
          className="play"
          aria-label={playing ? 'Pause' : 'Play'}
          title={playing ? 'Pause (Space)' : 'Play (Space)'}
          onClick={a.togglePlay}
          disabled={total === 0}
        >
          <span aria-hidden="true">{playing ? '❚❚' : '▶'}</span>
        </button>
        <button type="button" aria-label="Next step" title="Next step (→)" onClick={a.next} disabled={atEnd}>
          <span aria-hidden="true">›</span>
        </button>
        <button type="button" aria-label="Last step" title="Last step (End)" onClick={a.last} disabled={atEnd}>
          <span aria-hidden="true">»</span>
        </button>
        <input
          className="step-slider"
          type="range"
          min={0}
          max={total}
          step={1}
          value={cursor}
          aria-label="Step"
          aria-valuetext={`Step ${cursor} of ${total}`}
          onChange={(e) => a.goTo(Number(e.currentTarget.value))}
        />
        <span className="step-count" data-testid="step-count">
          Step {cursor} of {total}
        </span>
      </div>
      <div className="step-caption">
        {step && (
          <code className="statement" data-testid="statement">
            {printStep(step)}
          </code>
        )}
        {report && (
          <span className={`outcome outcome-${report.outcome.kind}`} data-testid="outcome">
            → {outcomeText(report.outcome, report.op)}
          </span>
        )}
        {!report && pending && step && <span className="outcome muted">→ computing…</span>}
        {caption && (
          <p className="caption" data-testid="caption">
            {caption}
          </p>
        )}
      </div>
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {spoken}
      </div>
    </section>
  );
}
