import { Fragment, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { listParts, measureAfterPaint, useCappedList } from './afterPaint';
import { formatCount } from './format';
import { outcomeText } from '../store/derive';
import { Abbr } from './Abbr';
import { useExplorer, useExplorerStore } from './context';
import { moveByEvent, useSim, useStepInfo } from './derived';
import { changeTime, eventCaption, spokenStep, statementSource, stepChanges, wholeWhy } from './stepText';
import type { StepChange } from '../core/changes';
import { describeChange } from '../core/describe-changes';

/** Most event ticks drawn under the slider (a step of more is drawn as a band). */
const MAX_TICKS = 48;

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
  // Measured after the step's frame is painted (measureAfterPaint): "more" may appear a frame after the caption.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    return measureAfterPaint(el, () => {
      if (el.closest('.caption-box')?.hasAttribute('data-open')) return;
      // Lift the clamp for one measurement: is the whole text taller than the clamped box?
      const shown = el.getBoundingClientRect().height;
      el.style.display = 'block';
      el.style.setProperty('-webkit-line-clamp', 'none');
      const full = el.getBoundingClientRect().height;
      el.style.removeProperty('display');
      el.style.removeProperty('-webkit-line-clamp');
      setClamped(full > shown + 1);
    });
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
          <button
            type="button"
            className="more"
            aria-expanded={open}
            aria-controls={id}
            onClick={() => setOpen(!open)}
            data-testid="caption-more"
          >
            {open ? 'less' : 'more'}
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * Change lines drawn in a step's first frame: the list's box shows two to four; the rest, up to CHANGES_CAP, follow
 * once that frame is painted. A step of the 1,500-task SGA changes thousands of entries: all of them in the click's
 * frame cost that frame about 200 ms of layout (a trace of sga-1500-mainline's step 4: 5,000 list items added).
 */
export const FIRST_FRAME_CHANGES = 12;
/** Change lines listed before "Show all". */
export const CHANGES_CAP = 200;

/** Ids of change lists (a step's, by identity): the list's element is keyed on it. */
const listIds = new WeakMap<object, number>();
let lastListId = 0;
function listId(list: object): number {
  let id = listIds.get(list);
  if (id === undefined) listIds.set(list, (id = ++lastListId));
  return id;
}

/**
 * The step's page-table changes in words (the core's diff, via describeChange). `event`: the moment inside the step
 * shown (null: its end); `whole`: the tables show the whole step however far inside it the moment is.
 */
function Changes({
  changes,
  state,
  event,
  whole,
  note,
}: {
  changes: StepChange[];
  state: 'ready' | 'computing' | 'start';
  event: number | null;
  whole: boolean;
  note?: string;
}) {
  const shown = useCappedList(changes, changes.length, FIRST_FRAME_CHANGES, CHANGES_CAP);
  const at = whole ? null : event;
  const time = (i: number) => changeTime(changes[i] as StepChange, at);
  // Inside a step, the event's own changes are drawn at once wherever they are in the list.
  let drawn = shown.drawn;
  if (at !== null) for (let i = changes.length - 1; i >= drawn; i--) if (time(i) === 'now') drawn = i + 1;
  // Worded only as drawn: 5,000 lines of a group step cost 6 ms to word.
  const lines = useMemo(() => changes.slice(0, drawn).map(describeChange), [changes, drawn]);
  const handoffRef = useRef(false);
  return (
    <section className="changes" aria-labelledby="changes-title" data-testid="changes">
      <h2 id="changes-title" className="changes-title">
        Changes{state === 'ready' && changes.length > 0 ? ` (${formatCount(changes.length)})` : ''}
      </h2>
      {note && (
        <p className="ev-whole muted" data-testid="event-whole">
          {note}
        </p>
      )}
      {state === 'ready' && changes.length > 0 ? (
        <ChangeList key={listId(changes)} focusHandoffRef={handoffRef}>
          {listParts(lines.length, FIRST_FRAME_CHANGES, CHANGES_CAP).map((part) => (
            <Fragment key={part.key}>
              {lines.slice(part.from, part.to).map((l, k) => {
                const i = part.from + k;
                const when = time(i);
                // Inside a step (issue 14): what the event just done changed stands out, what is still to come is
                // dimmed.
                return (
                  <li
                    key={i}
                    data-testid="change"
                    data-when={when}
                    className={when === 'done' ? undefined : `ev-${when}`}
                    aria-current={when === 'now' ? 'true' : undefined}
                  >
                    {l}
                  </li>
                );
              })}
            </Fragment>
          ))}
          {shown.rest && !shown.all && changes.length > drawn && (
            <li className="changes-more">
              <button type="button" className="link-button" onClick={shown.showAll}>
                Show all {formatCount(changes.length)} changes ({formatCount(changes.length - drawn)} more)
              </button>
            </li>
          )}
        </ChangeList>
      ) : (
        <p className="changes-none muted">
          {state === 'start'
            ? 'Before the first step.'
            : state === 'computing'
              ? 'Computing…'
              : 'No page-table changes.'}
        </p>
      )}
    </section>
  );
}

/**
 * One step's change list, a new element for each step's list (keyed by the caller): the last step's, up to
 * CHANGES_CAP lines, goes in one removal, where React took its lines out one by one (the SGA's OOM step, after the
 * fork's 200; docs/PERFORMANCE.md), and a new list starts scrolled to its top. The focus, when the list had it,
 * passes to the next one (`focusHandoffRef`: set as the old one is taken down, before its element leaves the page).
 */
function ChangeList({ focusHandoffRef, children }: { focusHandoffRef: { current: boolean }; children: ReactNode }) {
  const ref = useRef<HTMLUListElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (focusHandoffRef.current && el && document.activeElement !== el) el.focus({ preventScroll: true });
    focusHandoffRef.current = false;
    return () => {
      focusHandoffRef.current = el !== null && document.activeElement === el;
    };
  }, [focusHandoffRef]);
  return (
    // Focusable so a long list scrolls from the keyboard too.
    <ul ref={ref} className="changes-list" tabIndex={0} aria-labelledby="changes-title" data-scroll-keys="">
      {children}
    </ul>
  );
}

/**
 * First / Previous / Play / Next / Last, the slider, "Step N of M", the statement, caption and changes, and the spoken
 * announcement.
 */
export function StepControls({ compact = false }: { compact?: boolean }) {
  const store = useExplorerStore();
  const playing = useExplorer((s) => s.playing);
  const loaded = useExplorer((s) => s.loaded);
  const { cursor, total, step, report, pending, event } = useStepInfo();
  const { view } = useSim();
  const asked = useExplorer((s) => s.event);
  // The tables shown are the whole step's although an event was asked for (a capped or bulk step): said in the count.
  const eventView = view && view.n === cursor && view.result.ok ? view.result.snapshot.event : undefined;
  const whole = event !== null && eventView?.done === event ? eventView.whole : undefined;

  // A moment the step does not have (a link's event past its last, a step of one event): the whole step, one number
  // kept.
  useEffect(() => {
    if (report && asked !== null && event === null) store.getState().goToEvent(cursor, null);
  }, [report, asked, event, cursor, store]);

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
  const outcome = report
    ? `→ ${outcomeText(report.outcome, report.op)}`
    : !report && pending && step
      ? '→ computing…'
      : '';
  // One array per report: the change list keys its first-frame cap on it (Changes).
  const changes = useMemo(() => stepChanges(report), [report]);
  const events = report?.events.length ?? 0;
  const atFirstMoment = atStart;
  const atLastMoment = atEnd && event === null;
  const counted = eventCaption(report, event, whole);
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
        <span className="ev-buttons" role="group" aria-label="Events inside the step">
          <button
            type="button"
            className="ev-button"
            aria-label="Previous event"
            title="Previous event (Shift+←)"
            onClick={() => moveByEvent(store, -1)}
            disabled={atFirstMoment}
          >
            <span aria-hidden="true">
              ‹<span className="ev-word"> event</span>
              <span className="ev-dot">•</span>
            </span>
          </button>
          <button
            type="button"
            className="ev-button"
            aria-label="Next event"
            title="Next event (Shift+→)"
            onClick={() => moveByEvent(store, 1)}
            disabled={atLastMoment}
          >
            <span aria-hidden="true">
              <span className="ev-word">event </span>
              <span className="ev-dot">•</span>›
            </span>
          </button>
        </span>
        <span className="ev-slider">
          <input
            className="step-slider"
            type="range"
            min={0}
            max={total}
            step={1}
            value={cursor}
            aria-label="Step"
            aria-valuetext={`Step ${cursor} of ${total}${event !== null ? ` · ${counted}` : ''}`}
            onChange={(e) => a.goTo(Number(e.currentTarget.value))}
          />
          {cursor > 0 && events > 1 && total > 0 && (
            // The step's events as ticks between the step before and this one; the moment shown is the filled one.
            <span className="ev-ticks" aria-hidden="true" data-testid="event-ticks">
              {/* A group step has thousands of events: past MAX_TICKS, the step's stretch as one band,
                  and the moment. */}
              {events <= MAX_TICKS ? (
                Array.from({ length: events }, (_, i) => (
                  <span
                    key={i}
                    className={`ev-tick${(event ?? events) === i + 1 ? ' ev-tick-now' : ''}`}
                    style={{ '--at': (cursor - 1 + (i + 1) / events) / total } as React.CSSProperties}
                  />
                ))
              ) : (
                <>
                  <span
                    className="ev-band"
                    style={{ '--from': (cursor - 1) / total, '--to': cursor / total } as React.CSSProperties}
                  />
                  <span
                    className="ev-tick ev-tick-now"
                    style={{ '--at': (cursor - 1 + (event ?? events) / events) / total } as React.CSSProperties}
                  />
                </>
              )}
            </span>
          )}
        </span>
        {/* "Step N of M", and under it the moment inside the step (issue 14): two short lines, so the slider keeps its
           room at 1280 px. */}
        <span className="ev-counts">
          <span className="step-count" data-testid="step-count">
            Step {cursor} of {total}
          </span>
          {event !== null ? (
            <span className="ev-count" data-testid="event-count" title={counted}>
              · {counted}
            </span>
          ) : events > 1 ? (
            <span
              className="ev-count muted"
              data-testid="event-count"
              title="Shift+← goes inside the step, event by event"
            >
              · {formatCount(events)} events
            </span>
          ) : (
            // The line is kept when it says nothing (step 0, a step of one event): a row 1.6 px taller at step 1
            // moved the tree and refitted it, a second layout and paint inside that step's frame.
            <span className="ev-count" aria-hidden="true">
              {'\u00a0'}
            </span>
          )}
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
                  <span
                    className={`outcome${report ? ` outcome-${report.outcome.kind}` : ' muted'}`}
                    data-testid={report ? 'outcome' : undefined}
                  >
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
        <Changes
          changes={changes}
          event={event}
          whole={whole !== undefined}
          state={cursor === 0 ? 'start' : report ? 'ready' : 'computing'}
          {...(whole ? { note: wholeWhy(whole) } : {})}
        />
      </div>
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {spoken}
      </div>
    </section>
  );
}
