/**
 * `T: execve` (execve.ts): a small static binary's page tables before main().
 * Measured on Linux 6.18 (`gcc -O2 -static`, run under `setarch -R`, reading
 * /proc/self/status and /proc/self/pagemap): VmPTE 28 KiB; RssAnon 13 pages
 * (RELRO 2, data 3, bss 2, heap 2, stack 4) in a build whose layout differs
 * only in size.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { printScenario } from '../scenario/printer';
import { Runner, runScenarioText } from '../scenario/run';

describe('execve: a static binary before main()', () => {
  it('has 28 KiB of page tables: a PUD, PMD and PTE page at 0x400000, and a PUD, PMD and two PTE pages at the top', () => {
    const r = runScenarioText('spawn A\nA: execve\n');
    expect(r.steps[1]!.pgtables_bytes).toEqual({ A: 28 * 1024 });
    expect(r.tasks[0]!.table_pages).toEqual({ pgd: 1, pud: 2, pmd: 2, pte: 3 });
    // 13 anonymous pages, none of the file's (the model has no file pages).
    expect(r.tasks[0]!.rss_pages).toBe(13);
  });

  it('leaves what spawn leaves above mmap_base: the next mmap auto lands where it would after spawn', () => {
    const after = (first: string) =>
      runScenarioText(`spawn A\n${first}A: mmap auto 12K rw private anon\n`).steps.at(-1)!.outcome;
    expect(after('A: execve\n')).toEqual(after(''));
    expect(after('A: execve\n')).toEqual({ kind: 'ok', value: '0x7ffff7ff4000' });
  });

  it("drops the old mm: its tables go, and a forked child copies the binary's tables (all but text have an anon_vma)", () => {
    const p = parseScenario(
      'spawn A\nA: mmap 1T 2M rw private anon fixed\nA: touch 1T 2M write\nA: execve\nA: fork B\nA: exit\n',
    );
    if (!p.ok) throw new Error('parse');
    const r = new Runner(p.scenario);
    const steps = [];
    while (!r.finished) steps.push(r.step());
    expect(steps[2]!.pgtables_bytes).toEqual({ A: 12 * 1024 });
    expect(steps[3]!.pgtables_bytes).toEqual({ A: 28 * 1024 });
    expect(steps[4]!.pgtables_bytes).toEqual({ A: 28 * 1024, B: 28 * 1024 });
    expect(r.kernel.invariants()).toEqual([]);
  });

  it('prints back as written', () => {
    const p = parseScenario('spawn A\nA: execve\n');
    if (!p.ok) throw new Error('parse');
    expect(printScenario(p.scenario)).toContain('A: execve');
  });
});
