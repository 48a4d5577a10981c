/**
 * Checkpoints keep the TLBs (issue 17): seeking back and forth over a
 * scenario with CPUs gives the reports of a straight run, `tlb` fields and
 * TLB changes included (cloneKernel() copies the Tlbs with the machine).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from './parser';
import { Runner, runScenario } from './run';
import type { Tlbs } from '../core/tlb';
import { Timeline } from './timeline';

/** Each CPU's state, its mm references as labels and ctx_ids (the objects differ between copies). */
function cpusJson(t: Tlbs): string {
  return JSON.stringify(
    t.cpus.map((c) => ({
      ...c,
      loaded: c.loaded ? t.ctxOf(c.loaded).label : null,
      ctxs: c.ctxs.map((x) => ({ ctxId: x.ctxId, tlbGen: x.tlbGen, mm: x.mm ? t.ctxOf(x.mm).label : null })),
      masks: t.cpus.map((d) => (d.loaded ? t.cpumask(d.loaded) : [])),
    })),
  );
}

describe('TLB state through checkpoints', () => {
  for (const name of ['tlb-msharefs-stale', 'tlb-lazy']) {
    it(`${name}: every step seeked out of order equals the straight run`, () => {
      const p = parseScenario(readFileSync(`scenarios/${name}.ptx`, 'utf8'));
      if (!p.ok) throw new Error('no parse');
      const straight = runScenario(p.scenario).steps.map((s) => JSON.stringify(s));
      const tl = new Timeline(p.scenario, { every: 2, budgetMs: 0 });
      const n = straight.length;
      const order = [n, 1, Math.floor(n / 2), n - 1, 3, n, 2];
      const cpusAfter = (k: number): string => {
        const r = new Runner(p.scenario);
        while (r.done < k) r.step();
        return cpusJson(r.kernel.m.tlb as Tlbs);
      };
      for (const k of order) {
        const { runner } = tl.seek(k);
        expect(JSON.stringify(tl.report(k)), `report of step ${k}`).toBe(straight[k - 1]);
        // The restored machine's TLBs, not only the kept reports.
        expect(cpusJson(runner.kernel.m.tlb as Tlbs), `CPUs after step ${k}`).toBe(cpusAfter(k));
        expect(runner.kernel.m.tlb?.m).toBe(runner.kernel.m);
      }
    });
  }
});
