/**
 * mshare v1 (Khalid Aziz, Matthew Wilcox, April 2022): the seed's series.
 * Two syscalls, mshare() and mshare_unlink(); a region is a file under
 * /sys/fs/mshare whose inode holds `struct mshare_data { mm, host_mm; flags;
 * refcnt }`. Its tables live in a separate mm (info->mm, "the host mm" of the
 * fault path); a task's first fault in the region copies the host's PGD entry
 * (set_pgd) and returns VM_FAULT_NOPAGE, so the access retries through the
 * host's tables.
 *
 * Sources: patch 08/14 (the seed; lore 5c96dd165d7e…@oracle.com), 09/14
 * (skip unmapping VMAs whose vm_mm is not ours), 10/14 (unlink unmaps the
 * caller's range), 13/14 (EPERM, info->flags). Where the code and the
 * intent differ, the code is modelled: O_RDONLY is 0, so a read-only attach
 * maps PROT_NONE; a hole gives VM_FAULT_SIGSEGV although the cover letter
 * promised SIGBUS.
 */
import type { Machine } from './machine';
import { FrameKind } from './frames';
import { insertVma, vmaAt, vmasIn, type Mm, type Vma, type VmaExt } from './mm';
import { freePgdRange } from './free-pgtables';
import { __handleMmFault, userAccess, type AccessOutcome, type FaultCtx, type FaultResult } from './fault';
import { populateThroughHost } from './through-host';
import { VM_HUGETLB, addrOf, entryHex, entrySpan, hexAddr, indexAt } from './paging';
import { clearRange, dropLink, entryAt, materialize, recharge, setSingle, type Table } from './table';
import { changeMark, claimChanges } from './change-hook';
import type { SysResult } from './syscalls';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_SHARED,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  PROT_READ,
  PROT_WRITE,
} from './uapi';
import type { Access } from './walk';

export interface MshareData {
  name: string;
  /** info->mm: the mm that hosts the region's VMAs and page tables. */
  mm: Mm;
  /** info->host_mm: the creator's mm. */
  creator: Mm;
  /**
   * info->flags: the creator's whole oflag, as 13/14 stores it (O_CREAT and all); the EPERM check only looks at its
   * access bits.
   */
  flags: number;
  mode: number;
  refcnt: number;
  start: number;
  pages: number;
  /** kfree(info) ran: VMAs still pointing here are dangling. */
  freed: boolean;
}

export interface MshareV1Ext extends VmaExt {
  readonly kind: 'mshare-v1';
  readonly info: MshareData;
  /** vma->vm_mm = info->mm: the VMA was created or adopted by mshare() (not copied by fork). */
  readonly vmMmIsHost: boolean;
}

const SRC = 'mm/mshare.c, mshare v1 08/14';
const SRC09 = 'mm/memory.c, mshare v1 09/14';
const MEM08 = 'mm/memory.c, mshare v1 08/14';
/**
 * A quotation for an event's `src`: "file, patch: line\nline\n…\nline".
 * Each line is a line of the named patch, verbatim but for its leading
 * +/space and indentation; consecutive lines are consecutive in the patch, and
 * a "…" line marks every gap (patch-quotes.test.ts checks all three).
 */
export const q = (source: string, ...lines: string[]): string => `${source}: ${lines.join('\n')}`;
/** PMD_SIZE in pages. */
const PMD_PAGES = 512;

/** The host side every variant needs from the kernel. */
export interface HostCtx extends FaultCtx {
  m: Machine;
  newHostMm(label: string, mmapBase: number): Mm | null;
  teardownHost(mm: Mm): void;
  /** Every task mm alive, to find links into a host's tables. */
  taskMms(): Mm[];
  mmapIn(mm: Mm, addr: bigint, len: bigint, prot: number, flags: number): SysResult;
  munmapIn(mm: Mm, addr: bigint, len: bigint): SysResult;
}

const err = (errno: string, why: string): SysResult => ({ ok: false, errno, why });

export function isMshareV1(v: Vma): v is Vma & { ext: MshareV1Ext } {
  return v.ext?.kind === 'mshare-v1';
}

export class MshareV1 {
  readonly regions = new Map<string, MshareData>();
  /** Regions whose name is gone but whose info is still referenced (for reports). */
  constructor(private readonly k: HostCtx) {}

  private get m(): Machine {
    return this.k.m;
  }

  private readonly kindOf = (pfn: number): 'anon' | 'shmem' | 'other' => {
    const k = this.m.frames.kindOf(pfn);
    return k === FrameKind.Anon ? 'anon' : k === FrameKind.Shmem ? 'shmem' : 'other';
  };

  /** PGDIR_SIZE in pages: 512 GiB with 4-level paging, 256 TiB with 5-level. */
  private get pgdirPages(): number {
    return entrySpan(this.m.top);
  }

  /** SYSCALL_DEFINE5(mshare, name, addr, len, oflag, mode). */
  mshare(mm: Mm, name: string, addr: bigint, len: bigint, oflag: number, mode: number): SysResult {
    const ev = this.m.ev;
    const pgdirBytes = BigInt(this.pgdirPages) * 4096n;
    ev.emit('mshare', `"${name}" at ${hexAddr(addr)}, ${len} bytes`);
    if ((addr | len) & (pgdirBytes - 1n)) {
      const why = `addr and len must be multiples of PGDIR_SIZE (${this.m.paging === 5 ? '256 TiB with 5-level paging' : '512 GiB with 4-level paging'})`;
      ev.emit(
        'EINVAL',
        why,
        q('mm/mshare.c, mshare v1 01/14', 'if ((addr | len) & (PGDIR_SIZE - 1))', 'return -EINVAL;'),
      );
      return err('EINVAL', why);
    }
    const a = Number(addr >> 12n);
    const n = Number(len >> 12n);
    const existing = this.regions.get(name);
    if (existing && oflag & (O_EXCL | O_CREAT)) {
      ev.emit(
        'EEXIST',
        `/sys/fs/mshare/${name} exists`,
        q(SRC, 'if (dentry && (oflag & (O_EXCL|O_CREAT))) {', '…', 'err = -EEXIST;'),
      );
      return err('EEXIST', `/sys/fs/mshare/${name} already exists`);
    }
    const acc = oflag & (O_RDONLY | O_WRONLY | O_RDWR);
    if (existing) return this.attach(mm, existing, addr, len, a, n, acc);
    return this.create(mm, name, a, n, oflag, mode);
  }

  private create(mm: Mm, name: string, a: number, n: number, oflag: number, mode: number): SysResult {
    const ev = this.m.ev;
    const end = a + n;
    const donors = vmasIn(mm, a, end);
    if (donors.length === 0) {
      ev.emit(
        'EINVAL',
        'no VMA in the range to share',
        q(SRC, 'vma = find_vma_intersection(old_mm, addr, end);', 'if (!vma) {', 'err = -EINVAL;'),
      );
      return err('EINVAL', 'nothing is mapped in the range: mshare() shares existing VMAs');
    }
    const first = donors[0] as Vma;
    const last = donors[donors.length - 1] as Vma;
    // The patch checks the end first ("Double check that source VMAs do not extend outside the range").
    if (last.end > end) {
      ev.emit(
        'EINVAL',
        'a VMA crosses the end of the region',
        q(SRC, 'vma = find_vma(old_mm, addr + len);', 'if (vma && vma->vm_start < (addr + len)) {', 'err = -EINVAL;'),
      );
      return err('EINVAL', 'a mapping crosses the region boundary');
    }
    if (first.start < a) {
      ev.emit(
        'EINVAL',
        'a VMA crosses the start of the region',
        q(SRC, 'vma = find_vma(old_mm, addr);', 'if (vma && vma->vm_start < addr) {', 'err = -EINVAL;'),
      );
      return err('EINVAL', 'a mapping crosses the region boundary');
    }
    const hostMark = changeMark();
    const host = this.k.newHostMm(`mshare:${name}`, a);
    if (!host) return err('ENOMEM', 'no memory for the host mm');
    ev.emit(
      'mm_alloc',
      `host mm for "${name}", mmap_base = ${hexAddr(addrOf(a))}`,
      q(SRC, 'new_mm = mm_alloc();', '…', 'new_mm->mmap_base = addr;', 'new_mm->task_size = addr + len;'),
    );
    claimChanges(hostMark);
    const info: MshareData = {
      name,
      mm: host,
      creator: mm,
      flags: oflag,
      mode,
      refcnt: 1,
      start: a,
      pages: n,
      freed: false,
    };
    for (const v of donors) {
      // The donor VMA is marked shared and points at the host; a duplicate goes into the host mm.
      v.ext = { kind: 'mshare-v1', info, vmMmIsHost: true } as MshareV1Ext;
      const dup: Vma = { ...v, ext: undefined, anonVma: v.anonVma };
      delete dup.ext;
      if (dup.shmem) dup.shmem.refs++;
      insertVma(host, dup);
    }
    ev.emit(
      'vm_area_dup',
      `${donors.length} VMA${donors.length === 1 ? '' : 's'} marked VM_SHARED_PT and duplicated into the host mm`,
      q(
        SRC,
        'vma->vm_private_data = info;',
        'vma->vm_mm = new_mm;',
        'vma->vm_flags |= VM_SHARED_PT;',
        'new_vma = vm_area_dup(vma);',
        '…',
        'err = insert_vm_struct(new_mm, new_vma);',
      ),
    );
    // Copy over current PTEs: the donor's PGD entries become the host's.
    let copied = 0;
    const copyMark = changeMark();
    for (let v = a; v < end; v += this.pgdirPages) {
      const i = indexAt(v, this.m.top);
      const e = materialize(mm.pgd, i);
      if (!e || !e.child) continue;
      setSingle(host.pgd, i, e.pfn, e.flags, e.child);
      e.child.sharers++;
      copied++;
    }
    ev.emit(
      'mshare_file_create',
      `/sys/fs/mshare/${name}, mode 0${((mode & 0o444) | 0o400).toString(8)}; ${copied} PGD entr${copied === 1 ? 'y' : 'ies'} copied to the host`,
      q(
        SRC,
        'err = mshare_file_create(fname, oflag, info);',
        '…',
        'while (myaddr < new_mm->task_size) {',
        '*pgd_offset(new_mm, myaddr) = *pgd_offset(old_mm, myaddr);',
      ),
    );
    claimChanges(copyMark);
    this.regions.set(name, info);
    return { ok: true };
  }

  private attach(mm: Mm, info: MshareData, addr: bigint, len: bigint, a: number, n: number, acc: number): SysResult {
    const ev = this.m.ev;
    if (vmasIn(mm, a, a + n).length) {
      ev.emit(
        'EINVAL',
        'the caller already maps part of the range',
        q(
          'mm/mshare.c, mshare v1 10/14',
          'vma = find_vma_intersection(current->mm, addr, end);',
          'if (vma) {',
          'mmap_read_unlock(current->mm);',
          'err = -EINVAL;',
        ),
      );
      return err('EINVAL', 'the range overlaps an existing mapping');
    }
    if (acc !== (acc & info.flags)) {
      ev.emit(
        'EPERM',
        `asked for ${accName(acc)}, the region was created ${accName(info.flags & (O_WRONLY | O_RDWR))}`,
        q('mm/mshare.c, mshare v1 13/14', 'if (oflag != (oflag & info->flags)) {', 'err = -EPERM;'),
      );
      return err('EPERM', `the region was created ${accName(info.flags & (O_WRONLY | O_RDWR))}`);
    }
    // O_RDONLY is 0: `oflag & O_RDONLY` is never true, so a read-only attach gets PROT_NONE.
    let prot = 0;
    if (acc & O_RDONLY) prot |= PROT_READ;
    else if (acc & O_WRONLY) prot |= PROT_WRITE;
    else if (acc & O_RDWR) prot |= PROT_READ | PROT_WRITE;
    ev.emit(
      'vm_mmap',
      `prot ${prot === 0 ? 'PROT_NONE' : prot === 3 ? 'PROT_READ|PROT_WRITE' : 'PROT_WRITE'}${acc === O_RDONLY ? ' — O_RDONLY is 0, so "oflag & O_RDONLY" is false and nothing is granted' : ''}`,
      q(
        SRC,
        'if (oflag & O_RDONLY)',
        'prot |= PROT_READ;',
        'else if (oflag & O_WRONLY)',
        'prot |= PROT_WRITE;',
        'else if (oflag & O_RDWR)',
        'prot |= (PROT_READ | PROT_WRITE);',
        'mapaddr = vm_mmap(NULL, addr, len, prot,',
        'MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS, 0);',
      ),
    );
    const r = this.k.mmapIn(mm, addr, len, prot, MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS);
    if (!r.ok) return err('EINVAL', `vm_mmap failed (${r.errno})`);
    info.refcnt++;
    for (const v of vmasIn(mm, a, a + n)) v.ext = { kind: 'mshare-v1', info, vmMmIsHost: true } as MshareV1Ext;
    ev.emit(
      'refcount_inc',
      `"${info.name}" refcount ${info.refcnt}; the new VMA is VM_SHARED_PT with vm_mm = the host mm`,
      q(
        SRC,
        'refcount_inc(&info->refcnt);',
        '…',
        'vma->vm_private_data = info;',
        'vma->vm_mm = info->mm;',
        'vma->vm_flags |= VM_SHARED_PT;',
      ),
    );
    return { ok: true };
  }

  /** SYSCALL_DEFINE1(mshare_unlink, name). */
  unlink(mm: Mm, name: string): SysResult {
    const ev = this.m.ev;
    ev.emit('mshare_unlink', `"${name}"`);
    const info = this.regions.get(name);
    if (!info) {
      ev.emit('EINVAL', `no /sys/fs/mshare/${name}: d_lookup() finds no dentry`);
      return err('EINVAL', `there is no region "${name}"`);
    }
    info.refcnt--;
    if (info.refcnt === 0) {
      this.regions.delete(name);
      ev.emit(
        'refcount_dec_and_test',
        `last reference to "${name}": the name goes and the host mm is released`,
        q(
          SRC,
          'if (refcount_dec_and_test(&info->refcnt)) {',
          'simple_unlink(d_inode(msharefs_sb->s_root), dentry);',
          '…',
          'mmput(info->mm);',
          'kfree(info);',
        ),
      );
      this.freeHost(info);
      return { ok: true };
    }
    ev.emit('refcount_dec_and_test', `"${name}" refcount ${info.refcnt}`);
    if (info.creator !== mm) {
      ev.emit(
        'vm_munmap',
        `the caller's view of the region is unmapped; its VMAs have vm_mm = the host mm, so their page tables are skipped (09/14) and its PGD entry keeps pointing at the host's tables`,
        q(
          'mm/mshare.c, mshare v1 11/14',
          'tmp = info->mm->task_size - info->mm->mmap_base;',
          'if (info->host_mm != current->mm)',
          'vm_munmap(info->mm->mmap_base, tmp);',
        ),
      );
      this.k.munmapIn(mm, addrOf(info.mm.mmapBase), addrOf(info.pages));
    }
    return { ok: true };
  }

  /** mmput(info->mm): the host mm and every table in it go. */
  private freeHost(info: MshareData): void {
    const ev = this.m.ev;
    // Every other mm still holding a link into the host's tables would now point at freed pages.
    const hostTables = new Set<Table>();
    for (const s of info.mm.pgd.segs) if (s.lin === null && s.child) hostTables.add(s.child);
    for (const mm of this.k.taskMms()) {
      for (const s of [...mm.pgd.segs]) {
        if (s.lin !== null || !s.child || !hostTables.has(s.child)) continue;
        const mark = changeMark();
        if (s.child.mm === mm) recharge(s.child, mm, info.mm, this.kindOf);
        clearRange(mm.pgd, s.start, s.start + 1);
        s.child.sharers--;
        ev.emit(
          'pgd_clear',
          `${mm.label}'s PGD entry ${s.start} pointed at the host's freed tables (a use-after-free in the patch, whose TODO is "unmap shared vmas from every task"); cleared here, so the next access faults`,
        );
        claimChanges(mark);
      }
    }
    info.freed = true;
    this.k.teardownHost(info.mm);
  }

  /** handle_mm_fault()'s quote for a fault in a VM_SHARED_PT VMA (and only there): the branch 08/14 adds. */
  faultQuote(vma: Vma): string | undefined {
    if (!isMshareV1(vma)) return undefined;
    return q(
      MEM08,
      'if (unlikely(vma_is_shared(vma))) {',
      'ret = find_shared_vma(&vma, &address);',
      'if (ret)',
      'return ret;',
    );
  }

  /**
   * The seed's hunk of handle_mm_fault(): `if (unlikely(vma_is_shared(vma)))
   * { ret = find_shared_vma(&vma, &address); … }`, then the fault in the host.
   */
  fault(mm: Mm, vma: Vma, vpn: number, access: Access): FaultResult | undefined {
    if (!isMshareV1(vma)) return undefined;
    const ev = this.m.ev;
    const info = vma.ext.info;
    if (info.freed) {
      ev.emit(
        'find_shared_vma',
        'vm_private_data points at freed mshare_data: a use-after-free in the patch; the simulator stops it with VM_FAULT_SIGSEGV',
      );
      ev.emit('VM_FAULT_SIGSEGV');
      return 'SIGSEGV';
    }
    const host = info.mm;
    const hostVpn = vpn - vma.start + host.mmapBase;
    ev.emit(
      'find_shared_vma',
      `host_addr = ${hexAddr(addrOf(vpn))} - ${hexAddr(addrOf(vma.start))} + ${hexAddr(addrOf(host.mmapBase))} = ${hexAddr(addrOf(hostVpn))}`,
      q(
        SRC,
        'host_addr = *addrp - guest->vm_start + host_mm->mmap_base;',
        'pgd = pgd_offset(host_mm, host_addr);',
        'guest_pgd = pgd_offset(current->mm, *addrp);',
      ),
    );
    const top = this.m.top;
    const hi = indexAt(hostVpn, top);
    const gi = indexAt(vpn, top);
    const he = entryAt(host.pgd, hi);
    const ge = entryAt(mm.pgd, gi);
    const same =
      (he === null && ge === null) || (he !== null && ge !== null && he.pfn === ge.pfn && he.flags === ge.flags);
    if (!same) {
      const mark = changeMark();
      const old = ge && ge.child ? (materialize(mm.pgd, gi)?.child ?? null) : null;
      if (old) dropLink(old, (t) => this.m.freeTableTree(t));
      if (he && he.child) {
        const hostChild = (materialize(host.pgd, hi) as { child: Table }).child;
        setSingle(mm.pgd, gi, he.pfn, he.flags, hostChild);
        hostChild.sharers++;
        ev.emit(
          'set_pgd',
          `${mm.label} PGD[${gi}] ← host PGD[${hi}] = ${entryHex(he.pfn, he.flags)}: the guest now walks the host's ${this.m.top === 4 ? 'P4D' : 'PUD'} page, pfn 0x${he.pfn.toString(16)}; nothing is charged to ${mm.label}`,
          q(SRC, 'if (!pgd_same(*guest_pgd, *pgd)) {', 'set_pgd(guest_pgd, *pgd);'),
        );
      } else {
        clearRange(mm.pgd, gi, gi + 1);
        ev.emit(
          'set_pgd',
          `${mm.label} PGD[${gi}] ← the host's empty entry`,
          q(SRC, 'if (!pgd_same(*guest_pgd, *pgd)) {', 'set_pgd(guest_pgd, *pgd);'),
        );
      }
      // The guest's entry (and any old subtree dropped) is set_pgd's, announced after it is written.
      claimChanges(mark);
      ev.emit('VM_FAULT_NOPAGE', 'the access retries', q(SRC, 'return VM_FAULT_NOPAGE;'));
      return 'NOPAGE';
    }
    ev.emit('mmap_read_lock', `${host.label}`, q(SRC, '*addrp = host_addr;', 'mmap_read_lock(host_mm);'));
    const hv = vmaAt(host, hostVpn);
    ev.emit(
      'find_vma',
      hv ? `host VMA ${hexAddr(addrOf(hv.start))}-${hexAddr(addrOf(hv.end))}` : 'no host VMA here',
      q(SRC, 'vma = find_vma(host_mm, host_addr);', '…', 'if (vma && vma->vm_start > host_addr)', 'vma = NULL;'),
    );
    if (!hv) {
      // find_shared_vma() returned holding the host's lock; this early return skips the unlock below.
      ev.emit(
        'VM_FAULT_SIGSEGV',
        `a hole in the region: the code returns VM_FAULT_SIGSEGV, though the cover letter promised "Any access to unmapped address will result in SIGBUS"; it returns before the unlock, so ${host.label}'s mmap_lock stays held for read (a leak in the patch)`,
        q(MEM08, 'if (!vma)', 'return VM_FAULT_SIGSEGV;'),
      );
      return 'SIGSEGV';
    }
    const r: FaultResult = __handleMmFault(this.k, host, hv, hostVpn, access);
    ev.emit(
      'mmap_read_unlock',
      `${host.label}`,
      q(MEM08, 'if (!(ret & VM_FAULT_RETRY)) {', 'mmap_read_unlock(vma->vm_mm);', 'release_mmlock = 0;'),
    );
    return r;
  }

  /**
   * `touch` over a shared VMA, as the faults would go: the host's pages are
   * faulted in the host mm (whoever touches first pays, in the host's
   * tables), then each PGD slot the task lacks is copied by one more fault.
   */
  populate(mm: Mm, vma: Vma & { ext: MshareV1Ext }, a: number, b: number, write: boolean): AccessOutcome | null {
    const info = vma.ext.info;
    if (info.freed) return userAccess(this.k, mm, a, write ? 'write' : 'read');
    return populateThroughHost(this.k, mm, info.mm, info.mm.mmapBase - vma.start, this.pgdirPages, a, b, write);
  }

  /**
   * MADV_DONTNEED acts on vma->vm_mm, which is the host for a shared VMA, and
   * at the caller's own addresses: nothing in the patch translates them (on
   * its 5.18 base, zap_page_range() does tlb_gather_mmu(&tlb, vma->vm_mm) and
   * unmap_page_range() walks pgd_offset(vma->vm_mm, addr) with the guest's
   * addr). A guest attached where the host's region is (the usual case)
   * zaps the shared entries; one attached elsewhere walks the host's tables
   * at an address where the host has none, and zaps nothing.
   */
  target(vma: Vma): { mm: Mm; delta: number } | undefined {
    if (!isMshareV1(vma) || vma.ext.info.freed || !vma.ext.vmMmIsHost) return undefined;
    return { mm: vma.ext.info.mm, delta: 0 };
  }

  /**
   * 09/14: tables of VMAs whose vm_mm is the host are not ours to zap or
   * free. The patch then leaves the task's PGD entry pointing at the host's
   * tables, so a later mapping at that address would fault into the host's
   * tables; the simulator clears the link once no shared VMA of the task uses
   * the slot (and says so), rather than model that corruption.
   */
  unmapHook(mm: Mm, vma: Vma): 'skip' | undefined {
    if (!isMshareV1(vma) || !vma.ext.vmMmIsHost) return undefined;
    const span = this.pgdirPages;
    for (let v = vma.start - (vma.start % span); v < vma.end; v += span) {
      const stillShared = vmasIn(mm, v, v + span).some((o) => isMshareV1(o));
      if (stillShared) continue;
      const i = indexAt(v, this.m.top);
      const s = materialize(mm.pgd, i);
      if (!s?.child || s.child.sharers === 0) continue;
      const child = s.child;
      const owner = [...this.regions.values()].find((r) =>
        r.mm.pgd.segs.some((h) => h.lin === null && h.child === child),
      );
      if (!owner) continue;
      // Tables this task donated at mshare() time stay with the host that uses them.
      const mark = changeMark();
      if (child.mm === mm) recharge(child, mm, owner.mm, this.kindOf);
      clearRange(mm.pgd, i, i + 1);
      dropLink(s.child, (t) => this.m.freeTableTree(t));
      this.m.ev.emit(
        'pgd_clear',
        `${mm.label}'s PGD entry ${i} still pointed at the host's tables after its shared VMA went (the patch leaves it: a later mapping here would fault into the host's tables); cleared here`,
      );
      claimChanges(mark);
    }
    return 'skip';
  }

  /**
   * free_pgtables() as 09/14 changes it (mm/memory.c on the 5.18 base):
   *   while (next && next->vm_start <= vma->vm_end + PMD_SIZE
   *          && !is_vm_hugetlb_page(next)
   *          && vma->vm_mm == tlb->mm) { vma = next; … }
   *   if (vma->vm_mm == tlb->mm) free_pgd_range(…);
   * The loop tests the VMA gathered so far, not `next`: a private VMA is
   * gathered together with a shared one right after it, the loop stops there,
   * and the test after it then skips the whole group, the private VMA's
   * tables with it. They stay (after munmap) or leak (at exit: check_mm()).
   */
  freePgtables(mm: Mm, removed: Vma[], floor: number, ceiling: number): boolean {
    const foreign = (v: Vma): boolean => isMshareV1(v) && v.ext.vmMmIsHost;
    let k = 0;
    while (k < removed.length) {
      const first = removed[k] as Vma;
      const k0 = k;
      let vma = first;
      let next = removed[k + 1];
      if (!(first.flags & VM_HUGETLB)) {
        while (next && next.start <= vma.end + PMD_PAGES && !(next.flags & VM_HUGETLB) && !foreign(vma)) {
          vma = next;
          k++;
          next = removed[k + 1];
        }
      }
      if (!foreign(vma)) freePgdRange(this.m, mm, first.start, vma.end, floor, next ? next.start : ceiling);
      else if (vma !== first) {
        this.m.ev.emit(
          'free_pgtables',
          `${hexAddr(addrOf(first.start))}-${hexAddr(addrOf(vma.end))} was gathered into one call up to a VMA whose vm_mm is the host, so free_pgd_range() is skipped for the whole group: the tables of ${mm.label}'s own VMA${k - k0 === 1 ? '' : 's'} before it are not freed (a leak in the patch)`,
          q(
            SRC09,
            '&& vma->vm_mm == tlb->mm) {',
            '…',
            'if (vma->vm_mm == tlb->mm)',
            'free_pgd_range(tlb, addr, vma->vm_end,',
            'floor, next ? next->vm_start : ceiling);',
          ),
        );
      }
      k++;
    }
    return true;
  }

  /**
   * exit_mmap() is done: PGD entries still pointing into a host's tables are
   * links, not ours. A creator's tables copied at mshare() time were charged
   * to it; Linux's check_mm() reports them ("non-zero pgtables_bytes on
   * freeing mm"); here they pass to the host that still uses them.
   */
  beforePgdFree(mm: Mm): void {
    for (const s of [...mm.pgd.segs]) {
      if (s.lin === null && s.child && s.child.sharers === 0 && s.child.mm === mm) {
        // Tables free_pgtables() skipped (above): pgd_free() frees only the PGD page.
        const before = mm.pgtablesBytes;
        clearRange(mm.pgd, s.start, s.start + 1);
        this.m.freeTableTree(s.child);
        this.m.ev.emit(
          'check_mm',
          `BUG: non-zero pgtables_bytes on freeing mm: ${(before - mm.pgtablesBytes) / 1024} KiB of ${mm.label}'s tables under PGD entry ${s.start} were never freed (the 09/14 skip); the patch leaks them, the simulator frees them here so the machine stays usable`,
        );
        continue;
      }
      if (s.lin !== null || !s.child || s.child.sharers === 0) continue;
      const owner = [...this.regions.values()].find((i) =>
        i.mm.pgd.segs.some((h) => h.lin === null && h.child === s.child),
      );
      if (s.child.mm === mm && owner) {
        recharge(s.child, mm, owner.mm, this.kindOf);
        this.m.ev.emit(
          'check_mm',
          `BUG: non-zero pgtables_bytes on freeing mm: ${mm.label}'s tables copied into "${owner.name}" at mshare() time; they stay with the host`,
        );
      }
      clearRange(mm.pgd, s.start, s.start + 1);
      s.child.sharers--;
    }
  }

  /** Host mms alive, with their region names. */
  hosts(): { name: string; info: MshareData }[] {
    const out: { name: string; info: MshareData }[] = [];
    for (const [name, info] of this.regions) out.push({ name, info });
    return out;
  }
}

function accName(acc: number): string {
  return acc === O_RDWR
    ? 'O_RDWR'
    : acc === O_WRONLY
      ? 'O_WRONLY'
      : acc === O_RDONLY
        ? 'O_RDONLY'
        : `0${acc.toString(8)}`;
}
