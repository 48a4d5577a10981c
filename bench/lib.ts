/** Shared helpers of the benchmarks: statistics, the machine, the table. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]) of xs. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** A deterministic PRNG (mulberry32): the same seed gives the same addresses on every machine. */
export function rng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  memGiB: number;
  load: string;
}

export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpu = m[1].trim();
  } catch {
    // not Linux: os.cpus() is as good
  }
  return {
    cpu,
    cores: cpus().length,
    node: process.version,
    memGiB: Math.round(totalmem() / 2 ** 30),
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

export type Status = 'pass' | 'miss' | 'info' | 'not measured';

export interface Row {
  what: string;
  figure: string;
  goal: string;
  status: Status;
}

export function fmtRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return String(perSec);
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k/s`;
  return `${perSec.toFixed(0)}/s`;
}

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

/** The rows as a Markdown table with aligned columns (readable in a terminal too). */
export function table(rows: Row[]): string {
  const head = ['#', 'what', 'figure (median)', 'goal', 'result'];
  const body = rows.map((r, i) => [String(i + 1), r.what, r.figure, r.goal, r.status]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => (b[c] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((x, c) => x.padEnd(widths[c] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
