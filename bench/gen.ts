/**
 * Scenarios the benchmarks generate, as text (what a user would write); the
 * SGA of row 2 is in bench/sga-*.ptx.
 *  - busyScenario(): a long, realistic timeline (row 3): a few tasks mapping,
 *    touching, writing, forking, unmapping, protecting, advising and exiting;
 *  - wideScenario(): 64 tasks with enough tables to show ~10,000 nodes (row 4).
 * All are deterministic: the same seed gives the same text everywhere.
 */
import { rng } from './lib';

const K = 4096;
const M = 1 << 20;
const G = 2 ** 30;

/** An address as the language writes it: 1T plus an offset. */
function at(off: number): string {
  return off === 0 ? '1T' : `1T+0x${off.toString(16)}`;
}

function size(n: number): string {
  if (n % G === 0) return `${n / G}G`;
  if (n % M === 0) return `${n / M}M`;
  return `${n / 1024}K`;
}

/**
 * `steps` steps of a busy machine: 4 to 16 tasks alive, each mapping areas of
 * 16 KiB to 64 MiB (private or shared) in 16 slots of 1 GiB above 1 TiB and
 * working in them: touches page by page (small or unaligned) or in bulk
 * (2 MiB aligned), writes, reads, translates; forks (children inherit the
 * areas), munmaps, mprotects, madvises, exits and new tasks. Accesses go to
 * the task's own areas, so few tasks die; some still do (an access to a
 * range it unmapped or protected), as in real use.
 */
export function busyScenario(seed: number, steps: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: string[] = [`title "busy: ${steps} steps"`, 'kernel mainline'];
  interface Area {
    off: number;
    len: number;
    rw: boolean;
  }
  const areas = new Map<string, Area[]>();
  const alive: string[] = [];
  let made = 0;
  let n = 0;
  const spawn = (): void => {
    const t = `t${++made}`;
    alive.push(t);
    areas.set(t, []);
    out.push(`spawn ${t}`);
    n++;
  };
  for (let i = 0; i < 4; i++) spawn();
  /** Take [off, off + len) out of a task's areas (munmap, or a MAP_FIXED mapping over them). */
  const carve = (list: Area[], off: number, len: number): void => {
    for (const a of [...list]) {
      const end = a.off + a.len;
      if (end <= off || a.off >= off + len) continue;
      list.splice(list.indexOf(a), 1);
      if (a.off < off) list.push({ off: a.off, len: off - a.off, rw: a.rw });
      if (end > off + len) list.push({ off: off + len, len: end - off - len, rw: a.rw });
    }
  };
  const pageIn = (a: Area, maxPages: number): { off: number; pages: number } => {
    const pages = Math.max(1, Math.min(maxPages, a.len / K));
    const first = Math.floor(r() * (a.len / K - pages + 1));
    return { off: a.off + first * K, pages };
  };
  while (n < steps) {
    const t = pick(alive);
    const mine = areas.get(t) as Area[];
    const x = r();
    const a = mine.length ? pick(mine) : null;
    let line: string;
    if (x < 0.14 || !a) {
      const len = pick([16 * K, 256 * K, M + 12 * K, 2 * M, 8 * M, 64 * M]);
      const off = Math.floor(r() * 16) * G + Math.floor(r() * 32) * 2 * M;
      const rw = r() < 0.85;
      carve(mine, off, len);
      mine.push({ off, len, rw });
      line = `${t}: mmap ${at(off)} ${size(len)} ${rw ? 'rw' : 'r'} ${pick(['private', 'private', 'shared'])} anon fixed`;
    } else if (x < 0.44) {
      const write = a.rw && r() < 0.6;
      if (a.len >= 2 * M && r() < 0.3) {
        const first = a.off + Math.ceil((a.off % (2 * M) ? 2 * M - (a.off % (2 * M)) : 0) / K) * K;
        const len = Math.min(16 * M, Math.floor((a.off + a.len - first) / (2 * M)) * 2 * M);
        line =
          len > 0
            ? `${t}: touch ${at(first)} ${size(len)} ${write ? 'write' : 'read'}`
            : `${t}: touch ${at(a.off)} 4K read`;
      } else {
        const { off, pages } = pageIn(a, pick([1, 4, 16, 64]));
        line = `${t}: touch ${at(off)} ${size(pages * K)} ${write ? 'write' : 'read'}`;
      }
    } else if (x < 0.6) {
      const { off } = pageIn(a, 1);
      line = a.rw ? `${t}: write ${at(off + Math.floor(r() * 4000))} "step ${n}"` : `${t}: read ${at(off)} 8`;
    } else if (x < 0.67) {
      line = `${t}: read ${at(pageIn(a, 1).off)} 8`;
    } else if (x < 0.71) {
      line = `${t}: translate ${at(pageIn(a, 1).off)}`;
    } else if (x < 0.76 && alive.length < 16) {
      const c = `t${++made}`;
      alive.push(c);
      areas.set(
        c,
        mine.map((m) => ({ ...m })),
      );
      line = `${t}: fork ${c}`;
    } else if (x < 0.83) {
      const { off, pages } = pageIn(a, pick([1, 16, 512]));
      carve(mine, off, pages * K);
      line = `${t}: munmap ${at(off)} ${size(pages * K)}`;
    } else if (x < 0.88) {
      const { off, pages } = pageIn(a, pick([1, 16, 512]));
      line = `${t}: mprotect ${at(off)} ${size(pages * K)} ${a.rw ? 'rw' : 'r'}`;
    } else if (x < 0.94) {
      const { off, pages } = pageIn(a, pick([16, 512, 1024]));
      line = `${t}: madvise ${at(off)} ${size(pages * K)} MADV_DONTNEED`;
    } else if (alive.length > 4) {
      alive.splice(alive.indexOf(t), 1);
      line = `${t}: exit`;
    } else {
      const c = `t${++made}`;
      alive.push(c);
      areas.set(c, []);
      line = `spawn ${c}`;
    }
    out.push(line);
    n++;
  }
  return out.join('\n') + '\n';
}

/**
 * 64 tasks with 147 table pages each, ~9,600 nodes laid out in the view:
 * w1 maps 8 GiB in each of two PGD entries (at 1 TiB and 2 TiB) and writes
 * one page in 8 × 8 PMD entries of each: per task 1 PGD, 2 PUD, 16 PMD and
 * 128 PTE pages, and no table lists more than the view's 8 entries before
 * "+N more", so every table is drawn (2 + 16 + 128 rows). It forks 63
 * children (each gets copies of all its tables), then every task writes
 * (copy-on-write: 64 new pages), reads and translates. `from` is the step
 * to open at (the fork): the steps measured are the ones with all the nodes.
 */
export function wideScenario(tasks = 64): { text: string; from: number } {
  const T = 1n << 40n;
  const regions = [T, 2n * T];
  const hex = (a: bigint): string => `0x${a.toString(16)}`;
  const out = [`title "wide: ${tasks} tasks, ~10,000 nodes"`, 'spawn w1'];
  for (const r of regions) out.push(`w1: mmap ${hex(r)} 8G rw private anon fixed`);
  for (const r of regions)
    for (let g = 0n; g < 8n; g++)
      for (let p = 0n; p < 8n; p++) out.push(`w1: write ${hex(r + g * BigInt(G) + p * 2n * BigInt(M))} "w1"`);
  const from = out.length; // steps so far (the title is not one), and the fork
  out.push(`w1: fork w[2..${tasks}]`);
  for (const [i, r] of regions.entries()) {
    out.push(`w[1..${tasks}]: write ${hex(r + BigInt(i) * BigInt(G) + 0x1000n)} "x"`);
    out.push(`w[1..${tasks}]: read ${hex(r + 3n * BigInt(G) + 4n * BigInt(M))} 2`);
    out.push(`w[1..${tasks}]: translate ${hex(r + BigInt(i) * BigInt(G) + 0x1000n)}`);
  }
  out.push(`w${tasks}: translate ${hex(2n * T + 7n * BigInt(G) + 14n * BigInt(M))}`);
  out.push(`w2: exit`);
  return { text: out.join('\n') + '\n', from };
}
