/**
 * x86-64 geometry and Linux's entry bits (paging.ts).
 *
 * Every expected value below is worked out by hand from the Intel SDM
 * (Vol. 3A §4.5: 9 bits of index per level above a 12-bit offset; §3.3.7.1:
 * canonical addresses) and arch/x86/include/asm/pgtable_types.h (bit
 * positions, _PAGE_TABLE, PAGE_COPY, PAGE_SHARED, PAGE_NONE, …) and
 * arch/x86/mm/pgprot.c (protection_map[]).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAP_WINDOW_VPN,
  PAGE_COPY,
  PAGE_COPY_EXEC,
  PAGE_NONE,
  PAGE_READONLY,
  PAGE_READONLY_EXEC,
  PAGE_SHARED,
  PAGE_SHARED_EXEC,
  VM_EXEC,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_NX,
  _PAGE_PRESENT,
  _PAGE_PROTNONE,
  _PAGE_RW,
  _PAGE_SPECIAL,
  _PAGE_TABLE,
  _PAGE_USER,
  addrOf,
  entryHex,
  entrySpan,
  entryValue,
  hexAddr,
  indexAt,
  isCanonical,
  levelName,
  pteModify,
  ptePresent,
  tableSpan,
  taskSizeVpn,
  topLevel,
  vaBits,
  vmPageProt,
  vpnOf,
} from './paging';

const T = 1n << 40n;

describe('address split (SDM §4.5: PGD 47:39, PUD 38:30, PMD 29:21, PTE 20:12)', () => {
  it('splits 0x7f1234567000 into 254 / 72 / 418 / 359', () => {
    // 0x7f1234567000 = 0111 1111 0001 0010 0011 0100 0101 0110 0111 0000 0000 0000
    //   bits 47-39: 011111110 = 254, 38-30: 001001000 = 72,
    //   bits 29-21: 110100010 = 418, 20-12: 101100111 = 359, offset 0.
    const vpn = vpnOf(0x7f1234567000n);
    expect([3, 2, 1, 0].map((l) => indexAt(vpn, l))).toEqual([254, 72, 418, 359]);
  });

  it('puts 1 TiB at PGD index 2, PUD 0, PMD 0, PTE 0 (one PGD entry spans 512 GiB)', () => {
    const vpn = vpnOf(T);
    expect([3, 2, 1, 0].map((l) => indexAt(vpn, l))).toEqual([2, 0, 0, 0]);
  });

  it('puts 1 TiB + 1 GiB + 2 MiB + 4 KiB at indices 2 / 1 / 1 / 1', () => {
    const vpn = vpnOf(T + (1n << 30n) + (2n << 20n) + 4096n);
    expect([3, 2, 1, 0].map((l) => indexAt(vpn, l))).toEqual([2, 1, 1, 1]);
  });

  it('with LA57 splits bits 56:48 (PGD) and 47:39 (P4D)', () => {
    // 2^55 = 32 PiB: bit 55 is bit 7 of the 9-bit PGD index (56:48) -> 128; all else 0.
    const vpn = vpnOf(1n << 55n);
    expect([4, 3, 2, 1, 0].map((l) => indexAt(vpn, l))).toEqual([128, 0, 0, 0, 0]);
    // 2^48 + 2^39·5: PGD 1, P4D 5.
    const v2 = vpnOf((1n << 48n) + 5n * (1n << 39n));
    expect([4, 3].map((l) => indexAt(v2, l))).toEqual([1, 5]);
  });

  it('spans: one entry covers 512^lvl pages, a table 512^(lvl+1)', () => {
    expect(entrySpan(0)).toBe(1);
    expect(entrySpan(1)).toBe(512); // 2 MiB
    expect(entrySpan(2)).toBe(512 * 512); // 1 GiB
    expect(entrySpan(3)).toBe(512 ** 3); // 512 GiB
    expect(tableSpan(0)).toBe(512);
    expect(tableSpan(3)).toBe(512 ** 4); // 256 TiB: a whole 4-level PGD
  });

  it('names levels per paging mode: the top is always the PGD, P4D only with LA57', () => {
    expect(topLevel(4)).toBe(3);
    expect(topLevel(5)).toBe(4);
    expect([3, 2, 1, 0].map((l) => levelName(l, 4))).toEqual(['pgd', 'pud', 'pmd', 'pte']);
    expect([4, 3, 2, 1, 0].map((l) => levelName(l, 5))).toEqual(['pgd', 'p4d', 'pud', 'pmd', 'pte']);
  });

  it('vpn/addr round-trip exactly for a 56-bit address (beyond a double for bytes, not for vpns)', () => {
    const a = (1n << 56n) - 4096n;
    expect(addrOf(vpnOf(a))).toBe(a);
    expect(hexAddr(a)).toBe('0xfffffffffff000');
  });
});

describe('entry encoding (pgtable_types.h: P0 RW1 US2 PWT3 PCD4 A5 D6 PSE7 G8 SOFTW1=SPECIAL 9, NX 63)', () => {
  it('has the kernel bit values', () => {
    expect(_PAGE_TABLE).toBe(0x67); // P|RW|US|A|D
    expect(PAGE_COPY & 0xfff).toBe(0x25); // P|US|A
    expect(PAGE_SHARED & 0xfff).toBe(0x27); // P|RW|US|A
    expect(PAGE_NONE).toBe(0x120); // A|PROTNONE(=G)
    expect(_PAGE_SPECIAL).toBe(0x200);
  });

  it('a non-leaf entry is 0x67 + pfn << 12, without NX', () => {
    expect(entryHex(0x1002, _PAGE_TABLE)).toBe('0x0000000001002067');
  });

  it('a write-faulted private anonymous PTE is 0x8000000000000067 + pfn << 12', () => {
    // do_anonymous_page(): mk_pte(page, PAGE_COPY) then pte_mkwrite(pte_mkdirty()):
    // P|US|A|NX + RW + D = 0x8000000000000067 (no soft-dirty: CONFIG_MEM_SOFT_DIRTY is off).
    const flags = PAGE_COPY | _PAGE_RW | _PAGE_DIRTY;
    expect(entryValue(0x1234, flags)).toBe(0x8000000001234067n);
    expect(entryHex(0x1004, flags)).toBe('0x8000000001004067');
  });

  it('a zero-page PTE of a private rw mapping is PAGE_COPY|SPECIAL = 0x8000000000000225 + pfn', () => {
    expect(entryHex(0xa3c, PAGE_COPY | _PAGE_SPECIAL)).toBe('0x8000000000a3c225');
  });

  it('a shared rw PTE read-faulted is PAGE_SHARED = 0x8000000000000027 + pfn', () => {
    expect(entryHex(0x2000, PAGE_SHARED)).toBe('0x8000000002000027');
  });

  it('places the PFN in bits 12..51 (a 40-bit PFN is kept whole)', () => {
    const maxPfn = 2 ** 40 - 1;
    expect(entryValue(maxPfn, _PAGE_PRESENT)).toBe(0x000ffffffffff001n);
  });

  it('keeps NX out of the low 12 bits', () => {
    expect(entryValue(0, _PAGE_NX)).toBe(1n << 63n);
    expect(entryValue(0, _PAGE_NX) & 0xfffn).toBe(0n);
  });
});

describe('protection_map[] (arch/x86/mm/pgprot.c)', () => {
  it('maps private VMAs to the COPY (read-only) protections, shared to SHARED', () => {
    expect(vmPageProt(0)).toBe(PAGE_NONE);
    expect(vmPageProt(VM_READ)).toBe(PAGE_READONLY);
    expect(vmPageProt(VM_READ | VM_WRITE)).toBe(PAGE_COPY);
    expect(vmPageProt(VM_WRITE)).toBe(PAGE_COPY);
    expect(vmPageProt(VM_READ | VM_EXEC)).toBe(PAGE_READONLY_EXEC);
    expect(vmPageProt(VM_READ | VM_WRITE | VM_EXEC)).toBe(PAGE_COPY_EXEC);
    expect(vmPageProt(VM_SHARED)).toBe(PAGE_NONE);
    expect(vmPageProt(VM_SHARED | VM_READ | VM_WRITE)).toBe(PAGE_SHARED);
    expect(vmPageProt(VM_SHARED | VM_READ | VM_WRITE | VM_EXEC)).toBe(PAGE_SHARED_EXEC);
  });

  it('gives NX to every non-exec protection and to none of the exec ones', () => {
    for (let f = 0; f < 16; f++) {
      const p = vmPageProt(f);
      if (p === PAGE_NONE) continue;
      expect((p & _PAGE_NX) !== 0, `flags ${f}`).toBe(!(f & VM_EXEC));
      expect(p & _PAGE_USER).toBe(_PAGE_USER);
      expect(p & _PAGE_ACCESSED).toBe(_PAGE_ACCESSED);
    }
  });
});

describe('pte_modify() and pte_present()', () => {
  it('keeps Accessed and SPECIAL, takes RW/US/NX/present from the new protection', () => {
    // The zero page's PTE through mprotect(PROT_READ): SPECIAL (in _PAGE_CHG_MASK) stays.
    expect(pteModify(PAGE_COPY | _PAGE_SPECIAL, PAGE_READONLY)).toBe(PAGE_READONLY | _PAGE_SPECIAL);
  });

  it('turns a clean present PTE into a PROT_NONE one: A|PROTNONE, not present to the CPU', () => {
    const f = pteModify(PAGE_COPY, PAGE_NONE);
    expect(f).toBe(_PAGE_ACCESSED | _PAGE_PROTNONE);
    expect(f & _PAGE_PRESENT).toBe(0);
    expect(ptePresent(f)).toBe(true); // Linux's pte_present() counts PROTNONE
    expect(ptePresent(0)).toBe(false);
  });

  it('gives RW back on PROT_NONE -> rw for a shared mapping (PAGE_SHARED carries RW)', () => {
    expect(pteModify(_PAGE_ACCESSED | _PAGE_PROTNONE, PAGE_SHARED)).toBe(PAGE_SHARED);
  });
});

describe('canonical addresses (SDM §3.3.7.1) and the user half', () => {
  it('4-level: bits 63..47 must all equal bit 47', () => {
    expect(vaBits(4)).toBe(48);
    expect(isCanonical(0n, 4)).toBe(true);
    expect(isCanonical(0x00007fffffffffffn, 4)).toBe(true);
    expect(isCanonical(0x0000800000000000n, 4)).toBe(false);
    expect(isCanonical(0x00ff000000000000n, 4)).toBe(false);
    expect(isCanonical(0xffff800000000000n, 4)).toBe(true);
    expect(isCanonical(0xffff7fffffffffffn, 4)).toBe(false);
    expect(isCanonical(0xffffffffffffffffn, 4)).toBe(true);
  });

  it('5-level: bits 63..56 must all equal bit 56', () => {
    expect(vaBits(5)).toBe(57);
    expect(isCanonical(0x0000800000000000n, 5)).toBe(true); // 128 TiB: fine with LA57
    expect(isCanonical(0x00ffffffffffffffn, 5)).toBe(true);
    expect(isCanonical(0x0100000000000000n, 5)).toBe(false); // 64 PiB = 2^56: first non-canonical
    expect(isCanonical(0xff00000000000000n, 5)).toBe(true);
    expect(isCanonical(0xfeffffffffffffffn, 5)).toBe(false);
  });

  it('TASK_SIZE_MAX is the user half less one guard page', () => {
    // (1 << 47) - 4096 -> last user vpn + 1 = 2^35 - 1; with LA57 (1 << 56) - 4096 -> 2^44 - 1.
    expect(taskSizeVpn(4)).toBe(2 ** 35 - 1);
    expect(taskSizeVpn(5)).toBe(2 ** 44 - 1);
    expect(DEFAULT_MAP_WINDOW_VPN).toBe(2 ** 35 - 1);
  });
});
