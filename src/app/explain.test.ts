import { describe, expect, it } from 'vitest';
import { patchQuote, srcQuote } from './explain';

describe('patch quotes in the trace', () => {
  it('uses the table first, for the seed', () => {
    expect(patchQuote('mshare-v1', 'set_pgd')?.lines.join('\n')).toContain('set_pgd(guest_pgd, *pgd);');
  });
  it("falls back to the core's own quote, so msharefs steps quote their series too", () => {
    const q = patchQuote('msharefs', 'set_p4d', 'mm/mshare.c, msharefs v3 14/22: if (!p4d_same(*p4d, *host_p4d)) { ptdesc_pud_pts_inc(...); set_p4d(p4d, *host_p4d); ret = VM_FAULT_NOPAGE; }');
    expect(q?.source).toBe('mm/mshare.c, msharefs v3 14/22');
    expect(q?.lines).toEqual(['if (!p4d_same(*p4d, *host_p4d)) { ptdesc_pud_pts_inc(...);', 'set_p4d(p4d, *host_p4d);', 'ret = VM_FAULT_NOPAGE; }']);
  });
  it('has nothing to show without a quote', () => {
    expect(patchQuote('msharefs', 'do_shared_fault')).toBeUndefined();
    expect(srcQuote(undefined)).toBeUndefined();
  });
});
