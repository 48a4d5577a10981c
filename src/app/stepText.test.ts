import { describe, expect, it } from 'vitest';
import type { StepChange } from '../core/changes';
import { parseScenario } from '../scenario/parser';
import type { ReportStep } from '../scenario/report';
import { describeChange } from '../core/describe-changes';
import { changeTime, eventCaption, spokenStep, statementSource, stepChanges, stepOfLine } from './stepText';

/** The change list's lines (StepControls words them as it draws them). */
const changeLines = (r: ReportStep | undefined): string[] => stepChanges(r).map(describeChange);

function parse(text: string) {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

const TEXT = `title "t"
spawn A   # the creator
note "maps"
spawn db[1..3]
  A: mmap 0x7f0000000000 4M rw private anon fixed
A: read 0x7f0000001000
A: write 1T+1G "a # not a comment"   # a comment
db[1..3]: exit
`;

describe('statementSource', () => {
  const s = parse(TEXT);
  it('gives each statement as typed, without its comment or indentation', () => {
    expect(s.steps.map((st) => statementSource(TEXT, st))).toEqual([
      'spawn A',
      'spawn db[1..3]',
      'A: mmap 0x7f0000000000 4M rw private anon fixed',
      'A: read 0x7f0000001000',
      'A: write 1T+1G "a # not a comment"',
      'db[1..3]: exit',
    ]);
  });
  it('falls back to the printed form when the text is another one', () => {
    // The printer writes 0x7f0000001000 as 127T+0x1000 (issue 12's complaint): the fallback is only for a foreign text.
    expect(statementSource('', s.steps[3]!)).toBe('A: read 127T+0x1000');
  });
});

describe('stepOfLine', () => {
  const s = parse(TEXT);
  it('maps a statement line to its step and any other line to none', () => {
    expect(stepOfLine(s, 2)).toBe(1);
    expect(stepOfLine(s, 4)).toBe(2);
    expect(stepOfLine(s, 5)).toBe(3);
    expect(stepOfLine(s, 8)).toBe(6);
    expect(stepOfLine(s, 1)).toBeUndefined();
    expect(stepOfLine(s, 3)).toBeUndefined();
    expect(stepOfLine(s, 9)).toBeUndefined();
  });
});

// A report made before the `changes` field existed (the type may require it later, hence through unknown).
const BASE = {
  index: 7,
  line: 22,
  task: 'B',
  op: 'read',
  outcome: { kind: 'ok' },
  events: [],
  pgtables_bytes: {},
} as unknown as ReportStep;
const SET_PGD: StepChange = {
  kind: 'entry-set',
  event: 2,
  fn: 'set_pgd',
  mm: 'B',
  level: 'pgd',
  table: 4097,
  index: 2,
  old: null,
  new: '0000000001003067',
};
const FREE: StepChange = { kind: 'table-free', event: 0, fn: 'free_pgd_range', mm: 'A', level: 'pmd', pfn: 42 };

describe('changeLines and spokenStep', () => {
  it('read a report without the field (older reports) as no changes', () => {
    expect(changeLines(undefined)).toEqual([]);
    expect(changeLines(BASE)).toEqual([]);
  });
  it('word each change as the core does', () => {
    const r = { ...BASE, changes: [SET_PGD, FREE] } as ReportStep;
    expect(changeLines(r)).toEqual([
      'B PGD[2]: none → 0x0000000001003067 (set_pgd)',
      'A: PMD page PFN 0x2a freed (free_pgd_range)',
    ]);
  });
  it('speak the typed statement, the outcome, the caption and the changes', () => {
    const s = parse(TEXT);
    const r = { ...BASE, changes: [SET_PGD] } as ReportStep;
    expect(spokenStep(s, TEXT, 4, r)).toBe(
      'Step 4 of 6, A: read 0x7f0000001000: ok. Changes: B PGD[2]: none → 0x0000000001003067 (set_pgd).',
    );
    expect(spokenStep(s, TEXT, 2, BASE)).toBe('Step 2 of 6, spawn db[1..3]: ok. maps No page-table changes.');
    expect(spokenStep(s, TEXT, 0, undefined)).toBe('Step 0 of 6: before the first step.');
  });
  it("group the digits of a big step's event count", () => {
    const events = Array.from({ length: 21_881 }, () => ({ fn: 'handle_mm_fault' }));
    expect(eventCaption({ ...BASE, events } as unknown as ReportStep, 1_234)).toBe(
      'event 1,234 of 21,881 (handle_mm_fault)',
    );
  });
  it('read the first ten changes of a group step, then how many more', () => {
    const s = parse(TEXT);
    const many = Array.from({ length: 1_234 }, (_, i) => ({ ...SET_PGD, index: i }));
    const said = spokenStep(s, TEXT, 4, { ...BASE, changes: many } as ReportStep);
    expect(said).toContain('B PGD[9]: none');
    expect(said).not.toContain('B PGD[10]:');
    expect(said.endsWith('(set_pgd); and 1,224 more.')).toBe(true);
  });
});

describe('the moment inside a step (issue 14)', () => {
  // The seed's guest read: four events, one change, made by set_pgd (event index 2).
  const read = {
    events: [{ fn: 'handle_mm_fault' }, { fn: 'find_shared_vma' }, { fn: 'set_pgd' }, { fn: 'VM_FAULT_NOPAGE' }],
    changes: [
      {
        kind: 'entry-set',
        event: 2,
        fn: 'set_pgd',
        mm: 'B',
        level: 'pgd',
        table: 4097,
        index: 2,
        old: null,
        new: '0000000001003067',
      },
    ] as StepChange[],
  } as unknown as ReportStep;
  it("names the event just done, its number and the step's count", () => {
    expect(eventCaption(read, 2)).toBe('event 2 of 4 (find_shared_vma)');
    expect(eventCaption(read, 3)).toBe('event 3 of 4 (set_pgd)');
    expect(eventCaption(read, null)).toBe('event 4 of 4 (VM_FAULT_NOPAGE)');
    expect(eventCaption(undefined, 2)).toBe('');
    expect(eventCaption(read, 2, 'capped')).toBe('event 2 of 4 (find_shared_vma) · whole step');
    expect(eventCaption(read, null, 'capped')).toBe('event 4 of 4 (VM_FAULT_NOPAGE)');
  });
  it('marks the change the current event made, and those still to come', () => {
    const [change] = stepChanges(read);
    expect(changeTime(change!, 2)).toBe('later');
    expect(changeTime(change!, 3)).toBe('now');
    expect(changeTime(change!, 4)).toBe('done');
    expect(changeTime(change!, null)).toBe('done');
  });
});
