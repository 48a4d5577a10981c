/**
 * x86-64 paging geometry and Linux's entry bits.
 *
 * Sources: Intel SDM Vol. 3A §4.5 (4-level and 5-level paging), Linux
 * arch/x86/include/asm/pgtable_types.h (bit positions, _PAGE_TABLE,
 * PAGE_SHARED, PAGE_COPY, …) and arch/x86/mm/pgprot.c (protection_map).
 *
 * Addresses inside the core are virtual page numbers (vpn = address >> 12) held
 * in doubles: a 5-level user address is 57 bits, so a vpn has at most 45 bits
 * and is exact, while the byte address itself would not be.
 */

export type Paging = 4 | 5;

/** Table levels by depth: 0 holds PTEs, 1 PMDs, 2 PUDs, 3 P4Ds (5-level only); the top is the PGD. */
export type Lvl = 0 | 1 | 2 | 3 | 4;
export type LevelName = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PTRS_PER_TABLE = 512;

/** 512^0 … 512^6 (exact: powers of two), so that the fault path's index arithmetic does not call Math.pow. */
const SPANS = [1, 512, 512 ** 2, 512 ** 3, 512 ** 4, 512 ** 5, 512 ** 6];

/** Pages covered by one entry of a table at level `lvl` (512^lvl). */
export function entrySpan(lvl: number): number {
  return SPANS[lvl] ?? 512 ** lvl;
}

/** Pages covered by a whole table at level `lvl`. */
export function tableSpan(lvl: number): number {
  return SPANS[lvl + 1] ?? 512 ** (lvl + 1);
}

/** The level of the PGD: 3 with 4-level paging (P4D folded into it), 4 with LA57. */
export function topLevel(paging: Paging): number {
  return paging === 5 ? 4 : 3;
}

export function levelName(lvl: number, paging: Paging): LevelName {
  if (lvl === topLevel(paging)) return 'pgd';
  return (['pte', 'pmd', 'pud', 'p4d'] as const)[lvl] as LevelName;
}

/** Index of `vpn` in a table at level `lvl` (bits 12+9·lvl … 20+9·lvl of the address). */
export function indexAt(vpn: number, lvl: number): number {
  return Math.floor(vpn / entrySpan(lvl)) % 512;
}

/** Linux's _PAGE_BIT_* (arch/x86/include/asm/pgtable_types.h). */
export const _PAGE_PRESENT = 1 << 0;
export const _PAGE_RW = 1 << 1;
export const _PAGE_USER = 1 << 2;
export const _PAGE_PWT = 1 << 3;
export const _PAGE_PCD = 1 << 4;
export const _PAGE_ACCESSED = 1 << 5;
export const _PAGE_DIRTY = 1 << 6;
export const _PAGE_PSE = 1 << 7;
export const _PAGE_GLOBAL = 1 << 8;
/** _PAGE_BIT_SOFTW1: pte_mkspecial(), set on the zero page's PTEs. */
export const _PAGE_SPECIAL = 1 << 9;
/** _PAGE_PROTNONE aliases _PAGE_GLOBAL: a PROT_NONE PTE is "present" to Linux, not to the CPU. */
export const _PAGE_PROTNONE = _PAGE_GLOBAL;
/**
 * _PAGE_NX is bit 63 of the entry. Flags are kept in a small integer, so the
 * core stores it at bit 20, which no entry uses below the PFN; entryValue()
 * moves it back to bit 63 when an entry is shown.
 */
export const _PAGE_NX = 1 << 20;
/**
 * _PAGE_SAVED_DIRTY (bit 58, _PAGE_BIT_SOFTW5): since 6.6 pte_wrprotect()
 * moves Dirty here so that no PTE is Write=0,Dirty=1 (a shadow-stack PTE),
 * and pte_mkwrite() moves it back (arch/x86/include/asm/pgtable.h,
 * mksaveddirty_shift()). Stored at bit 21, shown at bit 58.
 */
export const _PAGE_SAVED_DIRTY = 1 << 21;

/** _PAGE_TABLE: what pmd_populate()/pud_populate() write into a non-leaf entry. */
export const _PAGE_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

const __PP = _PAGE_PRESENT;
const ___A = _PAGE_ACCESSED;
const _USR = _PAGE_USER;
export const PAGE_NONE = ___A | _PAGE_GLOBAL;
export const PAGE_SHARED = __PP | _PAGE_RW | _USR | ___A | _PAGE_NX;
export const PAGE_SHARED_EXEC = __PP | _PAGE_RW | _USR | ___A;
export const PAGE_COPY = __PP | _USR | ___A | _PAGE_NX;
export const PAGE_COPY_EXEC = __PP | _USR | ___A;
export const PAGE_READONLY = __PP | _USR | ___A | _PAGE_NX;
export const PAGE_READONLY_EXEC = __PP | _USR | ___A;

/** VM_* flags of a VMA (include/linux/mm.h). */
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYSHARE = 0x80;
/** The stack: never merged with an ordinary neighbour (its flags differ). */
export const VM_GROWSDOWN = 0x100;
export const VM_HUGETLB = 0x400000;
/** Counted against overcommit: private writable memory (accountable_mapping()). Merges compare it. */
export const VM_ACCOUNT = 0x100000;

/** protection_map[] of arch/x86/mm/pgprot.c, indexed by VM_READ|VM_WRITE|VM_EXEC|VM_SHARED. */
const protectionMap: number[] = [
  PAGE_NONE,
  PAGE_READONLY,
  PAGE_COPY,
  PAGE_COPY,
  PAGE_READONLY_EXEC,
  PAGE_READONLY_EXEC,
  PAGE_COPY_EXEC,
  PAGE_COPY_EXEC,
  PAGE_NONE,
  PAGE_READONLY,
  PAGE_SHARED,
  PAGE_SHARED,
  PAGE_READONLY_EXEC,
  PAGE_READONLY_EXEC,
  PAGE_SHARED_EXEC,
  PAGE_SHARED_EXEC,
];

/** vm_get_page_prot(): the PTE bits a VMA's pages start from. */
export function vmPageProt(vmFlags: number): number {
  return protectionMap[vmFlags & 0xf] as number;
}

/**
 * pte_modify(): keep the PFN and _PAGE_CHG_MASK bits (PWT, PCD, ACCESSED,
 * DIRTY, SPECIAL, …) of the old entry, take the rest from the new protection.
 */
const CHG_MASK = _PAGE_PWT | _PAGE_PCD | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SAVED_DIRTY | _PAGE_SPECIAL;
export function pteModify(flags: number, newprot: number): number {
  const f = (flags & CHG_MASK) | (newprot & ~CHG_MASK);
  // "To avoid creating Write=0,Dirty=1 PTEs": only when the old entry was writable.
  return flags & _PAGE_RW ? mkSavedDirty(f) : clearSavedDirty(f);
}

/** mksaveddirty_shift(): on a read-only entry, Dirty becomes SavedDirty. */
export function mkSavedDirty(f: number): number {
  if (f & _PAGE_RW || !(f & _PAGE_DIRTY)) return f;
  return (f & ~_PAGE_DIRTY) | _PAGE_SAVED_DIRTY;
}

/** clear_saveddirty_shift(): on a writable entry, SavedDirty becomes Dirty. */
export function clearSavedDirty(f: number): number {
  if (!(f & _PAGE_RW) || !(f & _PAGE_SAVED_DIRTY)) return f;
  return (f & ~_PAGE_SAVED_DIRTY) | _PAGE_DIRTY;
}

/** pte_wrprotect(). */
export function pteWrprotect(f: number): number {
  return mkSavedDirty(f & ~_PAGE_RW);
}

/** pte_mkwrite(pte_mkdirty(pte)): what a write fault leaves. */
export function pteMkwriteDirty(f: number): number {
  return clearSavedDirty(f | _PAGE_RW | _PAGE_DIRTY) & ~_PAGE_SAVED_DIRTY;
}

/** pte_mkclean(): neither dirty bit. */
export function pteMkclean(f: number): number {
  return f & ~(_PAGE_DIRTY | _PAGE_SAVED_DIRTY);
}

/** The 64-bit entry as Linux stores it: PFN in bits 12–51, NX in bit 63. */
export function entryValue(pfn: number, flags: number): bigint {
  // A PROT_NONE entry (not present, PROTNONE set) holds the PFN inverted, so a
  // speculative walk (L1TF) finds nothing real: pfn_pte() and flip_protnone_guard().
  const inverted = !(flags & _PAGE_PRESENT) && (flags & _PAGE_PROTNONE) !== 0;
  const field = inverted ? ~BigInt(pfn) & ((1n << 40n) - 1n) : BigInt(pfn);
  let v = (field << 12n) | BigInt(flags & 0xfff);
  if (flags & _PAGE_SAVED_DIRTY) v |= 1n << 58n;
  if (flags & _PAGE_NX) v |= 1n << 63n;
  return v;
}

export function entryHex(pfn: number, flags: number): string {
  return '0x' + entryValue(pfn, flags).toString(16).padStart(16, '0');
}

/** pte_present(): present to Linux, which counts PROT_NONE entries as present. */
export function ptePresent(flags: number): boolean {
  return (flags & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
}

export const FLAG_NAMES: [string, number][] = [
  ['P', _PAGE_PRESENT],
  ['RW', _PAGE_RW],
  ['US', _PAGE_USER],
  ['PWT', _PAGE_PWT],
  ['PCD', _PAGE_PCD],
  ['A', _PAGE_ACCESSED],
  ['D', _PAGE_DIRTY],
  ['PS', _PAGE_PSE],
  ['G', _PAGE_GLOBAL],
  ['NX', _PAGE_NX],
];

/** Each of FLAG_NAMES with whether `flags` has it set (the inspector's and the tree's flag row). */
export function flagNames(flags: number): { name: string; set: boolean }[] {
  return FLAG_NAMES.map(([name, bit]) => ({ name, set: (flags & bit) !== 0 }));
}

/* ----- addresses ----- */

/** Bits of a linear address the MMU translates: 48 with 4-level paging, 57 with LA57. */
export function vaBits(paging: Paging): number {
  return paging === 5 ? 57 : 48;
}

/** Intel SDM §3.3.7.1: bits 63 down to the top translated bit must all equal it (addr read as a u64). */
export function isCanonical(addr: bigint, paging: Paging): boolean {
  const top = BigInt.asUintN(64, addr) >> BigInt(vaBits(paging) - 1);
  const ones = (1n << BigInt(64 - vaBits(paging) + 1)) - 1n;
  return top === 0n || top === ones;
}

/**
 * TASK_SIZE_MAX (arch/x86/include/asm/page_64_types.h): the user half less
 * one guard page, (1 << 47) - PAGE_SIZE, or (1 << 56) - PAGE_SIZE with LA57.
 */
export function taskSizeVpn(paging: Paging): number {
  return 2 ** (vaBits(paging) - 1 - PAGE_SHIFT) - 1;
}

/** DEFAULT_MAP_WINDOW: mmap() stays below 47 bits unless a hint asks for more, also with LA57. */
export const DEFAULT_MAP_WINDOW_VPN = 2 ** (47 - PAGE_SHIFT) - 1;

/** mmap_min_addr as these machines set it (/proc/sys/vm/mmap_min_addr reads 4096). */
export const MMAP_MIN_ADDR_VPN = 1;

export function vpnOf(addr: bigint): number {
  return Number(addr >> 12n);
}

export function addrOf(vpn: number): bigint {
  return BigInt(vpn) << 12n;
}

export function hexAddr(addr: bigint): string {
  return '0x' + addr.toString(16);
}
