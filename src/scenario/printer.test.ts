import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scenario, Step } from './ast';
import { SPEC_EXAMPLE as EXAMPLE, scenarioArb, withoutPos } from './arbitrary';
import { formatError, parseScenario } from './parser';
import { collapseNames, printScenario, printStep, quote } from './printer';

function ok(text: string): Scenario {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n') + '\n' + text);
  return r.scenario;
}
/** The canonical line of a one-statement scenario (after `spawn A`). */
const canon = (line: string) => printStep(ok(`spawn A\nspawn db[1..9]\n${line}`).steps.at(-1)!);

describe('printStep', () => {
  it('prints addresses with size suffixes when exact, lengths in decimal when small', () => {
    expect(canon('A: mmap 0x10000000000 0x8000000000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED')).toBe(
      'A: mmap 1T 512G rw shared anon fixed',
    );
    expect(canon('A: write 0x10000001000 "x"')).toBe('A: write 1T+0x1000 "x"');
    expect(canon('A: read 1T+4K 0x17')).toBe('A: read 1T+0x1000 23');
    expect(canon('A: munmap 0x7fff_ffff_f000 4096')).toBe('A: munmap 0x7ffffffff000 4K');
  });
  it('prints every statement in its canonical form', () => {
    const cases: [string, string][] = [
      ['spawn B', 'spawn B'],
      ['spawn w[1..3]', 'spawn w[1..3]'],
      ['A: fork  c[1..8] # kids', 'A: fork c[1..8]'],
      ['A: exit', 'A: exit'],
      [
        'A: mmap auto 2M PROT_NONE MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE|MAP_HUGETLB|MAP_FIXED_NOREPLACE',
        'A: mmap auto 2M none private anon fixed_noreplace populate hugetlb',
      ],
      ['A: mmap auto 4K PROT_WRITE shared offset=4096 fd=f', 'A: mmap auto 4K PROT_WRITE shared fd=f offset=4K'],
      ['A: mprotect 0 4K PROT_READ|PROT_EXEC', 'A: mprotect 0 4K rx'],
      ['A: madvise 2M 2M MADV_DONTNEED', 'A: madvise 2M 2M MADV_DONTNEED'],
      ['A: read 0', 'A: read 0'],
      ['A: write 0', 'A: write 0'],
      ['A: write 0 65', 'A: write 0 0x41'],
      ['A: write 0 "a\\"b\\\\c"', 'A: write 0 "a\\"b\\\\c"'],
      ['A: exec 4096', 'A: exec 4K'],
      ['A: touch 0 8K', 'A: touch 0 8K read'],
      ['A: translate 0xffff800000000000', 'A: translate 0xffff800000000000'],
      ['A: mshare sga 1T 512G O_RDWR|O_EXCL|O_CREAT 0600', 'A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600'],
      ['A: mshare_unlink sga', 'A: mshare_unlink "sga"'],
      ['A: open "/sys/fs/mshare/r" O_CREAT|O_RDWR 0644 as f', 'A: open /sys/fs/mshare/r O_CREAT|O_RDWR 0644 as f'],
      ['A: open "a file" O_RDONLY as f', 'A: open "a file" O_RDONLY as f'],
      ['A: close f', 'A: close f'],
      ['A: unlink "/tmp/#x"', 'A: unlink "/tmp/#x"'],
      ['A: ftruncate f 0x200000', 'A: ftruncate f 2M'],
      [
        'A: ioctl f MSHAREFS_CREATE_MAPPING flags=shared anon prot=r size=2M region_offset=0',
        'A: ioctl f MSHAREFS_CREATE_MAPPING region_offset=0 size=2M prot=r flags=MAP_SHARED|MAP_ANONYMOUS',
      ],
      ['A: ioctl f MSHAREFS_UNMAP region_offset=0 size=2M', 'A: ioctl f MSHAREFS_UNMAP region_offset=0 size=2M'],
      ['db[2..9]: read 0', 'db[2..9]: read 0'],
      ['db[02..9]: read 0', 'db[02..9]: read 0'],
    ];
    for (const [input, expected] of cases) expect(canon(input), input).toBe(expected);
  });
  it('collapses a group whose text was lost back into NAME[a..b]', () => {
    const step: Step = { pos: { line: 1, col: 1 }, taskText: null, tasks: ['db2', 'db3', 'db4'], op: { op: 'exit' } };
    expect(printStep(step)).toBe('db[2..4]: exit');
  });
});

describe('collapseNames', () => {
  it('finds the group form of consecutive names', () => {
    expect(collapseNames(['A'])).toBe('A');
    expect(collapseNames(['x9', 'x10', 'x11'])).toBe('x[9..11]');
    expect(collapseNames(['a01', 'a02'])).toBe('a0[1..2]');
    expect(collapseNames(['x10', 'x11'])).toBe('x[10..11]');
  });
  it('leaves names with no group form as they are (the parser then refuses them)', () => {
    expect(collapseNames(['A', 'B'])).toBe('A B');
  });
});

describe('printScenario', () => {
  it("prints the spec's example canonically: the same text without its comment line", () => {
    // The spec's example is written canonically already; a comment is not kept by the AST.
    expect(EXAMPLE.startsWith('# mshare v1: a guest fault copies')).toBe(true);
    expect(printScenario(ok(EXAMPLE))).toBe(EXAMPLE.slice(EXAMPLE.indexOf('\n') + 1));
  });
  it('prints memory, multi-line notes and trailing notes', () => {
    const text = printScenario(ok('memory 512M\nnote "a"\nnote "b"\nspawn A\nnote "end"'));
    expect(text).toBe('kernel mainline\npaging 4\nmemory 512M\n\nnote "a"\nnote "b"\nspawn A\nnote "end"\n');
  });
  it('prints an empty scenario as its directives', () => {
    expect(printScenario(ok(''))).toBe('kernel mainline\npaging 4\n');
  });
  it('is a fixed point: printing the parse of printed text changes nothing', () => {
    const once = printScenario(ok(EXAMPLE));
    expect(printScenario(ok(once))).toBe(once);
  });
  it('quotes strings with only \\" and \\\\ escaped', () => {
    expect(quote('a"b\\c#d')).toBe('"a\\"b\\\\c#d"');
  });
});

describe('round trip (property)', () => {
  it('parseScenario(printScenario(s)) gives s back, positions aside', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const text = printScenario(s);
        const r = parseScenario(text);
        if (!r.ok) throw new Error(r.errors.map(formatError).join('\n') + '\n---\n' + text);
        expect(withoutPos(r.scenario)).toEqual(withoutPos(s));
        // The positions are where the printer put each step.
        const lines = text.split('\n');
        for (const step of r.scenario.steps) expect(printStep(step)).toBe(lines[step.pos.line - 1]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('printAsk and asks in printScenario', () => {
  it("prints an ask above its step, after the step's notes, the right choice marked *", () => {
    const text = 'spawn A\nask "q \\"1\\"" "a" | *"b\\\\"\nnote "n"\nA: exit\n';
    expect(printScenario(ok(text))).toBe(
      'kernel mainline\npaging 4\n\nspawn A\nnote "n"\nask "q \\"1\\"" "a" | *"b\\\\"\nA: exit\n',
    );
  });
  it('round-trips asks on random scenarios (positions aside)', () => {
    const askArb = fc
      .record({
        prompt: fc.string({ minLength: 1, maxLength: 12 }),
        choices: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 9 }),
        pick: fc.nat(),
      })
      .map(({ prompt, choices, pick }) => {
        // Only what the language can hold: one line, no refused character, not blank.
        const clean = (s: string) => 'x' + s.replace(/[^ -~]/g, '?');
        const cs = [...new Set(choices.map(clean))];
        return { pos: { line: 0, col: 0 }, prompt: clean(prompt), choices: cs, answer: pick % cs.length };
      })
      .filter((a) => a.choices.length >= 2);
    const withAsks = scenarioArb({ maxSteps: 6 })
      .filter((s) => s.steps.length > 0)
      .chain((s) =>
        fc.tuple(
          fc.constant(s),
          fc.array(fc.array(askArb, { maxLength: 2 }), { minLength: s.steps.length, maxLength: s.steps.length }),
        ),
      )
      .map(([s, asks]): Scenario => ({
        ...s,
        steps: s.steps.map((st, i) => (asks[i]!.length ? { ...st, asks: asks[i]! } : st)),
      }));
    const noPos = (s: Scenario) =>
      withoutPos({
        ...s,
        steps: s.steps.map((st) => (st.asks ? { ...st, asks: st.asks.map(({ pos: _p, ...a }) => a) } : st)) as Step[],
      });
    fc.assert(
      fc.property(withAsks, (s) => {
        expect(noPos(ok(printScenario(s)))).toEqual(noPos(s));
      }),
      { numRuns: 200 },
    );
  });
});
