/**
 * Generated questions are right by construction: on seeded random scenarios
 * (mainline and mshare v1, 4- and 5-level), every question of every step is
 * checked against the machine itself after the step (the tests' picture of
 * it, src/core/changes.test-helper.ts), not only against the report it was
 * made from: the entry asked about holds the right choice's value, the table
 * pages that appeared are of the levels the right choice names, the mm's
 * VmPTE is the right choice's. And every question has one right choice,
 * distinct distractors, none equal to it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChanges, cloneState, snapshot, type PtState } from '../core/changes.test-helper';
import { describeChange } from '../core/describe-changes';
import { parseScenario } from './parser';
import {
  bytesChoice,
  entryChoice,
  eventQuestionsFor,
  generatedQuestions,
  levelsChoice,
  questionsFor,
  type Question,
} from './questions';
import type { ReportStep } from './report';
import { Runner } from './run';

const taskArb = fc.constantFrom('A', 'B', 'C');
/** Offsets inside the first GiB (mapped by the prologue): any page, or 2 MiB boundaries. */
const offArb = fc.oneof(
  fc.integer({ min: 0, max: 262143 }).map((p) => p * 4096),
  fc.integer({ min: 0, max: 511 }).map((h) => h * 2 * 1024 * 1024),
);
const lenArb = fc.oneof(
  fc.constantFrom('4K', '2M', '6M'),
  fc.integer({ min: 1, max: 300 }).map((p) => `${p * 4}K`),
);
const at = (a: string, o: number): string => `${a}+0x${o.toString(16)}`;
const accessArb = fc.constantFrom('read', 'write');

const mainStep = fc.oneof(
  fc
    .tuple(
      taskArb,
      fc.constantFrom('1T', '2T'),
      fc.constantFrom('8M', '3M', '1G'),
      fc.constantFrom('rw private anon', 'rw shared anon', 'r private anon'),
    )
    .map(([t, a, l, f]) => `${t}: mmap ${a} ${l} ${f} fixed`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, accessArb)
    .map(([t, a, o, l, w]) => `${t}: touch ${at(a, o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb).map(([t, a, o]) => `${t}: write ${at(a, o)} "x"`),
  // Now and then an access outside every VMA: SIGSEGV.
  fc.tuple(taskArb, fc.constantFrom('3T', '0x1000')).map(([t, a]) => `${t}: read ${a}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb).map(([t, a, o, l]) => `${t}: munmap ${at(a, o)} ${l}`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, fc.constantFrom('r', 'rw', 'none'))
    .map(([t, a, o, l, p]) => `${t}: mprotect ${at(a, o)} ${l} ${p}`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb)
    .map(([t, a, o, l]) => `${t}: madvise ${at(a, o)} ${l} MADV_DONTNEED`),
  fc.tuple(taskArb, fc.constantFrom('D', 'E')).map(([t, c]) => `${t}: fork ${c}`),
);
const v1Step = fc.oneof(
  fc.tuple(taskArb, fc.constantFrom('1T', '2T')).map(([t, a]) => `${t}: mmap ${a} 512G rw shared anon fixed`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), fc.constantFrom('O_CREAT|O_EXCL|O_RDWR', 'O_RDWR', 'O_RDONLY'))
    .map(([t, a, f]) => `${t}: mshare "r${a}" ${a} 512G ${f} 0600`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T')).map(([t, a]) => `${t}: mshare_unlink "r${a}"`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, accessArb)
    .map(([t, a, o, l, w]) => `${t}: touch ${at(a, o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb).map(([t, a, o]) => `${t}: read ${at(a, o)}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb).map(([t, a, o, l]) => `${t}: munmap ${at(a, o)} ${l}`),
);

/** Each task maps the first GiB at 1T and 2T (privately or shared), so most accesses land in a VMA. */
const PROLOGUE: Record<string, string[]> = {
  mainline: [
    'A: mmap 1T 1G rw private anon fixed',
    'B: mmap 1T 1G rw shared anon fixed',
    'C: mmap 1T 1G rw private anon fixed',
    'A: mmap 2T 1G rw shared anon fixed',
    'B: mmap 2T 1G r private anon fixed',
    'C: mmap 2T 1G rw private anon fixed',
    'A: write 1T "x"',
  ],
  'mshare-v1': [
    'A: mmap 1T 512G rw shared anon fixed',
    'A: mshare "r1T" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600',
    'B: mshare "r1T" 1T 512G O_RDWR',
    'C: mshare "r1T" 1T 512G O_RDONLY',
    'C: mmap 2T 512G rw shared anon fixed',
    'A: mmap 2T 512G rw private anon fixed',
  ],
};

function text(kernel: string, paging: 4 | 5, steps: string[]): string {
  // A fork's child is created once; later forks of the same name are dropped.
  const seen = new Set<string>();
  const body = steps.filter((s) => {
    const m = /fork (\w+)$/.exec(s);
    if (!m) return true;
    if (seen.has(m[1]!)) return false;
    seen.add(m[1]!);
    return true;
  });
  // Tasks act only once created: D and E only after their fork.
  const made = new Set(['A', 'B', 'C']);
  const ok = body.filter((s) => {
    const t = s.split(':')[0]!;
    const m = /fork (\w+)$/.exec(s);
    if (!made.has(t)) return false;
    if (m) made.add(m[1]!);
    return true;
  });
  // The tasks exit at the end: table pages freed, VmPTE back to 0.
  const exits = [...made].map((t) => `${t}: exit`);
  return [
    `kernel ${kernel}`,
    `paging ${paging}`,
    'spawn A',
    'spawn B',
    'spawn C',
    ...PROLOGUE[kernel]!,
    ...ok,
    ...exits,
  ].join('\n');
}

/** The checks every question must pass. */
function wellFormed(q: Question, where: string): void {
  expect(q.choices.length, where).toBeGreaterThanOrEqual(3);
  expect(new Set(q.choices).size, where).toBe(q.choices.length);
  expect(q.answer, where).toBeGreaterThanOrEqual(0);
  expect(q.answer, where).toBeLessThan(q.choices.length);
}

/** How many questions of each kind the properties looked at: each kind must have been checked. */
const kinds = new Map<string, number>();

function check(src: string): number {
  const p = parseScenario(src);
  if (!p.ok) throw new Error(`does not parse: ${JSON.stringify(p.errors)}\n${src}`);
  const r = new Runner(p.scenario);
  let before = snapshot(r.kernel);
  let asked = 0;
  let n = 0;
  while (!r.finished) {
    const s = r.step();
    n++;
    const after = snapshot(r.kernel);
    const where = `step ${n}: ${src.split('\n')[s.line - 1]}\n${src}`;
    const qs = generatedQuestions({ n, step: p.scenario.steps[n - 1]!, paging: p.scenario.paging, report: s });
    // Deterministic: asked again, the same questions in the same order.
    expect(
      generatedQuestions({ n, step: p.scenario.steps[n - 1]!, paging: p.scenario.paging, report: s }),
      where,
    ).toEqual(qs);
    expect(
      questionsFor({ n, step: p.scenario.steps[n - 1]!, paging: p.scenario.paging, report: s }).length,
      where,
    ).toBeLessThanOrEqual(1);
    const lines = s.changes.map(describeChange);
    for (const q of qs) {
      asked++;
      kinds.set(q.kind, (kinds.get(q.kind) ?? 0) + 1);
      wellFormed(q, where);
      const right = q.choices[q.answer]!;
      const f = q.fact;
      if (f.kind === 'entry' || f.kind === 'function') {
        const c = f.change;
        // The machine after the step holds that value in that entry.
        expect(after.tables.get(c.table)?.entries.get(c.index), where).toBe(c.new);
        // …and it held the fact's `old` before it.
        expect(before.tables.get(c.table)?.entries.get(c.index) ?? null, where).toBe(c.old);
        expect(after.tables.get(c.table)?.level, where).toBe(c.level);
        if (f.kind === 'entry') {
          expect(right, where).toBe(entryChoice(c.new));
          // The value is the one the Changes list shows for that entry.
          expect(
            lines.some(
              (l) => l.startsWith(`${c.mm} ${c.level.toUpperCase()}[${c.index}]:`) && l.includes(`→ 0x${c.new}`),
            ),
            where,
          ).toBe(true);
        } else {
          expect(right, where).toBe(c.fn);
          expect(
            s.events.some((e) => e.fn === c.fn),
            where,
          ).toBe(true);
        }
      } else if (f.kind === 'tables') {
        expect(right, where).toBe(levelsChoice(f.levels));
        // Every table page that appeared is of a level the answer names.
        for (const [pfn, t] of after.tables) if (!before.tables.has(pfn)) expect(f.levels, where).toContain(t.level);
        expect(
          s.changes.some((c) => c.kind === 'table-alloc'),
          where,
        ).toBe(true);
      } else if (f.kind === 'table-free') {
        expect(right, where).toBe(levelsChoice(f.levels));
        expect(
          s.changes.some((c) => c.kind === 'table-free'),
          where,
        ).toBe(true);
      } else if (f.kind === 'vmpte') {
        expect(right, where).toBe(bytesChoice(f.to));
        expect(after.pgtables.get(f.mm) ?? 0, where).toBe(f.to);
        expect(before.pgtables.get(f.mm) ?? 0, where).toBe(f.from);
      } else if (f.kind === 'outcome') {
        expect(f.outcome, where).toEqual(s.outcome);
        const o = s.outcome;
        expect(right, where).toBe(
          o.kind === 'signal' ? o.signal : o.kind === 'errno' ? o.errno : 'It completes (no signal)',
        );
      }
    }
    asked += checkEvents(p.scenario.steps[n - 1]!, n, p.scenario.paging, s, before, where);
    before = after;
  }
  return asked;
}

/**
 * Event by event (Shift+→ in Predict mode): before each event k of a step of
 * two or more, "what runs next?" has that event's fn as its right choice, and
 * the entry question (when the event sets one) the value the entry holds once
 * the changes of events 0..k-1 are played onto the machine before the step
 * (applyChanges refuses any change whose `old` the picture does not hold).
 */
function checkEvents(
  step: Parameters<typeof questionsFor>[0]['step'],
  n: number,
  paging: 4 | 5,
  s: ReportStep,
  before: PtState,
  where: string,
): number {
  if (s.events.length < 2 || s.outcome.kind === 'skipped') return 0;
  let asked = 0;
  const ids = new Set<string>();
  for (let k = 1; k <= s.events.length; k++) {
    const w = `${where}\nbefore event ${k} (${s.events[k - 1]!.fn})`;
    const qs = eventQuestionsFor({ n, step, paging, report: s, event: k });
    expect(eventQuestionsFor({ n, step, paging, report: s, event: k }), w).toEqual(qs);
    for (const q of qs) {
      if (q.kind === 'author') continue;
      asked++;
      expect(ids.has(q.id), w).toBe(false);
      ids.add(q.id);
      expect(q.id.startsWith(`${n}e${k}:`), w).toBe(true);
      wellFormed(q, w);
      const right = q.choices[q.answer]!;
      const f = q.fact;
      if (f.kind === 'next') {
        kinds.set('event-next', (kinds.get('event-next') ?? 0) + 1);
        expect(f.event, w).toBe(k);
        expect(right, w).toBe(s.events[k - 1]!.fn);
      } else if (f.kind === 'entry') {
        kinds.set('event-entry', (kinds.get('event-entry') ?? 0) + 1);
        const c = f.change;
        expect(c.event, w).toBe(k - 1);
        expect(right, w).toBe(entryChoice(c.new));
        const upTo = (last: number): PtState => {
          const st = cloneState(before);
          applyChanges(
            st,
            s.changes.filter((x) => x.event <= last),
          );
          return st;
        };
        // Before the event the entry held `old`, after it `new`.
        expect(
          upTo(k - 2)
            .tables.get(c.table)
            ?.entries.get(c.index) ?? null,
          w,
        ).toBe(c.old);
        expect(
          upTo(k - 1)
            .tables.get(c.table)
            ?.entries.get(c.index),
          w,
        ).toBe(c.new);
      } else throw new Error(`${w}: a ${q.kind} question asked before an event`);
    }
  }
  return asked;
}

const SEED = Number(process.env.PTX_SEED ?? 20261203);

describe('generated questions are right by construction', () => {
  it('mainline, 4-level', () => {
    let asked = 0;
    fc.assert(
      fc.property(
        fc.array(mainStep, { minLength: 3, maxLength: 16 }),
        (steps) => void (asked += check(text('mainline', 4, steps))),
      ),
      { seed: SEED, numRuns: 30 },
    );
    expect(asked).toBeGreaterThan(100); // the property looked at questions, not at empty lists
  });
  it('mainline, 5-level', () => {
    fc.assert(
      fc.property(
        fc.array(mainStep, { minLength: 3, maxLength: 12 }),
        (steps) => void check(text('mainline', 5, steps)),
      ),
      { seed: SEED, numRuns: 15 },
    );
  });
  it('mshare v1', () => {
    fc.assert(
      fc.property(
        fc.array(v1Step, { minLength: 3, maxLength: 14 }),
        (steps) => void check(text('mshare-v1', 4, steps)),
      ),
      { seed: SEED, numRuns: 30 },
    );
  });
  it('looked at every kind of generated question', () => {
    for (const k of ['entry', 'function', 'tables', 'table-free', 'vmpte', 'outcome', 'event-next', 'event-entry'])
      expect(kinds.get(k) ?? 0, k).toBeGreaterThan(10);
  });
});
