import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeChange } from '../core/describe-changes';
import { parseScenario } from './parser';
import {
  authorQuestions,
  entryChoice,
  eventQuestionsFor,
  generatedQuestions,
  levelsChoice,
  questionsFor,
  type Question,
  type StepFacts,
} from './questions';
import { runScenario } from './run';

const SEED = readFileSync(new URL('../../scenarios/mshare-v1-guest-fault.ptx', import.meta.url), 'utf8');

function facts(text: string): StepFacts[] {
  const p = parseScenario(text);
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  const r = runScenario(p.scenario);
  return r.steps.map((rs, i) => ({ n: i + 1, step: p.scenario.steps[i]!, paging: p.scenario.paging, report: rs }));
}

describe('entryChoice', () => {
  it("spells an entry out: 0x1003067 is PFN 0x1003 with _PAGE_TABLE's bits (P RW US A D, pgtable_types.h)", () => {
    expect(entryChoice('0000000001003067')).toBe('0x0000000001003067 (PFN 0x1003; P RW US A D)');
    expect(entryChoice('8000000001006025')).toBe('0x8000000001006025 (PFN 0x1006; P US A NX)');
    expect(entryChoice(null)).toBe('none (not present)');
  });
  it('lists levels top-down in words', () => {
    expect(levelsChoice(['pud', 'pmd', 'pte'])).toBe('PUD, PMD and PTE pages');
    expect(levelsChoice(['pte'])).toBe('PTE page');
  });
});

describe("the seed's guest fault (scenarios/mshare-v1-guest-fault.ptx)", () => {
  const all = facts(SEED);
  const guest = all.find((f) => f.step.tasks[0] === 'B' && f.step.op.op === 'read')!;
  it("asks first what B's PGD[2] will hold, and the right answer is the host's PGD[2] value", () => {
    const [q] = questionsFor(guest);
    expect(q!.prompt).toBe("What will B's PGD[2] hold after this step?");
    // By hand: the host mm's PGD page got PFN 0x1002 at mshare, its PUD page PFN 0x1003 at A's write;
    // pud_alloc wrote _PAGE_TABLE (0x67) | 0x1003 << 12 into the host's PGD[2]; set_pgd copies it.
    expect(q!.choices[q!.answer]).toBe('0x0000000001003067 (PFN 0x1003; P RW US A D)');
    const hostWrite = all[4]!.report.changes.find(
      (c) => c.kind === 'entry-set' && c.mm === 'mshare:sga' && c.level === 'pgd',
    );
    expect(q!.choices[q!.answer]).toContain(`0x${(hostWrite as { new: string }).new}`);
    expect(q!.choices).toContain('none (not present)');
    expect(q!.choices).toHaveLength(4);
    expect(new Set(q!.choices).size).toBe(4);
    expect(q!.because).toEqual(['B PGD[2]: none → 0x0000000001003067 (set_pgd)']);
    expect(q!.because[0]).toBe(describeChange(guest.report.changes[0]!));
  });
  it('asks which function fills it: set_pgd', () => {
    const fq = generatedQuestions(guest).find((q) => q.kind === 'function')!;
    expect(fq.choices[fq.answer]).toBe('set_pgd');
    expect(fq.choices.filter((c) => c === 'set_pgd')).toHaveLength(1);
  });
  it("A's write asks about A's own PGD[2] (its set_pgd), and the tables asked about are the host's three", () => {
    const w = all[4]!;
    const [q] = generatedQuestions(w);
    expect(q!.prompt).toBe("What will A's PGD[2] hold after this step?");
    expect(q!.choices[q!.answer]).toBe('0x0000000001003067 (PFN 0x1003; P RW US A D)');
    // The other entries written in the step are the plausible wrong ones.
    expect(
      q!.choices.some(
        (c) =>
          c.startsWith('0x0000000001004067') ||
          c.startsWith('0x0000000001005067') ||
          c.startsWith('0x8000000001006067'),
      ),
    ).toBe(true);
    const t = generatedQuestions(w).find((x) => x.kind === 'tables')!;
    expect(t.choices[t.answer]).toBe('PUD, PMD and PTE pages');
    const v = generatedQuestions(w).find((x) => x.kind === 'vmpte')!;
    expect(v.prompt).toBe("What will mshare:sga's VmPTE (page-table bytes) be after this step?");
    expect(v.choices[v.answer]).toBe('12 KiB');
  });
  it('is deterministic: the same step gives the same choices in the same order', () => {
    expect(questionsFor(facts(SEED)[6]!)).toEqual(questionsFor(guest));
  });
  it('asks nothing before a step that changes nothing and cannot fail (a read of mapped pages)', () => {
    const lastRead = all.at(-1)!;
    expect(lastRead.report.changes).toEqual([]);
    expect(questionsFor(lastRead).filter((q) => q.kind !== 'author')).toEqual([]);
  });
});

describe('outcome questions', () => {
  it('asks how a faulting access ends: SIGSEGV outside any VMA', () => {
    const [f] = facts('spawn A\nA: read 0x1000\n').slice(1);
    const [q] = questionsFor(f!);
    expect(q!.prompt).toBe("How will A's read end?");
    expect(q!.choices[q!.answer]).toBe('SIGSEGV');
  });
  it('asks what a failing call returns: ENOSYS for mshare on mainline', () => {
    const [f] = facts('spawn A\nA: mshare "x" 1T 512G O_CREAT|O_RDWR 0600\n').slice(1);
    const [q] = questionsFor(f!);
    expect(q!.choices[q!.answer]).toBe('ENOSYS');
    expect(q!.choices).toContain('0 (success)');
  });
});

describe('author questions', () => {
  it('come after the generated one, choices as written', () => {
    const f = facts(
      'spawn A\nA: mmap 1T 4K rw private anon fixed\nask "Which page?" "none" | *"a PTE page"\nA: write 1T "x"\n',
    )[2]!;
    const qs = questionsFor(f);
    expect(qs.map((q) => q.kind)).toEqual(['entry', 'author']);
    expect(qs[1]).toMatchObject({ id: '3:ask:0', prompt: 'Which page?', choices: ['none', 'a PTE page'], answer: 1 });
    expect(authorQuestions(3, f.step)).toEqual([qs[1]]);
  });
});

describe('a step whose changes were cut short', () => {
  it('asks nothing the missing changes could make wrong', () => {
    const f = facts('spawn A\nA: mmap 1T 4K rw private anon fixed\nA: write 1T "x"\n')[2]!;
    expect(generatedQuestions(f).map((q) => q.kind)).toEqual(['entry', 'function', 'tables', 'vmpte', 'outcome']);
    const cut = { ...f, report: { ...f.report, changes_omitted: 3 } };
    expect(generatedQuestions(cut).map((q) => q.kind)).toEqual(['outcome']);
  });
});

describe("event by event: the seed's guest read (handle_mm_fault, find_shared_vma, set_pgd, VM_FAULT_NOPAGE)", () => {
  const guest = facts(SEED)[6]!;
  it('is the step the brief names: four events, one change made by the third', () => {
    expect(guest.report.events.map((e) => e.fn)).toEqual([
      'handle_mm_fault',
      'find_shared_vma',
      'set_pgd',
      'VM_FAULT_NOPAGE',
    ]);
  });
  it("after find_shared_vma: set_pgd runs next, then B's PGD[2] holds the host's value", () => {
    const qs = eventQuestionsFor({ ...guest, event: 3 });
    expect(qs.map((q) => q.kind)).toEqual(['next', 'entry']);
    const [next, entry] = qs as [Question, Question];
    expect(next.prompt).toBe('After find_shared_vma: which kernel function runs next?');
    expect(next.choices[next.answer]).toBe('set_pgd');
    expect(next.choices.filter((c) => c === 'set_pgd')).toHaveLength(1);
    // The step's own other events are the distractors, the return code among them.
    expect([...next.choices].sort()).toEqual(['VM_FAULT_NOPAGE', 'find_shared_vma', 'handle_mm_fault', 'set_pgd']);
    // The explanation is the patch's lines the report quotes, not the value (asked next).
    expect(next.because.join('\n')).toContain('set_pgd(guest_pgd, *pgd);');
    expect(next.because.join('\n')).not.toContain('0x0000000001003067');
    expect(entry.prompt).toBe("What will B's PGD[2] hold after set_pgd?");
    // By hand (above): the host's PGD[2], PUD page PFN 0x1003 with _PAGE_TABLE.
    expect(entry.choices[entry.answer]).toBe('0x0000000001003067 (PFN 0x1003; P RW US A D)');
    expect(entry.choices).toContain('none (not present)');
    expect(next.id).toBe('7e3:next');
    expect(entry.id).toMatch(/^7e3:entry:B:pgd:/);
  });
  it('before VM_FAULT_NOPAGE: a return code, asked as what comes next, with no entry question', () => {
    const qs = eventQuestionsFor({ ...guest, event: 4 });
    expect(qs.map((q) => q.kind)).toEqual(['next']);
    expect(qs[0]!.prompt).toBe('After set_pgd: what comes next?');
    expect(qs[0]!.choices[qs[0]!.answer]).toBe('VM_FAULT_NOPAGE');
    expect(qs[0]!.because).toContain('VM_FAULT_NOPAGE: the access retries');
  });
  it("entering the step at its first event: what runs first, then the author's question", () => {
    const qs = eventQuestionsFor({ ...guest, event: 1 });
    expect(qs.map((q) => q.kind)).toEqual(['next', 'author']);
    expect(qs[0]!.prompt).toBe('B: read begins: which kernel function runs first?');
    expect(qs[0]!.choices[qs[0]!.answer]).toBe('handle_mm_fault');
    expect(qs[1]!.id).toBe('7:ask:0');
  });
  it('a step of one event or none asks its step questions (a move by event shows it whole)', () => {
    // The guest read cut to its set_pgd alone (its change then made by event 0).
    const one: StepFacts = {
      ...guest,
      report: {
        ...guest.report,
        events: [guest.report.events[2]!],
        changes: guest.report.changes.map((c) => ({ ...c, event: 0 })),
      },
    };
    const qs = eventQuestionsFor({ ...one, event: 1 });
    expect(qs).toEqual(questionsFor(one));
    expect(qs[0]!.prompt).toBe("What will B's PGD[2] hold after this step?");
  });
  it('is deterministic', () => {
    expect(eventQuestionsFor({ ...facts(SEED)[6]!, event: 3 })).toEqual(eventQuestionsFor({ ...guest, event: 3 }));
  });
});
