/**
 * Every message the page and its two workers exchange, declared once (as
 * tldraw's sync-store/protocol.ts declares its socket's): the page's side
 * (./simClient.ts, ./compare.ts) and the workers' (./sim.worker.ts,
 * ./compare.worker.ts) both type their postMessage and onmessage with these.
 *
 * Only types live here, and this module imports only types, so the page can
 * import it without pulling the simulation core into its own chunk (the
 * core is loaded by the workers, or lazily where there are no workers).
 *
 * Names keep one meaning: `scenarioId` is the page's number for a scenario
 * text (the text itself is sent once per worker, as `text`); `n` is a step
 * (0 = before the first statement); `expand` names the tables shown open.
 */
import type { ReportStep } from '../scenario/report';
import type { TwinAt } from '../scenario/twin';
import type { WireResult } from './forestWire';

/**
 * Which view of a scenario: one typed object, so a new coordinate of the
 * view (say, an event within a step) is one more field here, carried by the
 * request and its answer alike.
 */
export interface ViewAt {
  /** The step (0 = the scenario's start). */
  n: number;
  /** The page tables shown open (forest node ids). */
  expand: string[];
  /**
   * Inside step n, after this many of its events (1-based, as the caption counts; issue 14); absent: the whole step.
   */
  event?: number;
}

/** Page → sim worker: compute the view at a step. */
export interface SimRequest extends ViewAt {
  /** Matches the answer to its request. */
  id: number;
  scenarioId: number;
  /** The scenario text: only the first time this worker sees `scenarioId`. */
  text?: string;
}

/**
 * Sim worker → page: the view asked for, its forest sent as a delta of what
 * this worker sent before (./forestWire.ts). A failure is a result too
 * (`result.ok === false`), never a thrown error.
 */
export interface SimReply extends ViewAt {
  id: number;
  scenarioId: number;
  result: WireResult;
  report?: ReportStep;
  /** The worker's time per step it ran (a jump runs several). */
  msPerStep?: number;
}

/** Page → compare worker: the scenario once, then one request per step asked for. */
export type CompareRequest = { kind: 'load'; text: string } | { kind: 'to'; id: number; n: number };

/** Compare worker → page: the twin's figures at step n, or why there are none. */
export type CompareReply = { ok: true; id: number; n: number; at: TwinAt } | { ok: false; id: number; message: string };
