import { Fragment, memo, useEffect, useRef } from 'react';
import { outcomeText } from '../store/derive';
import { useExplorer } from './context';
import { useStepInfo, type StepInfo } from './derived';
import { listParts, useAfterPaint, useCappedList } from './afterPaint';
import { EXPLAIN, isPatchQuote, patchQuote } from './explain';
import { formatCount } from './format';
import { setTraceFocus, useTraceFocus } from './traceFocus';

/** Events listed before "show all": a group step of 1,500 tasks has thousands. */
export const TRACE_CAP = 120;

/**
 * Events drawn in a step's first frame; the rest, up to TRACE_CAP, once it
 * is painted. The panel shows seven to ten at a time (900 to 1080 pixels
 * high). Drawing all 120 of a group step in the click's frame (the SGA's
 * fork: ~730 elements, ~18,000 characters of text) cost ~25 ms of that
 * frame's layout alone; and the gallery's heaviest steps list 11 to 17
 * events: with 24 in the first frame their main-thread work was 16–21 ms,
 * with 10, 12–17 ms (four scenarios, three passes, two runs each).
 */
export const FIRST_FRAME_EVENTS = 10;

/**
 * The step's events as a call trail, each with a one-line explanation (and the patch lines for mshare). It follows
 * the step once the step's first frame is painted (useAfterPaint): that frame shows the tree, the caption and the
 * changes, and the trail's layout (about a hundred elements of new text) is no part of it (issue 18's step budget).
 */
export function TracePanel() {
  const shown = useAfterPaint(useStepInfo());
  const kernel = useExplorer((s) => s.loaded?.scenario.kernel ?? 'mainline');
  return <Trail info={shown} kernel={kernel} />;
}

/** The trail of one step (memo: while the panel waits for the paint, the last step's is not drawn again). */
const Trail = memo(function Trail({ info, kernel }: { info: StepInfo; kernel: string }) {
  const { cursor, report, pending, event } = info;
  // Inside a step (issue 14): the event just done is the current one, the ones after it are still to come.
  const now = event === null ? null : event - 1;
  const current = useRef<HTMLLIElement>(null);
  useEffect(() => {
    current.current?.scrollIntoView?.({ block: 'nearest' });
  }, [now, report]);
  const shown = useCappedList(report, report?.events.length ?? 0, FIRST_FRAME_EVENTS, TRACE_CAP);
  // Trace ↔ tree: the event hovered or picked here is highlighted in the tree (what it touched).
  const focus = useTraceFocus();
  const picked = report && focus.step === report ? focus.selected : null;
  if (!report && pending && cursor > 0) {
    return (
      <div className="trace" data-testid="trace" aria-busy="true">
        <p className="muted">Computing step {cursor}…</p>
      </div>
    );
  }
  if (!report) {
    return (
      <div className="trace" data-testid="trace">
        <p className="muted">
          {cursor === 0 ? 'Before the first step: nothing has run yet. Press “Next step”.' : 'No trace for this step.'}
        </p>
      </div>
    );
  }
  return (
    <div className="trace" data-testid="trace">
      {report.events.length === 0 ? (
        <p className="muted">
          {report.walk
            ? 'No kernel code ran: the MMU walked the tables by itself and found every entry present (the walk is lit in the tree).'
            : 'No kernel function ran at this step.'}
        </p>
      ) : (
        <ol className="trail">
          {listParts(shown.drawn, FIRST_FRAME_EVENTS, TRACE_CAP).map((part) => (
            <Fragment key={part.key}>
              {report.events.slice(part.from, part.to).map((e, k) => {
                const i = part.from + k;
                const quote = patchQuote(kernel, e.fn, e.src);
                return (
                  <li
                    key={i}
                    ref={now === i ? current : undefined}
                    className={`event${picked === i ? ' picked' : ''}${now === null ? '' : i === now ? ' ev-now' : i > now ? ' ev-later' : ''}`}
                    aria-current={now === i ? 'step' : undefined}
                    data-fn={e.fn}
                    onMouseEnter={() => setTraceFocus({ step: report, hovered: i })}
                    onMouseLeave={() => setTraceFocus({ step: report, hovered: null })}
                  >
                    <button
                      type="button"
                      className="event-head"
                      aria-pressed={picked === i}
                      title="Show in the tree what this call touched"
                      onClick={() => setTraceFocus({ step: report, selected: picked === i ? null : i })}
                    >
                      <code className="fn">{e.fn}</code>
                      {e.task && <span className="task">{e.task}</span>}
                      {e.detail && <span className="detail">{e.detail}</span>}
                    </button>
                    {EXPLAIN[e.fn] && <p className="explain">{EXPLAIN[e.fn]}</p>}
                    {quote && (
                      // The current event's lines are open: what ran is what the tables now show.
                      <details key={now === i ? 'now' : 'other'} className="patch" open={now === i ? true : undefined}>
                        <summary>{isPatchQuote(quote) ? 'Patch lines that ran' : 'Kernel lines that ran'}</summary>
                        <pre>{quote.lines.join('\n')}</pre>
                        <p className="source">{quote.source}</p>
                      </details>
                    )}
                  </li>
                );
              })}
            </Fragment>
          ))}
        </ol>
      )}
      {report.events.length > TRACE_CAP && !shown.all && (
        <p>
          <button type="button" onClick={shown.showAll}>
            Show all {formatCount(report.events.length)} events ({formatCount(report.events.length - TRACE_CAP)} more)
          </button>
        </p>
      )}
      <p className="trace-outcome">
        Outcome: <strong>{outcomeText(report.outcome, report.op)}</strong>
        {report.outcomes && (
          <span className="muted">
            {' '}
            (
            {Object.entries(report.outcomes)
              .map(([k, n]) => `${formatCount(n)} ${k}`)
              .join(', ')}
            )
          </span>
        )}
      </p>
    </div>
  );
});
