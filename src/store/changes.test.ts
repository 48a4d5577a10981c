/**
 * A step's changes reach the page: the real worker (./sim.worker.ts, run
 * here with a stand-in for its `self`) computes the step, its message goes
 * through structuredClone as postMessage would copy it, and SimClient hands
 * the view to the main thread with the step's report, `changes` included.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { SimClient } from './simClient';
import type { SimRequest } from './protocol';

const TEXT = readFileSync(new URL('../../scenarios/mshare-v1-guest-fault.ptx', import.meta.url), 'utf8');

/** The worker's global: what it posts is kept, copied as postMessage copies. */
const workerSelf: { onmessage: ((ev: MessageEvent) => void) | null; postMessage: (m: unknown) => void } = {
  onmessage: null,
  postMessage: (m) => posted.push(structuredClone(m)),
};
const posted: unknown[] = [];

/** The page's side of the worker: messages copied both ways, answers delivered when told (answer()). */
class InProcessWorker {
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  postMessage(m: SimRequest): void {
    workerSelf.onmessage?.({ data: structuredClone(m) } as MessageEvent);
  }
  terminate(): void {}
  answer(): void {
    for (const data of posted.splice(0)) this.onmessage?.({ data } as MessageEvent);
  }
}

beforeAll(async () => {
  (globalThis as { self?: unknown }).self = workerSelf;
  await import('./sim.worker');
});

describe("a step's changes on the main thread", () => {
  it("the seed's guest fault: B's PGD[2] set by set_pgd arrives with the step shown", () => {
    const p = parseScenario(TEXT);
    if (!p.ok) throw new Error('does not parse');
    const w = new InProcessWorker();
    const c = new SimClient(true, () => w as unknown as Worker);
    // Step 7 is B's first read (spawn A, spawn B, mmap, mshare, A's write, B attaches, B reads).
    c.request({ scenarioId: 1, text: TEXT, scenario: p.scenario, n: 7, expand: [] });
    w.answer();
    const view = c.latest(1);
    expect(view?.n).toBe(7);
    expect(view?.report?.events.map((e) => e.fn)).toEqual([
      'handle_mm_fault',
      'find_shared_vma',
      'set_pgd',
      'VM_FAULT_NOPAGE',
    ]);
    expect(view?.report?.changes).toEqual([
      {
        kind: 'entry-set',
        event: 2,
        fn: 'set_pgd',
        mm: 'B',
        level: 'pgd',
        table: 0x1001,
        index: 2,
        old: null,
        new: '0000000001003067',
      },
    ]);
  });
});
