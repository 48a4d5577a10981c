/**
 * A step's changes in words, one line each: what the step panel lists, what the
 * aria-live region reads, and what `ptx run` prints. Pure, shared by the app and
 * the CLI so the two never say it differently.
 */
import type { StepChange } from './changes';
import { groupDigits } from './events';

/** "12,288 B" style, exact: a change of VmPTE is a multiple of 4 KiB and must read exactly. */
function bytes(n: number): string {
  return n % 1024 === 0 ? `${groupDigits(n / 1024)} KiB` : `${groupDigits(n)} B`;
}

/** e.g. `B PGD[2]: none → 0x0000000001003067 (set_pgd)`. */
export function describeChange(c: StepChange): string {
  switch (c.kind) {
    case 'entry-set': {
      const where = `${c.mm} ${c.level.toUpperCase()}[${c.index}]`;
      const flips = c.flags?.length ? ` [${c.flags.map((f) => `${f.name} ${f.from}→${f.to}`).join(', ')}]` : '';
      return `${where}: ${c.old === null ? 'none' : '0x' + c.old} → 0x${c.new}${flips} (${c.fn})`;
    }
    case 'entry-cleared':
      return `${c.mm} ${c.level.toUpperCase()}[${c.index}]: 0x${c.old} → none (${c.fn})`;
    case 'table-alloc':
      return `${c.mm}: new ${c.level.toUpperCase()} page, PFN ${c.pfn} (${c.fn})`;
    case 'table-free':
      return `${c.mm}: ${c.level.toUpperCase()} page PFN ${c.pfn} freed (${c.fn})`;
    case 'data-alloc':
      return `${c.what} PFN ${c.pfn} allocated (${c.fn})`;
    case 'data-free':
      return `${c.what} PFN ${c.pfn} freed (${c.fn})`;
    case 'pgtables':
      return `${c.mm} VmPTE: ${bytes(c.from)} → ${bytes(c.to)} (${c.fn})`;
  }
}
