/**
 * Seeded random operation sequences for the sharing models (mshare v1,
 * msharefs, hugetlb PMD sharing), checked against the invariants after every
 * step: shared tables counted once, every link accounted, nothing leaked —
 * and once every task has exited and every region is gone, memory is empty.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScenario } from '../scenario/parser';
import { Runner } from '../scenario/run';

const tasks = ['A', 'B', 'C'];
const taskArb = fc.constantFrom(...tasks);
/** Offsets inside the first 2 GiB of a region, page aligned, some on 2 MiB and 1 GiB boundaries. */
const offArb = fc.oneof(fc.integer({ min: 0, max: 524287 }).map((p) => p * 4096), fc.integer({ min: 0, max: 1023 }).map((h) => h * 2 * 1024 * 1024));
const lenArb = fc.oneof(fc.constantFrom('4K', '2M', '6M', '1G'), fc.integer({ min: 1, max: 600 }).map((p) => `${p * 4}K`));
const hex = (n: number): string => '0x' + n.toString(16);

const v1Step = fc.oneof(
  fc.tuple(taskArb, fc.constantFrom('1T', '2T')).map(([t, a]) => `${t}: mmap ${a} 512G rw shared anon fixed`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), fc.constantFrom('O_CREAT|O_EXCL|O_RDWR', 'O_RDWR', 'O_RDONLY', 'O_CREAT|O_RDONLY')).map(([t, a, f]) => `${t}: mshare "r${a}" ${a} 512G ${f} 0600`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T')).map(([t, a]) => `${t}: mshare_unlink "r${a}"`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, fc.constantFrom('read', 'write')).map(([t, a, o, l, w]) => `${t}: touch ${a}+${hex(o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb).map(([t, a, o]) => `${t}: write ${a}+${hex(o)} "x"`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb).map(([t, a, o, l]) => `${t}: madvise ${a}+${hex(o)} ${l} MADV_DONTNEED`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb).map(([t, a, o, l]) => `${t}: munmap ${a}+${hex(o)} ${l}`),
);

const fsStep = fc.oneof(
  fc.tuple(taskArb, fc.constantFrom('O_CREAT|O_RDWR', 'O_RDWR')).map(([t, f]) => `${t}: open /sys/fs/mshare/r ${f} 0600 as f`),
  taskArb.map((t) => `${t}: ftruncate f 512G`),
  fc.tuple(taskArb, offArb, fc.constantFrom('4M', '1G', '2G')).map(([t, o, s]) => `${t}: ioctl f MSHAREFS_CREATE_MAPPING region_offset=${hex(o)} size=${s} prot=rw flags=MAP_SHARED|MAP_FIXED`),
  fc.tuple(taskArb, offArb, fc.constantFrom('4K', '2M', '1G')).map(([t, o, s]) => `${t}: ioctl f MSHAREFS_UNMAP region_offset=${hex(o)} size=${s}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T', '4T')).map(([t, a]) => `${t}: mmap ${a} 512G rw shared fixed fd=f`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T', '4T'), offArb, lenArb, fc.constantFrom('read', 'write')).map(([t, a, o, l, w]) => `${t}: touch ${a}+${hex(o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T', '4T')).map(([t, a]) => `${t}: munmap ${a} 512G`),
  taskArb.map((t) => `${t}: close f`),
  taskArb.map((t) => `${t}: unlink /sys/fs/mshare/r`),
);

const hugeStep = fc.oneof(
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), fc.constantFrom('1G', '2G', '6M')).map(([t, a, l]) => `${t}: mmap ${a} ${l} rw shared anon hugetlb fixed`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, fc.constantFrom('read', 'write')).map(([t, a, o, l, w]) => `${t}: touch ${a}+${hex(o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), fc.integer({ min: 0, max: 511 }), fc.constantFrom('2M', '4M', '1G')).map(([t, a, h, l]) => `${t}: munmap ${a}+${h * 2}M ${l}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), fc.integer({ min: 0, max: 511 }), fc.constantFrom('2M', '1G')).map(([t, a, h, l]) => `${t}: mprotect ${a}+${h * 2}M ${l} r`),
);

const common = fc.oneof(taskArb.map((t) => `${t}: exit`), fc.tuple(taskArb, fc.constantFrom('D', 'E')).map(([t, c]) => `${t}: fork ${c}`));

/** A state worth disturbing: regions created, mapped and shared before the random steps. */
const PROLOGUE: Record<string, string[]> = {
  'mshare-v1': ['A: mmap 1T 512G rw shared anon fixed', 'A: mshare "r1T" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600', 'A: touch 1T+1G 6M write', 'B: mshare "r1T" 1T 512G O_RDWR', 'C: mmap 2T 512G rw shared anon fixed', 'C: touch 2T 4M read', 'C: mshare "r2T" 2T 512G O_CREAT|O_RDWR 0600'],
  msharefs: ['A: open /sys/fs/mshare/r O_CREAT|O_RDWR 0600 as f', 'A: ftruncate f 512G', 'A: ioctl f MSHAREFS_CREATE_MAPPING region_offset=0 size=2G prot=rw flags=MAP_SHARED|MAP_FIXED', 'A: mmap 1T 512G rw shared fixed fd=f', 'B: open /sys/fs/mshare/r O_RDWR as f', 'B: mmap 2T 512G rw shared fixed fd=f', 'C: open /sys/fs/mshare/r O_RDWR as f'],
  mainline: ['A: mmap 1T 2G rw shared anon hugetlb fixed', 'A: touch 1T 1G write', 'A: fork B', 'A: fork C', 'B: mmap 2T 1G rw shared anon hugetlb fixed'],
};

function scenario(kernel: string, paging: number, steps: string[]): string {
  // Forks may repeat a child name: keep only the first fork of each name.
  const seen = new Set<string>();
  const body = steps.filter((s) => {
    const m = /fork (\w+)$/.exec(s);
    if (!m) return true;
    if (seen.has(m[1] as string)) return false;
    seen.add(m[1] as string);
    return true;
  });
  const pro = (PROLOGUE[kernel] ?? []).map((l) => (paging === 5 && kernel === 'mshare-v1' ? l.replace(/512G/g, '256T').replace(/\b([12])T\b/g, (_, d) => `${Number(d) * 256}T`) : l));
  const spawns = kernel === 'mainline' ? ['spawn A'] : ['spawn A', 'spawn B', 'spawn C'];
  return [`kernel ${kernel}`, `paging ${paging}`, ...spawns, ...pro, ...body].join('\n');
}

function check(text: string, cleanup: string[]): void {
  // Exits only for tasks that exist (a fork creates D or E).
  const made = new Set(['Z', ...[...text.matchAll(/(?:spawn|fork) (\w+)/g)].map((m) => m[1] as string)]);
  const lines = cleanup.filter((l) => made.has(l.split(':')[0] as string) || l.startsWith('spawn'));
  const p = parseScenario(text + '\n' + lines.join('\n'));
  if (!p.ok) throw new Error(`does not parse: ${JSON.stringify(p.errors)}\n${text}`);
  // The scenario itself, and its mainline twin (what --compare mainline runs).
  for (const twin of [false, true]) {
    const r = new Runner(p.scenario, { twin });
    while (!r.finished) {
      const s = r.step();
      const bad = r.kernel.invariants();
      if (bad.length) throw new Error(`${twin ? 'twin: ' : ''}after step ${s.index} (line ${s.line}): ${bad.join('; ')}\n${text}`);
    }
    expect(r.kernel.m.frames.used, text).toBe(0);
  }
}

const exits = ['A', 'B', 'C', 'D', 'E'].map((t) => `${t}: exit`);

describe('sharing models keep the invariants', () => {
  it('mshare v1', () => {
    fc.assert(
      fc.property(fc.constantFrom(4, 5), fc.array(fc.oneof({ weight: 6, arbitrary: v1Step }, { weight: 1, arbitrary: common }), { minLength: 5, maxLength: 30 }), (paging, steps) => {
        const unlinks = ['1T', '2T'].flatMap((a) => Array.from({ length: 8 }, () => `A: mshare_unlink "r${a}"`));
        // The regions are freed by their last unlink; a task must be alive to unlink.
        check(scenario('mshare-v1', paging, steps.map((s) => (paging === 5 ? s.replace(/512G/g, '256T').replace(/\b([12])T\b/g, (_, d) => `${Number(d) * 256}T`) : s))), ['spawn Z', ...unlinks.map((u) => u.replace(/^A:/, 'Z:')), 'Z: exit', ...exits]);
      }),
      { numRuns: 120, seed: Number(process.env.PTX_SEED ?? 31) },
    );
  });

  it('msharefs', () => {
    fc.assert(
      fc.property(fc.constantFrom(4, 5), fc.array(fc.oneof({ weight: 6, arbitrary: fsStep }, { weight: 1, arbitrary: common }), { minLength: 5, maxLength: 30 }), (paging, steps) => {
        check(scenario('msharefs', paging, steps), [...exits, 'spawn Z', 'Z: unlink /sys/fs/mshare/r', 'Z: exit']);
      }),
      { numRuns: 120, seed: Number(process.env.PTX_SEED ?? 32) },
    );
  });

  it('hugetlb PMD sharing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 6, arbitrary: hugeStep }, { weight: 1, arbitrary: common }), { minLength: 5, maxLength: 30 }), (steps) => {
        check(scenario('mainline', 4, steps), exits);
      }),
      { numRuns: 120, seed: Number(process.env.PTX_SEED ?? 33) },
    );
  });
});
