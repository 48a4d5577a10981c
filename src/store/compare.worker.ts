/**
 * Runs "the same scenario without sharing" (compareReport) off the main
 * thread: the twin of a 1,500-task scenario can take minutes, and the page
 * must stay responsive meanwhile. In: the scenario text. Out: the report
 * (null: nothing to compare) or a message.
 */
import { compareReport } from '../scenario/compare';
import { parseScenario } from '../scenario/parser';

self.onmessage = (ev: MessageEvent<{ text: string }>) => {
  try {
    const p = parseScenario(ev.data.text);
    if (!p.ok) {
      self.postMessage({ ok: false, message: 'the scenario does not load' });
      return;
    }
    self.postMessage({ ok: true, report: compareReport(p.scenario) });
  } catch (e) {
    self.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
};
