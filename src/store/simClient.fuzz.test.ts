/**
 * SimClient under random operations (as tldraw's recordStoreFuzzing.test.ts
 * tests its store): requests, answers, worker errors, frames, scenario
 * switches, the user's patience running out (a restart) and the time budget
 * (a stall), in an order drawn from a seeded generator, against fake workers
 * that answer only when told. After every operation:
 *  - at most one request is in flight (on the one live worker);
 *  - nothing a terminated worker says reaches the cache or the listeners;
 * and once everything asked has been answered ("settled"):
 *  - the view on screen (derived.ts: get(), else latest()) is the last one
 *    requested, and it is the view the worker computed for that request.
 *
 * CI runs a fixed list of seeds; a seed that once failed is pinned below as
 * a test of its own, with what it found.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest';
import { parseScenario } from '../scenario/parser';
import type { Scenario } from '../scenario/ast';
import { SimClient, type SimView, type Want } from './simClient';
import type { SimReply, SimRequest } from './protocol';

const TEXTS = [
  'kernel mainline\nspawn A\nA: mmap 0x7f0000000000 2M rw private anon fixed\nA: write 0x7f0000000000 "x"\nA: write 0x7f0000001000 "y"\nA: read 0x7f0000000000 1\n',
  'kernel mainline\nspawn B\nB: mmap 0x7f0000000000 4K rw private anon fixed\nB: write 0x7f0000000000 "z"\n',
];

function parsed(text: string): Scenario {
  const p = parseScenario(text);
  if (!p.ok) throw new Error('does not parse');
  return p.scenario;
}

/** mulberry32: a small seeded generator (the same sequence on every machine). */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** What a fake worker was asked, and what its answer says it computed (so a view can be traced to its request). */
const computed = (w: number, scenarioId: number, n: number, expand: readonly string[]) =>
  `w${w} s${scenarioId} n${n} e${expand.join(',')}`;

class FakeWorker {
  readonly pending: SimRequest[] = [];
  terminated = false;
  /** Scenario texts this worker was given (a real worker keeps only the last). */
  private known: number | null = null;
  onmessage: ((ev: MessageEvent<SimReply>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  constructor(readonly index: number) {}
  postMessage(m: SimRequest): void {
    if (this.terminated) throw new Error('posted to a terminated worker');
    this.pending.push(structuredClone(m));
  }
  terminate(): void {
    this.terminated = true;
  }
  /** Answer the oldest request, as the worker would (in order). */
  answer(): void {
    const m = this.pending.shift();
    if (!m) return;
    let message: string;
    if (m.text !== undefined) this.known = m.scenarioId;
    if (this.known !== m.scenarioId) message = 'the worker was not given the scenario text';
    else message = computed(this.index, m.scenarioId, m.n, m.expand);
    const data: SimReply = {
      id: m.id,
      scenarioId: m.scenarioId,
      n: m.n,
      expand: m.expand,
      result: { ok: false, failure: { step: m.n, message } },
      msPerStep: 5,
    };
    this.onmessage?.({ data } as MessageEvent<SimReply>);
  }
  fail(): void {
    const late = this.terminated;
    this.pending.length = 0;
    this.onerror?.({
      message: `w${this.index} crashed${late ? ' after it was terminated' : ''}`,
      preventDefault() {},
    } as ErrorEvent);
  }
}

type Op = 'request' | 'switch' | 'answer' | 'late' | 'lateError' | 'error' | 'frame' | 'wait' | 'budget' | 'keepTrying';
const OPS: Op[] = [
  'request',
  'request',
  'request',
  'switch',
  'answer',
  'answer',
  'answer',
  'late',
  'lateError',
  'error',
  'frame',
  'frame',
  'wait',
  'budget',
  'keepTrying',
];

/**
 * Run `steps` random operations from `seed`; throws (with the seed and the operations so far) when an invariant breaks.
 */
function run(seed: number, steps = 120): void {
  const r = rng(seed);
  const scenarios = TEXTS.map(parsed);
  const workers: FakeWorker[] = [];
  const frames: (() => void)[] = [];
  const timers: { fn: () => void; live: boolean }[] = [];
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const c = new SimClient(
    true,
    () => {
      const w = new FakeWorker(workers.length);
      workers.push(w);
      return w as unknown as Worker;
    },
    (fn) => frames.push(fn),
    (fn) => {
      const t = { fn, live: true };
      timers.push(t);
      return () => (t.live = false);
    },
  );
  const log: string[] = [];
  const fail = (what: string): never => {
    throw new Error(`seed ${seed}: ${what}\n  after: ${log.join('; ')}`);
  };
  const fromTerminated = (v: SimView): boolean => {
    if (!v.result.ok && v.result.failure.message.endsWith('after it was terminated')) return true;
    const m = !v.result.ok ? /^w(\d+) s/.exec(v.result.failure.message) : null;
    return m !== null && (workers[Number(m[1])] as FakeWorker).terminated;
  };
  // Every view handed out, shown or computed ahead, must come from a worker alive when it arrives.
  const seen = new Set<SimView>();
  c.subscribe(() => {
    for (const id of [1, 2]) {
      const v = c.latest(id);
      if (!v || seen.has(v)) continue;
      seen.add(v);
      if (fromTerminated(v)) fail(`a terminated worker's answer was shown: ${JSON.stringify(v.result)}`);
    }
  });
  c.onAhead((v) => {
    if (fromTerminated(v)) fail(`a terminated worker's answer was kept ahead: ${JSON.stringify(v.result)}`);
  });

  let current: Want | null = null;
  let scenarioIx = 0;
  const ask = (ix: number) => {
    const s = scenarios[ix] as Scenario;
    const want: Want = {
      scenarioId: ix + 1,
      text: TEXTS[ix] as string,
      scenario: s,
      n: r(s.steps.length + 1),
      expand: r(3) === 0 ? ['t1'] : [],
      last: s.steps.length,
    };
    current = want;
    log.push(`request s${want.scenarioId} n${want.n}${want.expand.length ? ' open' : ''}`);
    c.request(want);
  };
  const live = () => workers.filter((w) => !w.terminated);
  const checkAlways = () => {
    const l = live();
    if (l.length > 1) fail(`${l.length} live workers`);
    const inFlight = l.reduce((a, w) => a + w.pending.length, 0);
    if (inFlight > 1) fail(`${inFlight} requests in flight`);
    if ((inFlight === 1) !== c.busy()) fail(`busy() is ${c.busy()} with ${inFlight} requests in flight`);
  };

  for (let i = 0; i < steps; i++) {
    const op = OPS[r(OPS.length)] as Op;
    switch (op) {
      case 'request':
        ask(scenarioIx);
        break;
      case 'switch':
        scenarioIx = 1 - scenarioIx;
        ask(scenarioIx);
        break;
      case 'answer':
        log.push('answer');
        for (const w of live()) w.answer();
        break;
      case 'late': {
        // A terminated worker's message that was already on its way.
        const dead = workers.filter((w) => w.terminated && w.pending.length > 0);
        const w = dead[r(Math.max(1, dead.length))];
        if (w) {
          log.push(`late answer from w${w.index}`);
          w.answer();
        }
        break;
      }
      case 'lateError': {
        // A terminated worker's error event that was already on its way.
        const w = workers.find((x) => x.terminated);
        if (w) {
          log.push(`late error from w${w.index}`);
          w.fail();
        }
        break;
      }
      case 'error': {
        const w = live()[0];
        if (w) {
          log.push(`error in w${w.index}`);
          w.fail();
        }
        break;
      }
      case 'frame':
        log.push('frame');
        for (const f of frames.splice(0)) f();
        break;
      case 'wait':
        now += [10, 300, 700][r(3)] as number;
        log.push(`now ${now}`);
        break;
      case 'budget': {
        const t = timers.filter((x) => x.live).pop();
        if (t) {
          log.push('budget runs out');
          t.live = false;
          t.fn();
        }
        break;
      }
      case 'keepTrying':
        log.push('keep trying');
        c.keepTrying();
        break;
    }
    checkAlways();
  }

  // Settle: answer everything, run every frame, until nothing is left to do.
  for (let guard = 0; guard < 100; guard++) {
    const l = live();
    if (l.every((w) => w.pending.length === 0) && frames.length === 0) break;
    for (const w of l) w.answer();
    for (const f of frames.splice(0)) f();
    checkAlways();
  }
  const want = current as Want | null;
  if (!want) return;
  const stall = c.stalled();
  // The page says it stopped; nothing is shown as done.
  if (stall && stall.scenarioId === want.scenarioId && stall.n === want.n) return;
  const shown = c.get(want.scenarioId, want.n, want.expand) ?? c.latest(want.scenarioId);
  if (!shown) return fail(`settled with nothing to show for s${want.scenarioId} n${want.n}`);
  if (shown.scenarioId !== want.scenarioId || shown.n !== want.n || shown.expand !== want.expand.join(',')) {
    fail(
      `settled on s${shown.scenarioId} n${shown.n} e${shown.expand}, not the last requested s${want.scenarioId} n${want.n} e${want.expand.join(',')}`,
    );
  }
  const msg = shown.result.ok ? '' : shown.result.failure.message;
  if (msg === 'the worker was not given the scenario text')
    fail(`the worker was never sent the text of s${want.scenarioId}`);
  const what = / (s\d+ n\d+ e.*)$/.exec(msg)?.[1];
  if (what !== undefined && what !== computed(0, want.scenarioId, want.n, want.expand).replace(/^w0 /, ''))
    fail(`the view shown was computed for ${what}`);
}

describe('SimClient under random operations', () => {
  beforeEach(() => {
    vi.restoreAllMocks();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('seed 24301: an error event of a worker already stopped (by the time budget) does not stop the running request', () => {
    // It used to: onerror restarted the live worker and showed "crashed" for a request that was fine.
    run(24301);
  });

  const SEEDS = Array.from({ length: 300 }, (_, i) => 0x5eed + i * 7919);
  it(`keeps its invariants for ${SEEDS.length} fixed seeds`, () => {
    for (const seed of SEEDS) run(seed);
  });
});
