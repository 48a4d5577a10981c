/**
 * `touch` over a VMA whose tables live in a host mm (mshare v1, msharefs):
 * as the faults would go, the pages are faulted in the host mm first (the
 * first toucher pays, in the host's tables), then each top-level slot the
 * task still lacks is copied by one more fault (set_pgd / set_p4d).
 */
import { userAccess, type AccessOutcome, type FaultCtx } from './fault';
import { vmasIn, type Mm } from './mm';
import { populate } from './populate';

export function populateThroughHost(
  ctx: FaultCtx,
  mm: Mm,
  host: Mm,
  delta: number,
  slotPages: number,
  a: number,
  b: number,
  write: boolean,
): AccessOutcome | null {
  const access = write ? 'write' : 'read';
  let at = a + delta;
  const end = b + delta;
  for (const hv of [...vmasIn(host, at, end), null]) {
    const stop = hv ? Math.max(hv.start, at) : end;
    if (at < stop) return userAccess(ctx, mm, at - delta, access);
    if (!hv) break;
    const e = Math.min(end, hv.end);
    // The faults in the host's tables are this task's (current->min_flt), not the host mm's.
    const flt = host.minFlt;
    const o = populate(ctx, host, hv, at, e, write);
    mm.minFlt += host.minFlt - flt;
    host.minFlt = flt;
    if (o) return o;
    at = e;
    if (at >= end) break;
  }
  for (let v = a - (a % slotPages); v < b; v += slotPages) {
    const o = userAccess(ctx, mm, Math.max(v, a), access);
    if (o.kind !== 'ok') return o;
  }
  return null;
}
