import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_HUGETLB,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  type Op,
  type Scenario,
  type ScenarioError,
} from './ast';
import { formatError, parseScenario } from './parser';
import { printScenario } from './printer';
import { SPEC_EXAMPLE as EXAMPLE, scenarioArb } from './arbitrary';

const T = 0x10000000000n;
const G = 1n << 30n;

function ok(text: string): Scenario {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}
function errors(text: string): ScenarioError[] {
  const r = parseScenario(text);
  if (r.ok) throw new Error('parsed without error');
  return r.errors;
}
/** The first error, as `LINE:COL: message`. */
const err = (text: string) => formatError(errors(text)[0]!);
/** The op of the last step of `spawn A` + the given line. */
const op = (line: string): Op => ok(`spawn A\n${line}`).steps.at(-1)!.op;

describe("the spec's example", () => {
  it('parses to the expected AST', () => {
    const s = ok(EXAMPLE);
    expect(s.title).toBe("mshare: the guest's first fault copies a PGD entry");
    expect(s.kernel).toBe('mshare-v1');
    expect(s.paging).toBe(4);
    expect(s.memory).toBeUndefined();
    expect(s.trailingNote).toBeUndefined();
    const text = new TextEncoder().encode('Some random shared text');
    expect(s.steps).toEqual([
      { pos: { line: 6, col: 1 }, taskText: null, tasks: [], op: { op: 'spawn', names: ['A'] } },
      { pos: { line: 7, col: 1 }, taskText: null, tasks: [], op: { op: 'spawn', names: ['B'] } },
      {
        pos: { line: 8, col: 1 },
        taskText: 'A',
        tasks: ['A'],
        op: { op: 'mmap', addr: 0x10000000000n, len: 0x8000000000n, prot: 3, flags: 0x01 | 0x20 | 0x10 },
      },
      {
        pos: { line: 9, col: 1 },
        taskText: 'A',
        tasks: ['A'],
        op: {
          op: 'mshare',
          name: 'sga',
          addr: 0x10000000000n,
          len: 0x8000000000n,
          oflags: 0o100 | 0o200 | 0o2,
          mode: 0o600,
        },
      },
      {
        pos: { line: 11, col: 1 },
        taskText: 'A',
        tasks: ['A'],
        note: 'A writes: the host mm allocates PUD, PMD and PTE pages',
        op: { op: 'write', addr: 0x10000001000n, value: text, valueText: 'Some random shared text' },
      },
      {
        pos: { line: 12, col: 1 },
        taskText: 'B',
        tasks: ['B'],
        op: { op: 'mshare', name: 'sga', addr: 0x10000000000n, len: 0x8000000000n, oflags: 2 },
      },
      {
        pos: { line: 14, col: 1 },
        taskText: 'B',
        tasks: ['B'],
        note: "B's first touch: set_pgd copies the host entry, VM_FAULT_NOPAGE, retry",
        op: { op: 'read', addr: 0x10000001000n, len: 23n },
      },
      { pos: { line: 15, col: 1 }, taskText: 'B', tasks: ['B'], op: { op: 'mshare_unlink', name: 'sga' } },
    ]);
  });
});

describe('directives', () => {
  it('default to mainline, 4-level, no title, unlimited memory', () => {
    expect(ok('')).toEqual({ kernel: 'mainline', paging: 4, steps: [] });
  });
  it('read title, kernel, paging and memory', () => {
    const s = ok('title "t"\nkernel msharefs\npaging 5\nmemory 16G');
    expect(s).toMatchObject({ title: 't', kernel: 'msharefs', paging: 5, memory: 16n * G });
    expect(ok('kernel mainline').kernel).toBe('mainline');
    expect(ok('memory 1G+4K').memory).toBe(G + 4096n);
  });
  it('must come before the first step', () => {
    expect(err('spawn A\nkernel msharefs')).toBe('2:1: "kernel" must come before the first step (line 1)');
    expect(err('spawn A\n# c\n  title "x"')).toMatch(/^3:3: "title" must come before the first step/);
  });
  it('may be given once', () => {
    expect(err('paging 4\npaging 5')).toBe('2:1: "paging" is given twice: it was already set on line 1');
    expect(err('memory 1G\nmemory 2G')).toMatch(/^2:1: "memory" is given twice/);
  });
  it('name the valid kernels and paging levels', () => {
    expect(err('kernel linux')).toBe('1:8: unknown kernel "linux": expected mainline, mshare-v1 or msharefs');
    expect(err('kernel mshare-v2')).toMatch(/^1:8: unknown kernel "mshare-v2".*did you mean "mshare-v1"\?/);
    expect(err('paging 3')).toMatch(/^1:8: expected 4 or 5/);
    expect(err('paging')).toMatch(/^1:7: expected 4 or 5/);
    expect(err('title x')).toMatch(/^1:7: expected the title in double quotes/);
  });
  it('check memory', () => {
    expect(err('memory 1000')).toMatch(/^1:8: memory must be a whole number of 4K pages/);
    expect(err('memory 0')).toMatch(/^1:8: memory must/);
    expect(err('memory 8P')).toMatch(/up to 4P/);
    expect(err('memory lots')).toMatch(/^1:8: expected a memory size such as 512M/);
  });
  it('are not done by a task', () => {
    expect(err('spawn A\nA: kernel mainline')).toMatch(/^2:1: "kernel" is not done by a task/);
  });
});

describe('notes', () => {
  it('caption the next step; several join with a newline', () => {
    const s = ok('note "one"\nnote "two"\nspawn A\nA: exit\nnote "three"\nA: exit');
    expect(s.steps.map((x) => x.note)).toEqual(['one\ntwo', undefined, 'three']);
  });
  it('after the last step are kept as trailingNote', () => {
    const s = ok('spawn A\nnote "bye"\nnote ""');
    expect(s.steps[0]!.note).toBeUndefined();
    expect(s.trailingNote).toBe('bye\n');
  });
  it('may come before directives', () => {
    expect(ok('note "n"\nkernel msharefs\nspawn A').steps[0]!.note).toBe('n');
  });
  it('need a string', () => {
    expect(err('note hello')).toMatch(/^1:6: expected the caption in double quotes/);
    expect(err('A: note "x"')).toMatch(/^1:1: "note" is not done by a task/);
  });
});

describe('tasks', () => {
  it('spawn creates a task; steps name it and the group it belongs to', () => {
    const s = ok('spawn A\nA: exit');
    expect(s.steps[1]).toMatchObject({ taskText: 'A', tasks: ['A'], op: { op: 'exit' } });
  });
  it('groups expand in order, wherever a task name is', () => {
    const s = ok(
      'spawn db[1..1500]\ndb[2..1500]: mshare "sga" 1T 512G O_RDWR\ndb1: fork worker[1..8]\nworker[3..4]: exit',
    );
    const spawn = s.steps[0]!.op as Extract<Op, { op: 'spawn' }>;
    expect(spawn.names).toHaveLength(1500);
    expect(spawn.names.slice(0, 3)).toEqual(['db1', 'db2', 'db3']);
    expect(spawn.names.at(-1)).toBe('db1500');
    expect(s.steps[1]!.taskText).toBe('db[2..1500]');
    expect(s.steps[1]!.tasks).toHaveLength(1499);
    expect(s.steps[1]!.tasks[0]).toBe('db2');
    expect(s.steps[2]).toMatchObject({
      taskText: 'db1',
      tasks: ['db1'],
      op: {
        op: 'fork',
        children: ['worker1', 'worker2', 'worker3', 'worker4', 'worker5', 'worker6', 'worker7', 'worker8'],
      },
    });
    expect(s.steps[3]).toMatchObject({ taskText: 'worker[3..4]', tasks: ['worker3', 'worker4'] });
  });
  it('a group of one, and a group at the limit of 100,000', () => {
    expect(ok('spawn x[7..7]').steps[0]!.op).toEqual({ op: 'spawn', names: ['x7'] });
    const s = ok('spawn w[1..100000]');
    expect((s.steps[0]!.op as { names: string[] }).names).toHaveLength(100000);
  });
  it('must be created before use', () => {
    expect(err('B: exit')).toBe('1:1: task "B" is used before it is created by spawn or fork');
    expect(err('spawn A\n\n\nB: read 0')).toBe('4:1: task "B" is used before it is created by spawn or fork');
    expect(err('spawn db[1..3]\ndb[1..4]: exit')).toBe(
      '2:1: task "db4" of db[1..4] is used before it is created by spawn or fork',
    );
  });
  it('report a missing task once, not on every line', () => {
    expect(errors('B: exit\nB: exit\nB: exit')).toHaveLength(1);
  });
  it('may be named after they exit (a runtime skip, not a parse error)', () => {
    expect(ok('spawn A\nA: exit\nA: read 0').steps).toHaveLength(3);
  });
  it('cannot be created twice', () => {
    expect(err('spawn A\nspawn A')).toBe(
      '2:7: task "A" already exists (created on line 1); each task name can be created only once',
    );
    expect(err('spawn A\nA: fork A')).toMatch(/^2:9: task "A" already exists/);
    expect(err('spawn db[1..3]\nspawn db3')).toMatch(/^2:7: task "db3" already exists/);
    expect(err('spawn A\nA: exit\nspawn A')).toMatch(/^3:7: task "A" already exists/);
  });
  it('fork creates the children', () => {
    expect(ok('spawn A\nA: fork B\nB: exit').steps).toHaveLength(3);
  });
  it('a group cannot fork (its children would share names)', () => {
    expect(err('spawn db[1..2]\ndb[1..2]: fork w')).toMatch(/^2:1: db\[1\.\.2\] cannot fork/);
    expect(ok('spawn db[1..2]\ndb[1..1]: fork w').steps).toHaveLength(2);
  });
  it('reject empty and oversized groups', () => {
    expect(err('spawn db[5..2]')).toBe(
      '1:7: group db[5..2] is empty: the first number must not be larger than the second',
    );
    expect(err('spawn db[1..100001]')).toBe(
      '1:7: group db[1..100001] has 100,001 tasks; a group may have at most 100,000',
    );
    expect(err('spawn A\nA: fork w[0..99999999999999999999]')).toMatch(/^2:9: group .* at most 100,000/);
  });
  it('limit the names all groups expand to', () => {
    const text = 'spawn g[1..100000]\n' + 'g[1..100000]: read 0\n'.repeat(10);
    expect(err(text)).toMatch(/^11:1: too many tasks: .* more than 1,000,000/);
  });
  it('spawn is not done by a task, and every other step is', () => {
    expect(err('spawn A\nA: spawn B')).toMatch(/^2:1: "spawn" is not done by a task/);
    expect(err('mmap 0 4K rw private anon')).toBe(
      '1:1: "mmap" needs the task that does it: write it as T: mmap ADDR LEN PROT FLAGS [fd=F] [offset=N]',
    );
    expect(err('spawn')).toMatch(/^1:6: expected the name of the new task/);
    expect(err('spawn 5')).toMatch(/^1:7: expected the name of the new task, e\.g\. spawn A, not "5"/);
  });
});

describe('statements', () => {
  it('exit', () => {
    expect(op('A: exit')).toEqual({ op: 'exit' });
  });
  it('mmap with every flag spelling, auto, fd= and offset=', () => {
    expect(op('A: mmap 1T 512G rw shared anon fixed')).toEqual({
      op: 'mmap',
      addr: T,
      len: 512n * G,
      prot: 3,
      flags: MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
    });
    expect(op('A: mmap auto 4K PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS')).toEqual({
      op: 'mmap',
      addr: 'auto',
      len: 4096n,
      prot: PROT_READ | PROT_WRITE,
      flags: MAP_PRIVATE | MAP_ANONYMOUS,
    });
    expect(op('A: mmap 0 2M PROT_NONE private anon populate hugetlb fixed_noreplace')).toMatchObject({
      prot: 0,
      flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_HUGETLB | MAP_FIXED_NOREPLACE,
    });
    expect(op('A: mmap 0 2M rwx MAP_FIXED_NOREPLACE | MAP_SHARED')).toMatchObject({
      prot: 7,
      flags: MAP_FIXED_NOREPLACE | MAP_SHARED,
    });
    expect(op('A: mmap auto 1G rw shared fd=f offset=2M')).toEqual({
      op: 'mmap',
      addr: 'auto',
      len: G,
      prot: 3,
      flags: MAP_SHARED,
      fd: 'f',
      offset: 2n << 20n,
    });
    expect(op('A: mmap auto 1G rw shared offset=0 fd=f')).toMatchObject({ fd: 'f', offset: 0n });
  });
  it('prot in every form', () => {
    const prot = (p: string) => (op(`A: mprotect 0 4K ${p}`) as { prot: number }).prot;
    expect(['none', 'r', 'rw', 'rx', 'rwx'].map(prot)).toEqual([0, 1, 3, 5, 7]);
    expect(prot('PROT_WRITE|PROT_EXEC')).toBe(PROT_WRITE | PROT_EXEC);
    expect(prot('PROT_READ|PROT_WRITE|PROT_EXEC')).toBe(7);
    expect(prot('PROT_NONE')).toBe(0);
    expect(prot('PROT_EXEC')).toBe(PROT_EXEC);
  });
  it('munmap, mprotect, madvise', () => {
    expect(op('A: munmap 1T+0x1000 4K')).toEqual({ op: 'munmap', addr: T + 0x1000n, len: 4096n });
    expect(op('A: mprotect 2M+4K 8K r')).toEqual({
      op: 'mprotect',
      addr: (2n << 20n) + 4096n,
      len: 8192n,
      prot: PROT_READ,
    });
    expect(op('A: madvise 0 2M MADV_DONTNEED')).toEqual({
      op: 'madvise',
      addr: 0n,
      len: 2n << 20n,
      advice: 'MADV_DONTNEED',
    });
  });
  it('read, write, exec, translate', () => {
    expect(op('A: read 0x7f00_0000_0000')).toEqual({ op: 'read', addr: 0x7f0000000000n });
    expect(op('A: read 0 23')).toEqual({ op: 'read', addr: 0n, len: 23n });
    expect(op('A: write 0')).toEqual({ op: 'write', addr: 0n });
    expect(op('A: write 0 0x41')).toEqual({ op: 'write', addr: 0n, value: new Uint8Array([0x41]) });
    expect(op('A: write 0 255')).toEqual({ op: 'write', addr: 0n, value: new Uint8Array([255]) });
    expect(op('A: write 0 "é\\""')).toEqual({
      op: 'write',
      addr: 0n,
      value: new Uint8Array([0xc3, 0xa9, 0x22]),
      valueText: 'é"',
    });
    expect(op('A: write 0 ""')).toEqual({ op: 'write', addr: 0n, value: new Uint8Array([]), valueText: '' });
    expect(op('A: exec 4K')).toEqual({ op: 'exec', addr: 4096n });
    expect(op('A: translate 0xffff_8000_0000_0000')).toEqual({ op: 'translate', addr: 0xffff800000000000n });
  });
  it('touch reads unless told to write', () => {
    expect(op('A: touch 0 8K')).toEqual({ op: 'touch', addr: 0n, len: 8192n, access: 'read' });
    expect(op('A: touch 0 8K write')).toMatchObject({ access: 'write' });
    expect(op('A: touch 0 8K read')).toMatchObject({ access: 'read' });
  });
  it('mshare and mshare_unlink', () => {
    expect(op('A: mshare "sga" 1T 512G O_CREAT|O_EXCL|O_RDWR 0600')).toEqual({
      op: 'mshare',
      name: 'sga',
      addr: T,
      len: 512n * G,
      oflags: O_CREAT | O_EXCL | O_RDWR,
      mode: 0o600,
    });
    expect(op('A: mshare sga 1T 512G O_RDONLY')).toEqual({
      op: 'mshare',
      name: 'sga',
      addr: T,
      len: 512n * G,
      oflags: O_RDONLY,
    });
    expect(op('A: mshare_unlink "sga"')).toEqual({ op: 'mshare_unlink', name: 'sga' });
  });
  it('open, close, unlink, ftruncate', () => {
    expect(op('A: open "/sys/fs/mshare/r" O_CREAT|O_RDWR 0600 as f')).toEqual({
      op: 'open',
      path: '/sys/fs/mshare/r',
      oflags: O_CREAT | O_RDWR,
      mode: 0o600,
      as: 'f',
    });
    expect(op('A: open /tmp/x O_WRONLY as g')).toEqual({ op: 'open', path: '/tmp/x', oflags: O_WRONLY, as: 'g' });
    expect(op('A: close f')).toEqual({ op: 'close', fd: 'f' });
    expect(op('A: unlink /sys/fs/mshare/r')).toEqual({ op: 'unlink', path: '/sys/fs/mshare/r' });
    expect(op('A: unlink "a b"')).toEqual({ op: 'unlink', path: 'a b' });
    expect(op('A: ftruncate f 1G')).toEqual({ op: 'ftruncate', fd: 'f', len: G });
  });
  it('ioctl, keys in any order', () => {
    expect(
      op('A: ioctl f MSHAREFS_CREATE_MAPPING region_offset=0 size=2M prot=rw flags=MAP_SHARED|MAP_ANONYMOUS'),
    ).toEqual({
      op: 'ioctl',
      fd: 'f',
      request: 'MSHAREFS_CREATE_MAPPING',
      regionOffset: 0n,
      size: 2n << 20n,
      prot: 3,
      flags: MAP_SHARED | MAP_ANONYMOUS,
    });
    expect(
      op('A: ioctl f MSHAREFS_CREATE_MAPPING flags=shared anon prot=PROT_READ size=4K region_offset=1G'),
    ).toMatchObject({ regionOffset: G, size: 4096n, prot: 1, flags: MAP_SHARED | MAP_ANONYMOUS });
    expect(op('A: ioctl f MSHAREFS_UNMAP region_offset=0 size=2M')).toEqual({
      op: 'ioctl',
      fd: 'f',
      request: 'MSHAREFS_UNMAP',
      regionOffset: 0n,
      size: 2n << 20n,
    });
  });
  it('keep the position of the statement', () => {
    const s = ok('spawn A\n\n   A: exit  # done');
    expect(s.steps[1]!.pos).toEqual({ line: 3, col: 4 });
  });
  it('accept CRLF and a BOM', () => {
    const s = ok('\ufeffspawn A\r\nA: exit\rA: exit\r\n');
    expect(s.steps.map((x) => x.pos.line)).toEqual([1, 2, 3]);
  });
});

describe('errors in steps', () => {
  it('unknown statements suggest the nearest one', () => {
    expect(err('spawn A\nA: mmpa 1T 4K rw shared')).toBe('2:4: unknown statement "mmpa" — did you mean "mmap"?');
    expect(err('spwan A')).toBe('1:1: unknown statement "spwan" — did you mean "spawn"?');
    expect(err('spawn A\nA: MMAP 0 4K rw shared')).toMatch(/did you mean "mmap"/);
    expect(err('spawn A\nA: frobnicate')).toBe('2:4: unknown statement "frobnicate"');
    expect(err('spawn A\nA mmap 0 4K r shared')).toBe('2:2: missing ":" after the task name: write A: mmap …');
    expect(err('spawn db[1..3]\ndb[1..3] exit')).toBe('2:9: missing ":" after the task name: write db[1..3]: exit …');
    expect(err('spawn A\nA:')).toMatch(/^2:3: expected a statement after "A:"/);
    expect(err('spawn A\nA: 5')).toMatch(/^2:4: expected a statement/);
  });
  it('missing or bad arguments say what was expected', () => {
    expect(err('spawn A\nA: mmap 1T 4Q rw shared')).toBe('2:12: expected a length such as 4K, 2M or 0x1000, not "4Q"');
    expect(err('spawn A\nA: munmap 1T')).toBe('2:13: expected a length such as 4K, 2M or 0x1000 (T: munmap ADDR LEN)');
    expect(err('spawn A\nA: read x')).toMatch(/^2:9: expected an address such as 1T/);
    expect(err('spawn A\nA: mmap x 4K rw shared')).toMatch(/^2:9: expected an address .*, or auto, not "x"/);
    expect(err('spawn A\nA: read 4k')).toBe('2:9: size suffixes are upper-case: write 4K');
    expect(err('spawn A\nA: read 0x1_0000_0000_0000_0000')).toMatch(/^2:9: .*larger than 2\^64-1/);
    expect(err('spawn A\nA: read 0xffff_ffff_ffff_ffff+1')).toMatch(/^2:31: the sum is larger than 2\^64-1/);
    expect(err('spawn A\nA: read 1T+')).toMatch(/^2:12: expected an address/);
  });
  it('flag words', () => {
    expect(err('spawn A\nA: mprotect 0 4K w')).toMatch(/^2:18: "w" has no short form/);
    expect(err('spawn A\nA: mprotect 0 4K PROT_RAED')).toMatch(
      /^2:18: unknown protection "PROT_RAED".*did you mean "PROT_READ"/,
    );
    expect(err('spawn A\nA: mmap 0 4K rw sharde')).toMatch(/^2:17: unknown map flag "sharde".*did you mean "shared"/);
    expect(err('spawn A\nA: mmap 0 4K rw MAP_GROWSDOWN')).toMatch(
      /^2:17: MAP_GROWSDOWN is not one of the simulated map flags/,
    );
    expect(err('spawn A\nA: mmap 0 4K rw')).toMatch(/^2:16: expected map flags/);
    expect(err('spawn A\nA: mmap 0 4K rw MAP_SHARED|')).toMatch(/^2:28: expected map flags/);
    expect(err('spawn A\nA: open /x O_RDWD as f')).toMatch(/^2:12: unknown open flag "O_RDWD".*did you mean "O_RDWR"/);
    expect(err('spawn A\nA: open /x O_RDWR 600 as f')).toMatch(
      /^2:19: expected an octal mode such as 0600 \(octal, with a leading 0\), not "600"/,
    );
    expect(err('spawn A\nA: open /x O_RDWR f')).toMatch(/^2:19: expected "as F"/);
    expect(err('spawn A\nA: open x O_RDWR as f')).toMatch(/^2:9: expected a path/);
  });
  it('extra words, repeated and unknown keys', () => {
    expect(err('spawn A\nA: exit now')).toBe('2:9: unexpected "now" after the end of the statement (T: exit)');
    expect(err('spawn A\nA: mmap 0 4K rw shared size=4K')).toMatch(
      /^2:24: unknown argument "size=": mmap takes fd=F and offset=N/,
    );
    expect(err('spawn A\nA: mmap 0 4K rw shared fd=a fd=b')).toMatch(/^2:29: fd= is given twice/);
    expect(err('spawn A\nA: mmap 0 4K rw shared 5')).toMatch(
      /^2:24: unexpected "5": after the flags come only fd=F and offset=N/,
    );
    expect(err('spawn A\nA: mmap 0 4K rw shared fd=5')).toMatch(/^2:27: expected a file name/);
  });
  it('write values, touch access, madvise advice', () => {
    expect(err('spawn A\nA: write 0 256')).toMatch(/^2:12: a byte value is 0\.\.255/);
    expect(err('spawn A\nA: write 0 x')).toMatch(/^2:12: expected a value: a string in double quotes or a byte/);
    expect(err('spawn A\nA: touch 0 4K exec')).toMatch(/^2:15: expected read or write, not "exec"/);
    expect(err('spawn A\nA: madvise 0 4K MADV_FREE')).toMatch(
      /^2:17: expected MADV_DONTNEED \(the only advice simulated\)/,
    );
  });
  it('ioctl requests and their keys', () => {
    expect(err('spawn A\nA: ioctl f MSHAREFS_FOO')).toMatch(
      /^2:12: expected MSHAREFS_CREATE_MAPPING or MSHAREFS_UNMAP/,
    );
    expect(err('spawn A\nA: ioctl f MSHAREFS_UNMAP region_offset=0')).toMatch(/^2:\d+: MSHAREFS_UNMAP needs size=/);
    expect(err('spawn A\nA: ioctl f MSHAREFS_UNMAP region_offset=0 size=4K prot=rw')).toMatch(
      /^2:51: unknown argument "prot="/,
    );
    expect(err('spawn A\nA: ioctl f MSHAREFS_CREATE_MAPPING region_offset=0 size=4K')).toMatch(/needs prot= flags=/);
    expect(err('spawn A\nA: ioctl f MSHAREFS_UNMAP size=1 size=2')).toMatch(/size= is given twice/);
  });
  it('collects several errors, one per line, in order', () => {
    const e = errors('spawn A\nA: mmpa\nB: exit\nkernel x\nA: read 0\ntitle "');
    expect(e.map((x) => [x.line, x.col])).toEqual([
      [2, 4],
      [3, 1],
      [4, 1],
      [6, 7],
    ]);
  });
  it('stops after 20 errors', () => {
    expect(errors('bad\n'.repeat(1000))).toHaveLength(20);
  });
  it('a group in a line that fails still creates its tasks (no cascade)', () => {
    expect(errors('spawn A junk\nA: exit')).toHaveLength(1);
  });
});

describe('limits and robustness', () => {
  it('refuses text over 1 MiB at 1:1', () => {
    const e = errors('#'.repeat((1 << 20) + 1));
    expect(e).toHaveLength(1);
    expect(formatError(e[0]!)).toMatch(/^1:1: the scenario is larger than 1 MiB/);
    // The limit is UTF-8 bytes: 2-byte characters reach it at half the length.
    expect(formatError(errors('#' + 'é'.repeat(1 << 19))[0]!)).toMatch(/^1:1: .*larger than 1 MiB/);
    expect(ok('#' + 'é'.repeat((1 << 19) - 1)).steps).toEqual([]);
  });
  // Speed is measured by `npm run bench`, not asserted here (house rule: no timed tests).
  it('parses a 100,000-line scenario', () => {
    // 100,000 lines fit in 1 MiB only when short, so mix short statements.
    const body = ['A:read 0', 'B:exec 8K', 'A:exit', 'g[1..3]:exit', 'A:touch 0 4K', 'B:read 4K', 'A:exit', 'B:exit'];
    const lines = ['spawn A', 'spawn B', 'spawn g[1..3]'];
    for (let i = 0; lines.length < 100_000; i++) lines.push(body[i % body.length]!);
    const text = lines.join('\n');
    expect(text.length).toBeLessThan(1 << 20);
    const s = ok(text);
    expect(s.steps).toHaveLength(100_000);
  });
  it('parses 1 MiB of long statements', () => {
    const line = 'db[1..4]: mmap 0x7f00_0000_0000+16K 2M PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS # c\n';
    const text = 'spawn db[1..4]\n' + line.repeat(Math.floor(((1 << 20) - 20) / line.length));
    expect(ok(text).steps.length).toBeGreaterThan(10_000);
  });
  it('never throws on arbitrary strings', () => {
    const check = (text: string) => {
      const r = parseScenario(text);
      if (!r.ok) {
        expect(r.errors.length).toBeGreaterThan(0);
        for (const e of r.errors) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.col).toBeGreaterThanOrEqual(1);
          expect(e.message).not.toMatch(/internal error/);
        }
      }
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), check), { numRuns: 500 });
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), check),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array().map((b) => new TextDecoder().decode(b)),
        check,
      ),
      { numRuns: 300 },
    );
  });
  it('never throws on mutated valid scenarios', () => {
    const alphabet = fc.constantFrom(
      ' ',
      '"',
      '\\',
      '#',
      ':',
      '+',
      '|',
      '=',
      '[',
      ']',
      '..',
      '0',
      '9',
      'x',
      'K',
      '\n',
      'A',
      'spawn',
      'db[1..3]',
      '\u0000',
      'é',
    );
    const mutation = fc.tuple(fc.nat(), fc.nat(5), alphabet);
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(EXAMPLE), scenarioArb({ maxSteps: 8 }).map(printScenario)),
        fc.array(mutation, { maxLength: 6 }),
        (text, muts) => {
          for (const [at, del, ins] of muts) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + ins + text.slice(i + del);
          }
          const r = parseScenario(text);
          if (!r.ok) expect(r.errors[0]!.message).not.toMatch(/internal error/);
        },
      ),
      { numRuns: 400 },
    );
  });
  it('never throws on huge numbers and groups', () => {
    for (const t of [
      'spawn A\nA: read ' + '9'.repeat(100000),
      'spawn x[' + '9'.repeat(100) + '..1]',
      'memory ' + 'f'.repeat(50),
      'spawn x[0..18446744073709551616]',
    ]) {
      expect(parseScenario(t).ok).toBe(false);
    }
  });
});

describe('ask (Predict mode questions, docs/scenario-language.md "Questions")', () => {
  const head = 'spawn A\n';
  it('attaches to the step below it, with its choices in order and the * one right', () => {
    const s = ok(
      `${head}ask "Why does B pay nothing?" "B allocates" | *"its PGD entry points at the host's PUD page" | "luck"\nnote "n"\nA: exit`,
    );
    const step = s.steps[1]!;
    expect(step.op).toEqual({ op: 'exit' });
    expect(step.note).toBe('n');
    expect(step.asks).toEqual([
      {
        pos: { line: 2, col: 1 },
        prompt: 'Why does B pay nothing?',
        choices: ['B allocates', "its PGD entry points at the host's PUD page", 'luck'],
        answer: 1,
      },
    ]);
    // It is no step of its own, and the step before it has none.
    expect(s.steps).toHaveLength(2);
    expect(s.steps[0]!.asks).toBeUndefined();
  });
  it('keeps several asks in order, escapes resolved', () => {
    const s = ok(`${head}  ask "a \\"q\\"" *"x" | "y" # c\nask "q2" "x" | *"y"\nA: exit`);
    expect(s.steps[1]!.asks!.map((a) => [a.prompt, a.answer, a.pos.col])).toEqual([
      ['a "q"', 0, 3],
      ['q2', 1, 1],
    ]);
  });
  it('refuses an ask with no statement after it, at its line and column', () => {
    expect(err(`${head}A: exit\n   ask "q" *"a" | "b"\n# end`)).toBe(
      '3:4: this ask has no statement after it: an ask is asked before the step written below it',
    );
  });
  it('says what is wrong with a badly written ask, at LINE:COL', () => {
    expect(err(`${head}ask\nA: exit`)).toMatch(/^2:4: expected the question in double quotes/);
    expect(err(`${head}ask "q"\nA: exit`)).toMatch(
      /^2:8: expected the choices in double quotes, the right one marked with \*/,
    );
    expect(err(`${head}ask "q" "a" | "b"\nA: exit`)).toMatch(/^2:1: mark the right choice with a \* just before it/);
    expect(err(`${head}ask "q" *"a" | *"b"\nA: exit`)).toMatch(
      /^2:16: only one choice can be marked \* as the right one \(choice 1 already is\)/,
    );
    expect(err(`${head}ask "q" *"a"\nA: exit`)).toMatch(/^2:13: an ask needs at least two choices/);
    expect(err(`${head}ask "q" *"a" | "a"\nA: exit`)).toMatch(/^2:16: the choice "a" is given twice/);
    expect(err(`${head}ask "q" *"a" |\nA: exit`)).toMatch(/^2:15: expected a choice in double quotes after "\|"/);
    expect(err(`${head}ask "q" *"a" "b"\nA: exit`)).toMatch(/^2:14: unexpected ""b"" after the end of the statement/);
    expect(err(`${head}ask "" *"a" | "b"\nA: exit`)).toMatch(/^2:5: the question is empty/);
    expect(err(`${head}ask "q" *"a" | " "\nA: exit`)).toMatch(/^2:16: a choice is empty/);
    expect(err(`${head}A: ask "q" *"a" | "b"\nA: exit`)).toMatch(/^2:1: "ask" is not done by a task/);
    const ten = Array.from({ length: 10 }, (_, i) => `${i ? '' : '*'}"c${i}"`).join(' | ');
    expect(err(`${head}ask "q" ${ten}\nA: exit`)).toMatch(/^2:\d+: an ask offers at most 9 choices/);
  });
  it('leaves * an error elsewhere', () => {
    expect(err(`${head}A: read *1T`)).toMatch(/^2:9: expected an address .*not "\*"/);
  });
});
