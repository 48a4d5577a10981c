/**
 * A user access as the CPU does it when the scenario has CPUs: the TLB first
 * (a hit skips the walk), the walk and fault path otherwise, then the fill.
 * Kept out of kernel.ts so that its hook stays one line.
 */
import type { Mm } from './mm';
import type { Tlbs } from './tlb';
import type { Access, Walk } from './walk';
import { addrOf, hexAddr } from './paging';

export interface TlbHit {
  /** The 4 KiB frame the access reaches. */
  frame: number;
  /** Set when the entry disagrees with the tables: the hazard. */
  stale?: { cpu: number; va: string; pfn: number; owner: string; why: string };
}

/** The TLB lookup on the CPU the task runs on: a hit (possibly stale), or null for a walk. */
export function tlbLookup(
  tlb: Tlbs,
  task: string,
  mm: Mm,
  vpn: number,
  access: Access,
  mms: () => Mm[],
): TlbHit | null {
  const cpu = tlb.cpuOf(task);
  if (!cpu) return null;
  const e = tlb.lookup(cpu, vpn, access);
  if (!e) return null;
  const frame = e.pfn + (vpn - e.vpn);
  const why = tlb.disagreement(e, mm, vpn);
  const va = hexAddr(addrOf(vpn));
  tlb.step.hits++;
  if (why === null) {
    tlb.m.ev.emit(
      'TLB hit',
      `CPU ${cpu.id}, PCID ${e.asid + 1}: ${va} → pfn 0x${frame.toString(16)} from the TLB, no page walk`,
    );
    return { frame };
  }
  const owner = tlb.ownerOf(frame, mms());
  const stale = { cpu: cpu.id, va, pfn: frame, owner, why };
  tlb.step.stale.push(stale);
  tlb.m.ev.emit(
    'stale TLB hit',
    `CPU ${cpu.id}, PCID ${e.asid + 1}: ${va} → pfn 0x${frame.toString(16)} from a stale TLB entry (${why}); the frame now belongs to ${owner}`,
  );
  return { frame, stale };
}

/** After a walk that succeeded: the CPU caches it. */
export function tlbFill(tlb: Tlbs, task: string, mm: Mm, vpn: number, w: Walk): void {
  const cpu = tlb.cpuOf(task);
  if (cpu) tlb.fill(cpu, mm, vpn, w);
}
