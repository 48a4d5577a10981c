/**
 * A step in words for the step panel and the aria-live region (issue 12): the
 * statement as the user typed it (not re-printed: `0x7f0000001000` stays
 * `0x7f0000001000`, `1T+1G` stays `1T+1G`), and the step's page-table changes
 * in the core's words (describeChange, shared with `ptx run`). Pure: no React.
 */
import type { StepChange } from '../core/changes';
import { describeChange } from '../core/describe-changes';
import type { Scenario, Step } from '../scenario/ast';
import { lexLine, splitLines } from '../scenario/lexer';
import { printStep } from '../scenario/printer';
import type { ReportStep } from '../scenario/report';
import { outcomeText } from '../store/derive';
import { formatCount } from './format';

/** Line starts of the last text asked about: a 1 MiB text is split once, not once per step. */
let cached: { text: string; lines: string[] } | null = null;
function linesOf(text: string): string[] {
  if (cached?.text !== text) cached = { text, lines: splitLines(text) };
  return cached.lines;
}

/**
 * The statement of `step` exactly as written in `text` (from its column to its
 * last token, comment and trailing blanks left out), or the printer's form when
 * the text is not the one the step was parsed from.
 */
export function statementSource(text: string, step: Step): string {
  const line = linesOf(text)[step.pos.line - 1];
  if (line === undefined) return printStep(step);
  const lexed = lexLine(line);
  if (!lexed.ok) return printStep(step);
  const tokens = lexed.tokens.filter((t) => t.col >= step.pos.col);
  const last = tokens[tokens.length - 1];
  if (!last) return printStep(step);
  return line.slice(step.pos.col - 1, last.col - 1 + last.text.length);
}

/**
 * The report's `changes` (an additive field of ptx-report/1, added by the
 * core's diff): absent in reports made before it, so read as optional.
 */
export function stepChanges(report: ReportStep | undefined): StepChange[] {
  const c = (report as (ReportStep & { changes?: StepChange[] }) | undefined)?.changes;
  return Array.isArray(c) ? c : [];
}

/**
 * The event part of the step panel's count (issue 14): "event k of n
 * (fn)" for the moment after the k-th event; at the step's end, its last
 * event; nothing for a step no kernel function ran in. `whole`: the tables
 * shown are the whole step's (why: src/core/apply-changes.ts), said plainly.
 */
export function eventCaption(
  report: ReportStep | undefined,
  event: number | null,
  whole?: 'capped' | 'bulk' | 'summarised',
): string {
  const n = report?.events.length ?? 0;
  if (!report || n === 0) return '';
  const k = event ?? n;
  const fn = report.events[k - 1]?.fn;
  const at = `event ${formatCount(k)} of ${formatCount(n)}${fn ? ` (${fn})` : ''}`;
  if (event === null || !whole) return at;
  return `${at} · whole step`;
}

/** Why a moment inside a step is shown as the whole step (said under "Changes"), in plain words. */
export function wholeWhy(whole: 'capped' | 'bulk' | 'summarised'): string {
  if (whole === 'capped')
    return 'This step changes too many entries to replay event by event: the tables show the whole step.';
  if (whole === 'bulk')
    return 'This step changes whole runs of entries at once, which are not split by event: the tables show the whole step.';
  return 'This step changes tables drawn only as a summary: the tables show the whole step.';
}

/**
 * A change's place relative to the moment shown (`event`, null: the step's end): made by the event just done, before
 * it, or still to come.
 */
export function changeTime(c: StepChange, event: number | null): 'now' | 'done' | 'later' {
  return event === null ? 'done' : c.event === event - 1 ? 'now' : c.event < event - 1 ? 'done' : 'later';
}

/** What the aria-live region reads when the step changes: where, what, how it ended, the caption, the changes. */
/** Change lines read out by the step's announcement. */
export const SPOKEN_CHANGES = 10;

export function spokenStep(
  scenario: Scenario | undefined,
  text: string,
  cursor: number,
  report: ReportStep | undefined,
): string {
  const total = scenario?.steps.length ?? 0;
  const step = scenario && cursor > 0 ? scenario.steps[cursor - 1] : undefined;
  if (!step) return `Step 0 of ${total}: before the first step.`;
  const outcome = report ? `: ${outcomeText(report.outcome, report.op)}` : '';
  const note = step.note ? ` ${step.note.replace(/\n/g, ' ')}` : '';
  const all = stepChanges(report);
  // A group step changes thousands of entries: the first few are read, then how many more (they are listed on screen).
  const read = all.slice(0, SPOKEN_CHANGES).map(describeChange).join('; ');
  const more = all.length > SPOKEN_CHANGES ? `; and ${formatCount(all.length - SPOKEN_CHANGES)} more` : '';
  const changes = !report ? '' : all.length ? ` Changes: ${read}${more}.` : ' No page-table changes.';
  return `Step ${cursor} of ${total}, ${statementSource(text, step)}${outcome}.${note}${changes}`;
}

/** The step a click on line `line` (1-based) of `scenario`'s text goes to: the step written there, if any. */
export function stepOfLine(scenario: Scenario, line: number): number | undefined {
  // Steps are in line order: binary search, a 1,500-line scenario is clicked as fast as a short one.
  const steps = scenario.steps;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = (steps[mid] as Step).pos.line;
    if (l === line) return mid + 1;
    if (l < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
