/**
 * Row 1: the fault path against a reference.
 *
 * Single-page write faults (userAccess(), what a `write` statement does) at
 * random pages of a 64 GiB private and a 64 GiB shared anonymous mapping,
 * with the event trail off (kernel.m.ev.enabled = false) and on (events
 * listed and taken every 1,000 faults, as steps take them); then walk() over
 * every faulted page. The reference (radix.ts) faults and walks the same
 * pages in the same process, interleaved with ours in chunks of 1,000 so
 * that both see the same machine (load, frequency, GC pressure elsewhere).
 *
 * Run alone: PTX_BENCH_MAIN=fault node --import tsx bench/fault.ts [--reps N] [--pages N] → JSON.
 */
import { Kernel } from '../src/core/kernel';
import { userAccess } from '../src/core/fault';
import { walk } from '../src/core/walk';
import type { Mm } from '../src/core/mm';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../src/core/uapi';
import { RadixRef } from './radix';
import { fmtRate, median, rng, type Row } from './lib';

const BASE = 1n << 40n; // 1 TiB
const SIZE = 64n << 30n; // 64 GiB
const CHUNK = 1000;

export interface Rate {
  ours: number;
  ref: number;
  /** ours / ref */
  ratio: number;
}

export interface FaultResult {
  pages: number;
  reps: number;
  privateOff: Rate;
  privateOn: Rate;
  sharedOff: Rate;
  sharedOn: Rate;
  walk: Rate;
}

/** n distinct random vpns in the mapping. */
function pages(n: number, seed: number): number[] {
  const r = rng(seed);
  const span = Number(SIZE >> 12n);
  const base = Number(BASE >> 12n);
  const seen = new Set<number>();
  while (seen.size < n) seen.add(base + Math.floor(r() * span));
  return [...seen];
}

function setup(shared: boolean, tracing: boolean): { k: Kernel; mm: Mm } {
  const k = new Kernel({ kernel: 'mainline', paging: 4 });
  k.spawn('A');
  k.mmap('A', {
    addr: BASE,
    len: SIZE,
    prot: PROT_READ | PROT_WRITE,
    flags: (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED,
  });
  k.takeEvents();
  k.m.ev.enabled = tracing;
  return { k, mm: k.tasks.get('A')?.mm as Mm };
}

function rate(n: number, oursMs: number, refMs: number): Rate {
  return { ours: (n / oursMs) * 1000, ref: (n / refMs) * 1000, ratio: refMs / oursMs };
}

/** Fault every page, ours and the reference's in alternating chunks. */
function faults(vpns: number[], shared: boolean, tracing: boolean): { r: Rate; k: Kernel; mm: Mm; ref: RadixRef } {
  const { k, mm } = setup(shared, tracing);
  const ref = new RadixRef();
  let ours = 0;
  let theirs = 0;
  for (let c = 0; c < vpns.length; c += CHUNK) {
    const end = Math.min(vpns.length, c + CHUNK);
    let t = performance.now();
    for (let i = c; i < end; i++) {
      const o = userAccess(k, mm, vpns[i] as number, 'write');
      if (o.kind !== 'ok') throw new Error(`fault at vpn ${vpns[i]} failed: ${o.cause}`);
    }
    if (tracing) k.takeEvents();
    ours += performance.now() - t;
    t = performance.now();
    for (let i = c; i < end; i++) ref.fault(vpns[i] as number);
    theirs += performance.now() - t;
  }
  return { r: rate(vpns.length, ours, theirs), k, mm, ref };
}

function walks(vpns: number[], k: Kernel, mm: Mm, ref: RadixRef): Rate {
  let ours = 0;
  let theirs = 0;
  let sink = 0;
  for (let c = 0; c < vpns.length; c += CHUNK) {
    const end = Math.min(vpns.length, c + CHUNK);
    let t = performance.now();
    for (let i = c; i < end; i++) sink += walk(k.m, mm, vpns[i] as number).leaf?.pfn ?? -1;
    ours += performance.now() - t;
    t = performance.now();
    for (let i = c; i < end; i++) sink += ref.walk(vpns[i] as number);
    theirs += performance.now() - t;
  }
  if (sink === 0.5) console.error(sink); // keep the loops observable
  return rate(vpns.length, ours, theirs);
}

function medianRate(rs: Rate[]): Rate {
  return {
    ours: median(rs.map((r) => r.ours)),
    ref: median(rs.map((r) => r.ref)),
    ratio: median(rs.map((r) => r.ratio)),
  };
}

export function runFault(opts: { reps: number; pages: number }): FaultResult {
  // Warm up the JIT on both sides (discarded).
  const warm = pages(20_000, 999);
  faults(warm, false, false);
  faults(warm, true, true);
  const acc: Record<'privateOff' | 'privateOn' | 'sharedOff' | 'sharedOn' | 'walk', Rate[]> = {
    privateOff: [],
    privateOn: [],
    sharedOff: [],
    sharedOn: [],
    walk: [],
  };
  for (let rep = 0; rep < opts.reps; rep++) {
    const vpns = pages(opts.pages, rep + 1);
    const po = faults(vpns, false, false);
    acc.privateOff.push(po.r);
    acc.walk.push(walks(vpns, po.k, po.mm, po.ref));
    acc.privateOn.push(faults(vpns, false, true).r);
    acc.sharedOff.push(faults(vpns, true, false).r);
    acc.sharedOn.push(faults(vpns, true, true).r);
  }
  return {
    pages: opts.pages,
    reps: opts.reps,
    privateOff: medianRate(acc.privateOff),
    privateOn: medianRate(acc.privateOn),
    sharedOff: medianRate(acc.sharedOff),
    sharedOn: medianRate(acc.sharedOn),
    walk: medianRate(acc.walk),
  };
}

export function faultRows(f: FaultResult): Row[] {
  const k = `${(f.pages / 1000).toFixed(0)}k random pages`;
  const fig = (r: Rate): string => `${fmtRate(r.ours)} = ${r.ratio.toFixed(2)}× ref (${fmtRate(r.ref)})`;
  const goal = (r: Rate): Row['status'] => (r.ratio >= 0.5 ? 'pass' : 'miss');
  return [
    {
      what: `faults, 64 GiB private, ${k}, tracing off`,
      figure: fig(f.privateOff),
      goal: '≥ 0.5× ref',
      status: goal(f.privateOff),
    },
    {
      what: `faults, 64 GiB private, ${k}, tracing on`,
      figure: fig(f.privateOn),
      goal: '(tracing cost)',
      status: 'info',
    },
    {
      what: `faults, 64 GiB shared, ${k}, tracing off`,
      figure: fig(f.sharedOff),
      goal: '≥ 0.5× ref',
      status: goal(f.sharedOff),
    },
    {
      what: `faults, 64 GiB shared, ${k}, tracing on`,
      figure: fig(f.sharedOn),
      goal: '(tracing cost)',
      status: 'info',
    },
    { what: `walk() of present pages (private)`, figure: fig(f.walk), goal: '≥ 0.5× ref', status: goal(f.walk) },
  ];
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

if (process.env.PTX_BENCH_MAIN === 'fault') {
  const r = runFault({ reps: arg('--reps', 5), pages: arg('--pages', 100_000) });
  process.stdout.write(JSON.stringify(r) + '\n');
}
