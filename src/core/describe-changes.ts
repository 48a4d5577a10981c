/**
 * A step's changes in words, one line each: what the step panel lists, what the
 * aria-live region reads, and what `ptx run` prints. Pure, shared by the app and
 * the CLI so the two never say it differently.
 */
import type { StepChange } from './changes';
import { groupDigits } from './events';

/** PFNs in hex, as the events, the tree and the inspector print them (pfn 0x1003). */
const hexPfn = (pfn: number): string => `0x${pfn.toString(16)}`;

/** "12,288 B" style, exact: a change of VmPTE is a multiple of 4 KiB and must read exactly. */
function bytes(n: number): string {
  return n % 1024 === 0 ? `${groupDigits(n / 1024)} KiB` : `${groupDigits(n)} B`;
}

/**
 * Where an entry change is: `B PGD[2]`; a block of entries in one table
 * `A PTE[0…511]`; a block over several tables
 * `db1 PTE[0…511] of 153,600 PTE pages from PFN 0x1005` (BlockFields).
 */
function entryWhere(c: StepChange & { kind: 'entry-set' | 'entry-cleared' }): string {
  const lvl = c.level.toUpperCase();
  const n = c.count ?? 1;
  if (n <= 1) return `${c.mm} ${lvl}[${c.index}]`;
  const end = c.index + n - 1;
  if (end < 512) return `${c.mm} ${lvl}[${c.index}…${end}]`;
  const tables = Math.floor(end / 512) + 1;
  return `${c.mm} ${groupDigits(n)} ${lvl} entries in ${groupDigits(tables)} ${lvl} pages from PFN ${hexPfn(c.table)}`;
}

/** A block's first value and "…" for the rest (they follow it, BlockFields). */
function value(v: string | null, c: { count?: number }): string {
  if (v === null) return 'none';
  return `0x${v}${(c.count ?? 1) > 1 ? ' …' : ''}`;
}

/** "PFN 0x1005" or "153,600 … pages, PFN 0x1005–0x26804". */
function pages(pfn: number, count: number | undefined): string {
  return (count ?? 1) > 1 ? `PFN ${hexPfn(pfn)}–${hexPfn(pfn + (count as number) - 1)}` : `PFN ${hexPfn(pfn)}`;
}

/** e.g. `B PGD[2]: none → 0x0000000001003067 (set_pgd)`. */
export function describeChange(c: StepChange): string {
  switch (c.kind) {
    case 'entry-set': {
      const flips = c.flags?.length ? ` [${c.flags.map((f) => `${f.name} ${f.from}→${f.to}`).join(', ')}]` : '';
      return `${entryWhere(c)}: ${value(c.old, c)} → ${value(c.new, c)}${flips} (${c.fn})`;
    }
    case 'entry-cleared':
      return `${entryWhere(c)}: ${value(c.old, c)} → none (${c.fn})`;
    case 'table-alloc':
      return (c.count ?? 1) > 1
        ? `${c.mm}: ${groupDigits(c.count as number)} new ${c.level.toUpperCase()} pages, ${pages(c.pfn, c.count)} (${c.fn})`
        : `${c.mm}: new ${c.level.toUpperCase()} page, PFN ${hexPfn(c.pfn)} (${c.fn})`;
    case 'table-free':
      return (c.count ?? 1) > 1
        ? `${c.mm}: ${groupDigits(c.count as number)} ${c.level.toUpperCase()} pages ${pages(c.pfn, c.count)} freed (${c.fn})`
        : `${c.mm}: ${c.level.toUpperCase()} page PFN ${hexPfn(c.pfn)} freed (${c.fn})`;
    case 'data-alloc':
      return (c.count ?? 1) > 1
        ? `${groupDigits(c.count as number)} frames of ${c.what}, ${pages(c.pfn, c.count)}, allocated (${c.fn})`
        : `${c.what} PFN ${hexPfn(c.pfn)} allocated (${c.fn})`;
    case 'data-free':
      return (c.count ?? 1) > 1
        ? `${groupDigits(c.count as number)} frames of ${c.what}, ${pages(c.pfn, c.count)}, freed (${c.fn})`
        : `${c.what} PFN ${hexPfn(c.pfn)} freed (${c.fn})`;
    case 'pgtables':
      return `${c.mm} VmPTE: ${bytes(c.from)} → ${bytes(c.to)} (${c.fn})`;
    case 'tlb-fill':
      return `CPU ${c.cpu} TLB, PCID ${c.pcid}: ${c.va} → PFN ${hexPfn(c.pfn)} ${c.perms} cached (${c.fn})`;
    case 'tlb-flush':
      return `CPU ${c.cpu} TLB, PCID ${c.pcid}: ${c.full ? 'all' : groupDigits(c.count)} entr${c.count === 1 && !c.full ? 'y' : 'ies'} dropped${c.full ? ` (${groupDigits(c.count)})` : ''} (${c.fn})`;
    case 'tlb-switch':
      return `CPU ${c.cpu}: ${c.mm === null ? 'init_mm' : `${c.mm}'s mm`} loaded, PCID ${c.pcid}${c.task === null ? (c.lazy ? ', lazy' : ', idle') : `, running ${c.task}`} (${c.fn})`;
  }
}
