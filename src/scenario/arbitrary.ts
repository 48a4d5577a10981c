/**
 * fast-check arbitraries for scenarios, for property tests here and elsewhere
 * (the core can run arbitrary scenarios too). Everything generated is a
 * Scenario the parser could have produced: tasks are created by spawn/fork
 * before they act, each name is created once, groups stay within what was
 * created, strings hold no line break. `pos` is a placeholder (line 0, col 0):
 * compare with withoutPos().
 */

import fc from 'fast-check';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_HUGETLB,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  O_CREAT,
  O_EXCL,
  type KernelName,
  type Op,
  type Scenario,
  type Step,
} from './ast';
import { U64_MAX } from './numbers';

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,7}$/;

/** A task or fd name (keywords included: `spawn: exit` is a task named spawn). */
export const nameArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.stringMatching(NAME),
    fc.constantFrom('A', 'B', 'db', 'worker', 'spawn', 'auto', 'note', 'as', 'fd', 'r', 'shared'),
  );

/**
 * One line of string content: any UTF-16 code unit (lone surrogates too)
 * except CR and LF, and the control and bidi characters the lexer refuses in
 * strings (C0 but tab, DEL, C1, U+202A–U+202E, U+2066–U+2069: lexer.ts).
 */
export const lineTextArb = (): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
      fc.constantFrom('', '"', '\\', '\\"', '# not a comment', 'a "quoted" \\ path'),
    )
    // eslint-disable-next-line no-control-regex -- the characters the lexer refuses
    .map((s) => s.replace(/[\r\n]/g, ' ').replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '?'));

/** A note: one or more lines joined by \n, as several `note` lines give. */
export const noteArb = (): fc.Arbitrary<string> =>
  fc.array(lineTextArb(), { minLength: 1, maxLength: 3 }).map((l) => l.join('\n'));

const T = 1n << 40n;
/** Addresses and lengths: any 64-bit value, and the round ones people write. */
export const u64Arb = (): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: U64_MAX }),
    fc.bigInt({ min: 0n, max: 1n << 20n }),
    fc.bigInt({ min: 0n, max: 1n << 36n }).map((n) => n * 4096n),
    fc.constantFrom(0n, 4096n, 1n << 21n, 1n << 30n, T, T + 0x1000n, 512n << 30n, 0x7ffffffff000n, U64_MAX),
  );

const protArb = fc.integer({ min: 0, max: 7 });
const MAP_BITS = [MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE, MAP_HUGETLB];
const mapFlagsArb = fc.subarray(MAP_BITS, { minLength: 1 }).map((b) => b.reduce((x, y) => x | y, 0));
const oflagsArb = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean())
  .map(([acc, c, e]) => acc | (c ? O_CREAT : 0) | (e ? O_EXCL : 0));
const modeArb = fc.option(fc.integer({ min: 0, max: 0o7777 }), { nil: undefined });

/** A name to create: one task, or a group (from, count, written with a leading 0 or not). */
interface Fresh {
  base: string;
  group?: { from: bigint; count: number };
}
const freshArb: fc.Arbitrary<Fresh> = fc.record(
  {
    base: nameArb(),
    group: fc.record({
      from: fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: 10n ** 18n })),
      count: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { requiredKeys: ['base'] },
);

/** What an acting step does, with its task still to be chosen. */
type Seed = { kind: 'create'; fresh: Fresh } | { kind: 'act'; op: Op; fork?: Fresh };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ op: 'exit' }),
  fc
    .record(
      {
        addr: fc.oneof(fc.constant<'auto'>('auto'), u64Arb()),
        len: u64Arb(),
        prot: protArb,
        flags: mapFlagsArb,
        fd: nameArb(),
        offset: u64Arb(),
      },
      { requiredKeys: ['addr', 'len', 'prot', 'flags'] },
    )
    .map((r): Op => ({ op: 'mmap', ...r })),
  fc.record({ addr: u64Arb(), len: u64Arb() }).map((r): Op => ({ op: 'munmap', ...r })),
  fc.record({ addr: u64Arb(), len: u64Arb(), prot: protArb }).map((r): Op => ({ op: 'mprotect', ...r })),
  fc.record({ addr: u64Arb(), len: u64Arb() }).map((r): Op => ({ op: 'madvise', ...r, advice: 'MADV_DONTNEED' })),
  fc.record({ addr: u64Arb(), len: u64Arb() }, { requiredKeys: ['addr'] }).map((r): Op => ({ op: 'read', ...r })),
  fc
    .record({ addr: u64Arb(), v: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 255 }), lineTextArb()) })
    .map(({ addr, v }): Op => {
      if (v === undefined) return { op: 'write', addr };
      if (typeof v === 'number') return { op: 'write', addr, value: new Uint8Array([v]) };
      return { op: 'write', addr, value: new TextEncoder().encode(v), valueText: v };
    }),
  u64Arb().map((addr): Op => ({ op: 'exec', addr })),
  fc
    .record({ addr: u64Arb(), len: u64Arb(), access: fc.constantFrom<'read' | 'write'>('read', 'write') })
    .map((r): Op => ({ op: 'touch', ...r })),
  u64Arb().map((addr): Op => ({ op: 'translate', addr })),
  fc
    .record({ name: lineTextArb(), addr: u64Arb(), len: u64Arb(), oflags: oflagsArb, mode: modeArb })
    .map(({ mode, ...r }): Op => (mode === undefined ? { op: 'mshare', ...r } : { op: 'mshare', ...r, mode })),
  lineTextArb().map((name): Op => ({ op: 'mshare_unlink', name })),
  fc
    .record({
      path: fc.oneof(lineTextArb(), fc.constantFrom('/sys/fs/mshare/a', '/tmp/x-1.dat')),
      oflags: oflagsArb,
      mode: modeArb,
      as: nameArb(),
    })
    .map(({ mode, ...r }): Op => (mode === undefined ? { op: 'open', ...r } : { op: 'open', ...r, mode })),
  nameArb().map((fd): Op => ({ op: 'close', fd })),
  fc.oneof(lineTextArb(), fc.constant('/sys/fs/mshare/a')).map((path): Op => ({ op: 'unlink', path })),
  fc.record({ fd: nameArb(), len: u64Arb() }).map((r): Op => ({ op: 'ftruncate', ...r })),
  fc
    .record({
      fd: nameArb(),
      regionOffset: u64Arb(),
      size: u64Arb(),
      prot: protArb,
      flags: mapFlagsArb,
      create: fc.boolean(),
    })
    .map(({ create, prot, flags, ...r }): Op =>
      create
        ? { op: 'ioctl', request: 'MSHAREFS_CREATE_MAPPING', ...r, prot, flags }
        : { op: 'ioctl', request: 'MSHAREFS_UNMAP', ...r },
    ),
);

const seedArb: fc.Arbitrary<Seed & { note?: string; pick: number; sub: [number, number]; lead0: boolean }> = fc
  .record({
    seed: fc.oneof(
      { weight: 1, arbitrary: freshArb.map((fresh): Seed => ({ kind: 'create', fresh })) },
      {
        weight: 1,
        arbitrary: freshArb.map((fresh): Seed => ({ kind: 'act', op: { op: 'fork', children: [] }, fork: fresh })),
      },
      { weight: 10, arbitrary: opArb.map((op): Seed => ({ kind: 'act', op })) },
    ),
    note: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: noteArb() }),
    pick: fc.nat(),
    sub: fc.tuple(fc.nat(), fc.nat()),
    lead0: fc.boolean(),
  })
  .map(({ seed, ...rest }) => ({ ...seed, ...rest }));

interface Unit {
  prefix: string;
  from: bigint;
  names: string[];
  single: boolean;
}

/** Threads the seeds through the tasks created so far, renaming to keep names unique. */
function build(
  seeds: ReadonlyArray<Seed & { note?: string; pick: number; sub: [number, number]; lead0: boolean }>,
): Step[] {
  const exists = new Set<string>();
  const units: Unit[] = [];
  let counter = 0;
  const create = (f: Fresh): Unit => {
    for (;;) {
      const prefix = counter === 0 ? f.base : `${f.base}_${counter}`;
      const names = f.group
        ? Array.from({ length: f.group.count }, (_, k) => prefix + (f.group!.from + BigInt(k)))
        : [prefix];
      counter++;
      if (names.some((n) => exists.has(n))) continue;
      names.forEach((n) => exists.add(n));
      const u = { prefix, from: f.group?.from ?? 0n, names, single: !f.group };
      units.push(u);
      return u;
    }
  };
  const steps: Step[] = [];
  for (const s of seeds) {
    let step: Step;
    if (s.kind === 'create' || units.length === 0) {
      const fresh = s.kind === 'create' ? s.fresh : { base: 'T' };
      step = { pos: { line: 0, col: 0 }, taskText: null, tasks: [], op: { op: 'spawn', names: create(fresh).names } };
    } else {
      const u = units[s.pick % units.length]!;
      let taskText: string;
      let tasks: string[];
      if (u.single) [taskText, tasks] = [u.names[0]!, [u.names[0]!]];
      else {
        const i = s.sub[0] % u.names.length;
        const j = i + (s.sub[1] % (u.names.length - i));
        const a = String(u.from + BigInt(i));
        taskText = `${u.prefix}[${s.lead0 ? '0' + a : a}..${u.from + BigInt(j)}]`;
        tasks = u.names.slice(i, j + 1);
      }
      let op = s.op;
      if (s.fork) {
        // A group may not fork (its children would share names): fork from its first task.
        if (tasks.length > 1) [taskText, tasks] = [tasks[0]!, [tasks[0]!]];
        op = { op: 'fork', children: create(s.fork).names };
      }
      step = { pos: { line: 0, col: 0 }, taskText, tasks, op };
    }
    if (s.note !== undefined) step.note = s.note;
    steps.push(step);
  }
  return steps;
}

export const scenarioArb = (opts: { maxSteps?: number } = {}): fc.Arbitrary<Scenario> =>
  fc
    .record({
      title: fc.option(lineTextArb(), { nil: undefined }),
      kernel: fc.constantFrom<KernelName>('mainline', 'mshare-v1', 'msharefs'),
      paging: fc.constantFrom<4 | 5>(4, 5),
      memory: fc.option(
        fc.bigInt({ min: 1n, max: 1n << 40n }).map((p) => p * 4096n),
        { nil: undefined },
      ),
      seeds: fc.array(seedArb, { maxLength: opts.maxSteps ?? 20 }),
      trailingNote: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: noteArb() }),
    })
    .map(({ title, memory, seeds, trailingNote, kernel, paging }) => {
      const s: Scenario = { kernel, paging, steps: build(seeds) };
      if (title !== undefined) s.title = title;
      if (memory !== undefined) s.memory = memory;
      if (trailingNote !== undefined) s.trailingNote = trailingNote;
      return s;
    });

/** The scenario with every step's pos removed, for comparing ASTs. */
export function withoutPos(s: Scenario): Omit<Scenario, 'steps'> & { steps: Omit<Step, 'pos'>[] } {
  return { ...s, steps: s.steps.map(({ pos: _pos, ...rest }) => rest) };
}

/** The example scenario of the spec (shared/spec/scenario-language.md §1), verbatim: one copy, in ./examples.ts. */
export { SEED_SCENARIO as SPEC_EXAMPLE } from './examples';
