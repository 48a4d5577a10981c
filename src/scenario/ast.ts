/**
 * The parsed form of a scenario (see ../../../shared/spec/scenario-language.md).
 *
 * Addresses and lengths are bigint: 5-level user addresses reach 2^56 and a
 * non-canonical address may use all 64 bits, beyond a double's 2^53.
 * Flag words carry Linux's own values (include/uapi/asm-generic/mman-common.h,
 * fcntl.h) so the core can test them the way the kernel does, O_RDONLY == 0
 * included.
 */

export type KernelName = 'mainline' | 'mshare-v1' | 'msharefs';

/** A place in the source text, 1-based. */
export interface Pos {
  line: number;
  col: number;
}

export {
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  PROT_EXEC,
  MAP_SHARED,
  MAP_PRIVATE,
  MAP_FIXED,
  MAP_ANONYMOUS,
  MAP_POPULATE,
  MAP_HUGETLB,
  MAP_FIXED_NOREPLACE,
  O_RDONLY,
  O_WRONLY,
  O_RDWR,
  O_CREAT,
  O_EXCL,
} from '../core/uapi';

export type Access = 'read' | 'write';

export type Op =
  | { op: 'spawn'; names: string[] }
  | { op: 'fork'; children: string[] }
  | { op: 'exit' }
  /** Run a small static binary: a new mm laid out and touched as its start-up does (src/core/execve.ts). */
  | { op: 'execve' }
  | { op: 'mmap'; addr: bigint | 'auto'; len: bigint; prot: number; flags: number; fd?: string; offset?: bigint }
  | { op: 'munmap'; addr: bigint; len: bigint }
  | { op: 'mprotect'; addr: bigint; len: bigint; prot: number }
  | { op: 'madvise'; addr: bigint; len: bigint; advice: 'MADV_DONTNEED' }
  | { op: 'read'; addr: bigint; len?: bigint }
  /** value: the bytes to store (a string as UTF-8, or one byte); absent = one byte 0x00. */
  | { op: 'write'; addr: bigint; value?: Uint8Array; valueText?: string }
  | { op: 'exec'; addr: bigint }
  | { op: 'touch'; addr: bigint; len: bigint; access: Access }
  | { op: 'translate'; addr: bigint }
  /** `T: run N`: CPU N switches to task T (needs `cpus`; docs/tlb.md). */
  | { op: 'run'; cpu: number }
  /** `idle N`: CPU N runs nothing (lazy TLB). */
  | { op: 'idle'; cpu: number }
  | { op: 'mshare'; name: string; addr: bigint; len: bigint; oflags: number; mode?: number }
  | { op: 'mshare_unlink'; name: string }
  | { op: 'open'; path: string; oflags: number; mode?: number; as: string }
  | { op: 'close'; fd: string }
  | { op: 'unlink'; path: string }
  | { op: 'ftruncate'; fd: string; len: bigint }
  | {
      op: 'ioctl';
      fd: string;
      request: 'MSHAREFS_CREATE_MAPPING' | 'MSHAREFS_UNMAP';
      regionOffset: bigint;
      size: bigint;
      prot?: number;
      flags?: number;
    };

export type OpName = Op['op'];

/**
 * An author's question (`ask "Q" *"right" | "wrong" …`, docs/scenario-language.md
 * "Questions"): asked in Predict mode before the step it is written above.
 * Not a step: it changes no report.
 */
export interface Ask {
  pos: Pos;
  prompt: string;
  /** The choices in the order written. */
  choices: string[];
  /** Index into choices of the one marked `*`. */
  answer: number;
}

export interface Step {
  /** Where the statement starts. */
  pos: Pos;
  /** The acting task as written (`A`, `db[2..1500]`), or null for `spawn`. */
  taskText: string | null;
  /** The acting tasks, a group expanded in order; empty for `spawn`. */
  tasks: string[];
  /** The caption given by the `note` lines just before this step. */
  note?: string;
  /** The `ask` lines just before this step (absent when none). */
  asks?: Ask[];
  op: Op;
}

export interface Scenario {
  title?: string;
  kernel: KernelName;
  paging: 4 | 5;
  /** `memory SIZE`: the machine's RAM in bytes; undefined = unlimited. */
  memory?: bigint;
  /** `cpus N`: CPUs with TLBs (docs/tlb.md); undefined = no TLB model. */
  cpus?: number;
  /** `notifier flush_tlb_all`: msharefs 2025's mmu notifier (kernel msharefs only). */
  notifier?: 'flush_tlb_all';
  steps: Step[];
  /** Notes after the last step (a caption with no step to go with). */
  trailingNote?: string;
}

/** A problem in the text, 1-based line and column. */
export interface ScenarioError extends Pos {
  message: string;
}

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };
