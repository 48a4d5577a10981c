/**
 * The command line as a user runs it (shared/spec/scenario-language.md §2):
 * `ptx run FILE [--json] [--compare mainline]`, `ptx url`, `ptx decode`,
 * through a child process (bin/ptx.js), checking exit codes, stdout and the
 * FILE:LINE:COL form of errors on stderr.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../scenario/report';
import { encodeLink } from '../scenario/link';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/ptx.js');
const scenario = (f: string): string => join(root, 'scenarios', `${f}.ptx`);

function ptx(args: string[], input?: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'ptx-cli-'));
const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('ptx run', { timeout: 120_000 }, () => {
  it('prints the readable summary and exits 0, whatever the outcomes (a SIGSEGV is an outcome, not an error)', () => {
    const r = ptx(['run', scenario('mshare-v1-hole')]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(
      '"mshare v1: a hole in the region is VM_FAULT_SIGSEGV, not the SIGBUS the cover letter promised" · kernel mshare-v1 · 4-level paging · 9 steps',
    );
    expect(r.out).toContain('  8  B: read 1T+2G 1\n       → SIGSEGV: VM_FAULT_SIGSEGV at 0x10080000000');
    // Notes are printed as captions before their step.
    expect(r.out).toContain(
      '   # B reads at 1 TiB: the usual set_pgd, VM_FAULT_NOPAGE and retry; B sees "data".\n  7  B: read 1T 4',
    );
    expect(r.out).toMatch(/mshare "sga" at 0x10000000000, 549,755,813,888 bytes, refcount 2, host page tables 12 KiB/);
  });

  it('a scenario that does not load: exit 2 and FILE:LINE:COL: message on stderr, nothing on stdout', () => {
    const bad = write('bad.ptx', 'kernel mshare-v1\nspawn A\nA: mmap 1T\n');
    const r = ptx(['run', bad]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `${bad}:3:11: expected a length such as 4K, 2M or 0x1000 (T: mmap ADDR LEN PROT FLAGS [fd=F] [offset=N])\n`,
    );
    // A task used before it exists, and a directive after the first step.
    const late = write('late.ptx', 'spawn A\nB: read 1T\nkernel mshare-v1\n');
    const r2 = ptx(['run', late, '--json']);
    expect(r2.code).toBe(2);
    expect(r2.out).toBe('');
    expect(
      r2.err
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith(`${late}:`) && /^.*:\d+:\d+: /.test(l)),
    ).toBe(true);
    expect(r2.err).toMatch(new RegExp(`^${late.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:1: `, 'm'));
    expect(r2.err).toMatch(/:3:1: /);
  });

  it("reads standard input with '-', and names it <stdin> in errors", () => {
    const ok = ptx(['run', '-', '--json'], 'kernel msharefs\nspawn A\nA: mshare "x" 1T 512G O_RDWR\n');
    expect(ok.code).toBe(0);
    const rep = JSON.parse(ok.out) as Report;
    expect(rep.kernel).toBe('msharefs');
    expect(rep.steps[1]?.outcome).toMatchObject({ kind: 'errno', errno: 'ENOSYS' });
    const bad = ptx(['run', '-'], 'spawn A\nA: frobnicate\n');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^<stdin>:2:4: /);
  });

  it('--json prints a ptx-report/1 report: steps with events, walks and pgtables_bytes, tasks, mshare, totals', () => {
    const r = ptx(['run', scenario('mshare-v1-guest-fault'), '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as Report;
    expect(rep.format).toBe('ptx-report/1');
    expect(rep.title).toBe("mshare v1: the guest's first fault copies a PGD entry");
    expect(rep.kernel).toBe('mshare-v1');
    expect(rep.paging).toBe(4);
    expect(rep.steps).toHaveLength(11);
    const read = rep.steps[6];
    expect(read).toMatchObject({
      index: 7,
      task: 'B',
      op: 'read',
      outcome: { kind: 'ok', value: Buffer.from('Some random shared text').toString('hex') },
      pgtables_bytes: { A: 0, B: 0 },
    });
    expect(read?.line).toBe(
      readFileSync(scenario('mshare-v1-guest-fault'), 'utf8').split('\n').indexOf('B: read 1T+0x1000 23') + 1,
    );
    expect(read?.events.map((e) => e.fn)).toEqual(['handle_mm_fault', 'find_shared_vma', 'set_pgd', 'VM_FAULT_NOPAGE']);
    expect(read?.events[0]).toMatchObject({ fn: 'handle_mm_fault', task: 'B' });
    expect(rep.steps[7]?.walk?.pfn).toBe(rep.steps[8]?.walk?.pfn);
    expect(rep.steps[7]?.walk?.levels[0]).toEqual({
      level: 'pgd',
      index: 2,
      entry: rep.steps[8]?.walk?.levels[0]?.entry,
    });
    expect(rep.tasks.map((t) => [t.name, t.pid, t.state, t.pgtables_bytes])).toEqual([
      ['A', 1, 'running', 0],
      ['B', 2, 'running', 0],
    ]);
    expect(rep.mshare).toEqual([
      { name: 'sga', start: '0x10000000000', size: 549755813888, refcount: 2, pgtables_bytes: 12288 },
    ]);
    expect(rep.totals).toEqual({
      table_pages: { pgd: 3, p4d: 0, pud: 1, pmd: 1, pte: 1 },
      pgtables_bytes: 12288,
      data_pages: 2,
    });
    expect(rep.compare).toBeUndefined();
  });

  it('--compare mainline adds the comparison per task and in total, to the JSON report and to the readable output', () => {
    const j = ptx(['run', scenario('mshare-v1-guest-fault'), '--json', '--compare', 'mainline']);
    expect(j.code).toBe(0);
    const rep = JSON.parse(j.out) as Report;
    expect(rep.kernel).toBe('mshare-v1');
    expect(rep.compare?.kernel).toBe('mainline');
    expect(rep.compare?.tasks).toEqual([
      { name: 'A', pgtables_bytes: 0, mainline_pgtables_bytes: 12288 },
      { name: 'B', pgtables_bytes: 0, mainline_pgtables_bytes: 12288 },
    ]);
    expect(rep.compare?.totals).toEqual({ pgtables_bytes: 12288, mainline_pgtables_bytes: 24576, saved_bytes: 12288 });
    expect(rep.compare?.steps).toHaveLength(11);
    const t = ptx(['run', scenario('mshare-v1-guest-fault'), '--compare', 'mainline']);
    expect(t.code).toBe(0);
    const tail = t.out.slice(t.out.indexOf('compared with mainline'));
    expect(tail.split('\n')).toEqual([
      'compared with mainline (each region a plain shared mapping):',
      '  A                   0 KiB here,           12 KiB with mainline',
      '  B                   0 KiB here,           12 KiB with mainline',
      '  all mms: 12 KiB here, 24 KiB with mainline: 12 KiB saved',
      '',
    ]);
  });

  it("--compare mainline of the SGA: the twin's OOM kills and the 880.6 GiB it needed, in the app's words", () => {
    // 1,500 × (153,600 PTE + 300 PMD + 1 PUD) × 4096 B = 880.6 GiB needed; 361 fit in
    // 512 GiB (src/scenario/compare.test.ts has the arithmetic).
    const t = ptx(['run', scenario('sga-1500-mshare'), '--compare', 'mainline']);
    expect(t.code).toBe(0);
    const tail = t.out.slice(t.out.indexOf('compared with mainline')).split('\n');
    expect(tail).toEqual([
      'compared with mainline (each region a plain shared mapping):',
      '  db1–db361 (361 tasks), each               0 KiB here,      615,604 KiB with mainline',
      '  db362–db1500 (1,139 tasks), each          0 KiB here, killed out of memory with mainline (it needed 615,604 KiB)',
      '  all mms: 601.2 MiB here; with mainline 880.6 GiB needed, 211.9 GiB held by the tasks that fit: 880 GiB saved',
      "  Without sharing, only 361 of the 1,500 tasks fit in the machine's 512 GiB: the other 1,139 were killed out of memory (OOM). " +
        'Their page tables would need 880.6 GiB (1,500 × 601.2 MiB); the 361 that fit hold 211.9 GiB. With mshare-v1, all page tables take 601.2 MiB.',
      '',
    ]);
    // The JSON report of 1,500 tasks is 3.6 MB: more than ptx()'s default 1 MiB buffer.
    const json = spawnSync(
      process.execPath,
      [bin, 'run', scenario('sga-1500-mshare'), '--json', '--compare', 'mainline'],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const j = JSON.parse(json.stdout) as Report;
    expect(j.compare?.oom).toMatchObject({
      killed: 1139,
      fit: 361,
      tasks: 1500,
      needed_pgtables_bytes: 945_567_744_000,
      memory_bytes: 512 * 2 ** 30,
    });
    expect(j.compare?.totals.saved_bytes).toBe(945_567_744_000 - 630_378_496);
  });

  it('--compare takes only "mainline"; a missing or extra argument is a usage error (exit 2)', () => {
    const r = ptx(['run', scenario('mshare-v1-hole'), '--compare', 'msharefs']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('--compare takes "mainline" (the only kernel without sharing), not "msharefs"\n');
    expect(ptx(['run', scenario('mshare-v1-hole'), '--compare']).code).toBe(2);
    expect(ptx(['run']).code).toBe(2);
    expect(ptx(['run', scenario('mshare-v1-hole'), 'extra']).code).toBe(2);
  });

  it('a file that cannot be read: exit 2 with the reason', () => {
    const r = ptx(['run', join(tmp, 'missing.ptx')]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${join(tmp, 'missing.ptx')}: cannot read: no such file\n`);
  });
});

describe('ptx url and ptx decode', { timeout: 120_000 }, () => {
  it('url then decode gives back the scenario text, byte for byte, and the step', () => {
    const file = scenario('msharefs-refusals');
    const u = ptx(['url', file, '--step', '5', '--base', 'https://example.org/ptx/']);
    expect(u.code).toBe(0);
    const link = u.out.trim();
    expect(link.startsWith('https://example.org/ptx/#')).toBe(true);
    const d = ptx(['decode', link]);
    expect(d.code).toBe(0);
    expect(d.out).toBe(readFileSync(file, 'utf8'));
    expect(d.err).toContain('step 5');
    // The fragment alone decodes too.
    const f = ptx(['decode', link.slice(link.indexOf('#'))]);
    expect(f.code).toBe(0);
    expect(f.out).toBe(d.out);
  });

  it('url --step beyond the scenario, and decode of a damaged link: exit 2 with a message', () => {
    const u = ptx(['url', scenario('mshare-v1-hole'), '--step', '99']);
    expect(u.code).toBe(2);
    expect(u.err).toContain('the scenario has 9 steps');
    const d = ptx(['decode', 'http://localhost:5173/#v2=not-a-real-link']);
    expect(d.code).toBe(2);
    expect(d.out).toBe('');
    expect(d.err).toMatch(/^<link>:1:\d+: /);
  });

  it('url of a scenario that does not load: exit 2 with FILE:LINE:COL', () => {
    const bad = write('bad-url.ptx', 'title "x"\nspawn A\nA: mshare "x" 1T\n');
    const r = ptx(['url', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: `));
  });
});

describe('usage', { timeout: 120_000 }, () => {
  it('no command: usage and exit 2; help: usage and exit 0; an unknown command: exit 2', () => {
    const none = ptx([]);
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/^usage: ptx run FILE \[--json\] \[--compare mainline\]/);
    expect(ptx(['--help']).code).toBe(0);
    const u = ptx(['frob']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/^unknown command "frob"/);
  });
});

/** A shell pipeline (bash, for PIPESTATUS), from the project root. */
function shell(script: string, input?: string): { code: number | null; out: string; err: string } {
  const r = spawnSync('bash', ['-c', script], {
    cwd: root,
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PTX: `"${process.execPath}" "${bin}"` },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** What must never reach a terminal from the input (C0 but tab and newline, DEL, C1, bidi controls). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe('hostile input: the CLI exits 2 with one line, never a trace or 134 (issue 13)', { timeout: 120_000 }, () => {
  it('a file over 1 MiB is refused as FILE:1:1 without being run', () => {
    const big = write('big.ptx', 'spawn A\n' + '# padding padding padding padding\n'.repeat(40_000));
    const r = ptx(['run', big]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`${big}:1:1: the scenario is larger than 1 MiB (the limit is 1048576 bytes); nothing was run\n`);
    // Exactly 1 MiB is still a scenario.
    const edge = write('edge.ptx', 'spawn A\n' + '#'.repeat((1 << 20) - 9) + '\n');
    expect(ptx(['run', edge]).code).toBe(0);
  });

  it('/dev/zero and an endless stdin are refused after reading 1 MiB, not read to the end', () => {
    const z = ptx(['run', '/dev/zero']);
    expect(z.code).toBe(2);
    expect(z.err).toBe(
      '/dev/zero:1:1: the scenario is larger than 1 MiB (the limit is 1048576 bytes); nothing was run\n',
    );
    // `yes` never ends: reading the whole stream would never return (the spawn timeout would fail this).
    const y = shell('yes | eval "$PTX run -"; echo "exit=${PIPESTATUS[1]}"');
    expect(y.out).toBe('exit=2\n');
    expect(y.err).toBe(
      '<stdin>:1:1: the scenario is larger than 1 MiB (the limit is 1048576 bytes); nothing was run\n',
    );
    expect(ptx(['run', tmp]).err).toBe(`${tmp}: cannot read: it is a directory\n`);
  });

  it('a reader that stops early (| head) ends ptx quietly with exit 0: run --json and decode', () => {
    const r = shell(
      'eval "$PTX run scenarios/sga-1500-mshare.ptx --json" | head -c 100 >/dev/null; echo "exit=${PIPESTATUS[0]}"',
    );
    expect(r.err).toBe('');
    expect(r.out).toBe('exit=0\n');
    const link = write('long.link', encodeLink('spawn A\n' + 'A: read 0x1000\n'.repeat(60_000)));
    const d = shell(`eval "$PTX decode -" < '${link}' | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`);
    expect(d.err).toBe('');
    expect(d.out).toBe('exit=0\n');
  });

  it('an error nobody foresaw, even thrown later or as a rejected promise, is one line and exit 2', () => {
    const cli = join(root, 'src/cli/ptx.ts');
    const tsx = import.meta.resolve('tsx');
    // Code run before the CLI; `later` runs it once the CLI's handlers are in place (its module has loaded).
    const preload = (code: string) => `data:text/javascript,${encodeURIComponent(code)}`;
    const later = (code: string) =>
      `const t = setInterval(() => { if (process.listenerCount('unhandledRejection') > 0) { clearInterval(t); ${code} } }, 5);`;
    for (const [code, message] of [
      ['process.stdout.write = () => { throw new Error("stdout broke"); };', 'stdout broke'],
      [later('throw new Error("later");'), 'later'],
      [later('Promise.reject(new Error("rejected"));'), 'rejected'],
    ] as const) {
      const r = spawnSync(
        process.execPath,
        ['--import', tsx, '--import', preload(code), cli, 'run', scenario('mshare-v1-hole')],
        { cwd: root, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status, code).toBe(2);
      expect(r.stderr, code).toBe(`ptx: internal error: ${message}\n`);
    }
  });

  it("a scenario that needs more memory than ptx allows ends with one line and exit 2, not V8's fatal error (134)", () => {
    // A million task names (10 lines of 100,000-task groups) cannot be parsed in a 16 MiB heap.
    const big = write(
      'big-groups.ptx',
      'spawn T[1..100000]\n' + Array.from({ length: 9 }, (_, i) => `T[1..100000]: read ${i}\n`).join(''),
    );
    const r = spawnSync(process.execPath, [bin, 'run', big], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PTX_HEAP_MB: '16' },
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'ptx: this scenario needs more than 16 MiB of memory to simulate, so it was stopped; make it smaller (fewer tasks or steps, smaller ranges touched)\n',
    );
  });

  it('decode - reads the link from stdin; an empty payload is an error, as in the app', () => {
    const file = scenario('msharefs-refusals');
    const link = ptx(['url', file, '--step', '2']).out;
    const d = ptx(['decode', '-'], link);
    expect(d.code).toBe(0);
    expect(d.out).toBe(readFileSync(file, 'utf8'));
    for (const empty of ['#v2=', '#v1=', 'http://localhost:5173/#v2=&step=3']) {
      const e = ptx(['decode', empty]);
      expect(e.code, empty).toBe(2);
      expect(e.out, empty).toBe('');
      expect(e.err, empty).toMatch(/^<link>:1:\d+: this link holds an empty scenario/);
    }
  });

  it('control characters from the input never reach the terminal: run, run --json, decode, error messages', () => {
    const attack =
      '\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ \u202Egnp.exe \u009b2J';
    // In a comment (the lexer refuses them in strings): `ptx run` prints the step's line with it.
    const f = write('ctl.ptx', `title "fine"\nspawn A # ${attack}\nA: exit # ${attack}\n`);
    const r = ptx(['run', f]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(UNSAFE);
    expect(r.out).toContain(
      '# \\x1B]0;pwned\\x07\\x1B[2J\\x1B]8;;http://evil.example/\\x1B\\click\\x1B]8;;\\x1B\\ \\u202Egnp.exe \\x9B2J',
    );
    const j = ptx(['run', f, '--json']);
    expect(j.out).not.toMatch(UNSAFE);
    expect(JSON.parse(j.out)).toMatchObject({ title: 'fine' });
    // A stranger's link with the attack in its title (which the lexer refuses) and in comments.
    const text = `title "\x1b]0;pwned\x07\x1b[2J"\nspawn A # ${attack}\n`;
    const d = ptx(['decode', encodeLink(text)]);
    expect(d.code).toBe(0);
    expect(d.out).not.toMatch(UNSAFE);
    expect(d.out).toContain('title "\\x1B]0;pwned\\x07');
    // Running it: a LINE:COL error whose message is escaped too.
    const bad = write('ctl-title.ptx', text);
    const e = ptx(['run', bad]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:8: `));
    expect(e.err).not.toMatch(UNSAFE);
    // A link's step that is not a number is quoted in the message: escaped as well.
    const s = ptx(['decode', encodeLink('spawn A') + '&step=%1B%5D0%3Bx%07']);
    expect(s.code).toBe(2);
    expect(s.err).toContain('\\x1B]0;x\\x07');
  });
});
