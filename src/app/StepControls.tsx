import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { outcomeText } from '../store/derive';
import { Abbr } from './Abbr';
import { useExplorer, useExplorerStore } from './context';
import { useStepInfo } from './derived';
import { changeLines, spokenStep, statementSource } from './stepText';

/** How long each step stays on screen while playing. */
export const PLAY_MS = 1400;

/**
 * The caption in a box of fixed height (two lines in Present mode, three
 * otherwise), so the tree below never moves with the caption's length; a
 * longer one gets "more", which unfolds it over the tree instead of pushing it.
 */
function Caption({ text, stepKey }: { text: string; stepKey: string }) {
  const ref = useRef<HTMLParagraphElement>(null);
  const [clamped, setClamped] = useState(false);
  // Unfolded for one step only: the next step folds it again, the tree is what it is about.
  const [openAt, setOpenAt] = useState<string | null>(null);
  const open = openAt === stepKey;
  const setOpen = (on: boolean) => setOpenAt(on ? stepKey : null);
  const id = useId();
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      if (el.closest('.caption-box')?.hasAttribute('data-open')) return;
      // Lift the clamp for one measurement: is the whole text taller than the clamped box?
      const shown = el.getBoundingClientRect().height;
      el.style.display = 'block';
      el.style.setProperty('-webkit-line-clamp', 'none');
      const full = el.getBoundingClientRect().height;
      el.style.removeProperty('display');
      el.style.removeProperty('-webkit-line-clamp');
      setClamped(full > shown + 1);
    };
    measure();
    if (typeof ResizeObserver !== 'function') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [text]);
  return (
    <div className="caption-slot">
      <div
        className="caption-box"
        data-open={open ? '' : undefined}
        data-clamped={clamped ? 'true' : 'false'}
        // Esc folds an unfolded caption first (before it would leave Present mode).
        onKeyDown={(e) => {
          if (e.key === 'Escape' && open) {
            e.preventDefault();
            setOpen(false);
          }
        }}
      >
        <p ref={ref} className="caption" id={id} data-testid="caption">
          {text}
        </p>
        {(clamped || open) && (
          <button type="button" className="more" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)} data-testid="caption-more">
            {open ? 'less' : 'more'}
          </button>
        )}
      </div>
    </div>
  );
}

/** The step's page-table changes in words (the core's diff, via describeChange). */
function Changes({ lines, state }: { lines: string[]; state: 'ready' | 'computing' | 'start' }) {
  return (
    <section className="changes" aria-labelledby="changes-title" data-testid="changes">
      <h2 id="changes-title" className="changes-title">
        Changes{state === 'ready' && lines.length > 0 ? ` (${lines.length})` : ''}
      </h2>
      {state === 'ready' && lines.length > 0 ? (
        // Focusable so a long list scrolls from the keyboard too.
        <ul className="changes-list" tabIndex={0} aria-labelledby="changes-title" data-scroll-keys="">
          {lines.map((l, i) => (
            <li key={i} data-testid="change">
              {l}
            </li>
          ))}
        </ul>
      ) : (
        <p className="changes-none muted">
          {state === 'start' ? 'Before the first step.' : state === 'computing' ? 'Computing…' : 'No page-table changes.'}
        </p>
      )}
    </section>
  );
}

/** First / Previous / Play / Next / Last, the slider, "Step N of M", the statement, caption and changes, and the spoken announcement. */
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
  const text = loaded?.text ?? '';
  const statement = step ? statementSource(text, step) : '';
  const outcome = report ? `→ ${outcomeText(report.outcome, report.op)}` : !report && pending && step ? '→ computing…' : '';
  const lines = changeLines(report);
  const spoken = spokenStep(loaded?.scenario, text, cursor, report);

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
      <div className="step-body">
        <div className="step-text">
          <div className="step-line">
            {step ? (
              <Abbr text={`${statement} ${outcome}`}>
                <code className="statement" data-testid="statement">
                  {statement}
                </code>
                {outcome && (
                  <span className={`outcome${report ? ` outcome-${report.outcome.kind}` : ' muted'}`} data-testid={report ? 'outcome' : undefined}>
                    {outcome}
                  </span>
                )}
              </Abbr>
            ) : (
              <span className="muted">No statement has run yet.</span>
            )}
          </div>
          <Caption text={caption} stepKey={`${cursor}:${text.length}`} />
        </div>
        <Changes lines={lines} state={cursor === 0 ? 'start' : report ? 'ready' : 'computing'} />
      </div>
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {spoken}
      </div>
    </section>
  );
}
