/**
 * The comparison in the page (./compare.ts): the twin runs up to the step on
 * screen, in a worker that keeps it between requests, under a time budget.
 * The worker here is a stand-in that records what it is asked and answers
 * when the test says; without one (as in Node) the main thread computes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseScenario } from '../scenario/parser';
import type { Scenario } from '../scenario/ast';
import { TwinAccounting } from '../scenario/twin';
import {
  cancelComparison,
  COMPARE_BUDGET_MS,
  comparisonState,
  keepTrying,
  subscribeComparison,
  wantComparison,
} from './compare';
import type { CompareReply, CompareRequest } from './protocol';

function parsed(text: string): Scenario {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

const SEED = `kernel mshare-v1
spawn A
spawn B
A: mmap 1T 512G rw shared anon fixed
A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
A: write 1T "x"
B: mshare "sga" 1T 512G O_RDWR
B: read 1T 1
`;
// Issue 13's hostile lines: the touch faults in 128 TiB of hugetlb pages.
const HOSTILE = `kernel mshare-v1
spawn A
A: mmap 0x200000 0x7fffffc00000 rw shared anon hugetlb fixed
A: touch 0x200000 0x7fffffc00000 write
`;

/** A worker that answers only when told to, from a real TwinAccounting. */
class FakeWorker {
  static all: FakeWorker[] = [];
  onmessage: ((ev: MessageEvent<CompareReply>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  received: CompareRequest[] = [];
  terminated = false;
  twin: TwinAccounting | null = null;
  constructor() {
    FakeWorker.all.push(this);
  }
  postMessage(m: CompareRequest): void {
    this.received.push(m);
    if (m.kind === 'load') this.twin = new TwinAccounting(parsed(m.text));
  }
  terminate(): void {
    this.terminated = true;
  }
  /** Answer the last request. */
  answer(): void {
    const m = this.received.at(-1);
    if (!m || m.kind !== 'to' || !this.twin) throw new Error('nothing to answer');
    this.twin.runTo(m.n);
    this.onmessage?.({ data: { ok: true, id: m.id, n: m.n, at: this.twin.at(m.n) } } as MessageEvent<CompareReply>);
  }
  get asked(): number[] {
    return this.received.flatMap((m) => (m.kind === 'to' ? [m.n] : []));
  }
}

describe('without workers: the main thread computes up to the step', () => {
  it('the hostile scenario at step 0 and 2 is done once the twin has loaded: the touch of step 3 never runs', async () => {
    const s = parsed(HOSTILE);
    wantComparison(HOSTILE, s, 0);
    // The twin's module is loaded on demand (it is not in the page's first chunk).
    expect(comparisonState(HOSTILE, s, 0)).toEqual({ status: 'running', step: 0 });
    await vi.waitFor(() =>
      expect(comparisonState(HOSTILE, s, 0)).toMatchObject({ status: 'done', at: { step: 0, fitTotal: 0 } }),
    );
    wantComparison(HOSTILE, s, 2);
    expect(comparisonState(HOSTILE, s, 2)).toMatchObject({
      status: 'done',
      at: { step: 2, fitTotal: 0, oomKilled: 0 },
    });
  });

  it('a mainline scenario has nothing to compare', () => {
    const text = 'spawn A\n';
    wantComparison(text, parsed(text), 1);
    expect(comparisonState(text, parsed(text), 1)).toEqual({ status: 'none' });
  });
});

describe('with a worker', () => {
  beforeEach(() => {
    FakeWorker.all = [];
    vi.stubGlobal('Worker', FakeWorker);
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('asks for the step on screen only; moving while it runs asks for the latest step once the answer comes', () => {
    const s = parsed(SEED);
    const text = SEED + '# 1\n';
    wantComparison(text, s, 2);
    const w = FakeWorker.all[0] as FakeWorker;
    expect(w.received[0]).toEqual({ kind: 'load', text });
    expect(w.asked).toEqual([2]);
    expect(comparisonState(text, s, 2)).toEqual({ status: 'running', step: 2 });
    // Three moves while the worker runs: nothing more is sent yet.
    wantComparison(text, s, 3);
    wantComparison(text, s, 4);
    wantComparison(text, s, 7);
    expect(w.asked).toEqual([2]);
    w.answer();
    expect(w.asked).toEqual([2, 7]);
    w.answer();
    expect(comparisonState(text, s, 7)).toMatchObject({ status: 'done', at: { step: 7, fit: { A: 12288, B: 12288 } } });
    // Back to 2: known already, nothing asked.
    wantComparison(text, s, 2);
    expect(comparisonState(text, s, 2)).toMatchObject({ status: 'done', at: { step: 2 } });
    expect(w.asked).toEqual([2, 7]);
    // One worker all along: the twin was not started again.
    expect(FakeWorker.all).toHaveLength(1);
  });

  it('a request that outlives the budget stops the worker and says so; "Keep trying" gives a longer budget', () => {
    const s = parsed(SEED);
    const text = SEED + '# 2\n';
    let told = 0;
    const off = subscribeComparison(() => told++);
    wantComparison(text, s, 5);
    const w = FakeWorker.all[0] as FakeWorker;
    vi.advanceTimersByTime(COMPARE_BUDGET_MS - 1);
    expect(w.terminated).toBe(false);
    vi.advanceTimersByTime(1);
    expect(w.terminated).toBe(true);
    expect(comparisonState(text, s, 5)).toEqual({
      status: 'stopped',
      step: 5,
      byBudget: true,
      budgetMs: COMPARE_BUDGET_MS,
    });
    expect(told).toBeGreaterThan(0);
    // Moving on does not start it again by itself.
    wantComparison(text, s, 6);
    expect(FakeWorker.all).toHaveLength(1);
    keepTrying();
    const w2 = FakeWorker.all[1] as FakeWorker;
    expect(w2.asked).toEqual([6]);
    vi.advanceTimersByTime(COMPARE_BUDGET_MS * 2);
    expect(w2.terminated).toBe(false);
    w2.answer();
    expect(comparisonState(text, s, 6)).toMatchObject({ status: 'done', at: { step: 6 } });
    off();
  });

  it('Stop ends the worker at once; another scenario ends the previous one too', () => {
    const s = parsed(SEED);
    const text = SEED + '# 3\n';
    wantComparison(text, s, 3);
    const w = FakeWorker.all[0] as FakeWorker;
    cancelComparison();
    expect(w.terminated).toBe(true);
    expect(comparisonState(text, s, 3)).toMatchObject({ status: 'stopped', byBudget: false });
    keepTrying();
    const w2 = FakeWorker.all[1] as FakeWorker;
    const other = SEED + '# 4\n';
    wantComparison(other, s, 1);
    expect(w2.terminated).toBe(true);
    expect(FakeWorker.all).toHaveLength(3);
  });
});
