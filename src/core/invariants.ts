/**
 * Consistency checks in the spirit of the kernel's check_mm() (kernel/fork.c)
 * and bad-page checks: run after every step in the tests. Each returns a list
 * of problems in words; an empty list means the state is sound.
 */
import { FrameKind, tableKind } from './frames';
import { IntervalMap } from './intervals';
import type { Machine } from './machine';
import type { Mm } from './mm';
import type { Shmem } from './shmem';
import { _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_PSE, entrySpan } from './paging';
import { entryVpn, linLeaves, type Charge, type Lin, type Table } from './table';
import { checkArenaBooks, checkMirror } from './entries-check';

export interface World {
  m: Machine;
  /** Every mm that is alive (tasks' and mshare hosts'). */
  mms: Mm[];
  shmems: Iterable<Shmem>;
}

export function checkInvariants(w: World): string[] {
  const problems: string[] = [];
  const bad = (s: string): void => {
    if (problems.length < 20) problems.push(s);
  };
  const { m } = w;
  const frames = m.frames;
  const counted = new Map<Charge, number[]>();
  const charge = (c: Charge, lvl: number, n: number): void => {
    let a = counted.get(c);
    if (!a) counted.set(c, (a = [0, 0, 0, 0, 0]));
    a[lvl] = (a[lvl] as number) + n;
  };
  const mapcount = new IntervalMap<number>(0);
  const rss = new Map<Mm, { anon: number; shmem: number }>();
  const seen = new Set<Table>();
  let tablePages = 0;

  const expectKind = (pfn: number, n: number, kind: FrameKind, what: string): void => {
    if (!frames.kinds.every(pfn, pfn + n, (k) => k === kind))
      bad(`${what}: pfn 0x${pfn.toString(16)}+${n} is not all of kind ${kind}`);
  };

  const leafData = (mm: Mm, pfn: number, n: number, stride: number, kind: FrameKind, what: string): void => {
    if (kind === FrameKind.Zero) {
      if (pfn !== 0x0a3c || stride !== 0) bad(`${what}: zero-page entry not at the zero pfn`);
      return;
    }
    expectKind(pfn, n, kind, what);
    mapcount.update(pfn, pfn + n, (c) => c + 1);
    if (kind === FrameKind.Huge) return; // hugetlb pages are not in RSS
    if (kind === FrameKind.Kernel) return; // [vvar]/[vdso]: the kernel's pages, not anon or shmem RSS
    const r = rss.get(mm) ?? { anon: 0, shmem: 0 };
    if (kind === FrameKind.Anon) r.anon += n;
    else r.shmem += n;
    rss.set(mm, r);
  };

  const visitRun = (mm: Mm, t: Table, start: number, count: number, lin: Lin): void => {
    const vpnA = entryVpn(t, start);
    for (let l = t.lvl - 1; l >= lin.bottom; l--) {
      const n = count * 512 ** (t.lvl - 1 - l);
      const first = (lin.tab0[l] as number) + (vpnA - lin.vpn0) / 512 ** (l + 1);
      charge(lin.mm, l, n);
      tablePages += n;
      expectKind(first, n, tableKind(l), `run tables at level ${l}`);
    }
    if (linLeaves(lin) && lin.leaf & (_PAGE_PRESENT | _PAGE_PROTNONE)) {
      const pages = count * entrySpan(t.lvl);
      // RSS belongs to the mm whose tables hold the entries (the host, for shared tables).
      leafData(
        lin.mm as Mm,
        lin.data0 + (vpnA - lin.vpn0) * lin.dstride,
        lin.dstride ? pages : 1,
        lin.dstride,
        lin.dataKind,
        'run leaves',
      );
    }
  };

  const visit = (mm: Mm, t: Table): void => {
    // A hugetlb PMD page is charged once to every mm that links it.
    if (t.perLink) charge(mm, t.lvl, 1);
    if (seen.has(t)) return;
    seen.add(t);
    if (!t.perLink) charge(t.mm, t.lvl, 1);
    tablePages++;
    expectKind(t.pfn, 1, tableKind(t.lvl), `table at level ${t.lvl}`);
    checkMirror(t, bad);
    let prevEnd = 0;
    for (const s of t.segs) {
      if (s.start < prevEnd || s.count < 1 || s.start + s.count > 512)
        bad(`table pfn 0x${t.pfn.toString(16)}: bad segment ${s.start}+${s.count}`);
      prevEnd = s.start + s.count;
      if (s.lin !== null) {
        visitRun(mm, t, s.start, s.count, s.lin);
        continue;
      }
      const leaf = t.lvl === 0 || (s.flags & _PAGE_PSE) !== 0;
      if (leaf) {
        if (s.flags & (_PAGE_PRESENT | _PAGE_PROTNONE)) {
          const kind = frames.kindOf(s.pfn);
          if (
            kind !== FrameKind.Anon &&
            kind !== FrameKind.Shmem &&
            kind !== FrameKind.Zero &&
            kind !== FrameKind.Huge &&
            kind !== FrameKind.Kernel
          )
            bad(`PTE at pfn 0x${t.pfn.toString(16)}[${s.start}] points at a frame of kind ${kind}`);
          // A hugetlb page's map count is kept on all its 512 frames (hugetlb.ts), so a Run of them is one range.
          else
            leafData(
              t.mm as Mm,
              s.pfn,
              kind === FrameKind.Huge ? 512 : 1,
              kind === FrameKind.Zero ? 0 : 1,
              kind,
              'PTE',
            );
        }
        continue;
      }
      const c = s.child;
      if (!c) {
        bad(`non-leaf entry without a table at pfn 0x${t.pfn.toString(16)}[${s.start}]`);
        continue;
      }
      if (c.pfn !== s.pfn || c.lvl !== t.lvl - 1)
        bad(`entry at pfn 0x${t.pfn.toString(16)}[${s.start}] disagrees with its table`);
      visit(mm, c);
    }
  };

  for (const mm of w.mms) visit(mm, mm.pgd);
  checkArenaBooks(m.arena, seen, bad);

  for (const mm of w.mms) {
    const c = counted.get(mm) ?? [0, 0, 0, 0, 0];
    for (let l = 0; l <= m.top; l++) {
      if ((mm.tables[l] ?? 0) !== (c[l] ?? 0))
        bad(`${mm.label}: holds ${mm.tables[l] ?? 0} level-${l} table pages but ${c[l] ?? 0} are reachable`);
    }
    const r = rss.get(mm) ?? { anon: 0, shmem: 0 };
    if (r.anon !== mm.rssAnon || r.shmem !== mm.rssShmem)
      bad(`${mm.label}: rss counters ${mm.rssAnon}/${mm.rssShmem} but maps ${r.anon}/${r.shmem} pages`);
  }
  for (const [c, n] of counted) {
    if (!w.mms.includes(c as Mm)) bad(`tables charged to a dead mm (${n.join(',')})`);
  }

  // Map counts: what the entries hold, nothing more, nothing less.
  const cmp = (a: IntervalMap<number>, b: IntervalMap<number>, what: string): void => {
    a.forEach(0, Number.MAX_SAFE_INTEGER, (v, s, e) => {
      if (v === 0) return;
      b.forEach(s, Math.min(e, Number.MAX_SAFE_INTEGER), (u, s2) => {
        if (u !== v) bad(`${what}: pfn 0x${s2.toString(16)} map count ${u}, entries say ${v}`);
      });
    });
  };
  cmp(mapcount, frames.mapcount, 'mapcount');
  cmp(frames.mapcount, mapcount, 'mapcount');

  // Every frame in use is a table reachable from a live mm, an anonymous page someone maps, or page cache.
  let anon = 0;
  frames.kinds.forEach(0, Number.MAX_SAFE_INTEGER, (k, s, e) => {
    if (k !== FrameKind.Anon) return;
    anon += e - s;
    if (!frames.mapcount.every(s, e, (c) => c > 0))
      bad(`anonymous page(s) at pfn 0x${s.toString(16)} mapped by nobody: leaked`);
  });
  let cache = 0;
  for (const sh of w.shmems) {
    sh.pages.forEach(0, Number.MAX_SAFE_INTEGER, (p, s, e) => {
      if (p === null) return;
      cache += e - s;
      expectKind(p, e - s, sh.huge ? FrameKind.Huge : FrameKind.Shmem, 'page cache');
    });
  }
  if (frames.used !== tablePages + anon + cache) {
    bad(
      `frames in use ${frames.used} ≠ tables ${tablePages} + anonymous ${anon} + page cache ${cache}: leaked or double-freed frames`,
    );
  }
  return problems;
}
