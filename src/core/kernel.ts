/**
 * The simulated machine as a scenario sees it: tasks with their mms, and one
 * method per statement, each returning the step's outcome. Deterministic:
 * the same calls give the same frames and the same events.
 */
import { Machine } from './machine';
import { MainlineTwinMshare } from './mainline-twin';
import { changeMark, claimChanges } from './change-hook';
import { insertVma, isSpecial, newAnonVma, vmaAt, vmasIn, type Mm, type Vma, type VmaExt } from './mm';
import { MshareV1, isMshareV1, type HostCtx } from './mshare-v1';
import { MSHARE_DIR, Msharefs, isMsharefs, type MshareFile } from './msharefs';
import { Shmem } from './shmem';
import { copyPageRange } from './copy';
import { userAccess, type FaultHook } from './fault';
import { isHugetlb, subpage } from './hugetlb';
import { touchHugetlb } from './hugetlb-populate';
import { populate } from './populate';
import {
  DEFAULT_MAP_WINDOW_VPN,
  PAGE_SIZE,
  VM_MAYSHARE,
  VM_EXEC,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  addrOf,
  hexAddr,
  isCanonical,
  taskSizeVpn,
  type Paging,
} from './paging';
import {
  protToVmFlags,
  setupSpecialMappings,
  unmapRange,
  unmappedAreaTopdownAligned,
  doMadviseDontneed,
  doMmap,
  doMprotect,
  doMunmap,
  exitMmap,
  type MmapArgs,
  type SysResult,
  type VmCtx,
} from './syscalls';
import { walk, type Access, type Walk } from './walk';
import type { KEvent } from './events';
import { checkInvariants } from './invariants';
import { Tlbs } from './tlb';
import { tlbFill, tlbLookup, type TlbHit } from './tlb-access';
import { execStaticBinary } from './execve';

export type Outcome =
  | {
      kind: 'ok';
      value?: string;
      /** An access that went through a stale TLB entry (tlb.ts). */ stale_tlb?: NonNullable<TlbHit['stale']>;
    }
  | { kind: 'errno'; errno: string; why?: string }
  | { kind: 'signal'; signal: string; cause: string }
  | { kind: 'skipped'; why?: string };

export type TaskState = 'running' | 'exited' | 'killed';

export interface Task {
  name: string;
  pid: number;
  mm: Mm | null;
  state: TaskState;
  /** Open files by the scenario's names (`open … as F`). */
  fds: Map<string, MshareFile>;
  /** Why a killed task died. */
  cause?: string;
}

export interface KernelConfig {
  kernel?: 'mainline' | 'mshare-v1' | 'msharefs';
  /**
   * Run as the mainline twin of an mshare scenario: each region becomes a
   * plain MAP_SHARED mapping of one shmem object (as with shm_open() and
   * mmap()), so the same memory is shared and only the page tables differ.
   */
  twin?: boolean;
  /** The kernel the twin stands in for. */
  twinOf?: 'mainline' | 'mshare-v1' | 'msharefs';
  paging: Paging;
  /** RAM in bytes (`memory`); undefined = DEFAULT_MEMORY_BYTES (budget.ts). */
  memory?: bigint;
  /** `cpus N`: CPUs with TLBs (tlb.ts); undefined = no TLB model at all. */
  cpus?: number;
  /** `notifier flush_tlb_all`: msharefs's 2025 mmu notifier. */
  notifier?: boolean;
}

export interface StepResult {
  outcome: Outcome;
  walk?: Walk;
}

/**
 * mmap_base for a task with no randomisation (arch/x86/mm/mmap.c): TASK_SIZE
 * less the stack gap, which clamps to its 128 MiB minimum; the window is 47
 * bits with LA57 too (task_size_64bit(0) = DEFAULT_MAP_WINDOW).
 */
export const MMAP_BASE_VPN = DEFAULT_MAP_WINDOW_VPN - (128 << 20) / PAGE_SIZE;

export class Kernel implements VmCtx, HostCtx {
  readonly m: Machine;
  readonly shmems = new Map<number, Shmem>();
  readonly tasks = new Map<string, Task>();
  hook?: FaultHook;
  /** The mshare v1 syscalls, with `kernel mshare-v1`. */
  readonly v1?: MshareV1;
  /** msharefs, with `kernel msharefs`. */
  readonly fs?: Msharefs;
  userFaultHook?: FaultHook;
  private nextPid = 1;

  constructor(readonly cfg: KernelConfig) {
    const pages = cfg.memory === undefined ? undefined : Number(cfg.memory / BigInt(PAGE_SIZE));
    this.m = new Machine(cfg.paging, pages);
    if (cfg.cpus) this.m.tlb = new Tlbs(this.m, cfg.cpus, cfg.notifier ?? false); // TLB hook (issue 17)
    if (cfg.kernel === 'mshare-v1') {
      const v1 = new MshareV1(this);
      this.v1 = v1;
      this.hook = (_m, mm, vma, vpn, access) => v1.fault(mm, vma, vpn, access);
    }
    if (cfg.kernel === 'msharefs' || (cfg.twin && cfg.twinOf === 'msharefs')) {
      const fs = new Msharefs(this, cfg.twin ?? false);
      this.fs = fs;
      this.userFaultHook = (_m, mm, vma, vpn, access) => fs.fault(mm, vma, vpn, access);
    }
  }

  get kernelName(): string {
    return this.cfg.kernel ?? 'mainline';
  }

  /* ----- what the variants need (HostCtx, VmCtx hooks) ----- */

  newHostMm(label: string, mmapBase: number): Mm | null {
    const mm = this.m.newMm(label, mmapBase);
    if (mm) this.m.tlb?.markHost(mm); // TLB hook
    return mm;
  }

  teardownHost(mm: Mm): void {
    exitMmap(this, mm);
  }

  taskMms(): Mm[] {
    const out: Mm[] = [];
    for (const t of this.tasks.values()) if (t.mm) out.push(t.mm);
    return out;
  }

  unmapHook(mm: Mm, vma: Vma): 'skip' | 'unlinked' | undefined {
    if (this.fs && isMsharefs(vma)) return this.fs.unmapView(mm, vma) ? 'unlinked' : undefined;
    return this.v1?.unmapHook(mm, vma);
  }

  /** msharefs VMAs refuse to be split or mprotected (.may_split, .mprotect return -EINVAL). */
  vmaRefuses(vma: Vma, what: 'split' | 'mprotect'): string | undefined {
    return isMsharefs(vma)
      ? `an mshare region cannot be ${what === 'split' ? 'partly unmapped' : 'mprotected'} (vm_ops->${what === 'split' ? 'may_split' : 'mprotect'} returns -EINVAL)`
      : undefined;
  }

  faultQuote(vma: Vma): string | undefined {
    return this.v1?.faultQuote(vma);
  }

  freePgtablesHook(mm: Mm, removed: Vma[], floor: number, ceiling: number): boolean {
    return this.v1?.freePgtables(mm, removed, floor, ceiling) ?? false;
  }

  beforePgdFree(mm: Mm): void {
    this.v1?.beforePgdFree(mm);
  }

  vmaTarget(vma: Vma): { mm: Mm; delta: number } | undefined {
    return this.v1?.target(vma) ?? this.fs?.target(vma);
  }

  mmapIn(mm: Mm, addr: bigint, len: bigint, prot: number, flags: number): SysResult {
    return doMmap(this, mm, { addr, len, prot, flags }, () => undefined);
  }

  munmapIn(mm: Mm, addr: bigint, len: bigint): SysResult {
    return doMunmap(this, mm, addr, len);
  }

  shmemOf(vma: Vma): Shmem {
    return this.shmems.get((vma.shmem as { id: number }).id) as Shmem;
  }

  takeEvents(): KEvent[] {
    return this.m.ev.take();
  }

  /** A task that can act, or the outcome that says why not. */
  /**
   * Run a statement of task `name` with its mm, or say why it cannot run
   * (no such task, or it has exited or was killed): every statement's guard.
   */
  private withLiveTask(name: string, fn: (t: Task & { mm: Mm }, mm: Mm) => StepResult): StepResult {
    const t = this.live(name);
    if (!isTask(t)) return { outcome: t };
    return fn(t as Task & { mm: Mm }, t.mm as Mm);
  }

  private live(name: string): Task | Outcome {
    const t = this.tasks.get(name);
    if (!t) return { kind: 'skipped', why: `no task ${name}` };
    if (t.state !== 'running' || !t.mm)
      return { kind: 'skipped', why: `${name} ${t.state === 'killed' ? 'was killed' : 'has exited'}` };
    this.m.ev.task = name;
    // TLB hook: the task acts on its CPU (switched in if it runs nowhere).
    if (this.m.tlb) this.m.tlb.local = this.m.tlb.placeFor(name, t.mm).id;
    return t;
  }

  spawn(name: string): StepResult {
    this.m.ev.task = name;
    const mark = changeMark();
    const mm = this.m.newMm(name, MMAP_BASE_VPN);
    this.m.ev.emit(
      'mm_alloc',
      mm ? `new mm with an empty PGD page, pfn 0x${mm.pgd.pfn.toString(16)}` : 'out of memory',
    );
    claimChanges(mark);
    if (!mm) return { outcome: { kind: 'errno', errno: 'ENOMEM' } };
    setupSpecialMappings(this.m, mm);
    this.tasks.set(name, { name, pid: this.nextPid++, mm, state: 'running', fds: new Map() });
    return { outcome: { kind: 'ok', value: String(this.nextPid - 1) } };
  }

  /**
   * execve() of a small static binary (execve.ts): exec_mmap() puts a new mm
   * in place of the old one, which goes as at exit; open files stay (no
   * close-on-exec here). The task's fault count carries over (min_flt is the
   * task's, not the mm's).
   */
  execve(name: string): StepResult {
    const t = this.live(name);
    if (!isTask(t)) return { outcome: t };
    const mark = changeMark();
    const mm = this.m.newMm(name, MMAP_BASE_VPN);
    this.m.ev.emit(
      'mm_alloc',
      mm ? `bprm_mm_init(): a new mm with an empty PGD page, pfn 0x${mm.pgd.pfn.toString(16)}` : 'out of memory',
    );
    claimChanges(mark);
    if (!mm) return { outcome: { kind: 'errno', errno: 'ENOMEM' } };
    const old = t.mm as Mm;
    mm.minFlt = old.minFlt;
    this.m.ev.emit('exec_mmap', 'the old mm is dropped: its VMAs and tables go as at exit');
    // fs/exec.c exec_mmap(): "tsk->mm = mm;" … "activate_mm(active_mm, mm);" before "mmput(old_mm);": a CPU
    // running the task loads the new mm (a new ctx_id, so choose_new_asid() gives it a fresh ASID slot) before
    // the old one is torn down; the old mm's entries stay under its old ASID, which nothing matches again.
    t.mm = mm;
    const cpu = this.m.tlb?.cpuOf(name);
    if (cpu) this.m.tlb?.run(cpu.id, name, mm);
    this.teardown(old);
    this.m.tlb?.mmGone(old);
    this.fs?.ownerExit(old);
    setupSpecialMappings(this.m, mm);
    const o = execStaticBinary(this, mm);
    if (o && o.kind === 'signal') return { outcome: this.kill(t, o.signal as string, o.cause as string) };
    return { outcome: { kind: 'ok' } };
  }

  /** dup_mmap(): copy every VMA; copy page tables only where vma_needs_copy(). */
  fork(parentName: string, childName: string): StepResult {
    return this.withLiveTask(parentName, (p, src) => {
      let mark = changeMark();
      const dst = this.m.newMm(childName, src.mmapBase);
      if (!dst) return { outcome: { kind: 'errno', errno: 'ENOMEM' } };
      this.m.ev.emit('dup_mm', `${childName} gets a new mm and PGD page pfn 0x${dst.pgd.pfn.toString(16)}`);
      claimChanges(mark);
      mark = changeMark();
      let copied = 0;
      for (const v of src.vmas) {
        // anon_vma_fork(): the child's VMA gets its own anon_vma, chained to the parent's.
        const nv: Vma = v.anonVma ? { ...v, anonVma: newAnonVma(), anonForked: true } : { ...v };
        // dup_mmap() sets tmp->vm_mm = mm: a copied mshare VMA is the child's own.
        if (v.ext?.kind === 'mshare-v1') nv.ext = { ...v.ext, vmMmIsHost: false } as VmaExt;
        if (nv.shmem) this.shmemOf(nv).refs++;
        if (this.fs && isMsharefs(nv)) this.fs.mapped(nv.ext.file);
        dst.vmas.push(nv);
        // vma_needs_copy(): only VMAs with an anon_vma, or VM_PFNMAP|VM_MIXEDMAP ([vvar]), have tables copied.
        if (v.anonVma || (isSpecial(v) && v.ext.pfnmap)) {
          if (!copyPageRange(this.m, dst, src, v)) {
            this.teardown(dst);
            return { outcome: { kind: 'errno', errno: 'ENOMEM', why: 'out of memory copying page tables' } };
          }
          copied++;
        }
      }
      this.m.ev.emit(
        'copy_page_range',
        `${copied} of ${src.vmas.length} VMA${src.vmas.length === 1 ? '' : 's'} went through copy_page_range() (an anon_vma, or VM_PFNMAP as [vvar] is); the others have no tables copied and fault in again`,
      );
      // The child's tables and the parent's write-protected PTEs are copy_page_range()'s, announced after the copy.
      claimChanges(mark);
      // dup_mmap() ends with "flush_tlb_mm(oldmm);": the parent's PTEs were write-protected (TLB hook).
      this.m.tlb?.flushMmRange(src, 0, Infinity, true, 'dup_mmap');
      // Open files are inherited (each is one more reference); ownership of a region is not.
      for (const f of p.fds.values()) f.refs++;
      this.tasks.set(childName, {
        name: childName,
        pid: this.nextPid++,
        mm: dst,
        state: 'running',
        fds: new Map(p.fds),
      });
      return { outcome: { kind: 'ok', value: String(this.nextPid - 1) } };
    });
  }

  exit(name: string): StepResult {
    return this.withLiveTask(name, (t) => {
      this.m.ev.emit('do_exit');
      this.endTask(t);
      t.state = 'exited';
      return { outcome: { kind: 'ok' } };
    });
  }

  /** do_exit(): exit_mmap(), then the files; an msharefs owner's region is emptied. */
  private endTask(t: Task): void {
    const mm = t.mm;
    if (!mm) return;
    this.m.tlb?.taskExits(t.name); // TLB hook: exit_mm() → enter_lazy_tlb()
    this.teardown(mm);
    this.m.tlb?.mmGone(mm);
    t.mm = null;
    for (const f of t.fds.values()) this.fs?.close(f);
    t.fds.clear();
    this.fs?.ownerExit(mm);
  }

  /** mmput() → exit_mmap() when the last user goes. */
  private teardown(mm: Mm): void {
    exitMmap(this, mm);
  }

  private kill(t: Task, signal: string, cause: string): Outcome {
    this.m.ev.emit('force_sig', `${signal}: ${cause}; the task dies and its mm is torn down`);
    this.endTask(t);
    t.state = 'killed';
    t.cause = cause;
    return { kind: 'signal', signal, cause };
  }

  private sys(r: SysResult): Outcome {
    if (r.ok) return r.value === undefined ? { kind: 'ok' } : { kind: 'ok', value: hexAddr(r.value) };
    return { kind: 'errno', errno: r.errno, why: r.why };
  }

  mmap(name: string, a: MmapArgs): StepResult {
    return this.withLiveTask(name, (t, mm) => {
      let killed: Outcome | null = null;
      const r = doMmap(this, mm, a, (vma, start, end) => {
        // mm_populate(): write faults for private writable mappings (FOLL_WRITE), read faults otherwise.
        const write = (vma.flags & (VM_WRITE | VM_SHARED)) === VM_WRITE;
        this.m.ev.summarise(() => {
          const o = isHugetlb(vma)
            ? this.touchHuge(mm, start, end, write ? 'write' : 'read')
            : populate(this, mm, vma, start, end, write);
          if (o && o.kind === 'signal') killed = this.kill(t, o.signal as string, o.cause as string);
        });
      });
      return { outcome: killed ?? this.sys(r) };
    });
  }

  munmap(name: string, addr: bigint, len: bigint): StepResult {
    return this.withLiveTask(name, (_t, mm) => {
      return { outcome: this.sys(doMunmap(this, mm, addr, len)) };
    });
  }

  mprotect(name: string, addr: bigint, len: bigint, prot: number): StepResult {
    return this.withLiveTask(name, (_t, mm) => {
      return { outcome: this.sys(doMprotect(this, mm, addr, len, prot)) };
    });
  }

  madviseDontneed(name: string, addr: bigint, len: bigint): StepResult {
    return this.withLiveTask(name, (_t, mm) => {
      return { outcome: this.sys(doMadviseDontneed(this, mm, addr, len)) };
    });
  }

  /** A non-canonical address never reaches the page-fault handler: #GP (SDM §3.3.7.1). */
  private checkAddress(t: Task, addr: bigint): Outcome | null {
    if (addr < 0n || addr >= 1n << 64n) return this.kill(t, 'SIGSEGV', `${addr} is not a 64-bit address`);
    if (!isCanonical(addr, this.cfg.paging)) {
      this.m.ev.emit(
        'exc_general_protection',
        `${hexAddr(addr)} is not canonical with ${this.cfg.paging}-level paging: a general-protection fault, not a page fault`,
      );
      return this.kill(t, 'SIGSEGV', `general-protection fault: ${hexAddr(addr)} is non-canonical`);
    }
    // fault_in_kernel_space(): at or above TASK_SIZE_MAX, the guard page included.
    if (addr >> 12n >= BigInt(taskSizeVpn(this.cfg.paging))) {
      // Upper (kernel) half: the page fault comes from user mode on a supervisor address.
      this.m.ev.emit('bad_area_nosemaphore', `${hexAddr(addr)} is a kernel address`);
      return this.kill(t, 'SIGSEGV', `${hexAddr(addr)} is a kernel address`);
    }
    return null;
  }

  /** One access per page of [addr, addr + len); returns the last walk. */
  private accessBytes(
    t: Task,
    addr: bigint,
    len: number,
    access: Access,
    each: (pfn: number, off: number, from: number, n: number) => void,
  ): StepResult {
    let walkOut: Walk | undefined;
    let stale: TlbHit['stale'];
    let done = 0;
    while (done < len || (len === 0 && done === 0)) {
      const a = addr + BigInt(done);
      const bad = this.checkAddress(t, a);
      if (bad) return { outcome: bad, ...(walkOut ? { walk: walkOut } : {}) };
      const vpn = Number(a >> 12n);
      const off = Number(a & 0xfffn);
      // TLB hook: a hit skips the walk (and a stale one is the hazard).
      const hit = this.m.tlb ? tlbLookup(this.m.tlb, t.name, t.mm as Mm, vpn, access, () => this.liveMms()) : null;
      if (hit) {
        const n = Math.min(len - done, PAGE_SIZE - off);
        each(hit.frame, off, done, n);
        done += Math.max(n, 1);
        if (hit.stale) stale = hit.stale;
        continue;
      }
      const r = userAccess(this, t.mm as Mm, vpn, access);
      if (this.m.tlb && r.kind === 'ok') tlbFill(this.m.tlb, t.name, t.mm as Mm, vpn, r.walk);
      walkOut = r.walk;
      if (r.kind === 'signal') return { outcome: this.kill(t, r.signal as string, r.cause as string), walk: r.walk };
      const n = Math.min(len - done, PAGE_SIZE - off);
      each(subpage(r.walk.leaf?.pfn as number, r.walk.leaf?.lvl ?? 0, vpn), off, done, n);
      done += Math.max(n, 1);
    }
    return {
      outcome: stale ? { kind: 'ok', stale_tlb: stale } : { kind: 'ok' },
      ...(walkOut ? { walk: walkOut } : {}),
    };
  }

  read(name: string, addr: bigint, len: number): StepResult {
    return this.withLiveTask(name, (t) => {
      const out = new Uint8Array(len);
      const r = this.accessBytes(t, addr, len, 'read', (pfn, off, from, n) =>
        out.set(this.m.frames.read(pfn, off, n), from),
      );
      if (r.outcome.kind === 'ok') r.outcome = { ...r.outcome, value: toHex(out) };
      return r;
    });
  }

  write(name: string, addr: bigint, bytes: Uint8Array): StepResult {
    return this.withLiveTask(name, (t) => {
      return this.accessBytes(t, addr, bytes.length, 'write', (pfn, off, from, n) =>
        this.m.frames.write(pfn, off, bytes.subarray(from, from + n)),
      );
    });
  }

  exec(name: string, addr: bigint): StepResult {
    return this.withLiveTask(name, (t) => {
      return this.accessBytes(t, addr, 1, 'exec', () => undefined);
    });
  }

  /** One access to every page of the range, in order; faults in as blocks where it can. */
  touch(name: string, addr: bigint, len: bigint, access: 'read' | 'write'): StepResult {
    return this.withLiveTask(name, (t, mm) => {
      const startAddr = addr & ~0xfffn;
      const endAddr = addr + len;
      if (len === 0n) return { outcome: { kind: 'ok' } };
      const bad = this.checkAddress(t, startAddr);
      if (bad) return { outcome: bad };
      // Pages past the user half are reached in order too: the user part first, then the fault there.
      const userTop = BigInt(taskSizeVpn(this.cfg.paging)) << 12n;
      const a = Number(startAddr >> 12n);
      const b = Number(((endAddr < userTop ? endAddr : userTop) + 4095n) >> 12n);
      let result: Outcome = { kind: 'ok', value: `${b - a} pages` };
      this.m.ev.summarise(() => {
        let at = a;
        for (const vma of [...vmasIn(mm, a, b), null]) {
          const stop = vma ? vma.start : b;
          if (at < stop) {
            // A hole: the first page of it faults with no VMA.
            const r = userAccess(this, mm, at, access);
            if (r.kind === 'signal') result = this.kill(t, r.signal as string, r.cause as string);
            return;
          }
          if (!vma) return;
          const end = Math.min(b, vma.end);
          const allowed = access === 'write' ? vma.flags & VM_WRITE : vma.flags & (VM_READ | VM_WRITE | VM_EXEC);
          const from = Math.max(at, vma.start);
          const write = access === 'write';
          const o = !allowed
            ? userAccess(this, mm, at, access)
            : isHugetlb(vma)
              ? this.touchHuge(mm, from, end, access)
              : isMshareV1(vma) && this.v1
                ? this.v1.populate(mm, vma, from, end, write)
                : isMsharefs(vma) && this.fs
                  ? this.fs.populate(mm, vma, from, end, write)
                  : populate(this, mm, vma, from, end, write);
          if (o && o.kind === 'signal') {
            result = this.kill(t, o.signal as string, o.cause as string);
            return;
          }
          at = end;
          if (at >= b) return;
        }
      });
      if (result.kind === 'ok' && endAddr > userTop) {
        const beyond = this.checkAddress(t, userTop);
        if (beyond) result = beyond;
      }
      return { outcome: result };
    });
  }

  /** touch over a hugetlb VMA (hugetlb.ts). */
  private touchHuge(mm: Mm, a: number, b: number, access: Access): ReturnType<typeof userAccess> | null {
    return touchHugetlb(this, mm, a, b, access);
  }

  /** `T: run N`: the scheduler switches CPU N to task T (context_switch() → switch_mm_irqs_off()). */
  run(name: string, cpu: number): StepResult {
    const tlb = this.m.tlb;
    if (!tlb) return { outcome: { kind: 'errno', errno: 'EINVAL', why: 'the scenario declares no CPUs (cpus N)' } };
    if (cpu >= tlb.cpus.length)
      return {
        outcome: {
          kind: 'errno',
          errno: 'EINVAL',
          why: `there is no CPU ${cpu}: the scenario declares ${tlb.cpus.length}`,
        },
      };
    const t = this.tasks.get(name);
    if (!t || t.state !== 'running' || !t.mm) return { outcome: { kind: 'skipped', why: `${name} is not running` } };
    this.m.ev.task = name;
    tlb.run(cpu, name, t.mm);
    return { outcome: { kind: 'ok' } };
  }

  /** `idle N`: CPU N runs nothing (the idle task): lazy TLB. */
  idle(cpu: number): StepResult {
    const tlb = this.m.tlb;
    if (!tlb) return { outcome: { kind: 'errno', errno: 'EINVAL', why: 'the scenario declares no CPUs (cpus N)' } };
    if (cpu >= tlb.cpus.length)
      return {
        outcome: {
          kind: 'errno',
          errno: 'EINVAL',
          why: `there is no CPU ${cpu}: the scenario declares ${tlb.cpus.length}`,
        },
      };
    this.m.ev.task = undefined;
    tlb.idle(cpu);
    return { outcome: { kind: 'ok' } };
  }

  translate(name: string, addr: bigint): StepResult {
    return this.withLiveTask(name, (_t, mm) => {
      if (addr < 0n || addr >= 1n << 64n || !isCanonical(addr, this.cfg.paging)) {
        return {
          outcome: {
            kind: 'errno',
            errno: 'EFAULT',
            why: `${hexAddr(addr)} is not canonical: the MMU would raise #GP`,
          },
        };
      }
      const w = walk(this.m, mm, Number((addr >> 12n) & ((1n << 52n) - 1n)));
      const vma = vmaAt(mm, Number(addr >> 12n));
      this.m.ev.emit(
        'walk',
        `${w.fault ? 'no translation (' + w.fault + ')' : 'maps to pfn 0x' + (w.leaf?.pfn ?? 0).toString(16)}${vma ? '' : '; no VMA here'}`,
      );
      const phys = w.leaf ? addrOf(subpage(w.leaf.pfn, w.leaf.lvl, Number(addr >> 12n))) + (addr & 0xfffn) : null;
      return { outcome: { kind: 'ok', value: phys === null ? 'none' : hexAddr(phys) }, walk: w };
    });
  }

  /* ----- reading the state ----- */

  /** Every mm alive: the tasks' and, with mshare, the hosts'. */
  liveMms(): Mm[] {
    const out = this.taskMms();
    for (const h of this.hostMms()) out.push(h.mm);
    return out;
  }

  /** mshare host mms with their region names. */
  hostMms(): { name: string; mm: Mm; refcount: number; start: number; pages: number }[] {
    const out = (this.v1?.hosts() ?? []).map(({ name, info }) => ({
      name,
      mm: info.mm,
      refcount: info.refcnt,
      start: info.start,
      pages: info.pages,
    }));
    for (const f of this.fs?.files ?? [])
      out.push({ name: f.name, mm: f.host, refcount: f.refs, start: f.host.mmapBase, pages: f.pages });
    return out;
  }

  /* ----- files: msharefs ----- */

  open(name: string, path: string, oflags: number, fd: string): StepResult {
    return this.withLiveTask(name, (t, mm) => {
      if (!this.fs || !path.startsWith(MSHARE_DIR))
        return {
          outcome: {
            kind: 'errno',
            errno: 'ENOENT',
            why: `${path}: no such file${this.fs ? '' : ' (msharefs exists only with kernel msharefs)'}`,
          },
        };
      if (t.fds.has(fd))
        return { outcome: { kind: 'errno', errno: 'EBADF', why: `${fd} is already open; close it first` } };
      const r = this.fs.open(mm, name, path, oflags);
      if (!r.ok) return { outcome: { kind: 'errno', errno: r.errno, why: r.why } };
      t.fds.set(fd, r.file);
      return { outcome: { kind: 'ok', value: String(2 + t.fds.size) } };
    });
  }

  private fd(t: Task, fd: string): MshareFile | Outcome {
    const f = t.fds.get(fd);
    return f ?? { kind: 'errno', errno: 'EBADF', why: `${t.name} has no open file ${fd}` };
  }

  close(name: string, fd: string): StepResult {
    return this.withLiveTask(name, (t) => {
      const f = this.fd(t, fd);
      if (!isFile(f)) return { outcome: f };
      t.fds.delete(fd);
      this.fs?.close(f);
      return { outcome: { kind: 'ok' } };
    });
  }

  unlink(name: string, path: string): StepResult {
    return this.withLiveTask(name, (_t) => {
      if (!this.fs || !path.startsWith(MSHARE_DIR))
        return { outcome: { kind: 'errno', errno: 'ENOENT', why: `${path}: no such file` } };
      return { outcome: this.sys(this.fs.unlink(path)) };
    });
  }

  ftruncate(name: string, fd: string, len: bigint): StepResult {
    return this.withLiveTask(name, (t) => {
      const f = this.fd(t, fd);
      if (!isFile(f)) return { outcome: f };
      return { outcome: this.sys((this.fs as Msharefs).ftruncate(f, len)) };
    });
  }

  ioctl(
    name: string,
    fd: string,
    request: 'MSHAREFS_CREATE_MAPPING' | 'MSHAREFS_UNMAP',
    offset: bigint,
    size: bigint,
    prot: number,
    flags: number,
  ): StepResult {
    return this.withLiveTask(name, (t) => {
      if (!this.fs)
        return {
          outcome: { kind: 'errno', errno: 'ENOSYS', why: `msharefs ioctls do not exist in kernel ${this.kernelName}` },
        };
      const f = this.fd(t, fd);
      if (!isFile(f)) return { outcome: f };
      return {
        outcome: this.sys(
          request === 'MSHAREFS_CREATE_MAPPING'
            ? this.fs.createMapping(f, offset, size, prot, flags)
            : this.fs.unmap(f, offset, size),
        ),
      };
    });
  }

  /** mmap of an open msharefs file: a VM_MSHARE VMA over the host's region. */
  mmapFile(name: string, fd: string, a: MmapArgs): StepResult {
    return this.withLiveTask(name, (t, mm) => {
      const f = this.fd(t, fd);
      if (!isFile(f)) return { outcome: f };
      const fs = this.fs as Msharefs;
      this.m.ev.emit('do_mmap', `${a.len} bytes of ${MSHARE_DIR}${f.name}`);
      const at = fs.checkMmap(
        f,
        a.addr,
        a.len,
        a.flags,
        (pages, align) => unmappedAreaTopdownAligned(mm, pages, mm.mmapBase, align),
        (x, y) => vmasIn(mm, x, y).length === 0,
      );
      if (typeof at !== 'number') return { outcome: this.sys(at) };
      const pages = f.pages;
      if (at + pages > taskSizeVpn(this.cfg.paging))
        return { outcome: { kind: 'errno', errno: 'ENOMEM', why: 'beyond TASK_SIZE' } };
      if (vmasIn(mm, at, at + pages).length) unmapRange(this, mm, at, at + pages);
      const vma: Vma = {
        start: at,
        end: at + pages,
        flags: protToVmFlags(a.prot) | VM_SHARED | VM_MAYSHARE,
        pgoff: 0,
        shmem: null,
        anonVma: 0,
        ext: { kind: 'msharefs', file: f } as VmaExt,
      };
      insertVma(mm, vma);
      fs.mapped(f);
      this.m.ev.emit(
        'mmap_region',
        `VM_MSHARE VMA ${hexAddr(addrOf(at))}-${hexAddr(addrOf(at + pages))}: no page tables yet; the first fault in each 512 GiB slot copies the host's P4D entry`,
      );
      return { outcome: { kind: 'ok', value: hexAddr(addrOf(at)) } };
    });
  }

  /* ----- mshare v1 ----- */

  /** The mainline twin's regions (a run with cfg.twin): ./mainline-twin.ts. */
  private readonly twinMshare = new MainlineTwinMshare(this);

  mshare(name: string, region: string, addr: bigint, len: bigint, oflag: number, mode: number): StepResult {
    return this.withLiveTask(name, (_t, mm) => {
      if (this.cfg.twin) return { outcome: this.sys(this.twinMshare.mshare(mm, region, addr, len, oflag)) };
      if (!this.v1)
        return {
          outcome: { kind: 'errno', errno: 'ENOSYS', why: `mshare() does not exist in kernel ${this.kernelName}` },
        };
      return { outcome: this.sys(this.v1.mshare(mm, region, addr, len, oflag, mode)) };
    });
  }

  mshareUnlink(name: string, region: string): StepResult {
    return this.withLiveTask(name, (_t, mm) => {
      if (this.cfg.twin) return { outcome: this.sys(this.twinMshare.unlink(mm, region)) };
      if (!this.v1)
        return {
          outcome: {
            kind: 'errno',
            errno: 'ENOSYS',
            why: `mshare_unlink() does not exist in kernel ${this.kernelName}`,
          },
        };
      return { outcome: this.sys(this.v1.unlink(mm, region)) };
    });
  }

  /** check_mm()-style consistency problems; empty when sound. */
  invariants(): string[] {
    return checkInvariants({ m: this.m, mms: this.liveMms(), shmems: this.shmems.values() });
  }

  taskList(): Task[] {
    return [...this.tasks.values()];
  }
}

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function isFile(x: MshareFile | Outcome): x is MshareFile {
  return 'host' in x;
}

function isTask(x: Task | Outcome): x is Task {
  return 'pid' in x;
}
