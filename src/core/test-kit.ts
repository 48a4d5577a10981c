/**
 * What the core's tests share: sizes, the usual mmap protections and flags,
 * and a task's mm. Only tests import this module.
 */
import type { Kernel } from './kernel';
import type { Mm } from './mm';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from './uapi';

export const T = 1n << 40n;
export const G = 1n << 30n;
export const M = 1n << 20n;
export const K4 = 4096n;
export const KiB = 1024;
export const RW = PROT_READ | PROT_WRITE;
/** A private anonymous mapping at a fixed address. */
export const PRIV = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
/** A shared anonymous mapping at a fixed address. */
export const SHARED = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED;
/** Task n's mm (the test knows it exists). */
export const mmOf = (k: Kernel, n = 'A'): Mm => k.tasks.get(n)?.mm as Mm;
/** The virtual page number of an address. */
export const vpn = (a: bigint): number => Number(a >> 12n);
