/**
 * Tests' step-by-step runner: a scenario run one statement at a time with
 * the kernel's invariants checked after each (shared by the mshare, msharefs
 * and hugetlb tests).
 */
import { expect } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { Runner } from '../scenario/run';
import type { ReportStep } from '../scenario/report';
import type { Kernel } from './kernel';
import type { Mm } from './mm';

export class Play {
  readonly r: Runner;
  readonly steps: ReportStep[] = [];
  constructor(text: string, opts: { twin?: boolean } = {}) {
    const p = parseScenario(text);
    if (!p.ok) throw new Error(p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
    this.r = new Runner(p.scenario, opts);
  }
  get k(): Kernel {
    return this.r.kernel;
  }
  next(): ReportStep {
    const s = this.r.step();
    expect(this.k.invariants(), `invariants after step ${s.index} (${s.op}, line ${s.line})`).toEqual([]);
    this.steps.push(s);
    return s;
  }
  /** Run n steps (all that remain if omitted); returns the last. */
  run(n = Infinity): ReportStep {
    let s: ReportStep | undefined;
    for (let i = 0; i < n && !this.r.finished; i++) s = this.next();
    return s as ReportStep;
  }
  mm(name: string): Mm {
    return this.k.tasks.get(name)?.mm as Mm;
  }
}
