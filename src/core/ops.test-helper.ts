/**
 * The one interpreter of the random-operation property tests
 * (kernel.property.test.ts, tlb.property.test.ts): each test draws its own
 * mix of operations (its arbitraries), and both run them the same way here.
 * An operation names its task by a number, taken modulo the tasks made so far
 * (fork adds `T<n>`), so that any sequence means something.
 */
import type { Kernel } from './kernel';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED } from './uapi';

export type KernelOp =
  | { k: 'mmap'; t: number; addr: bigint; len: bigint; shared: boolean; prot: number }
  /** `write` absent: a write touch. */
  | { k: 'touch'; t: number; addr: bigint; len: bigint; write?: boolean }
  | { k: 'access'; t: number; addr: bigint; write: boolean }
  | { k: 'fork'; t: number }
  | { k: 'munmap'; t: number; addr: bigint; len: bigint }
  | { k: 'mprotect'; t: number; addr: bigint; len: bigint; prot: number }
  | { k: 'madvise'; t: number; addr: bigint; len: bigint }
  | { k: 'execve'; t: number }
  | { k: 'exit'; t: number }
  /** Only with `cpus`: context_switch() to the task, and the CPU going idle. */
  | { k: 'run'; t: number; cpu: number }
  | { k: 'idle'; cpu: number };

/** Run op number i; `names` is the tasks so far, T0 first (fork appends to it). */
export function applyOp(k: Kernel, names: string[], op: KernelOp, i: number): void {
  const name = 't' in op ? (names[op.t % names.length] as string) : '';
  switch (op.k) {
    case 'mmap':
      k.mmap(name, {
        addr: op.addr,
        len: op.len,
        prot: op.prot,
        flags: (op.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED,
      });
      break;
    case 'touch':
      k.touch(name, op.addr, op.len, op.write === false ? 'read' : 'write');
      break;
    case 'access':
      if (op.write) k.write(name, op.addr, new Uint8Array([i & 0xff]));
      else k.read(name, op.addr, 1);
      break;
    case 'fork': {
      const c = `T${names.length}`;
      if (k.fork(name, c).outcome.kind === 'ok') names.push(c);
      break;
    }
    case 'munmap':
      k.munmap(name, op.addr, op.len);
      break;
    case 'mprotect':
      k.mprotect(name, op.addr, op.len, op.prot);
      break;
    case 'madvise':
      k.madviseDontneed(name, op.addr, op.len);
      break;
    case 'execve':
      k.execve(name);
      break;
    case 'exit':
      k.exit(name);
      break;
    case 'run':
      k.run(name, op.cpu);
      break;
    case 'idle':
      k.idle(op.cpu);
      break;
  }
  k.takeEvents();
}
