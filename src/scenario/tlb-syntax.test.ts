/**
 * The TLB statements (issue 17): `cpus N`, `notifier flush_tlb_all`,
 * `T: run N`, `idle N`: parsed, printed back the same, and refused with
 * LINE:COL messages.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from './parser';
import { printScenario } from './printer';

function errors(text: string): string[] {
  const p = parseScenario(text);
  return p.ok ? [] : p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`);
}

describe('TLB statements', () => {
  const text = 'kernel msharefs\npaging 4\ncpus 2\nnotifier flush_tlb_all\n\nspawn A\nA: run 1\nidle 1\n';

  it('parse into the directives and steps', () => {
    const p = parseScenario(text);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    expect(p.scenario.cpus).toBe(2);
    expect(p.scenario.notifier).toBe('flush_tlb_all');
    expect(p.scenario.steps.map((s) => s.op)).toEqual([
      { op: 'spawn', names: ['A'] },
      { op: 'run', cpu: 1 },
      { op: 'idle', cpu: 1 },
    ]);
    expect(p.scenario.steps[2]?.taskText).toBeNull();
  });

  it('print back to the same text', () => {
    const p = parseScenario(text);
    if (!p.ok) throw new Error('no parse');
    expect(printScenario(p.scenario)).toBe(text);
  });

  it('a scenario without cpus prints without it', () => {
    const p = parseScenario('kernel mainline\npaging 4\n\nspawn A\n');
    if (!p.ok) throw new Error('no parse');
    expect(p.scenario.cpus).toBeUndefined();
    expect(printScenario(p.scenario)).not.toContain('cpus');
  });

  it('refuse what cannot run, at line:column', () => {
    expect(errors('spawn A\nA: run 0\n')).toEqual([
      '2:8: there are no CPUs to run on: declare them first with "cpus N" (before the first step)',
    ]);
    expect(errors('cpus 2\nspawn A\nA: run 2\n')).toEqual(['3:8: there is no CPU 2: "cpus 2" gives CPUs 0 to 1']);
    expect(errors('cpus 2\nidle 5\n')).toEqual(['2:6: there is no CPU 5: "cpus 2" gives CPUs 0 to 1']);
    expect(errors('cpus 0\n')).toEqual(['1:6: cpus must be from 1 to 16']);
    expect(errors('cpus 17\n')).toEqual(['1:6: cpus must be from 1 to 16']);
    expect(errors('cpus 2\nnotifier flush_tlb_all\n')[0]).toMatch(/^2:1: "notifier" needs kernel msharefs/);
    expect(errors('kernel msharefs\nnotifier everyone\n')[0]).toMatch(/^2:10: expected flush_tlb_all/);
    expect(errors('spawn A\ncpus 2\n')[0]).toMatch(/^2:1: "cpus" must come before the first step/);
    expect(errors('cpus 2\nspawn A\nA: idle 1\n')[0]).toMatch(/^3:1: "idle" is not done by a task/);
  });
});
