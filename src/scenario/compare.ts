/**
 * "With and without sharing": the same scenario run as mainline, each shared
 * region turned into a plain shared mapping, so a view or a report can put
 * the two side by side. (mshare kernels fill this in; see issue 3.)
 */
import type { Scenario } from './ast';
import type { Report } from './report';
import { runScenario } from './run';

/** The scenario as mainline Linux would run it without mshare. */
export function toMainline(s: Scenario): Scenario {
  return { ...s, kernel: 'mainline' };
}

/** The mainline twin's report, or null when the scenario shares nothing (it is mainline already). */
export function compareReport(s: Scenario): Report | null {
  if (s.kernel === 'mainline') return null;
  return runScenario(toMainline(s));
}
