/**
 * The Kernel facade and the memory syscalls (kernel.ts, syscalls.ts): task
 * life cycle, mmap placement and errors (errno values as Linux returns them),
 * exit freeing everything, the memory limit, and determinism.
 */
import { describe, expect, it } from 'vitest';
import { Kernel, MMAP_BASE_VPN } from './kernel';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_PRIVATE, PROT_NONE, PROT_READ } from './uapi';
import { runScenarioText } from '../scenario/run';
import { T, G, M, K4, RW, SHARED, mmOf } from './test-kit';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const PRIV = ANON | MAP_FIXED;

function kernel(paging: 4 | 5 = 4): Kernel {
  const k = new Kernel({ paging });
  k.spawn('A');
  k.takeEvents();
  return k;
}

describe('tasks', () => {
  it('spawn gives pids 1, 2, … and an empty mm whose PGD is not counted', () => {
    const k = new Kernel({ paging: 4 });
    expect(k.spawn('A').outcome).toEqual({ kind: 'ok', value: '1' });
    expect(k.spawn('B').outcome).toEqual({ kind: 'ok', value: '2' });
    expect(k.takeEvents().map((e) => [e.fn, e.task, e.detail])).toEqual([
      ['mm_alloc', 'A', 'new mm with an empty PGD page, pfn 0x1000'],
      ['map_vdso', 'A', expect.stringContaining('[vvar], [vvar_vclock], [vdso] at 0x7ffff7ff7000-0x7ffff7fff000')],
      ['mm_alloc', 'B', 'new mm with an empty PGD page, pfn 0x1001'],
      ['map_vdso', 'B', expect.stringContaining('nothing touched, no page tables')],
    ]);
    expect(mmOf(k).pgtablesBytes).toBe(0);
    expect(mmOf(k).tables[3]).toBe(1);
    expect(k.m.frames.used).toBe(2);
  });

  it('exit tears the mm down, PGD included; later steps of the task are skipped', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1]));
    k.takeEvents();
    expect(k.exit('A').outcome).toEqual({ kind: 'ok' });
    // free_pgtables() gathers VMAs less than a PMD apart: three calls, for 1T, for [vvar]-[vdso], for [stack].
    expect(k.takeEvents().map((e) => e.fn)).toEqual([
      'do_exit',
      'exit_mmap',
      'unmap_vmas',
      'free_pgd_range',
      'pte_free_tlb',
      'pmd_free_tlb',
      'pud_free_tlb',
      'free_pgd_range',
      'free_pgd_range',
      'mm_free_pgd',
    ]);
    expect(k.tasks.get('A')?.state).toBe('exited');
    expect(k.m.frames.used).toBe(0);
    expect(k.exit('A').outcome.kind).toBe('skipped');
    expect(k.write('A', T, new Uint8Array([1])).outcome.kind).toBe('skipped');
    expect(k.fork('A', 'B').outcome.kind).toBe('skipped');
    expect(k.read('nobody', T, 1).outcome.kind).toBe('skipped');
  });

  it('frees every frame once all tasks exit, whatever they did (frames.used === 0)', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: 2n * G, prot: RW, flags: PRIV });
    k.mmap('A', { addr: T + 4n * G, len: G, prot: RW, flags: SHARED });
    k.touch('A', T, G + 3n * M, 'write');
    k.touch('A', T + 4n * G, 5n * M, 'write');
    k.fork('A', 'B');
    k.fork('B', 'C');
    k.touch('B', T + 4n * G, 9n * M, 'read');
    k.write('B', T + 7n * K4, new Uint8Array([1]));
    k.madviseDontneed('A', T + 2n * M, 4n * M);
    k.munmap('A', T + 100n * M, 50n * M);
    k.mprotect('B', T, M, PROT_READ);
    k.write('C', T + G + 5n * K4, new Uint8Array([1]));
    expect(k.invariants()).toEqual([]);
    for (const t of ['A', 'B', 'C']) k.exit(t);
    expect(k.m.frames.used).toBe(0);
    expect(k.shmems.size).toBe(0);
    expect(k.invariants()).toEqual([]);
  });

  it('a shared object outlives the task that created it while another maps it', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: 2n * M, prot: RW, flags: SHARED });
    k.write('A', T, new TextEncoder().encode('shared'));
    k.fork('A', 'B');
    k.exit('A');
    expect(k.read('B', T, 6).outcome).toEqual({ kind: 'ok', value: '736861726564' });
    k.exit('B');
    expect(k.m.frames.used).toBe(0);
  });

  it('no memory for a PGD: spawn fails with ENOMEM', () => {
    const k = new Kernel({ paging: 4, memory: 0n });
    expect(k.spawn('A').outcome).toMatchObject({ kind: 'errno', errno: 'ENOMEM' });
    expect(k.tasks.has('A')).toBe(false);
  });
});

describe('mmap', () => {
  it('places auto mappings top-down below mmap_base = 2^47 - 4K - 128 MiB, under [vvar]', () => {
    // mmap_base(): task_size (DEFAULT_MAP_WINDOW) - gap, the gap clamped up to 128 MiB.
    // map_vdso() took the 8 pages below it (0x7ffff7ff7000-0x7ffff7fff000, as measured).
    expect(MMAP_BASE_VPN * 4096).toBe(0x7ffff7fff000);
    const k = kernel();
    expect(k.mmap('A', { addr: 'auto', len: M, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x7ffff7ef7000',
    });
    expect(k.mmap('A', { addr: 'auto', len: K4, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x7ffff7ef6000',
    });
    // A length is rounded up to pages.
    expect(k.mmap('A', { addr: 'auto', len: 1n, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x7ffff7ef5000',
    });
  });

  it('takes a free hint as is, and goes top-down when the hint is taken', () => {
    const k = kernel();
    expect(k.mmap('A', { addr: T, len: M, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x10000000000',
    });
    expect(k.mmap('A', { addr: T, len: M, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x7ffff7ef7000',
    });
  });

  it('a hint above 47 bits is honoured with LA57 only', () => {
    const hint = 1n << 50n;
    const k5 = kernel(5);
    expect(k5.mmap('A', { addr: hint, len: M, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x4000000000000',
    });
    const k4 = kernel(4);
    expect(k4.mmap('A', { addr: hint, len: M, prot: RW, flags: ANON }).outcome).toEqual({
      kind: 'ok',
      value: '0x7ffff7ef7000',
    });
  });

  it('returns Linux errno values for bad calls', () => {
    const k = kernel();
    const e = (addr: bigint | 'auto', len: bigint, flags: number): unknown =>
      k.mmap('A', { addr, len, prot: RW, flags }).outcome;
    expect(e(T, 0n, PRIV)).toMatchObject({ errno: 'EINVAL' }); // length 0
    expect(e(T, M, MAP_ANONYMOUS | MAP_FIXED)).toMatchObject({ errno: 'EINVAL' }); // neither shared nor private
    expect(e(T + 1n, M, PRIV)).toMatchObject({ errno: 'EINVAL' }); // MAP_FIXED unaligned
    expect(e(0n, K4, PRIV)).toMatchObject({ errno: 'EPERM' }); // below mmap_min_addr (4096)
    expect(e(0x7ffffffff000n, 2n * K4, PRIV)).toMatchObject({ errno: 'ENOMEM' }); // beyond TASK_SIZE
    expect(e(T, M, MAP_PRIVATE | MAP_FIXED)).toMatchObject({ errno: 'EBADF' }); // a file mapping without a file
    expect(e(T, 2n * M, PRIV | MAP_HUGETLB)).toMatchObject({ errno: 'EINVAL' }); // private hugetlb is not modelled: refused with EINVAL and a reason
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(0);
  });

  it('the highest possible mapping ends exactly at TASK_SIZE', () => {
    const k = kernel();
    expect(k.mmap('A', { addr: 0x7fffffffe000n, len: K4, prot: RW, flags: PRIV }).outcome).toEqual({
      kind: 'ok',
      value: '0x7fffffffe000',
    });
    expect(k.write('A', 0x7fffffffe000n, new Uint8Array([1])).outcome.kind).toBe('ok');
  });

  it('MAP_FIXED_NOREPLACE: EEXIST over a mapping, fine elsewhere', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    expect(
      k.mmap('A', { addr: T + 4096n * 100n, len: K4, prot: RW, flags: ANON | MAP_FIXED_NOREPLACE }).outcome,
    ).toMatchObject({ errno: 'EEXIST' });
    expect(k.mmap('A', { addr: T + G, len: K4, prot: RW, flags: ANON | MAP_FIXED_NOREPLACE }).outcome).toEqual({
      kind: 'ok',
      value: '0x10040000000',
    });
  });

  it('merges a compatible neighbour (vma_merge_new_range) but not an incompatible one', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    k.mmap('A', { addr: T + M, len: M, prot: RW, flags: PRIV });
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(1);
    k.mmap('A', { addr: T + 2n * M, len: M, prot: PROT_READ, flags: PRIV });
    k.mmap('A', { addr: T + 3n * M, len: M, prot: RW, flags: SHARED });
    k.mmap('A', { addr: T + 4n * M, len: M, prot: PROT_NONE, flags: PRIV });
    expect(mmOf(k).vmas.filter((v) => !v.name)).toHaveLength(4);
  });

  it('emits do_mmap and mmap_region, and shmem_zero_setup for shared memory', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: M, prot: RW, flags: SHARED });
    expect(k.takeEvents().map((e) => e.fn)).toEqual(['do_mmap', 'shmem_zero_setup', 'mmap_region']);
  });
});

describe('read, write, translate', () => {
  it('write stores the bytes, read returns them as hex', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    expect(k.write('A', T + 0x10n, new TextEncoder().encode('Some text')).outcome).toEqual({ kind: 'ok' });
    expect(k.read('A', T + 0x10n, 9).outcome).toEqual({ kind: 'ok', value: '536f6d652074657874' });
  });

  it('translate shows the physical address and changes nothing', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: M, prot: RW, flags: PRIV });
    k.write('A', T, new Uint8Array([1])); // data pfn 0x1004
    k.takeEvents();
    const used = k.m.frames.used;
    const r = k.translate('A', T + 0x123n);
    expect(r.outcome).toEqual({ kind: 'ok', value: '0x1004123' });
    expect(r.walk?.levels.map((l) => l.index)).toEqual([2, 0, 0, 0]);
    expect(k.takeEvents().map((e) => e.fn)).toEqual(['walk']);
    expect(k.m.frames.used).toBe(used);
    expect(k.translate('A', T + M).outcome).toEqual({ kind: 'ok', value: 'none' });
  });

  it('translate of a non-canonical address is refused without killing the task', () => {
    const k = kernel();
    expect(k.translate('A', 0x0000800000000000n).outcome).toMatchObject({ kind: 'errno', errno: 'EFAULT' });
    expect(k.tasks.get('A')?.state).toBe('running');
  });

  it('a write spanning two VMAs and a hole writes the first page, then SIGSEGV', () => {
    const k = kernel();
    k.mmap('A', { addr: T, len: K4, prot: RW, flags: PRIV });
    const r = k.write('A', T + 4094n, new Uint8Array([1, 2, 3]));
    expect(r.outcome).toEqual({ kind: 'signal', signal: 'SIGSEGV', cause: 'no mapping at 0x10000001000' });
  });
});

describe('determinism', () => {
  const text = `title "determinism"
spawn A
A: mmap 1T 1G rw private anon fixed
A: mmap 2T 64M rw shared anon fixed
A: touch 1T+12K 3M+20K write
A: touch 2T 4M write
A: fork B
B: write 1T+16K "child"
A: madvise 1T 2M MADV_DONTNEED
B: touch 2T 8M read
A: mprotect 1T+4M 8K r
B: munmap 1T+2M 2M
A: translate 1T+16K
B: translate 1T+16K
B: exit
A: read 0x800000000000
`;
  it('the same scenario run twice gives deep-equal reports', () => {
    const a = runScenarioText(text);
    const b = runScenarioText(text);
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.steps.length).toBe(15);
  });

  it('the same calls on two kernels give the same frames and events', () => {
    const run = (): unknown[] => {
      const k = new Kernel({ paging: 4 });
      const out: unknown[] = [];
      k.spawn('A');
      k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
      k.touch('A', T + 5n * K4, 5n * M, 'write');
      k.fork('A', 'B');
      k.write('B', T + 6n * K4, new Uint8Array([1]));
      out.push(k.takeEvents(), k.m.frames.used, mmOf(k, 'B').pgd.pfn, k.translate('B', T + 6n * K4).outcome);
      return out;
    };
    expect(run()).toEqual(run());
  });
});
