/**
 * The arena's descriptors and links (entries.ts) through the kernel's
 * operations: which descriptor and slot each table gets, what its head and
 * pairs hold, and which descriptor each entry that links a table names. Expected
 * numbers follow from allocation order on a fresh machine (PGD 0x1000, then
 * one pfn per table or page; descriptors 0, 1, 2, … as tables are linked, the
 * child's before its parent's when the parent has none yet, and slots 0, 1,
 * 2, … as tables take them); the invariants are checked after every step too.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from './kernel';
import type { Mm } from './mm';
import { PROT_READ } from './uapi';
import {
  DESC_INTS,
  DESC_PAIRS,
  EntryArena,
  FEW_MAX,
  KEY_SHIFT,
  PTRS,
  descBase,
  entryFlags,
  entryPfn,
  keyFlags,
  linkDesc,
  linkEntry,
  linkPfn,
  packEntry,
  pairAt,
  releaseSlot,
  slotBase,
  storedEntry,
  storedKid,
} from './entries';
import { Table, setSingle, type Charge } from './table';
import { walk } from './walk';
import { ZERO_PFN } from './frames';
import { Play } from './play.test-helper';
import { T, G, RW, PRIV, vpn } from './test-kit';

/** A written page's flags: present, RW, user, accessed, dirty, NX (bit 20 in the core). */
const PTE_RW = 0x100067;
/** _PAGE_TABLE. */
const TABLE = 0x67;

function setup(): { k: Kernel; mm: Mm } {
  const k = new Kernel({ paging: 4 });
  k.spawn('A');
  k.mmap('A', { addr: T, len: G, prot: RW, flags: PRIV });
  return { k, mm: k.tasks.get('A')?.mm as Mm };
}

function step(k: Kernel, f: () => unknown): void {
  f();
  expect(k.invariants()).toEqual([]);
}

/** The tables on the way to vpn, PGD first, through the kids arrays. */
function path(mm: Mm, v: number): Table[] {
  const out = [mm.pgd];
  for (let lvl = 3; lvl > 0; lvl--) {
    const t = out[out.length - 1] as Table;
    const c = t.kids?.[Math.floor(v / 512 ** lvl) % 512];
    if (!c) break;
    out.push(c);
  }
  return out;
}

/** Descriptor d's 16 words. */
const words = (a: EntryArena, d: number): number[] => [...a.descs.subarray(descBase(d), descBase(d) + DESC_INTS)];

describe('descriptors and links', () => {
  it('after a first write: a slot per upper table, the PTE as one pair, each link naming the next descriptor', () => {
    const { k, mm } = setup();
    step(k, () => k.write('A', T, new Uint8Array([1])));
    const a = k.m.arena;
    const [pgd, pud, pmd, pte] = path(mm, vpn(T)) as [Table, Table, Table, Table];
    // The PUD linked into the PGD first (descriptor 0), then the PGD (1, with slot 0); then the PMD, the PTE.
    expect([pgd.desc, pud.desc, pmd.desc, pte.desc]).toEqual([1, 0, 2, 3]);
    expect([pgd.slot, pud.slot, pmd.slot, pte.slot]).toEqual([0, 1, 2, -1]);
    expect([pgd.pfn, pud.pfn, pmd.pfn, pte.pfn]).toEqual([0x1000, 0x1001, 0x1002, 0x1003]);
    // 1 TiB is PGD entry 2, then entry 0 at every level below.
    expect([storedKid(pgd, 2), storedKid(pud, 0), storedKid(pmd, 0)]).toEqual([1, 3, 4]);
    expect(storedKid(pgd, 3)).toBe(0);
    // The links' stored form: -(descriptor · 2^31 + pfn · 2 + 1).
    expect(a.entries[0 * 512 + 2]).toBe(-(0 * 2 ** 31 + 0x1001 * 2 + 1));
    expect(a.entries[1 * 512 + 0]).toBe(-(2 * 2 ** 31 + 0x1002 * 2 + 1));
    expect(storedEntry(pgd, 2)).toBe(packEntry(0x1001, TABLE));
    // The PTE table: head = slot -1 · 2, every segment mirrored; pair 0 = (index 0, flags), pfn 0x1004.
    expect(words(a, 3)).toEqual([-2, -1, PTE_RW, 0x1004, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    expect(words(a, 0)[0]).toBe(2); // the PUD: slot 1 · 2
    // The fault's own walk has cached the link strings.
    expect(a.linkHex[0]).toBe('0x0000000001001067');
    expect(a.linkHex[3]).toBe('0x0000000001003067');
    expect(storedEntry(pte, 0)).toBe(packEntry(0x1004, PTE_RW));
  });

  it('a PTE table keeps 7 Singles as pairs and takes a slot with the 8th', () => {
    const { k, mm } = setup();
    for (let i = 0n; i < 7n; i++) step(k, () => k.write('A', T + i * 4096n, new Uint8Array([1])));
    const a = k.m.arena;
    const pte = path(mm, vpn(T))[3] as Table;
    expect([pte.slot, pte.singles]).toEqual([-1, 7]);
    // Pages 0x1004 … 0x100a at indices 0 … 6, in the order written.
    expect(words(a, pte.desc).slice(2)).toEqual([0, 1, 2, 3, 4, 5, 6].flatMap((i) => [(i << 22) | PTE_RW, 0x1004 + i]));
    step(k, () => k.write('A', T + 7n * 4096n, new Uint8Array([1])));
    // Slots 0-2 are the upper tables': the PTE table takes 3; its pairs are gone to the slot.
    expect([pte.slot, pte.singles]).toEqual([3, 8]);
    expect(words(a, pte.desc)).toEqual([6, ...new Array<number>(15).fill(-1)]);
    for (let i = 0; i < 8; i++) expect(a.entries[3 * 512 + i]).toBe(packEntry(0x1004 + i, PTE_RW));
    expect(walk(k.m, mm, vpn(T + 7n * 4096n)).leaf).toEqual({ pfn: 0x100b, flags: PTE_RW, lvl: 0 });
  });

  it('mprotect rewrites a pair in place (Dirty becomes SavedDirty on the read-only entry)', () => {
    const { k, mm } = setup();
    step(k, () => k.write('A', T, new Uint8Array([1])));
    step(k, () => k.mprotect('A', T, 4096n, PROT_READ));
    const pte = path(mm, vpn(T))[3] as Table;
    // pte_modify(0x100067, PAGE_READONLY 0x100025): A and D kept, RW gone; D → SavedDirty (bit 21).
    expect(words(k.m.arena, pte.desc).slice(2, 4)).toEqual([0x300025, 0x1004]);
    expect(walk(k.m, mm, vpn(T)).leaf).toEqual({ pfn: 0x1004, flags: 0x300025, lvl: 0 });
  });

  it('munmap frees the tables: their descriptors and slots go back, the PGD entry is cleared', () => {
    const { k, mm } = setup();
    step(k, () => k.write('A', T, new Uint8Array([1])));
    step(k, () => k.write('A', T + (2n << 20n), new Uint8Array([1]))); // PMD entry 1: PTE table 0x1005, page 0x1006
    const a = k.m.arena;
    expect([a.descsUsed, a.used]).toEqual([5, 3]);
    step(k, () => k.munmap('A', T, G));
    // free_pgtables() took the PUD, PMD and both PTE tables; the PGD keeps its slot and descriptor (1).
    expect(mm.pgd.kids?.[2]).toBeNull();
    expect(a.entries[2]).toBe(0);
    expect([...a.freeDescs].sort((x, y) => x - y)).toEqual([0, 2, 3, 4]);
    expect([...a.free].sort((x, y) => x - y)).toEqual([1, 2]);
    expect(walk(k.m, mm, vpn(T)).levels.map((l) => [l.level, l.entry])).toEqual([['pgd', null]]);
  });

  it('a reused descriptor starts without pairs or link string', () => {
    const a = new EntryArena();
    const mm: Charge = { id: 0, tables: [] };
    const pmd = new Table(1, 0x2000, 0, mm, a);
    const pte = new Table(0, 0x2001, 0, mm, a);
    setSingle(pmd, 0, pte.pfn, TABLE, pte);
    setSingle(pte, 5, 0x2002, PTE_RW, null);
    expect(words(a, pte.desc).slice(0, 4)).toEqual([-2, -1, (5 << 22) | PTE_RW, 0x2002]);
    const d = pte.desc;
    a.linkHex[d] = '0x0000000002001067'; // as a walk caches it
    setSingle(pmd, 0, 0x2004, PTE_RW | 0x80, null); // unlinked (entry 0 now a huge leaf), then freed
    releaseSlot(pte);
    const again = new Table(0, 0x2003, 0, mm, a);
    setSingle(pmd, 1, again.pfn, TABLE, again);
    expect(again.desc).toBe(d);
    expect(words(a, d)).toEqual([-2, ...new Array<number>(15).fill(-1)]);
    expect(a.linkHex[d]).toBeUndefined();
    expect(storedKid(pmd, 1)).toBe(d + 1);
    expect(storedKid(pmd, 0)).toBe(0);
    expect(storedEntry(pmd, 0)).toBe(packEntry(0x2004, PTE_RW | 0x80));
  });

  it("fork: the child has tables and descriptors of its own; the parent's pair is write-protected", () => {
    const { k, mm } = setup();
    step(k, () => k.write('A', T, new Uint8Array([1])));
    step(k, () => k.fork('A', 'B'));
    const b = k.tasks.get('B')?.mm as Mm;
    const [pa, pb] = [path(mm, vpn(T)), path(b, vpn(T))];
    expect(pb.map((t) => t.desc)).toEqual([5, 4, 6, 7]); // B's PUD first (4), as it is linked into B's PGD (5)
    for (let l = 0; l < 3; l++) expect(storedKid(pb[l] as Table, l === 0 ? 2 : 0)).toBe((pb[l + 1] as Table).desc + 1);
    const a = k.m.arena;
    // pte_wrprotect(): RW off, Dirty to SavedDirty; the child maps the same page, write-protected too.
    expect(words(a, (pa[3] as Table).desc).slice(2, 4)).toEqual([0x300025, 0x1004]);
    expect(words(a, (pb[3] as Table).desc)[3]).toBe(0x1004);
  });

  it('a table holding a Run has the head bit; the walk then goes by the segments', () => {
    const { k, mm } = setup();
    step(k, () => k.touch('A', T, 4n << 20n, 'read')); // two PMD entries' worth of zero-page PTEs, as a Run
    const pmd = path(mm, vpn(T))[2] as Table;
    // PMD entries 0 and 1 are one Run (zero-page PTEs): no slot, and the head's bit.
    expect(k.m.arena.descs[descBase(pmd.desc)]).toBe(-1);
    expect(walk(k.m, mm, vpn(T + 0x5000n)).leaf?.pfn).toBe(ZERO_PFN);
    step(k, () => k.write('A', T + 0x5000n, new Uint8Array([1]))); // materialises PMD entry 0 and its PTE
    const pte = path(mm, vpn(T))[3] as Table;
    expect(k.m.arena.descs[descBase(pte.desc)]).toBe(-1); // no slot (-2), + 1: its other 511 entries are still a Run
    expect(walk(k.m, mm, vpn(T + 0x5000n)).leaf?.pfn).not.toBe(ZERO_PFN);
  });
});

describe('descriptors under mshare', () => {
  it("a guest's PGD entry and the host's name the same descriptor for the shared PUD table", () => {
    const p = new Play(`kernel mshare-v1
paging 4
spawn A
spawn B
A: mmap 1T 512G rw shared anon fixed
A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600
A: write 1T+0x1000 "x"
B: mshare "sga" 1T 512G O_RDWR
B: read 1T+0x1000 1
`);
    p.run();
    const host = p.k.v1?.regions.get('sga')?.mm as Mm;
    const pud = host.pgd.kids?.[2] as Table;
    expect(p.mm('B').pgd.kids?.[2]).toBe(pud);
    expect(storedKid(p.mm('B').pgd, 2)).toBe(pud.desc + 1);
    expect(storedKid(host.pgd, 2)).toBe(pud.desc + 1);
  });
});

describe("the walk's helpers", () => {
  it("spell the layout's constants as literals that agree with them", () => {
    expect(descBase(3)).toBe(3 * DESC_INTS);
    expect(slotBase(3)).toBe(3 * PTRS);
    expect(DESC_PAIRS + 2 * FEW_MAX).toBe(DESC_INTS); // pairAt() scans to the descriptor's end
    const v = packEntry(0x3fff_ffff, 0x3f_ffff); // the largest pfn and flags
    expect([entryPfn(v), entryFlags(v, entryPfn(v))]).toEqual([0x3fff_ffff, 0x3f_ffff]);
    expect(keyFlags((511 << KEY_SHIFT) | 0x30_0025)).toBe(0x30_0025);
    const l = linkEntry(0x3fff_ffff, 2 ** 22 - 1);
    expect([linkDesc(l), linkPfn(l, linkDesc(l))]).toEqual([2 ** 22 - 1, 0x3fff_ffff]);
    expect(linkEntry(1, 2 ** 22)).toBe(0);
  });

  it('pairAt() finds a pair in any of the FEW_MAX places, and stops at the first unused key', () => {
    const d = new Int32Array(2 * DESC_INTS).fill(-1);
    const b = descBase(1);
    for (let j = 0; j < FEW_MAX; j++) d[b + DESC_PAIRS + 2 * j] = ((10 + j) << KEY_SHIFT) | 0x67;
    expect(pairAt(d, b, 10 + FEW_MAX - 1)).toBe(b + DESC_PAIRS + 2 * (FEW_MAX - 1));
    expect(pairAt(d, b, 9)).toBe(-1);
    d[b + DESC_PAIRS + 2 * 3] = -1;
    expect(pairAt(d, b, 10 + 4)).toBe(-1); // behind the unused key
    expect(pairAt(d, b, 10 + 2)).toBe(b + DESC_PAIRS + 4);
  });
});
