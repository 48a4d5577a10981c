/**
 * Every quotation the trace shows as "lines that ran" (an event's `src`) is
 * checked against the patch it names (fixtures/patch-excerpts.json, excerpts
 * read from the series as archived on the public mail lists): the source is
 * one of those patches, every line is one of its lines, verbatim, in order,
 * consecutive lines are consecutive in the patch, and every gap is marked
 * with "…". The quotes are collected by running the gallery's scenarios and
 * the error paths below, so only quotes on paths that run are seen; and a
 * quote appears only on the path that ran it (the last tests).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../scenario/run';
import fixture from './fixtures/patch-excerpts.json';

const FX = fixture as unknown as Record<string, { lines: string[] }>;
const GAP = '…';

/** Problems with one quotation, in words (empty: it is verbatim, in order, its gaps marked). */
export function checkQuote(src: string): string[] {
  const at = src.indexOf(': ');
  if (at < 0) return [`no "source: lines" form: ${src}`];
  const source = src.slice(0, at);
  const lines = src.slice(at + 2).split('\n');
  const patch = FX[source]?.lines;
  if (!patch) return [`names no patch we keep: "${source}"`];
  if (lines[0] === GAP || lines[lines.length - 1] === GAP) return [`starts or ends with a gap: ${src}`];
  const runs: string[][] = [[]];
  for (const l of lines) {
    if (l === GAP) runs.push([]);
    else (runs[runs.length - 1] as string[]).push(l);
  }
  let pos = 0;
  for (const run of runs) {
    if (run.length === 0) return [`two gaps in a row: ${src}`];
    let found = -1;
    for (let i = pos; i + run.length <= patch.length && found < 0; i++)
      if (run.every((l, j) => patch[i + j] === l)) found = i;
    if (found < 0) return [`not in ${source} as quoted (verbatim, consecutive, in order): ${run.join(' ⏎ ')}`];
    pos = found + run.length;
  }
  return [];
}

const EXTRA = [
  // mshare v1 error paths and teardown
  `kernel mshare-v1\nspawn A\nA: mshare "x" 1T+4K 512G O_CREAT|O_RDWR 0600\nA: mshare "x" 1T 512G O_CREAT|O_RDWR 0600\nA: mmap 0xffffe00000 4M rw shared anon fixed\nA: mshare "x" 1T 512G O_CREAT|O_RDWR 0600\nA: mmap 2T 512G+2M rw shared anon fixed\nA: mshare "y" 2T 512G O_CREAT|O_RDWR 0600\n`,
  `kernel mshare-v1\nspawn A\nspawn B\nspawn C\nA: mmap 1T 512G rw shared anon fixed\nA: mshare "r" 1T 512G O_CREAT|O_RDONLY 0600\nA: mshare "r" 1T 512G O_CREAT|O_RDWR 0600\nB: mshare "r" 1T 512G O_RDWR\nC: mmap 1T 4K rw private anon fixed\nC: mshare "r" 1T 512G O_RDONLY\nB: mshare_unlink "nope"\n`,
  `kernel mshare-v1\nspawn A\nA: mmap 1T 512G rw shared anon fixed\nA: mshare "r" 1T 512G O_CREAT|O_RDWR 0600\nA: mmap 0xffffe00000 2M rw private anon fixed\nA: write 0xffffe00000 "x"\nA: munmap 0xffffe00000 2M+512G\n`,
];

function allReports(): { name: string; events: { fn: string; src?: string }[] }[] {
  const dir = join(__dirname, '../../scenarios');
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith('.ptx') && !f.startsWith('sga-1500'))
    .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
  texts.push(...EXTRA.map((text, i) => ({ name: `extra ${i}`, text })));
  return texts.map(({ name, text }) => ({ name, events: runScenarioText(text).steps.flatMap((s) => s.events) }));
}

describe('patch quotations (issue 15, item 10)', () => {
  const reports = allReports();
  const srcs = new Set<string>();
  for (const r of reports) for (const e of r.events) if (e.src) srcs.add(e.src);

  it('the checker itself refuses a wrong patch, a join without "…", prose, and a line out of order', () => {
    expect(
      checkQuote('mm/mshare.c, mshare v1 08/14: if ((addr | len) & (PGDIR_SIZE - 1))\nreturn -EINVAL;'),
    ).not.toEqual([]);
    expect(
      checkQuote('mm/mshare.c, mshare v1 08/14: *addrp = host_addr;\nvma = find_vma(host_mm, host_addr);'),
    ).not.toEqual([]);
    expect(checkQuote('mm/mshare.c, msharefs v3 13/22: the creator owns the region')).not.toEqual([]);
    expect(checkQuote('mm/mshare.c, mshare v1 08/14: mmap_read_lock(host_mm);\n…\n*addrp = host_addr;')).not.toEqual(
      [],
    );
    expect(
      checkQuote('mm/mshare.c, mshare v1 08/14: *addrp = host_addr;\nmmap_read_lock(host_mm);\n…\nvma = NULL;'),
    ).toEqual([]);
  });

  it('collects the quotes of every path the gallery and the error cases run (at least 25 distinct)', () => {
    expect(srcs.size).toBeGreaterThanOrEqual(25);
  });

  it('every quote is verbatim, in order, in the patch it names, with every gap marked', () => {
    const bad = [...srcs].flatMap((s) => checkQuote(s));
    expect(bad).toEqual([]);
  });

  it('an ordinary fault and a create quote nothing of the attach path or the shared-VMA branch', () => {
    const r = runScenarioText(
      'kernel mshare-v1\nspawn A\nA: mmap 1T 512G rw shared anon fixed\nA: mmap 4T 4K rw private anon fixed\nA: write 4T "x"\nA: mshare "r" 1T 512G O_CREAT|O_RDWR 0600\nA: mshare "r" 1T 512G O_CREAT|O_RDWR 0600\n',
    );
    const srcOf = (i: number): string[] => (r.steps[i]?.events ?? []).flatMap((e) => (e.src ? [e.src] : []));
    expect(srcOf(3)).toEqual([]); // a private VMA's fault: no vma_is_shared() branch
    expect(srcOf(4).join('\n')).not.toMatch(/vm_mmap|refcount_inc/); // create: not the attach path
    expect(srcOf(5).join('\n')).not.toMatch(/vm_mmap|refcount_inc/); // EEXIST: nothing mapped
  });
});
