/**
 * Mainline never reaches a stale TLB entry (issue 17): over random sequences
 * of scheduling, accesses, mmap, munmap, mprotect, madvise, fork, execve and exit on
 * several CPUs, no access hits an entry that disagrees with the tables, and
 * after every step (every flush it issued has completed) no entry a user
 * access could reach without a flush first disagrees with them (staleEntries()).
 * The same check on an msharefs host unmap does find one: the property can fail.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from './kernel';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE } from './uapi';
import { applyOp, type KernelOp } from './ops.test-helper';
import type { Tlbs } from './tlb';
import { runScenarioText } from '../scenario/run';
import { readFileSync } from 'node:fs';

const K4 = 4096n;
const BASE = 1n << 40n;
/** A few pages around a 2 MiB boundary, so that mappings overlap and tables get freed. */
const pageArb = fc.integer({ min: 0, max: 600 }).map((p) => BASE + BigInt(p) * K4);
/** Accesses go to a handful of pages, so that a page is often accessed again (a hit) by the same task. */
const hotArb = fc.constantFrom(0, 1, 2, 40, 511, 512, 513).map((p) => BASE + BigInt(p) * K4);
const lenArb = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((p) => BigInt(p) * K4),
  fc.constant(2n << 20n),
  fc.constant(4n << 20n),
);
const taskArb = fc.integer({ min: 0, max: 5 });
const cpuArb = fc.integer({ min: 0, max: 2 });
/** Mostly rw: a write to r or an access to none kills the task, which ends the run's interest. */
const protArb = fc.constantFrom(PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, 0);

type Op = KernelOp;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('run' as const), t: taskArb, cpu: cpuArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('idle' as const), cpu: cpuArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('mmap' as const),
      t: taskArb,
      addr: pageArb,
      len: lenArb,
      shared: fc.boolean(),
      prot: protArb,
    }),
  },
  {
    weight: 14,
    arbitrary: fc.record({ k: fc.constant('access' as const), t: taskArb, addr: hotArb, write: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('touch' as const), t: taskArb, addr: pageArb, len: lenArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fork' as const), t: taskArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('munmap' as const),
      t: taskArb,
      addr: fc.oneof(hotArb, pageArb),
      len: lenArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('mprotect' as const),
      t: taskArb,
      addr: fc.oneof(hotArb, pageArb),
      len: lenArb,
      prot: protArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('madvise' as const),
      t: taskArb,
      addr: fc.oneof(hotArb, pageArb),
      len: lenArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('execve' as const), t: taskArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('exit' as const), t: taskArb }) },
);

const seen = { hits: 0, flushes: 0, ipis: 0, lazySkips: 0, stepsAlive: 0, execOnCpu: 0 };

function runOps(ops: Op[]): void {
  const k = new Kernel({ paging: 4, cpus: 3 });
  const tlb = k.m.tlb as Tlbs;
  const names = ['T0'];
  k.spawn('T0');
  k.mmap('T0', {
    addr: BASE,
    len: 600n * K4,
    prot: PROT_READ | PROT_WRITE,
    flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
  });
  ops.forEach((op, i) => {
    // exec_mmap() on a CPU that runs the task must load the new mm first (a stale-entry bug before session 13).
    if (op.k === 'execve' && tlb.cpuOf(names[op.t % names.length] as string)) seen.execOnCpu++;
    applyOp(k, names, op, i);
    if (k.taskList().some((t) => t.state === 'running')) seen.stepsAlive++;
    const step = tlb.takeStep();
    seen.hits += step.hits;
    seen.flushes += step.flushes.length;
    for (const f of step.flushes) {
      seen.ipis += f.reached.length;
      seen.lazySkips += f.skipped_lazy.length;
    }
    const where = () =>
      `after op ${i} ${JSON.stringify(op, (_, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v))}`;
    expect(step.stale, where()).toEqual([]);
    expect(tlb.staleEntries(), where()).toEqual([]);
  });
}

describe('mainline: no stale TLB hit, ever', () => {
  it('after every step of random sequences on 3 CPUs, no reachable entry disagrees with the tables', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), (ops) => runOps(ops)),
      { numRuns: 150, seed: 20261203 },
    );
    // The runs did exercise the TLBs: hits, flushes, IPIs, lazy CPUs skipped, execve on a CPU.
    // (Measured with this seed: 49 hits, 601 flushes reaching 546 CPUs, 14 lazy CPUs skipped, 1,490 steps with a
    // task alive. execve in the mix (weight 3: at 1 the run that shows its bug never came) ends many tasks' use of
    // the hot pages, hence fewer hits than the 89 before it.)
    expect(seen.hits).toBeGreaterThan(30);
    expect(seen.flushes).toBeGreaterThan(400);
    expect(seen.ipis).toBeGreaterThan(400);
    expect(seen.lazySkips).toBeGreaterThan(5);
    expect(seen.stepsAlive).toBeGreaterThan(1000);
    expect(seen.execOnCpu).toBeGreaterThan(50); // 101
  });
});

describe('the check can fail: msharefs without the notifier', () => {
  it('finds the stale hit of scenarios/tlb-msharefs-stale.ptx, and none with flush_tlb_all()', () => {
    const stale = runScenarioText(readFileSync('scenarios/tlb-msharefs-stale.ptx', 'utf8'));
    const hits = stale.steps.flatMap((s) => s.tlb?.stale ?? []);
    expect(hits).toHaveLength(1);
    // B (CPU 1) reads through 2 TiB the frame A's private page now uses, and gets A's bytes.
    expect(hits[0]).toMatchObject({ cpu: 1, va: '0x20000000000' });
    expect(hits[0]?.owner).toMatch(/^A \(its page at 0x10003000\)$/);
    const last = stale.steps[stale.steps.length - 1];
    expect(last?.outcome).toMatchObject({ kind: 'ok', value: Buffer.from("A's new data").toString('hex') });

    const safe = runScenarioText(readFileSync('scenarios/tlb-msharefs-notifier.ptx', 'utf8'));
    expect(safe.steps.flatMap((s) => s.tlb?.stale ?? [])).toEqual([]);
    expect(safe.steps.flatMap((s) => s.tlb?.flushes ?? []).some((f) => f.fn === 'flush_tlb_all')).toBe(true);
    expect(safe.steps[safe.steps.length - 1]?.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
  });
});
