/**
 * The replay (./sim.ts) in a Web Worker, so a step that takes the core a
 * long time never freezes the page: the page keeps showing the last view,
 * says it is computing, and stays usable (and can drop this worker).
 *
 * In: SimRequest, out: SimReply (./protocol.ts, where every message is
 * declared); a snapshot's forest.nodes is sent as a delta (./forestWire.ts).
 */
import type { Scenario } from '../scenario/ast';
import { parseScenario } from '../scenario/parser';
import { snapshotAt, stepReport } from './sim';
import { ForestSender } from './forestWire';
import type { SimReply, SimRequest } from './protocol';

let known: { scenarioId: number; text: string; scenario: Scenario } | null = null;
/** The step the last answer was of (to tell the client how many steps its time covered). */
let lastN = 0;
const sender = new ForestSender();

self.onmessage = (ev: MessageEvent<SimRequest>) => {
  const { id, scenarioId, text, n, expand, event } = ev.data;
  const reply = (r: SimReply) => self.postMessage(r);
  try {
    if (!known || known.scenarioId !== scenarioId) {
      if (text === undefined) throw new Error('the worker was not given the scenario text');
      const p = parseScenario(text);
      if (!p.ok) throw new Error('the scenario does not load');
      known = { scenarioId, text, scenario: p.scenario };
    }
    const t0 = performance.now();
    const result = snapshotAt(known.text, known.scenario, n, expand, event);
    const report = stepReport(known.text, known.scenario, n);
    // Time per step run: a jump of 100 steps forward says little about the next one.
    const steps = n > lastN ? n - lastN : 1;
    lastN = n;
    reply({
      id,
      scenarioId,
      n,
      expand,
      event,
      result: sender.encode(result),
      report,
      msPerStep: (performance.now() - t0) / steps,
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    reply({ id, scenarioId, n, expand, event, result: { ok: false, failure: { step: n, message } } });
  }
};
