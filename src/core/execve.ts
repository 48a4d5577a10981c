/**
 * `T: execve`: the task runs a small static binary, as far as page tables
 * go up to main(). Measured on Linux 6.18 with `gcc -O2 -static` of a
 * 20-line C program under `setarch -R`: VmPTE 28 KiB before main() returns,
 * 12 KiB in PGD slot 0 (one PUD, PMD and PTE page for the binary, its data,
 * bss and heap, all in the 2 MiB at 0x400000) and 16 KiB in slot 255 (one
 * PUD and PMD page, a PTE page for the stack's top and one for [vdso]).
 *
 * The layout is that binary's (/proc/PID/maps):
 *   00400000-00401000 r--p  ELF headers        00479000-004a1000 r--p  rodata
 *   00401000-00479000 r-xp  text               004a1000-004a5000 r--p  RELRO
 *   004a5000-004a8000 rw-p  data               004a8000-004ad000 rw-p  bss
 *   004ad000-004cf000 rw-p  [heap]
 * and what its start-up touched (/proc/PID/pagemap, a larger build of the
 * same program): the header page and text/rodata (file pages), RELRO pages
 * 2-3 written before glibc's mprotect(PROT_READ), every data page, bss pages
 * 0 and 4, heap pages 0-1 (the TLS block), the stack's top 4 pages, and
 * [vdso] page 0 (read). Nothing in [vvar].
 *
 * The model has no file pages: the file-backed read-only parts are special
 * mappings of fixed frames (like [vdso]: a fault maps the frame, no anon
 * page, no RSS, fork copies no tables), and of them only the header page is
 * touched here (the text pages the start-up runs are left out, which moves
 * no figure: they share the PTE page with the data). The data segment, a
 * private file mapping whose pages are all written, is private anonymous
 * memory here. So RSS counts 13 anonymous pages, as Linux's RssAnon did,
 * and none of its RssFile.
 */
import { userAccess, type AccessOutcome } from './fault';
import { insertVma, type Mm, type SpecialExt, type Vma } from './mm';
import { DEFAULT_MAP_WINDOW_VPN, VM_ACCOUNT, VM_EXEC, VM_READ, VM_WRITE } from './paging';
import { doMprotect, type VmCtx } from './syscalls';
import { PROT_READ } from './uapi';
import type { FaultCtx } from './fault';

const BASE = 0x400; // vpn of 0x400000
/** Frames standing for the binary's page cache (the kernel's own range, above [vvar]/[vdso]'s 0x200-0x207). */
const FILE_PFN0 = 0x300;

/** Lays out the binary in mm (which has [vvar], [vdso] and [stack] already) and touches what its start-up does. */
export function execStaticBinary(ctx: FaultCtx & VmCtx, mm: Mm): AccessOutcome | null {
  const file = (start: number, end: number, flags: number, name: string): Vma => ({
    start: BASE + start,
    end: BASE + end,
    flags,
    pgoff: start,
    shmem: null,
    anonVma: 0,
    name,
    ext: { kind: 'special', pfn0: FILE_PFN0 + start, pfnmap: false } as SpecialExt,
  });
  const anon = (start: number, end: number, name: string): Vma => ({
    start: BASE + start,
    end: BASE + end,
    flags: VM_READ | VM_WRITE | VM_ACCOUNT,
    pgoff: BASE + start,
    shmem: null,
    anonVma: 0,
    name,
  });
  insertVma(mm, file(0x00, 0x01, VM_READ, 'a.out'));
  insertVma(mm, file(0x01, 0x79, VM_READ | VM_EXEC, 'a.out'));
  insertVma(mm, file(0x79, 0xa1, VM_READ, 'a.out'));
  insertVma(mm, anon(0xa1, 0xa5, 'a.out')); // RELRO: writable until glibc's mprotect below
  insertVma(mm, anon(0xa5, 0xa8, 'a.out'));
  insertVma(mm, anon(0xa8, 0xad, ''));
  insertVma(mm, anon(0xad, 0xcf, '[heap]'));
  ctx.m.ev.emit(
    'load_elf_binary',
    'a static binary at 0x400000: headers, text, rodata, RELRO, data, bss and [heap] (layout of gcc -static on Linux 6.18)',
  );
  const top = DEFAULT_MAP_WINDOW_VPN;
  const touches: [number, 'read' | 'write'][] = [
    [BASE, 'read'],
    [BASE + 0xa3, 'write'],
    [BASE + 0xa4, 'write'],
    [BASE + 0xa5, 'write'],
    [BASE + 0xa6, 'write'],
    [BASE + 0xa7, 'write'],
    [BASE + 0xa8, 'write'],
    [BASE + 0xac, 'write'],
    [BASE + 0xad, 'write'],
    [BASE + 0xae, 'write'],
    [top - 4, 'write'],
    [top - 3, 'write'],
    [top - 2, 'write'],
    [top - 1, 'write'],
    [mm.mmapBase - 2, 'read'], // [vdso] page 0
  ];
  for (const [vpn, access] of touches) {
    const o = userAccess(ctx, mm, vpn, access);
    if (o.kind !== 'ok') return o;
  }
  // _dl_protect_relro(): the RELRO pages become read-only (they keep their anon pages).
  doMprotect(ctx, mm, BigInt(BASE + 0xa1) << 12n, 4n << 12n, PROT_READ);
  return null;
}
