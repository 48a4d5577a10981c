import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import type { Scenario } from '../scenario/ast';
import { SimClient } from './simClient';
import type { SimRequest } from './sim.worker';

const TEXT = 'kernel mainline\nspawn A\nA: mmap 0x7f0000000000 2M rw private anon fixed\nA: write 0x7f0000000000 "x"\nA: write 0x7f0000001000 "y"\n';

function scenario(): Scenario {
  const p = parseScenario(TEXT);
  if (!p.ok) throw new Error('does not parse');
  return p.scenario;
}

/** A worker that answers each message when told to (answer()), with a made-up view of the step asked for. */
class FakeWorker {
  sent: SimRequest[] = [];
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  postMessage(m: SimRequest): void {
    this.sent.push(m);
  }
  terminate(): void {}
  answer(msPerStep?: number): void {
    const m = this.sent[this.sent.length - 1] as SimRequest;
    const data = { id: m.id, key: m.key, n: m.n, expand: m.expand, result: { ok: false, failure: { step: m.n, message: 'fake' } }, report: undefined, msPerStep };
    this.onmessage?.({ data } as MessageEvent);
  }
}

function client(): { c: SimClient; w: FakeWorker; shown: number[] } {
  const w = new FakeWorker();
  const c = new SimClient(true, () => w as unknown as Worker);
  const shown: number[] = [];
  c.subscribe(() => shown.push(c.latest(1)?.n ?? -1));
  return { c, w, shown };
}

describe('SimClient', () => {
  const sc = scenario();
  const want = (n: number) => ({ key: 1, text: TEXT, scenario: sc, n, expand: [], last: sc.steps.length });

  it('computes the next step ahead once idle, without showing it, and serves Next from it', () => {
    const { c, w, shown } = client();
    c.request(want(0));
    expect(w.sent.map((m) => m.n)).toEqual([0]);
    w.answer();
    // Step 0 is shown; step 1 is asked for at once, ahead.
    expect(shown).toEqual([0]);
    expect(w.sent.map((m) => m.n)).toEqual([0, 1]);
    w.answer();
    expect(shown).toEqual([0]);
    expect(c.latest(1)?.n).toBe(0);
    expect(c.get(1, 1, [])?.n).toBe(1);
    // Next: a cache hit, and step 2 goes ahead.
    c.request(want(1));
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 2]);
  });

  it('asks for the next step only at the frame that shows this one', () => {
    const w = new FakeWorker();
    const frames: (() => void)[] = [];
    const c = new SimClient(true, () => w as unknown as Worker, (fn) => frames.push(fn));
    c.request(want(0));
    w.answer();
    // Step 0 is delivered; step 1 waits for the frame.
    expect(w.sent.map((m) => m.n)).toEqual([0]);
    expect(frames).toHaveLength(1);
    (frames.shift() as () => void)();
    expect(w.sent.map((m) => m.n)).toEqual([0, 1]);
    w.answer();
    // Next finds step 1 ready; step 2 again waits for the frame, once however often it is asked.
    c.request(want(1));
    c.request(want(1));
    expect(w.sent.map((m) => m.n)).toEqual([0, 1]);
    expect(frames).toHaveLength(1);
    // A step asked for before the frame goes first, and the ahead one after it.
    c.request(want(3));
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 3]);
    (frames.shift() as () => void)();
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 3]);
    w.answer();
    (frames.shift() as () => void)();
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 3, 4]);
  });

  it('tells onAhead listeners of a view computed ahead, and subscribers only of views shown', () => {
    const { c, w, shown } = client();
    const ahead: number[] = [];
    c.onAhead((v) => ahead.push(v.n));
    c.request(want(0));
    w.answer();
    w.answer();
    expect(ahead).toEqual([1]);
    expect(shown).toEqual([0]);
  });

  it('computes nothing past the last step', () => {
    const { c, w } = client();
    c.request(want(sc.steps.length));
    w.answer();
    expect(w.sent.map((m) => m.n)).toEqual([sc.steps.length]);
  });

  it('does not compute ahead when steps are slow', () => {
    const { c, w } = client();
    const realNow = performance.now.bind(performance);
    let t = 0;
    performance.now = () => t;
    try {
      c.request(want(0));
      t = 400; // the worker took 400 ms
      w.answer();
      expect(w.sent.map((m) => m.n)).toEqual([0]);
    } finally {
      performance.now = realNow;
    }
  });

  it('after a long jump, judges by the time per step the worker ran', () => {
    const { c, w } = client();
    const realNow = performance.now.bind(performance);
    let t = 0;
    performance.now = () => t;
    try {
      c.request(want(0));
      t = 2000; // 2 s for the round trip, but the worker ran many steps: 5 ms each
      w.answer(5);
      expect(w.sent.map((m) => m.n)).toEqual([0, 1]);
    } finally {
      performance.now = realNow;
    }
  });

  it('a step asked for while it is computed ahead is shown when it arrives', () => {
    const { c, w, shown } = client();
    c.request(want(0));
    w.answer();
    c.request(want(1)); // in flight ahead: not sent again
    expect(w.sent.map((m) => m.n)).toEqual([0, 1]);
    w.answer();
    expect(shown).toEqual([0, 1]);
  });

  it('computes the two steps after the one asked for, and no further until the user moves', () => {
    const { c, w, shown } = client();
    c.request(want(0));
    w.answer(); // step 0, shown
    w.answer(); // step 1, ahead
    w.answer(); // step 2, ahead
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 2]);
    expect(shown).toEqual([0]);
    // Next: step 1 is ready, step 2 too; step 3 is the one to compute now.
    c.request(want(1));
    expect(c.stats.ready).toBe(1);
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 2, 3]);
    w.answer();
    expect(w.sent.map((m) => m.n)).toEqual([0, 1, 2, 3]);
    // Next twice, as fast as one can click: both ready (read from the cache, nothing to wait for).
    c.request(want(2));
    c.request(want(3));
    expect(c.stats.ready).toBe(3);
    expect(c.get(1, 3, [])?.n).toBe(3);
    expect(shown).toEqual([0]);
  });

  it('stops at the last step', () => {
    const { c, w } = client();
    const last = sc.steps.length;
    c.request(want(last - 1));
    w.answer();
    w.answer();
    expect(w.sent.map((m) => m.n)).toEqual([last - 1, last]);
  });
});
