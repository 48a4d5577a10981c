/**
 * The comparison report (the scenario without sharing), computed in a Web
 * Worker and memoised per scenario text. Only the latest text keeps a
 * worker running: asking for another one stops the previous computation.
 */
import { lruSet } from './lru';
import type { Report } from '../scenario/report';
import { comparisonFor, type CompareResult } from './sim';
import type { Scenario } from '../scenario/ast';

export type CompareState = { status: 'running' } | ({ status: 'done' } & CompareResult);

const done = new Map<string, CompareResult>();
let running: { text: string; worker: Worker; listeners: Set<() => void> } | null = null;

function finish(text: string, result: CompareResult): void {
  lruSet(done, text, result, 4);
  const r = running;
  if (r && r.text === text) {
    r.worker.terminate();
    running = null;
    for (const l of r.listeners) l();
  }
}

/** The comparison for `text`: done, or running (then `onDone` is called when it is). */
export function requestComparison(text: string, scenario: Scenario, onDone: () => void): CompareState {
  const hit = done.get(text);
  if (hit) return { status: 'done', ...hit };
  if (running && running.text === text) {
    running.listeners.add(onDone);
    return { status: 'running' };
  }
  running?.worker.terminate();
  running = null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./compare.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    // No workers here: compute on the main thread.
    const result = comparisonFor(text, scenario);
    done.set(text, result);
    return { status: 'done', ...result };
  }
  running = { text, worker, listeners: new Set([onDone]) };
  worker.onmessage = (ev: MessageEvent<{ ok: true; report: Report | null } | { ok: false; message: string }>) => finish(text, ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    finish(text, { ok: false, message: ev.message || 'the comparison failed' });
  };
  worker.postMessage({ text });
  return { status: 'running' };
}

/** Stop a running comparison (the user asked to). */
export function cancelComparison(): void {
  const r = running;
  if (!r) return;
  r.worker.terminate();
  running = null;
  done.set(r.text, { ok: false, message: 'stopped' });
  for (const l of r.listeners) l();
}
