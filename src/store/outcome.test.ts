import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../scenario/run';
import { outcomeText } from './derive';

const scenario = (name: string) => readFileSync(new URL(`../../scenarios/${name}`, import.meta.url), 'utf8');

describe('outcomeText says when an access went through a stale TLB entry (issue 17)', () => {
  it("msharefs without the notifier: B's last read is ok to the hardware, and the sentence says whose frame it read", () => {
    const r = runScenarioText(scenario('tlb-msharefs-stale.ptx'));
    const last = r.steps[r.steps.length - 1]!;
    // Checked by hand in test/golden/README.md: CPU 1 keeps 2T → 0x1009, which A's write at 0x10003000 reused.
    expect(outcomeText(last.outcome, last.op)).toBe(
      'ok, read "A\'s new data" through a STALE TLB entry on CPU 1 (pfn 0x1009 now belongs to A (its page at 0x10003000))',
    );
  });
  it('the same read with the 2025 notifier ends in SIGSEGV, and a plain read says nothing of the TLB', () => {
    const r = runScenarioText(scenario('tlb-msharefs-notifier.ptx'));
    const last = r.steps[r.steps.length - 1]!;
    expect(outcomeText(last.outcome, last.op)).toMatch(/^killed by SIGSEGV/);
    expect(outcomeText({ kind: 'ok', value: '6869' }, 'read')).toBe('ok, read "hi"');
  });
});
