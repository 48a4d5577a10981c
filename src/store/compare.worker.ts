/**
 * The scenario without sharing (TwinAccounting) off the main thread, kept
 * between requests: each request runs the twin's statements up to its step
 * (none when the step was reached before) and answers with the figures of
 * that step. The page stops this worker when a request outlives its time
 * budget (./compare.ts), since a statement cannot be interrupted.
 *
 * In: CompareRequest, out: CompareReply (./protocol.ts).
 */
import { TwinAccounting } from '../scenario/twin';
import { parseScenario } from '../scenario/parser';
import type { CompareReply, CompareRequest } from './protocol';

let twin: TwinAccounting | null = null;
let loadError: string | null = null;

function reply(r: CompareReply): void {
  self.postMessage(r);
}

self.onmessage = (ev: MessageEvent<CompareRequest>) => {
  const req = ev.data;
  if (req.kind === 'load') {
    const p = parseScenario(req.text);
    twin = p.ok ? new TwinAccounting(p.scenario) : null;
    loadError = p.ok ? null : 'the scenario does not load';
    return;
  }
  try {
    if (!twin) throw new Error(loadError ?? 'the worker was not given the scenario');
    twin.runTo(req.n);
    reply({ ok: true, id: req.id, n: req.n, at: twin.at(Math.min(req.n, twin.done)) });
  } catch (e) {
    reply({ ok: false, id: req.id, message: e instanceof Error ? e.message : String(e) });
  }
};
