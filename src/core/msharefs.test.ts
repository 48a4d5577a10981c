/**
 * msharefs, the 2025 series (Anthony Yznaga, v3 00/22, 19 Aug 2025,
 * lore 20250820010415.699353-1-anthony.yznaga@oracle.com), as the simulator
 * runs it. Expectations come from the series:
 *  - mm/mshare.c (v3, as summarised in shared/reference/mshare-versions.md §1d):
 *    mshare_align = P4D_SIZE; mshare_base = 512 GiB; the size is aligned and
 *    set once; get_unmapped_area rejects MAP_PRIVATE, len != size, an
 *    unaligned MAP_FIXED address, an unsized region and (v3) an ownerless one;
 *    .may_split and .mprotect return -EINVAL; CREATE_MAPPING needs
 *    MAP_SHARED|MAP_FIXED.
 *  - v3 13/22 and 14/22, find_shared_vma():
 *      mmap_read_lock_nested(host_mm, SINGLE_DEPTH_NESTING);
 *      p4d = walk_to_p4d(host_mm, host_addr); guest_p4d = walk_to_p4d(guest->vm_mm, *addrp);
 *      if (!p4d_same(*guest_p4d, *p4d)) { spin_lock(guest_ptl); ptdesc_pud_pts_inc(...);
 *          set_p4d(guest_p4d, *p4d); ... return VM_FAULT_NOPAGE; }
 *      vma = find_vma(host_mm, host_addr); ...
 *    and do_user_addr_fault(): access_error() against the host VMA, then
 *    handle_mm_fault(vma, addr) in the host.
 *  - the unshare hook: "Unlink any shared page tables in the range ... Pages
 *    in the mshare region itself are not unmapped." (p4d_clear, ptdesc_pud_pts_dec)
 *  - v3 17/22: the owner; "access to the memory by a non-owner process results
 *    in a SIGSEGV"; ownership "not shared or transferred through forking".
 *  - selftests V2 (Yongting Lin): ioctl_unmap: write, MSHAREFS_UNMAP, then a write is SIGSEGV.
 * kernel.invariants() must be empty after every step.
 */
import { describe, expect, it } from 'vitest';
import { Play as BasePlay } from './play.test-helper';
import { readFileSync } from 'node:fs';
import { Runner } from '../scenario/run';
import type { ReportStep } from '../scenario/report';
import type { MshareFile } from './msharefs';

class Play extends BasePlay {
  file(name: string): MshareFile {
    return [...(this.k.fs?.files ?? [])].find((f) => f.name === name) as MshareFile;
  }
}

const fns = (s: ReportStep): string[] => s.events.map((e) => e.fn);
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const scenario = (f: string): string => readFileSync(new URL(`../../scenarios/${f}.ptx`, import.meta.url), 'utf8');

/** A region "shm" of 512 GiB with 1 GiB of memory at offset 0, owned by A, mapped by A at 1 TiB. */
const REGION = `kernel msharefs
paging 4
spawn A
A: open "/sys/fs/mshare/shm" O_CREAT|O_RDWR 0600 as F
A: ftruncate F 512G
A: ioctl F MSHAREFS_CREATE_MAPPING region_offset=0 size=1G prot=rw flags=MAP_SHARED|MAP_FIXED
A: mmap 1T 512G rw shared fixed fd=F
`;
const REGION_STEPS = 5;

describe('the first fault and the P4D entry (v3 13/22, 14/22)', () => {
  it("the owner's first write faults in the host mm (tables charged to the host), then set_p4d links the owner; the retry allocates nothing", () => {
    const p = new Play(`${REGION}A: write 1T+0x1000 "x"\n`);
    p.run(REGION_STEPS);
    const w = p.next();
    expect(fns(w)).toEqual([
      'do_user_addr_fault',
      'mmap_read_lock_nested',
      '__handle_mm_fault',
      'pud_alloc',
      'pmd_alloc',
      'do_shared_fault',
      'pte_alloc',
      'shmem_fault',
      'finish_fault',
      'mmap_read_unlock',
      // v3 14/22 unlocks the host before returning VM_FAULT_NOPAGE.
      'do_user_addr_fault',
      'mmap_read_lock_nested',
      'set_p4d',
      'mmap_read_unlock',
      'VM_FAULT_NOPAGE',
    ]);
    // The host's region starts at mshare_base = 512 GiB: offset 0x1000 is 0x8000001000 there.
    expect(w.events[0]?.detail).toContain('at 0x8000001000');
    expect(
      w.events.filter((e) => e.fn.endsWith('_alloc')).every((e) => e.detail?.endsWith('charged to mshare:shm')),
    ).toBe(true);
    expect(w.pgtables_bytes).toEqual({ A: 0 });
    expect(w.hosts_pgtables_bytes).toBe(12288);
    // With 4-level paging the P4D is folded: the copied entry is A's PGD slot 2 (1 TiB) ← host PGD slot 1 (512 GiB).
    expect(w.events.find((e) => e.fn === 'set_p4d')?.detail).toMatch(/^A PGD\[2\] ← host PGD\[1\] = 0x[0-9a-f]{16}: /);
  });

  it('one region at two P4D-aligned addresses: a second task pays nothing, reads the same bytes, walks to the same PFN', () => {
    const p = new Play(scenario('msharefs-two-addresses'));
    p.run(9); // through B's mmap at 2 TiB
    const before = { used: p.k.m.frames.used, tables: p.k.liveMms().map((m) => [...m.tables]) };
    const r = p.next();
    expect(fns(r)).toEqual([
      'do_user_addr_fault',
      'mmap_read_lock_nested',
      'set_p4d',
      'mmap_read_unlock',
      'VM_FAULT_NOPAGE',
    ]);
    expect(r.events.find((e) => e.fn === 'set_p4d')?.detail).toMatch(/^B PGD\[4\] ← host PGD\[1\]/);
    expect({ used: p.k.m.frames.used, tables: p.k.liveMms().map((m) => [...m.tables]) }).toEqual(before);
    expect(r.outcome).toEqual({ kind: 'ok', value: hex('one region, two addresses') });
    expect(r.pgtables_bytes).toEqual({ A: 0, B: 0 });
    const a = p.next();
    const b = p.next();
    expect(a.walk?.levels[0]).toMatchObject({ level: 'pgd', index: 2 });
    expect(b.walk?.levels[0]).toMatchObject({ level: 'pgd', index: 4 });
    // The same PGD entry value in two slots, then the same PUD/PMD/PTE entries and the same page.
    expect(b.walk?.levels.map((l) => l.entry)).toEqual(a.walk?.levels.map((l) => l.entry));
    expect(b.walk?.pfn).toBe(a.walk?.pfn);
    expect(b.walk?.pfn).not.toBeNull();
    // B writes, A reads.
    p.next();
    expect(p.next().outcome).toEqual({ kind: 'ok', value: hex('B was here') });
  });

  it("with 5-level paging the shared entry is a slot in the task's own P4D page, which VmPTE does not count", () => {
    const p = new Play(scenario('msharefs-5level'));
    p.run(5);
    const w = p.next();
    // walk_to_p4d(guest) → p4d_alloc in A's own mm; the host gets its own P4D page too.
    expect(w.events.filter((e) => e.fn === 'p4d_alloc').map((e) => e.detail?.replace(/pfn 0x[0-9a-f]+, /, ''))).toEqual(
      ['new P4D page, charged to A', 'new P4D page, charged to mshare:x'],
    );
    expect(w.events.find((e) => e.fn === 'set_p4d')?.detail).toMatch(/^A P4D\[2\] ← host P4D\[1\]/);
    expect(w.pgtables_bytes).toEqual({ A: 0 });
    p.run(3);
    const r = p.next();
    expect(r.events.find((e) => e.fn === 'set_p4d')?.detail).toMatch(/^B P4D\[0\] ← host P4D\[1\]/);
    expect(r.outcome).toEqual({ kind: 'ok', value: hex('five') });
    const a = p.next();
    const b = p.next();
    expect(a.walk?.levels.map((l) => [l.level, l.index])).toEqual([
      ['pgd', 0],
      ['p4d', 2],
      ['pud', 0],
      ['pmd', 0],
      ['pte', 0],
    ]);
    expect(b.walk?.levels.map((l) => [l.level, l.index])).toEqual([
      ['pgd', 1],
      ['p4d', 0],
      ['pud', 0],
      ['pmd', 0],
      ['pte', 0],
    ]);
    // Own PGD and P4D pages, the same P4D entry value, then everything the same.
    expect(a.walk?.levels[0]?.entry).not.toBe(b.walk?.levels[0]?.entry);
    expect(a.walk?.levels.slice(1).map((l) => l.entry)).toEqual(b.walk?.levels.slice(1).map((l) => l.entry));
    expect(b.walk?.pfn).toBe(a.walk?.pfn);
    const report = Runner.report(p.r, p.steps);
    expect(report.totals.table_pages).toEqual({ pgd: 3, p4d: 3, pud: 1, pmd: 1, pte: 1 });
    expect(report.tasks.map((t) => [t.name, t.pgtables_bytes, t.table_pages.p4d])).toEqual([
      ['A', 0, 1],
      ['B', 0, 1],
    ]);
  });

  it('with 5-level paging the entry copied is the P4D entry of the address, not its PGD entry (two views under one PGD entry)', () => {
    // Worked by hand: 512 GiB per P4D entry, 256 TiB per PGD entry with 5 levels. A at 512G: PGD 0, P4D 1;
    // B at 3T: PGD 0, P4D 6; the host's region starts at mshare_base = 512G: host P4D 1.
    const p = new Play(`kernel msharefs
paging 5
spawn A
spawn B
A: open "/sys/fs/mshare/y" O_CREAT|O_RDWR 0600 as F
A: ftruncate F 512G
A: ioctl F MSHAREFS_CREATE_MAPPING region_offset=0 size=2M prot=rw flags=MAP_SHARED|MAP_FIXED
A: mmap 512G 512G rw shared fixed fd=F
B: open "/sys/fs/mshare/y" O_RDWR as G
B: mmap 3T 512G rw shared fixed fd=G
A: write 512G+0x1000 "p4d"
B: read 3T+0x1000 3
B: translate 3T+0x1000
`);
    p.run(8);
    const w = p.next();
    expect(w.events.find((e) => e.fn === 'set_p4d')?.detail).toMatch(/^A P4D\[1\] ← host P4D\[1\]/);
    const r = p.next();
    expect(r.events.find((e) => e.fn === 'set_p4d')?.detail).toMatch(/^B P4D\[6\] ← host P4D\[1\]/);
    expect(r.outcome).toEqual({ kind: 'ok', value: hex('p4d') });
    expect(p.next().walk?.levels.map((l) => [l.level, l.index])).toEqual([
      ['pgd', 0],
      ['p4d', 6],
      ['pud', 0],
      ['pmd', 0],
      ['pte', 1],
    ]);
  });

  it('access_error() is checked against the host VMA: a read-only host mapping refuses a write through a rw view', () => {
    const p = new Play(`kernel msharefs
spawn A
A: open "/sys/fs/mshare/ro" O_CREAT|O_RDWR 0600 as F
A: ftruncate F 512G
A: ioctl F MSHAREFS_CREATE_MAPPING region_offset=0 size=1G prot=r flags=MAP_SHARED|MAP_FIXED
A: mmap 1T 512G rw shared fixed fd=F
A: read 1T 1
A: write 1T "x"
`);
    p.run(5);
    expect(p.next().outcome).toEqual({ kind: 'ok', value: '00' });
    const w = p.next();
    expect(w.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    expect(fns(w)).toContain('bad_area_access_error');
    expect(fns(w)).not.toContain('__handle_mm_fault');
  });

  it('lock order (edge 11): the task takes the host lock (nested) before comparing or faulting; the host fault is bracketed by it', () => {
    const p = new Play(`${REGION}A: write 1T "x"\n`);
    p.run(REGION_STEPS);
    const f = fns(p.next());
    const lock = f.indexOf('mmap_read_lock_nested');
    expect(f[0]).toBe('do_user_addr_fault');
    expect(lock).toBe(1);
    expect(lock).toBeLessThan(f.indexOf('__handle_mm_fault'));
    expect(f.indexOf('finish_fault')).toBeLessThan(f.indexOf('mmap_read_unlock'));
    // The retry takes the nested lock again before set_p4d.
    expect(f.lastIndexOf('mmap_read_lock_nested')).toBeLessThan(f.indexOf('set_p4d'));
  });

  it('rmap (edge 12): the host mm has one VMA for the memory and each page one mapping, however many tasks map the region', () => {
    const p = new Play(`${REGION}A: write 1T "x"
spawn t[1..4]
t[1..4]: open "/sys/fs/mshare/shm" O_RDWR as G
t[1..4]: mmap auto 512G rw shared fd=G
A: translate 1T
`);
    const t = p.run();
    expect(p.file('shm').host.vmas.filter((v) => !v.name)).toHaveLength(1);
    expect(p.k.m.frames.mapcount.get(t.walk?.pfn as number)).toBe(1);
    // Without MAP_FIXED the kernel picks a P4D-aligned address below mmap_base for each.
    const addrs = p.steps[8]?.outcomes;
    expect(addrs).toEqual({ ok: 4 });
    for (const n of ['t1', 't2', 't3', 't4']) expect((p.mm(n).vmas[0]?.start ?? 1) % 2 ** 27).toBe(0);
  });
});

describe('the refusals (EINVAL)', () => {
  it('every refusal of scenarios/msharefs-refusals.ptx, in order, and the mapping that is accepted', () => {
    const p = new Play(scenario('msharefs-refusals'));
    const outcomes = (() => {
      p.run();
      return p.steps.map((s) =>
        s.outcome.kind === 'errno' ? s.outcome.errno : s.outcome.kind === 'signal' ? s.outcome.signal : 'ok',
      );
    })();
    expect(outcomes).toEqual([
      'ok', // spawn
      'ok', // open O_CREAT
      'EINVAL', // mmap of an unsized region
      'EINVAL', // ftruncate 1G: not a multiple of P4D_SIZE
      'ok', // ftruncate 512G
      'EINVAL', // ftruncate again: set once
      'EINVAL', // CREATE_MAPPING without MAP_FIXED
      'ok', // CREATE_MAPPING 4M
      'EINVAL', // MAP_PRIVATE
      'EINVAL', // len != size
      'EINVAL', // MAP_FIXED unaligned
      'ok', // mmap at 1T
      'EINVAL', // partial munmap: .may_split
      'EINVAL', // mprotect: .mprotect
      'ok', // write 'M'
      'ok', // MSHAREFS_UNMAP
      'SIGSEGV', // write 'D' after the unmap
    ]);
    const why = (i: number): string | undefined => (p.steps[i]?.outcome as { why?: string }).why;
    expect(why(2)).toBe('the region has no size yet');
    expect(why(8)).toBe('an mshare region can only be mapped MAP_SHARED');
    expect(why(9)).toMatch(/^the length must be the region's size/);
    expect(why(10)).toBe('MAP_FIXED needs a P4D_SIZE (512 GiB) aligned address');
    expect(why(12)).toContain('may_split');
    expect(why(13)).toContain('mprotect');
  });

  it('a refused munmap or mprotect changes nothing: the VMA and the link stay', () => {
    const p = new Play(`${REGION}A: write 1T "x"
A: munmap 1T+1G 1G
A: mprotect 1T 4K r
A: read 1T 1
`);
    p.run(REGION_STEPS + 1);
    const vmas = JSON.stringify(
      p
        .mm('A')
        .vmas.filter((v) => !v.name)
        .map((v) => [v.start, v.end, v.flags]),
    );
    const used = p.k.m.frames.used;
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(
      JSON.stringify(
        p
          .mm('A')
          .vmas.filter((v) => !v.name)
          .map((v) => [v.start, v.end, v.flags]),
      ),
    ).toBe(vmas);
    expect(p.k.m.frames.used).toBe(used);
    const r = p.next();
    expect(fns(r)).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ok', value: hex('x') });
  });

  it('the whole view can be unmapped (no split): only the link goes, p4d_clear and ptdesc_pud_pts_dec (edge 7)', () => {
    const p = new Play(scenario('msharefs-two-addresses'));
    p.run(14);
    const host = p.file('shm').host;
    const hostTables = [...host.tables];
    const used = p.k.m.frames.used;
    const u = p.next();
    expect(u.outcome).toEqual({ kind: 'ok' });
    expect(fns(u)).toContain('p4d_clear');
    expect(u.events.find((e) => e.fn === 'p4d_clear')?.detail).toContain('pages in the region itself are not unmapped');
    expect(u.events.find((e) => e.fn === 'unmap_vmas')?.detail).toBe('0 mapped pages unmapped');
    expect(host.tables).toEqual(hostTables);
    expect(p.k.m.frames.used).toBe(used);
    expect(p.next().outcome).toEqual({ kind: 'ok', value: hex('one region, two addresses') });
  });

  it("a sharer's exit clears only its link (edge 7)", () => {
    const p = new Play(`${REGION}A: write 1T "x"
spawn B
B: open "/sys/fs/mshare/shm" O_RDWR as G
B: mmap 2T 512G rw shared fixed fd=G
B: read 2T 1
B: exit
A: read 1T 1
`);
    p.run(REGION_STEPS + 5);
    const host = p.file('shm').host;
    const hostTables = [...host.tables];
    const refs = p.file('shm').refs;
    const e = p.next();
    expect(fns(e)).toContain('p4d_clear');
    expect(host.tables).toEqual(hostTables);
    // The exit dropped B's mapping and B's open file.
    expect(p.file('shm').refs).toBe(refs - 2);
    expect(p.next().outcome).toEqual({ kind: 'ok', value: hex('x') });
  });

  it('MSHAREFS_UNMAP then a touch: SIGSEGV (selftest ioctl_unmap)', () => {
    const p = new Play(`${REGION}A: write 1T "M"
A: ioctl F MSHAREFS_UNMAP region_offset=0 size=1G
A: write 1T "D"
`);
    p.run(REGION_STEPS + 1);
    const u = p.next();
    expect(u.outcome).toEqual({ kind: 'ok' });
    expect(p.file('shm').host.vmas.filter((v) => !v.name)).toHaveLength(0);
    const w = p.next();
    expect(w.outcome).toEqual({ kind: 'signal', signal: 'SIGSEGV', cause: 'VM_FAULT_SIGSEGV at 0x10000000000' });
    // No host VMA: v3 unlocks the host and the fault ends in bad_area_nosemaphore.
    expect(w.events.find((e) => e.fn === 'bad_area_nosemaphore')?.detail).toContain('MSHAREFS_UNMAP');
  });

  it('open: ENOENT without O_CREAT, EEXIST with O_CREAT|O_EXCL, and the same region with O_CREAT alone', () => {
    const p = new Play(`kernel msharefs
spawn A
A: open "/sys/fs/mshare/r" O_RDWR as F
A: open "/sys/fs/mshare/r" O_CREAT|O_EXCL|O_RDWR 0600 as F
A: open "/sys/fs/mshare/r" O_CREAT|O_EXCL|O_RDWR 0600 as G
A: open "/sys/fs/mshare/r" O_CREAT|O_RDWR 0600 as H
A: open "/tmp/elsewhere" O_CREAT|O_RDWR 0600 as I
`);
    p.run(1);
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOENT' });
    expect(p.next().outcome).toMatchObject({ kind: 'ok' });
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'EEXIST' });
    expect(p.next().outcome).toMatchObject({ kind: 'ok' });
    expect(p.k.fs?.files.size).toBe(1);
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOENT' });
  });

  it('the msharefs calls do not exist in the other kernels; mshare() does not exist in msharefs', () => {
    const p = new Play(`kernel mainline
spawn A
A: open "/sys/fs/mshare/r" O_CREAT|O_RDWR 0600 as F
A: ioctl F MSHAREFS_UNMAP region_offset=0 size=4K
`);
    p.run(1);
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOENT' });
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOSYS' });
    const q = new Play(`kernel msharefs
spawn A
A: mshare "x" 1T 512G O_CREAT|O_RDWR 0600
A: mshare_unlink "x"
`);
    q.run(1);
    expect(q.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOSYS' });
    expect(q.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOSYS' });
  });
});

describe('the owner (v3 17/22)', () => {
  it('the owner exits: the host range is emptied, sharers get SIGSEGV, a forked child is no owner, and a new mmap fails with EINVAL', () => {
    const p = new Play(scenario('msharefs-owner-exit'));
    p.run(12);
    const f = p.file('db');
    expect(f.owner).toBe(p.mm('A'));
    expect(f.host.rssShmem).toBe(1);
    const exit = p.next();
    expect(fns(exit)).toContain('mshare_owner_exit');
    expect(f.owner).toBeNull();
    // do_munmap of the whole host range: the host has no VMA and maps no page any more.
    expect(f.host.vmas.filter((v) => !v.name)).toHaveLength(0);
    expect(f.host.rssShmem).toBe(0);
    expect(exit.events.find((e) => e.fn === 'mshare_owner_exit')?.detail).toContain('SIGSEGV');
    // B (an opener) and C (A's own child) both die on their next access.
    const b = p.next();
    expect(b.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    expect(b.events.find((e) => e.fn === 'bad_area_nosemaphore')?.detail).toContain('owner has exited');
    expect(p.next().outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    p.run(2);
    const m = p.next();
    expect(m.outcome).toEqual({ kind: 'errno', errno: 'EINVAL', why: 'the region has no owner any more' });
    // Every table of the region is gone once the last link went.
    expect(f.host.pgtablesBytes).toBe(0);
    expect(Runner.report(p.r, p.steps).totals.data_pages).toBe(0);
  });

  it('the memory is allocated in the host mm, not in the sharer that touches it first', () => {
    const p = new Play(`${REGION}spawn B
B: open "/sys/fs/mshare/shm" O_RDWR as G
B: mmap 2T 512G rw shared fixed fd=G
B: touch 2T 4M write
`);
    const t = p.run();
    expect(t.pgtables_bytes).toEqual({ A: 0, B: 0 });
    expect(p.file('shm').host.rssShmem).toBe(1024);
    expect(p.mm('B').rssShmem).toBe(0);
    expect(t.hosts_pgtables_bytes).toBe((1 + 1 + 2) * 4096);
  });
});

describe('unlink while mapped (edge 9): the region goes at inode eviction', () => {
  it('the name goes at once; the memory stays until the last mapping and descriptor are gone', () => {
    const p = new Play(`${REGION}A: write 1T "still here"
A: unlink "/sys/fs/mshare/shm"
A: read 1T 10
spawn B
B: open "/sys/fs/mshare/shm" O_RDWR as G
A: munmap 1T 512G
A: close F
`);
    p.run(REGION_STEPS + 1);
    const u = p.next();
    expect(u.outcome).toEqual({ kind: 'ok' });
    expect(fns(u)).toEqual(['msharefs_unlink']);
    expect(p.k.fs?.names.size).toBe(0);
    expect(p.k.fs?.files.size).toBe(1);
    expect(p.next().outcome).toEqual({ kind: 'ok', value: hex('still here') });
    p.next();
    expect(p.next().outcome).toMatchObject({ kind: 'errno', errno: 'ENOENT' });
    p.next();
    expect(p.k.fs?.files.size).toBe(1); // the descriptor still holds it
    const c = p.next();
    expect(fns(c)).toContain('msharefs_evict_inode');
    expect(p.k.fs?.files.size).toBe(0);
    // Only the two tasks' PGD pages remain.
    expect(p.k.m.frames.used).toBe(2);
    expect(Runner.report(p.r, p.steps).mshare).toEqual([]);
  });
});

describe('MSHAREFS_UNMAP under another sharer (edge 10: what a TLB flush must make true)', () => {
  it('after the unmap no task reaches the page: the walk of each sharer finds nothing, and the next access is SIGSEGV', () => {
    const p = new Play(scenario('msharefs-unmap-tlb'));
    p.run(10);
    const u = p.next();
    expect(fns(u)).toEqual([
      'MSHAREFS_UNMAP',
      'do_vmi_munmap',
      'unmap_vmas',
      'free_pgd_range',
      'pte_free_tlb',
      'pmd_free_tlb',
    ]);
    // The data page is gone from the host; only the shared PUD page is left (kept by the two links).
    expect(u.hosts_pgtables_bytes).toBe(4096);
    expect(Runner.report(p.r, p.steps).totals.data_pages).toBe(0);
    const b = p.next();
    expect(b.outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    expect(p.next().outcome).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
  });
});

describe('the scenarios of scenarios/msharefs-*.ptx load and hold the invariants at every step', () => {
  for (const f of ['two-addresses', '5level', 'owner-exit', 'refusals', 'unlink', 'unmap-tlb']) {
    it(f, () => {
      const p = new Play(scenario(`msharefs-${f}`));
      p.run();
      expect(p.steps.every((s) => s.note !== undefined && s.note.length > 0)).toBe(true);
    });
  }
});
