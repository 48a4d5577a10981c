/**
 * msharefs, the 2025 series (Anthony Yznaga, v3 00/22, Aug 2025): a region is
 * a file in /sys/fs/mshare. Its size comes from ftruncate() (a multiple of
 * P4D_SIZE, set once); ioctl(MSHAREFS_CREATE_MAPPING) maps memory into the
 * file's host mm, which starts at mshare_base = 512 GiB; mmap() of the file
 * gives a VM_MSHARE VMA, at any P4D-aligned address. The fault is taken in
 * do_user_addr_fault(): when the task's P4D entry differs from the host's,
 * set_p4d() copies it (ptdesc_pud_pts_inc) and VM_FAULT_NOPAGE retries; else
 * the fault runs in the host mm. With 4-level paging the P4D is folded into
 * the PGD, so the copied entry is a PGD slot; with 5-level it is a slot of
 * the task's own P4D page.
 *
 * Sources: v3 13/22, 14/22 (fault), 17/22 (owner), 18/22 (uapi); the
 * selftests V2; code at ivanalgo/linux-kernel-develop mm/mshare.c (02cdb8ba),
 * as summarised in shared/reference/mshare-versions.md §1d.
 */
import {
  __handleMmFault,
  accessError,
  ensureChild,
  handleMmFault,
  userAccess,
  type AccessOutcome,
  type FaultResult,
} from './fault';
import { populate } from './populate';
import { zapRange } from './zap';
import { populateThroughHost } from './through-host';
import { q, type HostCtx } from './mshare-v1';
import { vmaAt, type Mm, type Vma, type VmaExt } from './mm';
import { addrOf, entryHex, entrySpan, hexAddr, indexAt } from './paging';
import { clearRange, dropLink, entryAt, materialize, setSingle, type Table } from './table';
import { changeMark, claimChanges } from './change-hook';
import type { SysResult } from './syscalls';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, O_CREAT, O_EXCL } from './uapi';
import type { Access } from './walk';

export const MSHARE_DIR = '/sys/fs/mshare/';
const SRC = 'mm/mshare.c, msharefs v3';
const SRC13 = `${SRC} 13/22`;

export interface MshareFile {
  readonly id: number;
  name: string;
  host: Mm;
  /** Region size in pages; 0 until ftruncate(). */
  pages: number;
  /** The owner's mm (v3 17/22): the creator; null once it has exited. */
  owner: Mm | null;
  ownerName: string;
  /** Open file descriptions and mappings holding the inode. */
  refs: number;
  linked: boolean;
  evicted: boolean;
}

export interface MsharefsExt extends VmaExt {
  readonly kind: 'msharefs';
  readonly file: MshareFile;
}

export function isMsharefs(v: Vma): v is Vma & { ext: MsharefsExt } {
  return v.ext?.kind === 'msharefs';
}

const err = (errno: string, why: string): SysResult => ({ ok: false, errno, why });
let nextFile = 1;

export class Msharefs {
  /** Names in /sys/fs/mshare. */
  readonly names = new Map<string, MshareFile>();
  /** Every inode not yet evicted (unlinked ones may still be mapped or open). */
  readonly files = new Set<MshareFile>();

  /**
   * twin: the mainline twin of an msharefs scenario (`--compare mainline`):
   * the same files and host mappings, but each task faults the pages into its
   * own tables, as with a plain MAP_SHARED mapping of a shared file.
   */
  constructor(
    private readonly k: HostCtx,
    readonly twin = false,
  ) {}

  /** The host VMA behind a task's view at vpn, as a VMA of the task (twin mode). */
  private twinVma(vma: Vma & { ext: MsharefsExt }, vpn: number): Vma | null {
    const hv = vmaAt(vma.ext.file.host, this.base + (vpn - vma.start));
    if (!hv) return null;
    const start = vma.start + (hv.start - this.base);
    return { start, end: start + (hv.end - hv.start), flags: hv.flags, pgoff: hv.pgoff, shmem: hv.shmem, anonVma: 0 };
  }

  /** Truncation in the twin: every task's pages of [a, b) of the host go before the host's do. */
  private twinZap(f: MshareFile, a: number, b: number): void {
    if (!this.twin) return;
    for (const mm of this.k.taskMms()) {
      for (const v of mm.vmas) {
        if (!isMsharefs(v) || v.ext.file !== f) continue;
        zapRange(this.k.m, mm, v.start + (a - this.base), v.start + (b - this.base), { reclaim: false });
      }
    }
  }

  /** mshare_base: the host mm's region starts at 512 GiB (P4D_SIZE). */
  private get base(): number {
    return entrySpan(3);
  }

  /** P4D_SIZE in pages: 512 GiB with either paging mode. */
  private get align(): number {
    return entrySpan(3);
  }

  open(
    mm: Mm,
    ownerName: string,
    path: string,
    oflags: number,
  ): { ok: true; file: MshareFile } | { ok: false; errno: string; why: string } {
    const ev = this.k.m.ev;
    const name = path.slice(MSHARE_DIR.length);
    if (!name || name.includes('/')) return { ok: false, errno: 'ENOENT', why: `${path}: no such file` };
    const f = this.names.get(name);
    if (f) {
      if (oflags & O_CREAT && oflags & O_EXCL) return { ok: false, errno: 'EEXIST', why: `${path} exists` };
      f.refs++;
      ev.emit('msharefs_open', `${path}`);
      return { ok: true, file: f };
    }
    if (!(oflags & O_CREAT)) return { ok: false, errno: 'ENOENT', why: `${path}: no such file` };
    const mark = changeMark();
    const host = this.k.newHostMm(`mshare:${name}`, this.base);
    if (!host) return { ok: false, errno: 'ENOMEM', why: 'no memory for the host mm' };
    const file: MshareFile = {
      id: nextFile++,
      name,
      host,
      pages: 0,
      owner: mm,
      ownerName,
      refs: 1,
      linked: true,
      evicted: false,
    };
    this.names.set(name, file);
    this.files.add(file);
    ev.emit(
      'msharefs_create',
      `${path}: a new region with its own host mm (mshare_base ${hexAddr(addrOf(this.base))}); ${ownerName} owns it (v3 17/22: the creator is the owner)`,
    );
    claimChanges(mark);
    return { ok: true, file };
  }

  close(file: MshareFile): void {
    this.put(file);
  }

  unlink(path: string): SysResult {
    const name = path.slice(MSHARE_DIR.length);
    const f = this.names.get(name);
    if (!f) return err('ENOENT', `${path}: no such file`);
    this.names.delete(name);
    f.linked = false;
    this.k.m.ev.emit('msharefs_unlink', `${path} removed; the region goes when nothing holds it (inode eviction)`);
    if (f.refs === 0) this.evict(f);
    return { ok: true };
  }

  private put(f: MshareFile): void {
    f.refs--;
    if (f.refs === 0 && !f.linked) this.evict(f);
  }

  /** msharefs_evict_inode(): the host mm and everything in it go. */
  private evict(f: MshareFile): void {
    if (f.evicted) return;
    f.evicted = true;
    this.files.delete(f);
    this.k.m.ev.emit('msharefs_evict_inode', `region "${f.name}" freed with its host mm`);
    this.k.teardownHost(f.host);
  }

  ftruncate(f: MshareFile, len: bigint): SysResult {
    const ev = this.k.m.ev;
    const alignBytes = BigInt(this.align) * 4096n;
    if (f.pages) return err('EINVAL', 'the size of a region can be set only once');
    if (len <= 0n || len % alignBytes)
      return err('EINVAL', `the size must be a non-zero multiple of P4D_SIZE (512 GiB)`);
    f.pages = Number(len >> 12n);
    ev.emit(
      'msharefs_set_size',
      `region "${f.name}" is ${len} bytes: host range ${hexAddr(addrOf(this.base))}-${hexAddr(addrOf(this.base + f.pages))} (the size must be a multiple of mshare_align, P4D_SIZE, and can be set only once)`,
    );
    return { ok: true };
  }

  /** ioctl(MSHAREFS_CREATE_MAPPING): map anonymous shared memory into the host mm. */
  createMapping(f: MshareFile, offset: bigint, size: bigint, prot: number, flags: number): SysResult {
    const ev = this.k.m.ev;
    if (!f.pages) return err('EINVAL', 'the region has no size yet (ftruncate first)');
    if ((flags & (MAP_SHARED | MAP_FIXED)) !== (MAP_SHARED | MAP_FIXED))
      return err('EINVAL', 'MSHAREFS_CREATE_MAPPING needs MAP_SHARED|MAP_FIXED');
    if (offset & 0xfffn || size & 0xfffn || size === 0n)
      return err('EINVAL', 'region_offset and size must be page aligned, size non-zero');
    if ((offset + size) >> 12n > BigInt(f.pages)) return err('EINVAL', 'the mapping does not fit in the region');
    const addr = addrOf(this.base) + offset;
    ev.emit(
      'MSHAREFS_CREATE_MAPPING',
      `host mm: ${hexAddr(addr)}, ${size} bytes (the ioctl of v3 18/22, with a struct mshare_create: region_offset, size, offset, prot, flags, fd)`,
    );
    return this.k.mmapIn(f.host, addr, size, prot, (flags & ~MAP_PRIVATE) | MAP_ANONYMOUS | MAP_SHARED | MAP_FIXED);
  }

  /** ioctl(MSHAREFS_UNMAP): unmap part of the host mm; sharers then fault to SIGSEGV there. */
  unmap(f: MshareFile, offset: bigint, size: bigint): SysResult {
    if (!f.pages) return err('EINVAL', 'the region has no size yet');
    if (offset & 0xfffn || size & 0xfffn || (offset + size) >> 12n > BigInt(f.pages))
      return err('EINVAL', 'outside the region');
    this.k.m.ev.emit('MSHAREFS_UNMAP', `host mm: ${hexAddr(addrOf(this.base) + offset)}, ${size} bytes`);
    this.twinZap(f, this.base + Number(offset >> 12n), this.base + Number((offset + size) >> 12n));
    return this.k.munmapIn(f.host, addrOf(this.base) + offset, size);
  }

  /** mshare's get_unmapped_area and mmap checks; returns the start vpn to use. */
  checkMmap(
    f: MshareFile,
    addr: bigint | 'auto',
    len: bigint,
    flags: number,
    pickTopDown: (pages: number, align: number) => number | null,
    isFree: (a: number, b: number) => boolean,
  ): number | SysResult {
    if (flags & MAP_PRIVATE && !(flags & MAP_SHARED))
      return err('EINVAL', 'an mshare region can only be mapped MAP_SHARED');
    if (!f.pages) return err('EINVAL', 'the region has no size yet');
    if (!f.owner) return err('EINVAL', 'the region has no owner any more');
    if (len !== addrOf(f.pages)) return err('EINVAL', `the length must be the region's size, ${addrOf(f.pages)} bytes`);
    if (flags & MAP_FIXED) {
      if (addr === 'auto' || (addr >> 12n) % BigInt(this.align))
        return err('EINVAL', 'MAP_FIXED needs a P4D_SIZE (512 GiB) aligned address');
      return Number(addr >> 12n);
    }
    // A hint is taken when it is aligned and free, as get_unmapped_area() does.
    if (addr !== 'auto' && addr !== 0n && (addr >> 12n) % BigInt(this.align) === 0n) {
      const hint = Number(addr >> 12n);
      if (isFree(hint, hint + f.pages)) return hint;
    }
    const at = pickTopDown(f.pages, this.align);
    return at === null ? err('ENOMEM', 'no aligned free range') : at;
  }

  mapped(f: MshareFile): void {
    f.refs++;
  }

  /** The P4D level: the PGD with 4-level paging (folded), the P4D table with 5-level. */
  private p4dTable(mm: Mm, vpn: number, alloc: boolean): Table | null {
    const top = this.k.m.top;
    if (top === 3) return mm.pgd;
    if (alloc) return ensureChild(this.k.m, mm, mm.pgd, indexAt(vpn, top));
    const e = materialize(mm.pgd, indexAt(vpn, top));
    return e?.child ?? null;
  }

  /** The v3 fault path in do_user_addr_fault(). */
  fault(mm: Mm, vma: Vma, vpn: number, access: Access): FaultResult | undefined {
    if (!isMsharefs(vma)) return undefined;
    const { m } = this.k;
    const ev = m.ev;
    const f = vma.ext.file;
    if (this.twin) {
      // Mainline twin: a plain shared mapping, faulted into this task's own tables.
      const tv = this.twinVma(vma, vpn);
      if (!tv) {
        ev.emit('bad_area', 'nothing is mapped there: SIGSEGV');
        return 'SIGSEGV';
      }
      if (accessError(access, false, tv)) return 'SIGSEGV';
      return handleMmFault(this.k, mm, tv, vpn, access);
    }
    const host = f.host;
    const hostVpn = this.base + (vpn - vma.start);
    ev.emit(
      'do_user_addr_fault',
      `VM_MSHARE VMA: the fault is handled against ${host.label} at ${hexAddr(addrOf(hostVpn))} (per-VMA locks are not supported, so the mmap_lock path is taken)`,
    );
    ev.emit('mmap_read_lock_nested', host.label, q(SRC13, 'mmap_read_lock_nested(host_mm, SINGLE_DEPTH_NESTING);'));
    const lvl = 3; // P4D entries map 512 GiB in both paging modes
    const gt = this.p4dTable(mm, vpn, true);
    if (!gt) return 'OOM';
    const ht = this.p4dTable(host, hostVpn, false);
    const gi = indexAt(vpn, lvl);
    const hi = indexAt(hostVpn, lvl);
    const ge = entryAt(gt, gi);
    const he = ht ? entryAt(ht, hi) : null;
    const same = (!ge && !he) || (ge !== null && he !== null && ge.pfn === he.pfn);
    if (!same) {
      const mark = changeMark();
      const old = ge ? materialize(gt, gi)?.child : null;
      if (old) dropLink(old, (t) => m.freeTableTree(t));
      if (he && ht) {
        const pud = (materialize(ht, hi) as { child: Table }).child;
        setSingle(gt, gi, he.pfn, he.flags, pud);
        pud.sharers++;
        ev.emit(
          'set_p4d',
          `${mm.label} ${m.top === 3 ? 'PGD' : 'P4D'}[${gi}] ← host ${m.top === 3 ? 'PGD' : 'P4D'}[${hi}] = ${entryHex(he.pfn, he.flags)}: the task now walks the host's PUD page, pfn 0x${he.pfn.toString(16)} (ptdesc_pud_pts_inc), rechecked under the task's page_table_lock`,
          q(
            SRC13,
            'if (!p4d_same(*guest_p4d, *p4d)) {',
            'spinlock_t *guest_ptl = &guest->vm_mm->page_table_lock;',
            '…',
            'spin_lock(guest_ptl);',
            'if (!p4d_same(*guest_p4d, *p4d)) {',
            'pud_t *pud = p4d_pgtable(*p4d);',
            '…',
            'ptdesc_pud_pts_inc(virt_to_ptdesc(pud));',
            'set_p4d(guest_p4d, *p4d);',
            'spin_unlock(guest_ptl);',
          ),
        );
      } else {
        clearRange(gt, gi, gi + 1);
        ev.emit('set_p4d', `${mm.label}'s entry cleared: the host has no PUD page there any more`);
      }
      // The entry (and any old link dropped) is set_p4d's, announced after it is written.
      claimChanges(mark);
      ev.emit('mmap_read_unlock', host.label, q(SRC13, 'mmap_read_unlock(host_mm);', 'return VM_FAULT_NOPAGE;'));
      ev.emit('VM_FAULT_NOPAGE', 'the access retries');
      return 'NOPAGE';
    }
    const hv = vmaAt(host, hostVpn);
    if (!hv) {
      ev.emit('mmap_read_unlock', `${host.label}: no host VMA`, q(SRC13, 'if (!vma)', 'mmap_read_unlock(host_mm);'));
      ev.emit(
        'bad_area_nosemaphore',
        f.owner
          ? 'nothing is mapped there in the host mm (MSHAREFS_UNMAP, or never created): SIGSEGV'
          : 'the owner has exited and the region was emptied: access by a non-owner gives SIGSEGV (v3 17/22)',
      );
      return 'SIGSEGV';
    }
    if (accessError(access, false, hv)) {
      ev.emit('mmap_read_unlock', host.label);
      ev.emit('bad_area_access_error', `the host VMA does not allow ${access} (access_error() against the host VMA)`);
      return 'SIGSEGV';
    }
    const r = __handleMmFault(this.k, host, hv, hostVpn, access);
    ev.emit('mmap_read_unlock', host.label);
    return r === 'ok' ? 'ok' : r;
  }

  /** `touch` over the task's view: fault the host first, then one set_p4d per slot. */
  populate(mm: Mm, vma: Vma & { ext: MsharefsExt }, a: number, b: number, write: boolean): AccessOutcome | null {
    if (this.twin) {
      for (let v = a; v < b;) {
        const tv = this.twinVma(vma, v);
        if (!tv) return userAccess(this.k, mm, v, write ? 'write' : 'read');
        const e = Math.min(b, tv.end);
        const o = populate(this.k, mm, tv, v, e, write);
        if (o) return o;
        v = e;
      }
      return null;
    }
    return populateThroughHost(this.k, mm, vma.ext.file.host, this.base - vma.start, this.align, a, b, write);
  }

  /** MADV_DONTNEED and friends on the view act on the host's pages. */
  target(vma: Vma): { mm: Mm; delta: number } | undefined {
    return isMsharefs(vma) && !this.twin ? { mm: vma.ext.file.host, delta: this.base - vma.start } : undefined;
  }

  /**
   * The task unmaps its view (munmap of the whole VMA, or exit): p4d_clear() and ptdesc_pud_pts_dec() per 512 GiB slot.
   */
  unmapView(mm: Mm, vma: Vma & { ext: MsharefsExt }): boolean {
    const { m } = this.k;
    if (this.twin) {
      // A plain shared mapping: its own pages are zapped, then the file reference goes
      // (which may evict the region and free its pages, so not before).
      zapRange(m, mm, vma.start, vma.end, { reclaim: false });
      this.put(vma.ext.file);
      return true;
    }
    for (let v = vma.start; v < vma.end; v += this.align) {
      const gt = this.p4dTable(mm, v, false);
      if (!gt) continue;
      const i = indexAt(v, 3);
      const s = materialize(gt, i);
      if (!s?.child) continue;
      const mark = changeMark();
      clearRange(gt, i, i + 1);
      dropLink(s.child, (t) => m.freeTableTree(t));
      m.ev.emit(
        'p4d_clear',
        `${mm.label} drops its link to the host's PUD page pfn 0x${s.pfn.toString(16)} (ptdesc_pud_pts_dec); pages in the region itself are not unmapped`,
      );
      claimChanges(mark);
    }
    this.put(vma.ext.file);
    return true;
  }

  /** The owner exits: the whole host range is unmapped (v3 17/22); ownership is not inherited by fork. */
  ownerExit(mm: Mm): void {
    for (const f of this.files) {
      if (f.owner !== mm) continue;
      f.owner = null;
      this.k.m.ev.emit(
        'mshare_owner_exit',
        `"${f.name}" loses its owner: the host range is unmapped; other sharers now get SIGSEGV and new mmaps fail (v3 17/22 unmaps the whole host range when the owner exits)`,
      );
      if (f.pages) {
        this.twinZap(f, this.base, this.base + f.pages);
        this.k.munmapIn(f.host, addrOf(this.base), addrOf(f.pages));
      }
    }
  }
}
