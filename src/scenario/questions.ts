/**
 * Predict mode (issue 16): the questions asked before a step is revealed.
 *
 * Generated questions are read off the step's own report, the same
 * `changes` (src/core/changes.ts), events and outcome that the step panel
 * shows: the right choice is a fact of that report, written the way the
 * view writes it (an entry value as describeChange prints it), so it is right
 * by construction. Distractors are near misses of the same kind (the entry
 * left none, a neighbouring page's PFN, the same value read-only, VmPTE one
 * page off) and never equal the right choice. The author's `ask` lines
 * (ast.ts Ask) follow the generated one.
 *
 * Pure and deterministic: no DOM, no Math.random; choices are shuffled with a
 * seed derived from the step number and the question, so a reload, another
 * student's browser and the e2e test all see the same order.
 *
 * Event by event (issue 14's Shift+→ in Predict mode): StepFacts' `event`
 * names the event about to be revealed, and changesOf() then reads only the
 * changes that event makes (`change.event === event - 1`, core/changes.ts),
 * so the entry question asks what that one event writes. eventQuestionsFor()
 * adds "what runs next?", whose right choice is that event's `fn`.
 */
import type { StepChange } from '../core/changes';
import { groupDigits } from '../core/events';
import type { Step } from './ast';
import { hashString } from './hash';
import type { ReportOutcome } from './report';

export type QuestionKind = 'entry' | 'function' | 'next' | 'tables' | 'table-free' | 'vmpte' | 'outcome' | 'author';

/** What a generated answer states, for the feedback and for the tests that check it against the report. */
export type Fact =
  | { kind: 'entry'; change: StepChange & { kind: 'entry-set' } }
  | { kind: 'function'; change: StepChange & { kind: 'entry-set' } }
  /** What runs next: the step's event `event` (1-based), whose `fn` is the right choice. */
  | { kind: 'next'; event: number; fn: string }
  | { kind: 'tables' | 'table-free'; levels: string[] }
  | { kind: 'vmpte'; mm: string; from: number; to: number }
  | { kind: 'outcome'; outcome: ReportOutcome }
  | { kind: 'author' };

export interface Question {
  /** Stable across reloads: the step number, the kind and what it is about. */
  id: string;
  kind: QuestionKind;
  prompt: string;
  choices: string[];
  /** Index of the right choice. */
  answer: number;
  /** Why, in the step panel's words (may be empty: the panel adds the note and Changes). */
  because: string[];
  fact: Fact;
}

/** What a question is made from: the step as parsed and its report (ReportStep's fields the app has). */
export interface StepFacts {
  /** The step's number, 1-based: the cursor once it is revealed. */
  n: number;
  /**
   * Event by event: the event about to be revealed, 1-based as the caption counts ("event 3 of 4"), i.e.
   * `report.events[event - 1]`; absent for the whole step.
   */
  event?: number;
  step: Step;
  paging: 4 | 5;
  report: {
    op: string;
    outcome: ReportOutcome;
    events: { fn: string; detail?: string; src?: string }[];
    changes: StepChange[];
    /** Changes the report counted but left out (a huge step): then its changes are no complete picture to ask about. */
    changes_omitted?: number;
  };
}

/* ----- determinism ----- */

export { hashString };

/** mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The right choice and up to `max - 1` distinct distractors, shuffled by `seed`. */
function build(
  id: string,
  kind: QuestionKind,
  prompt: string,
  right: string,
  candidates: string[],
  because: string[],
  fact: Fact,
  max = 4,
): Question | null {
  const wrong: string[] = [];
  for (const c of candidates) if (c !== right && !wrong.includes(c) && wrong.length < max - 1) wrong.push(c);
  if (wrong.length < 2) return null; // a question with one way to be wrong teaches nothing
  const choices = [right, ...wrong];
  const r = rng(hashString(id));
  for (let i = choices.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [choices[i], choices[j]] = [choices[j]!, choices[i]!];
  }
  return { id, kind, prompt, choices, answer: choices.indexOf(right), because, fact };
}

/* ----- words, as the step panel writes them ----- */

const FLAG_BITS: [string, bigint][] = [
  ['P', 0n],
  ['RW', 1n],
  ['US', 2n],
  ['PWT', 3n],
  ['PCD', 4n],
  ['A', 5n],
  ['D', 6n],
  ['PS', 7n],
  ['G', 8n],
  ['NX', 63n],
];

/** An entry value as the Changes list shows it (`0x` and 16 hex digits), with its PFN and flags spelt out. */
export function entryChoice(hex: string | null): string {
  if (hex === null) return 'none (not present)';
  const v = BigInt('0x' + hex);
  const pfn = (v >> 12n) & ((1n << 40n) - 1n);
  const flags = FLAG_BITS.filter(([, b]) => (v >> b) & 1n).map(([n]) => n);
  return `0x${hex} (PFN 0x${pfn.toString(16)}; ${flags.length ? flags.join(' ') : 'no flags'})`;
}

const hex16 = (v: bigint): string => (v & ((1n << 64n) - 1n)).toString(16).padStart(16, '0');

/** VmPTE in the Changes list's words (describe-changes.ts bytes()). */
export function bytesChoice(n: number): string {
  return n % 1024 === 0 ? `${groupDigits(n / 1024)} KiB` : `${groupDigits(n)} B`;
}

const LEVELS_TOP_DOWN = ['pgd', 'p4d', 'pud', 'pmd', 'pte'];

/** ['pud', 'pmd', 'pte'] → "PUD, PMD and PTE pages". */
export function levelsChoice(levels: readonly string[]): string {
  if (levels.length === 0) return 'none';
  const up = levels.map((l) => l.toUpperCase());
  const list = up.length === 1 ? up[0]! : `${up.slice(0, -1).join(', ')} and ${up.at(-1)!}`;
  return `${list} page${up.length === 1 ? '' : 's'}`;
}

function where(c: { mm: string; level: string; index: number }): string {
  return `${c.mm}'s ${c.level.toUpperCase()}[${c.index}]`;
}

/** "B PGD[2]: none → 0x0000000001003067 (set_pgd)", as describeChange writes a single entry. */
function changeLine(c: StepChange & { kind: 'entry-set' }): string {
  const v = (x: string | null) => (x === null ? 'none' : `0x${x}`);
  return `${c.mm} ${c.level.toUpperCase()}[${c.index}]: ${v(c.old)} → ${v(c.new)} (${c.fn})`;
}

/* ----- the generators ----- */

/** The changes a question may read: the whole step's, or those of the one event about to be revealed. */
function changesOf(f: StepFacts): StepChange[] {
  if (f.event === undefined) return f.report.changes;
  const at = f.event - 1; // StepChange.event is 0-based
  return f.report.changes.filter((c) => c.event === at);
}

/** Where a question is asked: the step, or the step and the event about to be revealed ("7e3"). */
const qid = (f: StepFacts): string => (f.event === undefined ? `${f.n}` : `${f.n}e${f.event}`);

type EntrySet = StepChange & { kind: 'entry-set' };

/**
 * The entry to ask about: a single entry (not a block) whose last change in
 * the step sets it (not cleared after), the acting task's own preferred,
 * else the first. Its `old` is what it held before the step (the first change of
 * that entry in the step), its `new` what it holds after (the last).
 */
function entryTarget(f: StepFacts): EntrySet | null {
  const changes = changesOf(f);
  const last = new Map<string, StepChange>();
  const first = new Map<string, EntrySet>();
  for (const c of changes) {
    if (c.kind !== 'entry-set' && c.kind !== 'entry-cleared') continue;
    if ((c.count ?? 1) !== 1) continue;
    const k = `${c.mm}|${c.level}|${c.table}|${c.index}`;
    last.set(k, c);
    if (c.kind === 'entry-set' && !first.has(k)) first.set(k, c);
  }
  const finals: EntrySet[] = [];
  for (const [k, c] of last) {
    if (c.kind !== 'entry-set') continue;
    const f0 = first.get(k)!;
    if (f0.old === c.new) continue; // back where it started: nothing to predict
    finals.push({ ...c, old: f0.old });
  }
  if (finals.length === 0) return null;
  const own = finals.filter((c) => f.step.tasks.includes(c.mm));
  return own.length ? own[own.length - 1]! : finals[0]!;
}

function entryQuestion(f: StepFacts, c: EntrySet): Question | null {
  const right = entryChoice(c.new);
  const v = BigInt('0x' + c.new);
  const PFN_BITS = (1n << 40n) - 1n;
  const pfn = (v >> 12n) & PFN_BITS;
  /** The same flags over a neighbouring page. */
  const withPfn = (d: bigint) => hex16((v & ~(PFN_BITS << 12n)) | (((pfn + d) & PFN_BITS) << 12n));
  const others = changesOf(f).flatMap((o) => (o.kind === 'entry-set' && (o.count ?? 1) === 1 ? [o.new] : []));
  const candidates = [
    entryChoice(c.old),
    ...others.map(entryChoice),
    entryChoice(withPfn(1n)),
    entryChoice(hex16(v ^ 2n)), // the same page, RW the other way
    entryChoice(withPfn(-1n)),
    entryChoice(hex16(v ^ (1n << 63n))), // NX the other way
  ];
  const id = `${qid(f)}:entry:${c.mm}:${c.level}:${c.table}:${c.index}`;
  // Event by event the function question comes first, and its answer is this change's own fn.
  const after = f.event === undefined ? 'this step' : c.fn;
  return build(id, 'entry', `What will ${where(c)} hold after ${after}?`, right, candidates, [changeLine(c)], {
    kind: 'entry',
    change: c,
  });
}

const FUNCTIONS = [
  'set_pgd',
  'pud_alloc',
  'pmd_alloc',
  'pte_alloc',
  'do_anonymous_page',
  'finish_fault',
  'wp_page_copy',
  'copy_page_range',
  'do_set_pmd',
];

function functionQuestion(f: StepFacts, c: EntrySet): Question | null {
  // Functions only: an event such as VM_FAULT_NOPAGE is a return code, not a function.
  const seen = [...changesOf(f).map((o) => o.fn), ...f.report.events.map((e) => e.fn)].filter(
    (fn) => !/^[A-Z0-9_]+$/.test(fn),
  );
  const id = `${f.n}:function:${c.mm}:${c.level}:${c.table}:${c.index}`;
  const verb = c.old === null ? 'fill' : 'change';
  return build(
    id,
    'function',
    `Which kernel function will ${verb} ${where(c)}?`,
    c.fn,
    [...seen, ...FUNCTIONS],
    [changeLine(c)],
    { kind: 'function', change: c },
  );
}

function tablesQuestion(f: StepFacts, kind: 'table-alloc' | 'table-free'): Question | null {
  const levels = new Set<string>();
  for (const c of changesOf(f)) if (c.kind === kind) levels.add(c.level);
  if (levels.size === 0) return null;
  const order = LEVELS_TOP_DOWN.filter((l) => f.paging === 5 || l !== 'p4d');
  const right = levelsChoice(order.filter((l) => levels.has(l)));
  // Plausible sets: none, and each run from a level down to the PTE level (a fault allocates the missing levels below
  // the last present one).
  const below = order.slice(1);
  const candidates = [
    'none',
    ...below.map((_, i) => levelsChoice(below.slice(below.length - 1 - i))),
    levelsChoice(['pgd']),
    levelsChoice(order),
  ];
  const alloc = kind === 'table-alloc';
  const lines = changesOf(f)
    .filter((c): c is StepChange & { kind: 'table-alloc' | 'table-free' } => c.kind === kind)
    .map(
      (c) =>
        `${c.mm}: ${(c.count ?? 1) > 1 ? `${groupDigits(c.count!)} ` : ''}${c.level.toUpperCase()} page${(c.count ?? 1) > 1 ? 's' : ''} ${alloc ? 'allocated' : 'freed'} (${c.fn})`,
    );
  return build(
    `${f.n}:${alloc ? 'tables' : 'table-free'}`,
    alloc ? 'tables' : 'table-free',
    `Which page-table pages will this step ${alloc ? 'allocate' : 'free'}?`,
    right,
    candidates,
    lines,
    { kind: alloc ? 'tables' : 'table-free', levels: order.filter((l) => levels.has(l)) },
  );
}

function vmpteQuestion(f: StepFacts): Question | null {
  const byMm = new Map<string, { from: number; to: number }>();
  for (const c of changesOf(f)) {
    if (c.kind !== 'pgtables') continue;
    const got = byMm.get(c.mm);
    byMm.set(c.mm, { from: got ? got.from : c.from, to: c.to });
  }
  const moved = [...byMm].filter(([, v]) => v.from !== v.to);
  if (moved.length === 0) return null;
  const [mm, { from, to }] = moved.find(([m]) => f.step.tasks.includes(m)) ?? moved[0]!;
  const candidates = [from, to + 4096, to - 4096, to + 8192, to - 8192, from + 4096]
    .filter((n) => n >= 0)
    .map(bytesChoice);
  return build(
    `${f.n}:vmpte:${mm}`,
    'vmpte',
    `What will ${mm}'s VmPTE (page-table bytes) be after this step?`,
    bytesChoice(to),
    candidates,
    [`${mm} VmPTE: ${bytesChoice(from)} → ${bytesChoice(to)}`],
    { kind: 'vmpte', mm, from, to },
  );
}

const ACCESS = new Set(['read', 'write', 'exec', 'touch']);
const COMPLETES = 'It completes (no signal)';
const ERRNOS = ['EINVAL', 'ENOMEM', 'EEXIST', 'EPERM', 'ENOSYS', 'EBADF', 'ENOENT', 'EACCES'];

/** How an access ends, or what a call returns when it fails; null for a group (each task may end its own way). */
function outcomeQuestion(f: StepFacts): Question | null {
  const o = f.report.outcome;
  if (f.step.tasks.length !== 1 || o.kind === 'skipped') return null;
  const id = `${f.n}:outcome`;
  const fact: Fact = { kind: 'outcome', outcome: o };
  if (ACCESS.has(f.report.op)) {
    if (o.kind === 'errno') return null;
    const right = o.kind === 'signal' ? o.signal : COMPLETES;
    const because = o.kind === 'signal' ? [`${o.signal}: ${o.cause}`] : [];
    return build(
      id,
      'outcome',
      `How will ${f.step.tasks[0]}'s ${f.report.op} end?`,
      right,
      [COMPLETES, 'SIGSEGV', 'SIGBUS'],
      because,
      fact,
    );
  }
  if (o.kind !== 'errno') return null;
  return build(
    id,
    'outcome',
    `What will ${f.report.op} return?`,
    o.errno,
    ['0 (success)', ...ERRNOS],
    o.why ? [`${o.errno}: ${o.why}`] : [],
    fact,
  );
}

/**
 * Every question the report of one step supports, most telling first: a
 * failure, the entry that changes (and the function that changes it), the
 * table pages allocated or freed, VmPTE, then how an access that completes ends.
 */
export function generatedQuestions(f: StepFacts): Question[] {
  if (f.report.outcome.kind === 'skipped') return [];
  const out: (Question | null)[] = [];
  const failed = f.report.outcome.kind !== 'ok';
  if (failed) out.push(outcomeQuestion(f));
  // A list cut short could hide a later change of the entry, or a level's pages: ask only how it ends.
  const whole = !(f.report.changes_omitted && f.report.changes_omitted > 0);
  const target = whole ? entryTarget(f) : null;
  if (target) out.push(entryQuestion(f, target), functionQuestion(f, target));
  if (whole) out.push(tablesQuestion(f, 'table-alloc'), tablesQuestion(f, 'table-free'), vmpteQuestion(f));
  if (!failed) out.push(outcomeQuestion(f));
  return out.filter((q): q is Question => q !== null);
}

/** The author's `ask` lines of the step, choices in the order written. */
export function authorQuestions(n: number, step: Step): Question[] {
  return (step.asks ?? []).map((a, k) => ({
    id: `${n}:ask:${k}`,
    kind: 'author' as const,
    prompt: a.prompt,
    choices: [...a.choices],
    answer: a.answer,
    because: [],
    fact: { kind: 'author' as const },
  }));
}

/**
 * What Predict mode asks before step n: the most telling generated question
 * (one: a lecture moves on), then the author's own. A step that changes
 * nothing and fails in no way asks nothing but its author's questions.
 */
export function questionsFor(f: StepFacts): Question[] {
  const gen = generatedQuestions(f);
  const primary =
    gen[0] && !(gen[0].kind === 'outcome' && f.report.outcome.kind === 'ok' && changesOf(f).length === 0)
      ? [gen[0]]
      : [];
  return [...primary, ...authorQuestions(f.n, f.step)];
}

/* ----- event by event ----- */

/** A return code (VM_FAULT_NOPAGE, EINVAL) is an event too, but no function. */
const isCode = (fn: string): boolean => /^[A-Z0-9_]+$/.test(fn);

/** Functions the fault path and the mm calls run through, for distractors beyond the step's own. */
const PATH_FUNCTIONS = [
  'handle_mm_fault',
  '__handle_mm_fault',
  'find_shared_vma',
  'handle_pte_fault',
  'do_wp_page',
  'bad_area',
  'mmap_read_lock',
];

/** Fault return codes (include/linux/mm_types.h enum vm_fault_reason). */
const CODES = ['VM_FAULT_NOPAGE', 'VM_FAULT_RETRY', 'VM_FAULT_SIGSEGV', 'VM_FAULT_OOM'];

/**
 * "What runs next?": the right choice is the `fn` of the event about to be
 * revealed; distractors are the step's other events (those after it first:
 * what is yet to come is the likeliest mix-up), then functions (or return
 * codes) of the same kind from the lists above. `because`: the event's
 * source lines as the report quotes them, and its detail unless the entry
 * question that follows asks the value the detail states.
 */
function nextQuestion(f: StepFacts, k: number, detail: boolean): Question | null {
  const events = f.report.events;
  const ev = events[k - 1];
  if (!ev) return null;
  const later = events.slice(k).map((e) => e.fn);
  const earlier = events.slice(0, k - 1).map((e) => e.fn);
  const code = isCode(ev.fn);
  const same = (fn: string): boolean => isCode(fn) === code;
  const own = [...later, ...earlier];
  const candidates = [
    ...own.filter(same),
    ...own.filter((fn) => !same(fn)),
    ...(code ? CODES : [...PATH_FUNCTIONS, ...FUNCTIONS]),
  ];
  const prev = events[k - 2]?.fn;
  const what = code ? 'what comes next?' : 'which kernel function runs next?';
  const prompt =
    prev === undefined
      ? `${f.step.tasks.join(', ')}: ${f.report.op} begins: ${code ? 'what comes first?' : 'which kernel function runs first?'}`
      : `After ${prev}: ${what}`;
  const because = [...(ev.src ? ev.src.split('\n') : []), ...(detail && ev.detail ? [`${ev.fn}: ${ev.detail}`] : [])];
  return build(`${qid(f)}:next`, 'next', prompt, ev.fn, candidates, because, {
    kind: 'next',
    event: k,
    fn: ev.fn,
  });
}

/**
 * What Predict mode asks before the event `f.event` of step `f.n` is revealed
 * (moving by event, Shift+→): which function runs next, then, when that
 * event sets an entry, what the entry will hold after it. Entering a step at
 * its first event, the author's questions of the step follow (they are about
 * the whole step, asked before any of it shows). A step of one event or none
 * is shown whole by a move by event (store/derive.ts eventShown), so it asks
 * the step's own questions (questionsFor).
 */
export function eventQuestionsFor(f: StepFacts): Question[] {
  const k = f.event;
  const whole: StepFacts = { n: f.n, step: f.step, paging: f.paging, report: f.report };
  if (k === undefined || f.report.events.length <= 1) return questionsFor(whole);
  if (f.report.outcome.kind === 'skipped' || k < 1 || k > f.report.events.length) return [];
  // A list cut short may have lost this event's changes: ask only what runs.
  const complete = !(f.report.changes_omitted && f.report.changes_omitted > 0);
  const target = complete ? entryTarget(f) : null;
  const entry = target ? entryQuestion(f, target) : null;
  const out = [nextQuestion(f, k, entry === null), entry, ...(k === 1 ? authorQuestions(f.n, f.step) : [])];
  return out.filter((q): q is Question => q !== null);
}
