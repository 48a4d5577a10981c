/**
 * mshare's statements in the mainline twin (a Kernel run with `twin: true`,
 * what `ptx run --compare mainline` and the Accounting tab compare with):
 * each region becomes a plain shared mapping of one shmem object, so the
 * memory is shared in both runs and only the page tables differ.
 * mshare(O_CREAT) names the creator's shared mapping at the region start
 * (as shm_open() names a /dev/shm file); an attach maps that object
 * MAP_SHARED|MAP_FIXED; mshare_unlink() drops the name, and a non-creator's
 * view with it.
 *
 * Moved out of the Kernel facade (kernel.ts), which only routes to it.
 */
import type { Mm } from './mm';
import { vmaAt } from './mm';
import { addrOf } from './paging';
import type { Shmem } from './shmem';
import { doMmap, doMunmap, releaseShmem, type SysResult, type VmCtx } from './syscalls';
import { MAP_FIXED, MAP_SHARED, O_CREAT, O_EXCL, O_RDWR, O_WRONLY, PROT_READ, PROT_WRITE } from './uapi';

export class MainlineTwinMshare {
  /** The twin's regions: name → the shared object and who made it. */
  private readonly regions = new Map<
    string,
    { shmem: Shmem; start: number; pages: number; refs: number; creator: Mm }
  >();

  constructor(private readonly ctx: VmCtx) {}

  /** mshare() in the mainline twin: the creator's mapping is the object; attachers map it MAP_SHARED. */
  mshare(mm: Mm, region: string, addr: bigint, len: bigint, oflag: number): SysResult {
    const ctx = this.ctx;
    const ev = ctx.m.ev;
    const r = this.regions.get(region);
    if (r && oflag & (O_CREAT | O_EXCL)) return { ok: false, errno: 'EEXIST', why: 'exists' };
    if (!r) {
      const v = vmaAt(mm, Number(addr >> 12n));
      if (!v || !v.shmem) return { ok: false, errno: 'EINVAL', why: 'nothing shared to name' };
      const sh = ctx.shmems.get(v.shmem.id) as Shmem;
      sh.refs++; // the name holds the object, as a /dev/shm file would
      this.regions.set(region, { shmem: sh, start: v.start, pages: Number(len >> 12n), refs: 1, creator: mm });
      ev.emit(
        'shm_open',
        `mainline twin: "${region}" names the shared memory object already mapped here; no tables are shared`,
      );
      return { ok: true };
    }
    const acc = oflag & 3;
    const prot = acc === O_WRONLY ? PROT_WRITE : acc === O_RDWR ? PROT_READ | PROT_WRITE : 0;
    ev.emit('mmap', `mainline twin: MAP_SHARED mapping of "${region}"; this task will fault in page tables of its own`);
    const res = doMmap(
      ctx,
      mm,
      { addr, len, prot, flags: MAP_SHARED | MAP_FIXED, backing: { shmem: r.shmem, pgoff: 0 } },
      () => undefined,
    );
    if (res.ok) r.refs++;
    return res;
  }

  /** mshare_unlink() in the mainline twin. */
  unlink(mm: Mm, region: string): SysResult {
    const r = this.regions.get(region);
    if (!r) return { ok: false, errno: 'EINVAL', why: 'no such region' };
    r.refs--;
    if (r.refs === 0) {
      this.regions.delete(region);
      releaseShmem(this.ctx, r.shmem.id);
    } else if (r.creator !== mm) return doMunmap(this.ctx, mm, addrOf(r.start), addrOf(r.pages));
    return { ok: true };
  }
}
