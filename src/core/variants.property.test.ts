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
const offArb = fc.oneof(
  fc.integer({ min: 0, max: 524287 }).map((p) => p * 4096),
  fc.integer({ min: 0, max: 1023 }).map((h) => h * 2 * 1024 * 1024),
);
const lenArb = fc.oneof(
  fc.constantFrom('4K', '2M', '6M', '1G'),
  fc.integer({ min: 1, max: 600 }).map((p) => `${p * 4}K`),
);
const hex = (n: number): string => '0x' + n.toString(16);

const v1Step = fc.oneof(
  fc.tuple(taskArb, fc.constantFrom('1T', '2T')).map(([t, a]) => `${t}: mmap ${a} 512G rw shared anon fixed`),
  fc
    .tuple(
      taskArb,
      fc.constantFrom('1T', '2T'),
      fc.constantFrom('O_CREAT|O_EXCL|O_RDWR', 'O_RDWR', 'O_RDONLY', 'O_CREAT|O_RDONLY'),
    )
    .map(([t, a, f]) => `${t}: mshare "r${a}" ${a} 512G ${f} 0600`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T')).map(([t, a]) => `${t}: mshare_unlink "r${a}"`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, fc.constantFrom('read', 'write'))
    .map(([t, a, o, l, w]) => `${t}: touch ${a}+${hex(o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T'), offArb).map(([t, a, o]) => `${t}: write ${a}+${hex(o)} "x"`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb)
    .map(([t, a, o, l]) => `${t}: madvise ${a}+${hex(o)} ${l} MADV_DONTNEED`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb)
    .map(([t, a, o, l]) => `${t}: munmap ${a}+${hex(o)} ${l}`),
);

const fsStep = fc.oneof(
  fc
    .tuple(taskArb, fc.constantFrom('O_CREAT|O_RDWR', 'O_RDWR'))
    .map(([t, f]) => `${t}: open /sys/fs/mshare/r ${f} 0600 as f`),
  taskArb.map((t) => `${t}: ftruncate f 512G`),
  fc
    .tuple(taskArb, offArb, fc.constantFrom('4M', '1G', '2G'))
    .map(
      ([t, o, s]) =>
        `${t}: ioctl f MSHAREFS_CREATE_MAPPING region_offset=${hex(o)} size=${s} prot=rw flags=MAP_SHARED|MAP_FIXED`,
    ),
  fc
    .tuple(taskArb, offArb, fc.constantFrom('4K', '2M', '1G'))
    .map(([t, o, s]) => `${t}: ioctl f MSHAREFS_UNMAP region_offset=${hex(o)} size=${s}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T', '4T')).map(([t, a]) => `${t}: mmap ${a} 512G rw shared fixed fd=f`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T', '4T'), offArb, lenArb, fc.constantFrom('read', 'write'))
    .map(([t, a, o, l, w]) => `${t}: touch ${a}+${hex(o)} ${l} ${w}`),
  fc.tuple(taskArb, fc.constantFrom('1T', '2T', '4T')).map(([t, a]) => `${t}: munmap ${a} 512G`),
  taskArb.map((t) => `${t}: close f`),
  taskArb.map((t) => `${t}: unlink /sys/fs/mshare/r`),
);

const hugeStep = fc.oneof(
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), fc.constantFrom('1G', '2G', '6M'))
    .map(([t, a, l]) => `${t}: mmap ${a} ${l} rw shared anon hugetlb fixed`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), offArb, lenArb, fc.constantFrom('read', 'write'))
    .map(([t, a, o, l, w]) => `${t}: touch ${a}+${hex(o)} ${l} ${w}`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), fc.integer({ min: 0, max: 511 }), fc.constantFrom('2M', '4M', '1G'))
    .map(([t, a, h, l]) => `${t}: munmap ${a}+${h * 2}M ${l}`),
  fc
    .tuple(taskArb, fc.constantFrom('1T', '2T'), fc.integer({ min: 0, max: 511 }), fc.constantFrom('2M', '1G'))
    .map(([t, a, h, l]) => `${t}: mprotect ${a}+${h * 2}M ${l} r`),
);

const common = fc.oneof(
  taskArb.map((t) => `${t}: exit`),
  fc.tuple(taskArb, fc.constantFrom('D', 'E')).map(([t, c]) => `${t}: fork ${c}`),
);

/** A state worth disturbing: regions created, mapped and shared before the random steps. */
const PROLOGUE: Record<string, string[]> = {
  'mshare-v1': [
    'A: mmap 1T 512G rw shared anon fixed',
    'A: mshare "r1T" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600',
    'A: touch 1T+1G 6M write',
    'B: mshare "r1T" 1T 512G O_RDWR',
    'C: mmap 2T 512G rw shared anon fixed',
    'C: touch 2T 4M read',
    'C: mshare "r2T" 2T 512G O_CREAT|O_RDWR 0600',
  ],
  msharefs: [
    'A: open /sys/fs/mshare/r O_CREAT|O_RDWR 0600 as f',
    'A: ftruncate f 512G',
    'A: ioctl f MSHAREFS_CREATE_MAPPING region_offset=0 size=2G prot=rw flags=MAP_SHARED|MAP_FIXED',
    'A: mmap 1T 512G rw shared fixed fd=f',
    'B: open /sys/fs/mshare/r O_RDWR as f',
    'B: mmap 2T 512G rw shared fixed fd=f',
    'C: open /sys/fs/mshare/r O_RDWR as f',
  ],
  mainline: [
    'A: mmap 1T 2G rw shared anon hugetlb fixed',
    'A: touch 1T 1G write',
    'A: fork B',
    'A: fork C',
    'B: mmap 2T 1G rw shared anon hugetlb fixed',
  ],
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
  const pro = (PROLOGUE[kernel] ?? []).map((l) =>
    paging === 5 && kernel === 'mshare-v1'
      ? l.replace(/512G/g, '256T').replace(/\b([12])T\b/g, (_, d) => `${Number(d) * 256}T`)
      : l,
  );
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
      if (bad.length)
        throw new Error(`${twin ? 'twin: ' : ''}after step ${s.index} (line ${s.line}): ${bad.join('; ')}\n${text}`);
    }
    expect(r.kernel.m.frames.used, text).toBe(0);
  }
}

const exits = ['A', 'B', 'C', 'D', 'E'].map((t) => `${t}: exit`);

describe('sharing models keep the invariants', () => {
  it('mshare v1', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 5),
        fc.array(fc.oneof({ weight: 6, arbitrary: v1Step }, { weight: 1, arbitrary: common }), {
          minLength: 5,
          maxLength: 30,
        }),
        (paging, steps) => {
          const unlinks = ['1T', '2T'].flatMap((a) => Array.from({ length: 8 }, () => `A: mshare_unlink "r${a}"`));
          // The regions are freed by their last unlink; a task must be alive to unlink.
          check(
            scenario(
              'mshare-v1',
              paging,
              steps.map((s) =>
                paging === 5 ? s.replace(/512G/g, '256T').replace(/\b([12])T\b/g, (_, d) => `${Number(d) * 256}T`) : s,
              ),
            ),
            ['spawn Z', ...unlinks.map((u) => u.replace(/^A:/, 'Z:')), 'Z: exit', ...exits],
          );
        },
      ),
      { numRuns: 120, seed: Number(process.env.PTX_SEED ?? 31) },
    );
  });

  it('msharefs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 5),
        fc.array(fc.oneof({ weight: 6, arbitrary: fsStep }, { weight: 1, arbitrary: common }), {
          minLength: 5,
          maxLength: 30,
        }),
        (paging, steps) => {
          check(scenario('msharefs', paging, steps), [...exits, 'spawn Z', 'Z: unlink /sys/fs/mshare/r', 'Z: exit']);
        },
      ),
      { numRuns: 120, seed: Number(process.env.PTX_SEED ?? 32) },
    );
  });

  it('hugetlb PMD sharing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 6, arbitrary: hugeStep }, { weight: 1, arbitrary: common }), {
          minLength: 5,
          maxLength: 30,
        }),
        (steps) => {
          check(scenario('mainline', 4, steps), exits);
        },
      ),
      { numRuns: 120, seed: Number(process.env.PTX_SEED ?? 33) },
    );
  });
});

describe('mshare v1 against its mainline twin: donor VMAs anywhere in the region', () => {
  const T1 = 2 ** 40;
  const G1 = 2 ** 30;
  /**
   * A donor VMA in one of fifteen 32 GiB slots of the region after the first, at a slot offset, some on 2 MiB and 1 GiB
   * boundaries.
   */
  const donorArb = fc.record({
    slot: fc.integer({ min: 1, max: 15 }),
    off: fc.constantFrom(0, 4096, 2 ** 21, G1, 5 * G1 + 3 * 4096),
    pages: fc.constantFrom(1, 3, 512, 1024),
  });
  const accessArb = fc.record({
    guest: fc.constantFrom('B', 'C'),
    donor: fc.nat(),
    page: fc.nat(),
    write: fc.boolean(),
    text: fc.constantFrom('ab', 'xyz', 'hello'),
  });

  /**
   * The region is 1T .. 1T+512G; B attaches at 1T, C at 2T; only guests
   * access (a creator's own donor VMA that does not start the region has
   * the wrong host_addr in v1 itself: scenarios/mshare-v1-host-addr.ptx).
   * Every access is inside a donor VMA, so every one must succeed: a guest
   * killed there would be a wrong host_addr. Where a donor starts the region
   * the mainline twin can name it (it takes the VMA at the region start as
   * the shared object; with a hole there it has none) and the guests' reads
   * must be the twin's, byte for byte.
   */
  it('guests read what guests wrote wherever the donors lie, and what the mainline twin reads', () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(1, 512), { nil: undefined }),
        fc.uniqueArray(donorArb, { minLength: 1, maxLength: 3, selector: (d) => d.slot }),
        fc.array(accessArb, { minLength: 1, maxLength: 12 }),
        (startPages, others, accesses) => {
          const donors = [
            ...(startPages !== undefined ? [{ start: T1, pages: startPages }] : []),
            ...others.map((d) => ({ start: T1 + d.slot * 32 * G1 + d.off, pages: d.pages })),
          ];
          const lines = ['kernel mshare-v1', 'spawn A', 'spawn B', 'spawn C'];
          for (const d of donors) lines.push(`A: mmap ${hex(d.start)} ${d.pages * 4}K rw shared anon fixed`);
          lines.push(
            'A: mshare "r" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600',
            'B: mshare "r" 1T 512G O_RDWR',
            'C: mshare "r" 2T 512G O_RDWR',
          );
          const first = lines.length - 1; // steps before the accesses (the kernel line is no step)
          for (const a of accesses) {
            const d = donors[a.donor % donors.length] as { start: number; pages: number };
            const at = d.start + (a.page % d.pages) * 4096 + 8;
            const addr = a.guest === 'C' ? at + T1 : at; // C attached at 2T: the same offset in the region
            lines.push(a.write ? `${a.guest}: write ${hex(addr)} "${a.text}"` : `${a.guest}: read ${hex(addr)} 5`);
          }
          const text = lines.join('\n') + '\n';
          const p = parseScenario(text);
          if (!p.ok) throw new Error(`does not parse: ${JSON.stringify(p.errors)}\n${text}`);
          const outcomes = (startPages !== undefined ? [false, true] : [false]).map((twin) => {
            const r = new Runner(p.scenario, { twin });
            const out: unknown[] = [];
            while (!r.finished) {
              const s = r.step();
              if (s.index > first) out.push(s.outcome);
            }
            return out;
          });
          expect(
            outcomes[0]?.filter((o) => (o as { kind: string }).kind !== 'ok'),
            text,
          ).toEqual([]);
          if (outcomes[1]) expect(outcomes[0], text).toEqual(outcomes[1]);
        },
      ),
      { seed: 0x3a7e, numRuns: 60 },
    );
  });
});
