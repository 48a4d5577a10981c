/**
 * Each flush rule of the TLB model (tlb.ts), pinned to the kernel line it
 * follows. Quotations are verbatim from the files named (torvalds/linux as
 * stored: arch/x86/mm/tlb.c at 016c4d92, mm/mmu_gather.c at 06d07429;
 * native_flush_tlb_multi(), wp_page_copy(), dup_mmap(), change_pte_range()
 * and arch/x86/include/asm/tlb.h from their mainline patches' context).
 * Expected values are worked out from those lines, not read off the model.
 */
import { describe, expect, it } from 'vitest';
import { Play } from './play.test-helper';
import type { ReportStep } from '../scenario/report';
import { TLB_NR_DYN_ASIDS, TLB_SINGLE_PAGE_FLUSH_CEILING, type Tlbs } from './tlb';

const HEAD = 'kernel mainline\npaging 4\ncpus 2\n\nspawn A\nA: run 0\n';

function play(body: string, head = HEAD): Play {
  const p = new Play(head + body);
  p.run();
  return p;
}

function tlbOf(p: Play): Tlbs {
  return p.k.m.tlb as Tlbs;
}

/** The step whose statement is on this line of the text (1-based). */
function stepAt(p: Play, line: number): ReportStep {
  const s = p.steps.find((x) => x.line === line);
  if (!s) throw new Error(`no step on line ${line}`);
  return s;
}

function fns(s: ReportStep): string[] {
  return s.events.map((e) => e.fn);
}

describe('no CPUs, no TLB', () => {
  it('a scenario without cpus has no TLB and no tlb field', () => {
    const p = play(
      'A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: read 1T 1\n',
      'kernel mainline\npaging 4\n\nspawn A\n',
    );
    expect(p.k.m.tlb).toBeUndefined();
    for (const s of p.steps) {
      expect(s.tlb).toBeUndefined();
      expect(fns(s)).not.toContain('TLB hit');
    }
  });
});

describe('hits and fills (SDM §4.10.2)', () => {
  it('the first access walks and fills; the second hits without a walk', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: write 1T 7\nA: read 1T 1\n');
    const w = p.steps[3] as ReportStep;
    const r = p.steps[4] as ReportStep;
    expect(w.tlb?.walks).toBe(1);
    expect(fns(w)).toContain('handle_mm_fault');
    expect(r.tlb?.hits).toBe(1);
    expect(fns(r)).toEqual(['TLB hit']);
    expect(r.walk).toBeUndefined();
    expect(r.outcome).toEqual({ kind: 'ok', value: '07' });
    // The entry: ASID 1 (slot 0 is init_mm's from boot, next_asid starts at 1), PCID 2 (kern_pcid(): asid + 1),
    // writable and dirty after the write, NX (an rw- mapping).
    expect(r.tlb?.cpus[0]?.entries).toEqual([
      { va: '0x10000000000', pages: 1, pfn: expect.any(Number), pcid: 2, mm: 'A', perms: 'rwd' },
    ]);
  });

  it('a write through a read-only entry is no hit: the CPU faults, the kernel copies the zero page', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: read 1T 1\nA: write 1T 1\n');
    const s = p.steps[4] as ReportStep;
    expect(s.tlb?.hits).toBe(0);
    expect(fns(s)).toContain('wp_page_copy');
  });
});

describe('flush_tlb_mm_range(): INVLPG up to tlb_single_page_flush_ceiling pages, else a full flush', () => {
  // arch/x86/mm/tlb.c flush_tlb_mm_range():
  //   "if ((end != TLB_FLUSH_ALL) &&\n\t    ((end - start) >> stride_shift) <= tlb_single_page_flush_ceiling) {"
  //   "static unsigned long tlb_single_page_flush_ceiling __read_mostly = 33;"
  it('the ceiling is 33 pages', () => {
    expect(TLB_SINGLE_PAGE_FLUSH_CEILING).toBe(33);
  });
  const flushOf = (pages: number) => {
    // A neighbour keeps the tables (no freed_tables), so only the range decides.
    const p = play(
      `A: mmap 1T ${pages * 4}K rw private anon fixed\nA: mmap 1T+${pages * 4}K 4K rw shared anon fixed\nA: write 1T+${pages * 4}K 1\nA: touch 1T ${pages * 4}K write\nA: munmap 1T ${pages * 4}K\n`,
    );
    return stepAt(p, 11).tlb?.flushes[0];
  };
  it('33 pages: flushed page by page', () => {
    expect(flushOf(33)).toMatchObject({
      fn: 'flush_tlb_mm_range',
      why: 'tlb_finish_mmu',
      full: false,
      start: '0x10000000000',
      end: '0x10000021000',
      freed_tables: false,
      reached: [0],
    });
  });
  it('34 pages: one full flush', () => {
    expect(flushOf(34)).toMatchObject({ full: true, freed_tables: false, reached: [0] });
  });
});

describe('mmu_gather: tlb_finish_mmu() flushes before table pages are freed', () => {
  // mm/mmu_gather.c tlb_flush_mmu(): "tlb_flush_mmu_tlbonly(tlb);\n\ttlb_flush_mmu_free(tlb);"
  // arch/x86/include/asm/tlb.h tlb_flush(): "flush_tlb_mm_range(tlb->mm, start, end, stride_shift, tlb->freed_tables);"
  it('munmap that frees the tables: one flush with freed_tables, and the entry is gone', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: munmap 1T 4K\n');
    const s = stepAt(p, 9);
    expect(s.tlb?.flushes).toHaveLength(1);
    expect(s.tlb?.flushes[0]).toMatchObject({ why: 'tlb_finish_mmu', freed_tables: true, full: false, reached: [0] });
    expect(fns(s).indexOf('flush_tlb_mm_range')).toBeGreaterThan(
      fns(s).indexOf('free_pgtables') === -1 ? fns(s).indexOf('unmap_vmas') : fns(s).indexOf('free_pgtables'),
    );
    expect(s.tlb?.cpus[0]?.entries).toEqual([]);
  });
  // arch/x86/include/asm/tlb.h tlb_flush_mmu_tlbonly(): "if (!(tlb->freed_tables || tlb->cleared_ptes ||
  // tlb->cleared_pmds ||"
  it('munmap of a mapping never touched (no tables, nothing cleared): no flush', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: munmap 1T 4K\n');
    expect(stepAt(p, 8).tlb?.flushes).toEqual([]);
  });
});

describe('lazy TLB and freed_tables', () => {
  // arch/x86/mm/tlb.c native_flush_tlb_multi(): "if (info->freed_tables || mm_in_asid_transition(info->mm))"
  // flush_tlb_func_common(), lazy: "switch_mm_irqs_off(NULL, &init_mm, NULL);"
  it('a lazy CPU is skipped when no tables are freed, and flushes when the task comes back', () => {
    const p = play(
      'A: mmap 1T 8K rw private anon fixed\nA: write 1T 1\nA: run 1\nA: write 1T+4K 1\nA: munmap 1T 4K\nA: run 0\n',
    );
    // A moved to CPU 1: CPU 0 runs nothing but keeps A's mm (lazy), both CPUs in mm_cpumask.
    const mv = stepAt(p, 9);
    expect(mv.tlb?.cpus[0]).toMatchObject({ task: null, mm: 'A', lazy: true });
    const un = stepAt(p, 11);
    expect(un.tlb?.flushes[0]).toMatchObject({ freed_tables: false, reached: [1], skipped_lazy: [0] });
    // CPU 0 still holds the entry for 1T (harmless: no user access there until it switches back).
    expect(un.tlb?.cpus[0]?.entries.map((e) => e.va)).toEqual(['0x10000000000']);
    // Switching back: the slot's tlb_gen is behind the mm's, so choose_new_asid() says need_flush:
    // "*need_flush = (this_cpu_read(cpu_tlbstate.ctxs[asid].tlb_gen) <\n\t\t\t       next_tlb_gen);"
    const back = stepAt(p, 12);
    expect(back.tlb?.cpus[0]?.entries).toEqual([]);
    expect(back.events.find((e) => e.fn === 'switch_mm_irqs_off')?.detail).toContain(
      '(tlb_gen is behind), so its entries are flushed',
    );
  });
  it('freed_tables reaches the lazy CPU, which leaves the mm for init_mm', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: run 1\nA: munmap 1T 4K\n');
    const un = stepAt(p, 10);
    expect(un.tlb?.flushes[0]).toMatchObject({
      freed_tables: true,
      reached: [0, 1],
      skipped_lazy: [],
      to_init_mm: [0],
    });
    // CPU 0 now has init_mm loaded; A's old entry stays under A's PCID, stale but unreachable:
    // its slot's tlb_gen is behind, so a switch back to A flushes it first.
    expect(un.tlb?.cpus[0]).toMatchObject({
      mm: null,
      lazy: false,
      entries: [expect.objectContaining({ va: '0x10000000000', behind: true })],
    });
    expect(un.tlb?.cpus[0]?.entries[0]?.stale).toBeUndefined();
    expect(tlbOf(p).staleEntries()).toEqual([]);
  });
  it('exit: the CPU goes lazy (exit_mm), exit_mmap flushes with freed_tables and the CPU leaves for init_mm', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: exit\n');
    const ex = stepAt(p, 9);
    expect(fns(ex).slice(0, 3)).toEqual(['do_exit', 'enter_lazy_tlb', 'exit_mmap']);
    expect(ex.tlb?.flushes[0]).toMatchObject({ why: 'exit_mmap', full: true, freed_tables: true, reached: [0] });
    expect(ex.tlb?.cpus[0]).toMatchObject({ task: null, mm: null });
  });
});

describe('COW: ptep_clear_flush() in wp_page_copy()', () => {
  // mm/memory.c wp_page_copy(): "ptep_clear_flush(vma, vmf->address, vmf->pte);"
  it('the child’s COW write flushes one page of the child’s mm', () => {
    const p = play(
      'A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: fork B\nB: run 1\nB: read 1T 1\nB: write 1T 2\n',
    );
    const cow = stepAt(p, 12);
    expect(cow.tlb?.flushes).toEqual([
      expect.objectContaining({
        why: 'ptep_clear_flush',
        mm: 'B',
        full: false,
        start: '0x10000000000',
        end: '0x10000001000',
        reached: [1],
      }),
    ]);
    // After it, B's CPU maps the new page writable; A's still has the old page.
    const b = cow.tlb?.cpus[1]?.entries[0];
    const a = cow.tlb?.cpus[0]?.entries[0];
    expect(b?.perms).toBe('rwd');
    expect(b?.pfn).not.toBe(a?.pfn);
  });
});

describe('fork write-protects the parent: dup_mmap() ends with flush_tlb_mm(oldmm)', () => {
  // kernel/fork.c dup_mmap(): "flush_tlb_mm(oldmm);"
  // arch/x86/include/asm/tlbflush.h: "flush_tlb_mm_range(mm, 0UL, TLB_FLUSH_ALL, 0UL, true)"
  it('the parent’s writable entry is flushed, so its next write faults and copies', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: fork B\nA: write 1T 2\n');
    const f = stepAt(p, 9);
    expect(f.tlb?.flushes).toEqual([
      expect.objectContaining({ why: 'dup_mmap', mm: 'A', full: true, freed_tables: true, reached: [0] }),
    ]);
    expect(f.tlb?.cpus[0]?.entries).toEqual([]);
    expect(fns(stepAt(p, 10))).toContain('wp_page_copy');
  });
});

describe('mprotect: change_pte_range() flushes only when pte_needs_flush()', () => {
  // mm/mprotect.c change_pte_range(): "if (pte_needs_flush(oldpte, ptent))"
  it('removing write flushes; the next write faults (SIGSEGV), it does not hit the old entry', () => {
    const p = play('A: mmap 1T 4K rw private anon fixed\nA: write 1T 1\nA: mprotect 1T 4K r\nA: write 1T 2\n');
    expect(stepAt(p, 9).tlb?.flushes).toEqual([
      expect.objectContaining({ why: 'change_protection', full: false, reached: [0] }),
    ]);
    expect(stepAt(p, 10).outcome.kind).toBe('signal');
  });
  it('adding write does not flush', () => {
    const p = play('A: mmap 1T 4K r private anon fixed\nA: read 1T 1\nA: mprotect 1T 4K rw\n');
    expect(stepAt(p, 9).tlb?.flushes).toEqual([]);
  });
});

describe('PCIDs: choose_new_asid()', () => {
  // arch/x86/mm/tlb.c choose_new_asid(): "*new_asid = this_cpu_add_return(cpu_tlbstate.next_asid, 1) - 1;"
  // "if (*new_asid >= TLB_NR_DYN_ASIDS) {" … "*new_asid = 0;"
  // initialize_tlbstate_and_flush(): "this_cpu_write(cpu_tlbstate.next_asid, 1);" (slot 0 is init_mm's).
  it('six mms fill the six slots (ASIDs 1-5, then 0); the seventh takes slot 1 from the first', () => {
    expect(TLB_NR_DYN_ASIDS).toBe(6);
    let body = '';
    for (let i = 1; i <= 7; i++) body += `${i === 1 ? '' : `spawn T${i}\n`}`;
    let txt = 'kernel mainline\npaging 4\ncpus 1\n\nspawn T1\n' + body;
    for (let i = 1; i <= 7; i++) txt += `T${i}: mmap 1T 4K rw private anon fixed\nT${i}: write 1T ${i}\n`;
    txt += 'T1: read 1T 1\n';
    const p = new Play(txt);
    p.run();
    const last = p.steps[p.steps.length - 1] as ReportStep;
    // T1..T5 took ASIDs 1-5, T6 wrapped to 0, T7 took 1 (T1's); T1 coming back takes ASID 2
    // (T2's, PCID 3) round-robin, flushed, and must walk again.
    expect(last.tlb?.cpus[0]).toMatchObject({ task: 'T1', pcid: 3 });
    expect(last.tlb?.hits).toBe(0);
    expect(last.tlb?.walks).toBe(1);
    expect(last.outcome).toEqual({ kind: 'ok', value: '01' });
  });
  it('a task switched out and back without changes keeps its entries (no flush)', () => {
    const p = play('spawn B\nA: mmap 1T 4K rw private anon fixed\nA: write 1T 5\nB: run 0\nA: run 0\nA: read 1T 1\n');
    const r = p.steps[p.steps.length - 1] as ReportStep;
    expect(r.tlb?.hits).toBe(1);
    expect(r.outcome).toEqual({ kind: 'ok', value: '05' });
  });
});

describe('execve: exec_mmap() activates the new mm before mmput(old_mm)', () => {
  // fs/exec.c exec_mmap(): "tsk->mm = mm;" … "activate_mm(active_mm, mm);" … "mmput(old_mm);"
  // The new mm has a new ctx_id: choose_new_asid() finds no slot of it and takes next_asid (2, after A's 1).
  it('the CPU loads the new mm under a new PCID first; the old mm is torn down off that CPU; nothing stale', () => {
    const p = play(
      'A: mmap 1T 4K rw private anon fixed\nA: write 1T 5\nA: execve\nA: mmap 1T 4K rw private anon fixed\nA: read 1T 1\n',
    );
    const ex = stepAt(p, 9);
    const f = fns(ex);
    expect(f.slice(0, 4)).toEqual(['mm_alloc', 'exec_mmap', 'switch_mm_irqs_off', 'exit_mmap']);
    // ASID 2 is PCID 3 (kern_pcid(): ASID + 1); A ran under PCID 2 before.
    expect(stepAt(p, 8).tlb?.cpus[0]).toMatchObject({ task: 'A', pcid: 2 });
    expect(ex.tlb?.cpus[0]).toMatchObject({ task: 'A', pcid: 3 });
    // CPU 0 left the old mm's mm_cpumask at the switch: the old mm's teardown flush reaches no CPU.
    const old = ex.tlb?.flushes.find((x) => x.why === 'exit_mmap');
    expect(old?.reached).toEqual([]);
    // The new mm's page at the same address: walked (the old entry is under the old, dead ASID), the new bytes read.
    const rd = stepAt(p, 11);
    expect(rd.tlb?.hits).toBe(0);
    expect(rd.tlb?.walks).toBe(1);
    expect(rd.outcome).toEqual({ kind: 'ok', value: '00' });
    expect(tlbOf(p).staleEntries()).toEqual([]);
  });
});

describe('no stale entry in mainline after a step (the hazard cannot happen)', () => {
  it('the scenarios above leave none', () => {
    const p = play(
      'A: mmap 1T 8K rw private anon fixed\nA: write 1T 1\nA: fork B\nB: run 1\nB: write 1T 2\nA: munmap 1T 4K\nB: exit\nA: read 1T+4K 1\n',
    );
    expect(tlbOf(p).staleEntries()).toEqual([]);
  });
});
