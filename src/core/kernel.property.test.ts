/**
 * Seeded random operation sequences checked against the invariants after
 * every step (tldraw's store tests are the model): whatever the mix of mmap,
 * touch, fork, munmap, mprotect, madvise, execve and exit, no frame leaks, every
 * entry points at a frame of the right kind, map counts and table charges
 * agree, and once every task has exited all memory is free again; and
 * walk(), which reads the arena, says what the segments say.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from './kernel';
import { PROT_READ, PROT_WRITE } from './uapi';
import { applyOp, type KernelOp } from './ops.test-helper';
import { walk, walkTables, type Access } from './walk';
import { G, M } from './test-kit';

const K = 1n << 10n;

/**
 * Addresses near a few bases (a PGD start, just below a 1 GiB boundary, just
 * below a 512 GiB one) so that operations land in each other's mappings and
 * cross PMD, PUD and PGD boundaries; helper reviews found uniform addresses
 * left most operations alone in empty space.
 */
const bases = [1n << 40n, (1n << 40n) + G - 4n * M, (2n << 40n) - 6n * M];
const addrArb = fc
  .tuple(fc.constantFrom(...bases), fc.integer({ min: 0, max: 4095 }))
  .map(([b, p]) => b + BigInt(p) * 4n * K);
const lenArb = fc.oneof(
  fc.integer({ min: 1, max: 700 }).map((p) => BigInt(p) * 4n * K),
  fc.integer({ min: 1, max: 9 }).map((n) => BigInt(n) * 2n * M),
  fc.integer({ min: 1, max: 3 }).map((n) => BigInt(n) * G),
);
const taskArb = fc.integer({ min: 0, max: 5 });

type Op = Exclude<KernelOp, { k: 'run' } | { k: 'idle' }>;

const protArb = fc.constantFrom(PROT_READ | PROT_WRITE, PROT_READ, 0);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('mmap' as const),
      t: taskArb,
      addr: addrArb,
      len: lenArb,
      shared: fc.boolean(),
      prot: protArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('touch' as const),
      t: taskArb,
      addr: addrArb,
      len: lenArb,
      write: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('access' as const), t: taskArb, addr: addrArb, write: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fork' as const), t: taskArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('munmap' as const), t: taskArb, addr: addrArb, len: lenArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('mprotect' as const),
      t: taskArb,
      addr: addrArb,
      len: lenArb,
      prot: protArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('madvise' as const), t: taskArb, addr: addrArb, len: lenArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('execve' as const), t: taskArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('exit' as const), t: taskArb }) },
);

function runOps(ops: Op[], onStep: (k: Kernel, i: number) => void): Kernel {
  const k = new Kernel({ paging: 4 });
  const names: string[] = ['T0'];
  k.spawn('T0');
  ops.forEach((op, i) => {
    applyOp(k, names, op, i);
    onStep(k, i);
  });
  return k;
}

describe('kernel invariants under random operations', () => {
  it('hold after every step, and everything is freed once all tasks exit', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), (ops) => {
        const k = runOps(ops, (kk, i) => {
          const bad = kk.invariants();
          if (bad.length)
            throw new Error(
              `after op ${i} (${JSON.stringify(ops[i], (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}): ${bad.join('; ')}`,
            );
        });
        for (const t of k.taskList()) if (t.state === 'running') k.exit(t.name);
        expect(k.invariants()).toEqual([]);
        expect(k.m.frames.used).toBe(0);
      }),
      { numRuns: 120, seed: 20261125 },
    );
  });

  it('are deterministic: the same operations give the same frames and events', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        const trace = (): string[] => {
          const out: string[] = [];
          const k = new Kernel({ paging: 4 });
          void k;
          runOps(ops, (kk) =>
            out.push(
              JSON.stringify(kk.taskList().map((t) => [t.name, t.state, t.mm?.pgtablesBytes, t.mm?.pgd.pfn])) +
                kk.m.frames.used,
            ),
          );
          return out;
        };
        expect(trace()).toEqual(trace());
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('leave walk() (through the arena) equal to the walk through the segments', () => {
    // Pages around each base (its first ones, the next PMD and PUD entries, the page before it),
    // and the first, middle and last page of every range the operations so far have named.
    const fixed = bases.flatMap((b) =>
      [0n, 4n * K, 20n * K, 2n * M, 2n * M + 4n * K, G, G + 8n * K, -4n * K].map((o) => b + o),
    );
    const accesses: Access[] = ['read', 'write', 'exec'];
    fc.assert(
      // Without exits, and after mappings at every base (an access outside any kills the task):
      // a sequence that ends every task early has little left to walk.
      fc.property(
        fc.array(
          opArb.filter((op) => op.k !== 'exit'),
          { minLength: 5, maxLength: 30, size: 'max' },
        ),
        (rest) => {
          const ops: Op[] = [
            ...bases.map((addr, t): Op => ({
              k: 'mmap',
              t,
              addr,
              len: G,
              shared: t === 1,
              prot: PROT_READ | PROT_WRITE,
            })),
            ...rest,
          ];
          const named: bigint[] = [];
          runOps(ops, (kk, i) => {
            const op = ops[i] as { addr?: bigint; len?: bigint };
            if (op.addr !== undefined)
              named.push(op.addr, op.addr + (op.len ?? 0n) / 2n, op.addr + (op.len ?? 4n * K) - 1n);
            for (const t of kk.taskList()) {
              if (t.state !== 'running' || !t.mm) continue;
              for (const a of fixed.concat(named)) {
                const v = Number(a >> 12n);
                const access = accesses[(v + i) % 3] as Access;
                // As JSON: the goldens and the worker see the fields in order.
                for (const entries of [true, false])
                  expect(JSON.stringify(walk(kk.m, t.mm, v, access, entries))).toBe(
                    JSON.stringify(walkTables(kk.m, t.mm, v, access, entries)),
                  );
              }
            }
          });
        },
      ),
      { numRuns: 40, seed: 20261126 },
    );
  });
});
