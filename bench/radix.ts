/**
 * The reference of row 1: a bare 4-level radix tree, written only to be fast.
 * Every table is 512 slots of one growing Float64Array (an arena: a table is
 * its offset); a non-leaf entry holds the child's offset + 1, a leaf entry
 * pfn·4096 + flags, 0 is none. Table pages and data pages get their PFNs from
 * a bump allocator, as the core's allocator hands out fresh frames. It does
 * to memory what a fault does (tables, a data page, the entry) and nothing
 * else: no VMAs, no accounting, no events, no checks.
 */
const PTE_FLAGS = 0x67; // present, rw, user, accessed, dirty

export class RadixRef {
  private arena = new Float64Array(512 * 1024);
  private used = 0;
  /** The PFN of each table page, by table number (offset / 512). */
  private tablePfn: number[] = [];
  private nextPfn = 0x1000;
  private readonly root: number;

  constructor() {
    this.root = this.newTable();
  }

  private newTable(): number {
    if (this.used + 512 > this.arena.length) {
      const bigger = new Float64Array(this.arena.length * 2);
      bigger.set(this.arena);
      this.arena = bigger;
    }
    const off = this.used;
    this.used += 512;
    this.tablePfn.push(this.nextPfn++);
    return off;
  }

  /** A write fault at vpn: allocate the missing tables and the data page. Returns the pfn. */
  fault(vpn: number): number {
    let t = this.root;
    for (let span = 512 ** 3; span > 1; span /= 512) {
      const slot = t + (Math.floor(vpn / span) % 512);
      let e = this.arena[slot] as number;
      if (e === 0) {
        e = this.newTable() + 1;
        this.arena[slot] = e;
      }
      t = e - 1;
    }
    const slot = t + (vpn % 512);
    const e = this.arena[slot] as number;
    if (e !== 0) return Math.floor(e / 4096);
    const pfn = this.nextPfn++;
    this.arena[slot] = pfn * 4096 + PTE_FLAGS;
    return pfn;
  }

  /** The MMU's walk: the pfn vpn maps to, or -1. */
  walk(vpn: number): number {
    const a = this.arena;
    let t = this.root;
    for (let span = 512 ** 3; span > 1; span /= 512) {
      const e = a[t + (Math.floor(vpn / span) % 512)] as number;
      if (e === 0) return -1;
      t = e - 1;
    }
    const e = a[t + (vpn % 512)] as number;
    return e === 0 ? -1 : Math.floor(e / 4096);
  }

  get tables(): number {
    return this.tablePfn.length;
  }
}
