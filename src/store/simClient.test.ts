import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import type { Scenario } from '../scenario/ast';
import { SimClient, WORKER_BUDGET_MS, heavyStep, stepWeight } from './simClient';
import type { SimRequest } from './protocol';

const TEXT =
  'kernel mainline\nspawn A\nA: mmap 0x7f0000000000 2M rw private anon fixed\nA: write 0x7f0000000000 "x"\nA: write 0x7f0000001000 "y"\n';

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
  terminated = false;
  terminate(): void {
    this.terminated = true;
  }
  answer(msPerStep?: number): void {
    const m = this.sent[this.sent.length - 1] as SimRequest;
    const data = {
      id: m.id,
      scenarioId: m.scenarioId,
      n: m.n,
      expand: m.expand,
      result: { ok: false, failure: { step: m.n, message: 'fake' } },
      report: undefined,
      msPerStep,
    };
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
  const want = (n: number) => ({ scenarioId: 1, text: TEXT, scenario: sc, n, expand: [], last: sc.steps.length });

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
    const c = new SimClient(
      true,
      () => w as unknown as Worker,
      (fn) => frames.push(fn),
    );
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

  describe('the time budget (issue 13)', () => {
    /** A client whose workers never answer unless told, and whose timers run when told. */
    function timed(text = TEXT) {
      const p = parseScenario(text);
      if (!p.ok) throw new Error('does not parse');
      const workers: FakeWorker[] = [];
      const timers: { fn: () => void; ms: number; live: boolean }[] = [];
      const c = new SimClient(
        true,
        () => {
          const w = new FakeWorker();
          workers.push(w);
          return w as unknown as Worker;
        },
        (fn) => fn(),
        (fn, ms) => {
          const t = { fn, ms, live: true };
          timers.push(t);
          return () => (t.live = false);
        },
      );
      const fire = () => {
        const t = timers.filter((x) => x.live).pop();
        if (!t) throw new Error('no timer running');
        t.live = false;
        t.fn();
      };
      const w = (n: number) => ({
        scenarioId: 1,
        text,
        scenario: p.scenario,
        n,
        expand: [],
        last: p.scenario.steps.length,
      });
      return { c, workers, timers, fire, want: w };
    }

    it('stops the worker after 15 s, says so, and Keep trying asks again with twice the time', () => {
      const { c, workers, timers, fire, want: w } = timed();
      let told = 0;
      c.subscribe(() => told++);
      c.request(w(3));
      expect(timers.map((t) => t.ms)).toEqual([WORKER_BUDGET_MS]);
      fire();
      expect(workers[0]?.terminated).toBe(true);
      expect(c.stalled()).toEqual({ scenarioId: 1, n: 3, ms: 15_000 });
      expect(told).toBe(1);
      expect(c.busy()).toBe(false);
      // Asking again for the same step (a re-render) does not start it again: the button does.
      c.request(w(3));
      expect(workers).toHaveLength(1);
      c.keepTrying();
      expect(c.stalled()).toBeNull();
      expect(workers).toHaveLength(2);
      expect(workers[1]?.sent.map((m) => [m.n, m.text !== undefined])).toEqual([[3, true]]);
      expect(timers.filter((t) => t.live).map((t) => t.ms)).toEqual([30_000]);
      // An answer in time cancels its timer and is shown (step 4 then goes ahead, with its own).
      const retry = timers[1];
      workers[1]?.answer();
      expect(retry?.live).toBe(false);
      expect(c.latest(1)?.n).toBe(3);
      expect(workers[1]?.sent.map((m) => m.n)).toEqual([3, 4]);
    });

    it('forgets the stop when the user goes to another step, which starts at once', () => {
      const { c, workers, fire, want: w } = timed();
      c.request(w(3));
      fire();
      c.request(w(1));
      expect(c.stalled()).toBeNull();
      expect(workers[1]?.sent.map((m) => m.n)).toEqual([1]);
    });

    it('drops a step computed ahead that takes too long, without a message', () => {
      const { c, workers, fire, want: w } = timed();
      c.request(w(0));
      workers[0]?.answer();
      expect(workers[0]?.sent.map((m) => m.n)).toEqual([0, 1]);
      fire();
      expect(workers[0]?.terminated).toBe(true);
      expect(c.stalled()).toBeNull();
      expect(workers).toHaveLength(1);
      // …and is not tried ahead again: only when the user asks for it.
      c.request(w(0));
      expect(workers).toHaveLength(1);
      c.request(w(1));
      expect(workers[1]?.sent.map((m) => m.n)).toEqual([1]);
    });

    it('computes a heavy step ahead but nothing past it, and never a huge one', () => {
      const text =
        'spawn A\nA: mmap 0x200000 0x7fffffc00000 rw shared anon hugetlb fixed\nA: touch 0x200000 0x7fffffc00000 write\nA: translate 0';
      const { c, workers, want: w } = timed(text);
      c.request(w(1));
      workers[0]?.answer(); // step 1 shown; step 2 (the mmap) ahead
      workers[0]?.answer(); // step 2 ahead; then step 3 (the touch of 128 TiB, heavy)
      expect(workers[0]?.sent.map((m) => m.n)).toEqual([1, 2, 3]);
      workers[0]?.answer(); // step 3 ahead; step 4 is past it: not
      c.request(w(2));
      expect(workers[0]?.sent.map((m) => m.n)).toEqual([1, 2, 3]);
      // 5,000 tasks spawned at step 2: huge, never computed ahead, nor what follows.
      const huge = timed('spawn A\nspawn T[1..5000]\nA: translate 0');
      huge.c.request(huge.want(1));
      huge.workers[0]?.answer();
      expect(huge.workers[0]?.sent.map((m) => m.n)).toEqual([1]);
    });
  });

  it('stepWeight: huge over 4,096 tasks, heavy over 64 GiB touched in all', () => {
    const p = parseScenario(
      [
        'spawn A',
        'spawn T[1..5000]',
        'A: mmap 1T 1T rw private anon fixed',
        'A: touch 1T 64G',
        'A: touch 1T 65G',
        'T[1..100]: touch 1T 1G',
        'A: mmap 2T 128G rw private anon fixed populate',
        'A: fork B[1..4097]',
      ].join('\n'),
    );
    if (!p.ok) throw new Error('does not parse');
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => stepWeight(p.scenario, n))).toEqual([
      'light',
      'huge',
      'light',
      'light',
      'heavy',
      'heavy',
      'heavy',
      'huge',
    ]);
    expect(heavyStep(p.scenario, 2) && heavyStep(p.scenario, 5) && !heavyStep(p.scenario, 3)).toBe(true);
  });
});
