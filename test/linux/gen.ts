/**
 * Random scenarios for the differential test (scenario-language text, the
 * subset that kernel.ts converts).
 *
 * fast-check draws a list of raw choices; `interpret` turns it into a scenario
 * by replaying it against a small model of each task's mappings (page-granular
 * segments with their protection). The model is only used to aim well: ranges
 * are picked around existing mappings so that steps split, merge, cross and
 * partly miss them, accesses mostly land where they are allowed, and a task
 * that will take SIGSEGV is not used again by the generator. Whatever the
 * model gets wrong is harmless: both sides run the same text. Because any list
 * of choices yields a valid scenario, fast-check can shrink freely.
 *
 * Determinism on the real kernel: fixed addresses in PGD slots 2..16 (1T to
 * 8.5T), anonymous memory only, no THP (madvise mode, never MADV_HUGEPAGE),
 * touches page-aligned with whole pages, bounded total memory.
 */
import fc from 'fast-check';

const K = 1024;
const M = K * K;
const G = M * K;
const T = G * K;
const PAGE = 4 * K;
const PMD = 2 * M;
const PUD = G;
const PGD = 512 * G;

/** Bytes one scenario may access in total (touch/read/write), to keep runs fast. */
const ACCESS_BUDGET = 256 * M;
const MAX_TOUCH = 64 * M;

export interface Choice {
  kind: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

interface Seg {
  start: number;
  end: number;
  prot: string; // 'rw' | 'r' | 'none'
}

interface GTask {
  name: string;
  segs: Seg[];
  dead: boolean;
}

const NAMES = ['A', 'B', 'C', 'D', 'E', 'F'];
const LENGTHS = [
  4 * K,
  8 * K,
  64 * K,
  M,
  PMD - PAGE,
  PMD,
  PMD + PAGE,
  3 * M,
  4 * M,
  6 * M,
  8 * M,
  16 * M,
  64 * M,
  256 * M,
  G,
  2 * G,
];
const TOUCH_LENGTHS = [
  PAGE,
  3 * PAGE,
  64 * K,
  M,
  PMD - PAGE,
  PMD,
  PMD + 2 * PAGE,
  3 * M,
  4 * M,
  5 * M,
  8 * M,
  16 * M,
  32 * M,
  64 * M,
];
/** Offsets inside a PGD slot that sit at or just before PMD/PUD/PGD boundaries. */
const SLOT_OFFSETS = [
  0,
  PAGE,
  PMD,
  PMD - PAGE,
  3 * M,
  PUD - PMD,
  PUD - PAGE,
  PUD,
  5 * PUD + 7 * PMD,
  PGD - PUD,
  PGD - PMD,
  PGD - PAGE,
];

const pick = <X>(xs: readonly X[], n: number): X => xs[n % xs.length]!;
const alignDown = (x: number, a: number) => Math.floor(x / a) * a;
const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;

// ------------------------------------------------------------------- model

function removeRange(segs: Seg[], start: number, end: number): Seg[] {
  const out: Seg[] = [];
  for (const s of segs) {
    if (s.end <= start || s.start >= end) out.push(s);
    else {
      if (s.start < start) out.push({ ...s, end: start });
      if (s.end > end) out.push({ ...s, start: end });
    }
  }
  return out;
}

function insert(segs: Seg[], seg: Seg): Seg[] {
  return [...removeRange(segs, seg.start, seg.end), seg].sort((x, y) => x.start - y.start);
}

/** The protection of the page at addr, or undefined if unmapped. */
function protAt(segs: Seg[], addr: number): string | undefined {
  return segs.find((s) => s.start <= addr && addr < s.end)?.prot;
}

/** Would one access per page of [addr, addr+len) fault? */
function faults(segs: Seg[], addr: number, len: number, write: boolean): boolean {
  for (let p = alignDown(addr, PAGE); p < addr + len; p += PAGE) {
    const prot = protAt(segs, p);
    if (prot === undefined || prot === 'none' || (write && prot !== 'rw')) return true;
    // Skip to the end of this segment: the rest of it has the same answer.
    const seg = segs.find((s) => s.start <= p && p < s.end)!;
    p = Math.max(p, alignDown(Math.min(seg.end, addr + len) - 1, PAGE));
  }
  return false;
}

/**
 * mprotect as mm/mprotect.c does it: EINVAL for an unaligned start; otherwise
 * VMAs are changed in order from start until the first hole, and a hole means
 * ENOMEM (with the VMAs before it already changed).
 */
function mprotect(segs: Seg[], start: number, len: number, prot: string): Seg[] {
  if (start % PAGE) return segs;
  const end = start + alignUp(len, PAGE);
  let cur = start;
  let out = segs;
  while (cur < end) {
    const seg = out.find((s) => s.start <= cur && cur < s.end);
    if (!seg) break;
    const stop = Math.min(seg.end, end);
    out = insert(out, { start: cur, end: stop, prot });
    cur = stop;
  }
  return out;
}

// ------------------------------------------------------------- formatting

function fmtAddr(n: number): string {
  if (n === 0) return '0';
  const parts: string[] = [];
  const t = Math.floor(n / T);
  let rest = n - t * T;
  if (t) parts.push(`${t}T`);
  if (rest >= PGD) {
    parts.push('512G');
    rest -= PGD;
  }
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.join('+');
}

function fmtLen(n: number): string {
  for (const [s, unit] of [
    ['G', G],
    ['M', M],
    ['K', K],
  ] as const) {
    if (n % unit === 0) return `${n / unit}${s}`;
  }
  return '0x' + n.toString(16);
}

// ------------------------------------------------------------ interpreter

/** Turns raw choices into a scenario text (always loadable, always runnable). */
export function interpret(choices: Choice[]): string {
  const lines: string[] = ['spawn A'];
  const tasks: GTask[] = [{ name: 'A', segs: [], dead: false }];
  let used = 1;
  let budget = ACCESS_BUDGET;

  const live = () => tasks.filter((t) => !t.dead);

  for (const ch of choices) {
    const alive = live();
    if (alive.length === 0) {
      if (used === NAMES.length) break;
      const name = NAMES[used++]!;
      tasks.push({ name, segs: [], dead: false });
      lines.push(`spawn ${name}`);
      continue;
    }
    const t = pick(alive, ch.a);
    const k = ch.kind % 100;
    const seg = t.segs.length ? pick(t.segs, ch.b) : undefined;
    const say = (s: string) => lines.push(`${t.name}: ${s}`);
    /** Mostly a segment that allows the access; 1 in 10 any segment (may fault). */
    const target = (write: boolean, n: number): Seg | undefined => {
      const ok = t.segs.filter((s) => s.prot === 'rw' || (!write && s.prot === 'r'));
      return ok.length && n % 10 !== 0 ? pick(ok, n >> 4) : seg;
    };

    /** An address in s: its start, a page or a PMD/PUD boundary in it, or near its end. */
    const nearSeg = (s: Seg, n: number): number => {
      const inPmd = alignUp(s.start + 1, PMD);
      const opts = [
        s.start,
        s.start,
        s.start + PAGE * (n % 7),
        inPmd,
        inPmd - PAGE,
        alignUp(s.start + 1, PUD) - PMD,
        s.end - PAGE,
        s.end - PMD,
      ];
      const a = pick(opts, n >> 3);
      return a >= s.start && a < s.end ? a : s.start;
    };
    /**
     * A length for munmap/mprotect/madvise from addr: to the end of its segment, or a size that may cross into others.
     */
    const rangeLen = (s: Seg, addr: number, n: number): number =>
      n % 3 === 0 ? s.end - addr : pick(LENGTHS.slice(0, 12), n >> 2);

    if (seg && ((k >= 12 && k < 15) || (k >= 83 && k < 88))) {
      // Composite patterns aimed at what the per-step figures alone rarely reach.
      const pat = ch.c % 5;
      const shared = (ch.a >> 3) % 2 === 0;
      const kind = shared ? 'shared' : 'private';
      if (pat === 0) {
        // Abutting VMAs: a new mapping ending where seg starts (or starting where it ends),
        // same or other protection/sharing, then a write in one of them (an anon_vma on one
        // side only, or on both: vma_merge's anon_vma rules).
        const len = pick([PAGE, 8 * PAGE, 64 * K, M, PMD - PAGE, PMD], ch.d);
        const below = ch.d % 2 === 0 && seg.start - len >= 2 * PGD;
        const addr = below ? seg.start - len : seg.end;
        const prot = ch.b % 3 === 0 ? 'r' : 'rw';
        say(`mmap ${fmtAddr(addr)} ${fmtLen(len)} ${prot} ${kind} anon fixed`);
        t.segs = insert(t.segs, { start: addr, end: addr + len, prot });
        const w = (ch.b >> 2) % 3;
        const at = w === 0 ? addr : w === 1 ? seg.start : -1;
        const p = at < 0 ? undefined : protAt(t.segs, at);
        if (p === 'rw') {
          say(`write ${fmtAddr(at)} "v"`);
          budget -= PAGE;
        }
      } else if (pat === 1 && seg.prot === 'rw') {
        // Shared memory read after write: a few pages written, their PTEs zapped, then read
        // back (fault-around over cached, dirty folios), by the task or by a forked child.
        const n = 1 + (ch.d % 40);
        const off = PAGE * ((ch.d >> 6) % 24);
        const from = Math.min(seg.start + off, seg.end - PAGE);
        const wlen = Math.min(n * PAGE, seg.end - from);
        say(`touch ${fmtAddr(from)} ${fmtLen(wlen)} write`);
        const rfrom = Math.max(seg.start, alignDown(from, 16 * PAGE) - PAGE * ((ch.b >> 3) % 3));
        const rlen = Math.min(alignUp(wlen + (from - rfrom) + PAGE * (ch.b % 20), PAGE), seg.end - rfrom);
        budget -= wlen + rlen;
        if (ch.b % 2 === 0 && used < NAMES.length) {
          const name = NAMES[used++]!;
          say(`fork ${name}`);
          tasks.push({ name, segs: t.segs.map((x) => ({ ...x })), dead: false });
          lines.push(`${name}: touch ${fmtAddr(rfrom)} ${fmtLen(rlen)} read`);
        } else {
          say(`madvise ${fmtAddr(rfrom)} ${fmtLen(rlen)} MADV_DONTNEED`);
          say(`touch ${fmtAddr(rfrom)} ${fmtLen(rlen)} read`);
        }
      } else if (pat === 2) {
        // A fault-around window at a VMA edge: a shared mapping starting or ending
        // inside a 16-page window, written, then read near its edges by a child.
        const startOff = PAGE * (1 + (ch.d % 15));
        const base = (2 + (ch.c % 15)) * PGD + pick([0, PMD, PUD], ch.d >> 4) + startOff;
        const len = PAGE * (17 + ((ch.d >> 6) % 40));
        say(`mmap ${fmtAddr(base)} ${fmtLen(len)} rw shared anon fixed`);
        t.segs = insert(t.segs, { start: base, end: base + len, prot: 'rw' });
        say(`touch ${fmtAddr(base)} ${fmtLen(len)} write`);
        budget -= 2 * len;
        const rAt = ch.b % 2 ? base : base + len - PAGE * (1 + ((ch.b >> 1) % 8));
        const rLen = Math.min(PAGE * (1 + ((ch.b >> 4) % 20)), base + len - rAt);
        if (used < NAMES.length) {
          const name = NAMES[used++]!;
          say(`fork ${name}`);
          tasks.push({ name, segs: t.segs.map((x) => ({ ...x })), dead: false });
          lines.push(`${name}: touch ${fmtAddr(rAt)} ${fmtLen(rLen)} read`);
        } else {
          say(`madvise ${fmtAddr(base)} ${fmtLen(len)} MADV_DONTNEED`);
          say(`touch ${fmtAddr(rAt)} ${fmtLen(rLen)} read`);
        }
      } else if (pat === 3) {
        // mprotect a piece in the middle away and back: split into three, merge into one.
        const a = Math.min(seg.start + PAGE * (1 + (ch.d % 8)), seg.end - PAGE);
        const len = Math.min(PAGE * (1 + ((ch.d >> 3) % 600)), seg.end - a);
        const other = seg.prot === 'rw' ? 'r' : 'rw';
        say(`mprotect ${fmtAddr(a)} ${fmtLen(len)} ${other}`);
        if (ch.b % 2 === 0 && other === 'rw') {
          say(`write ${fmtAddr(a)} "m"`);
          budget -= PAGE;
        }
        say(`mprotect ${fmtAddr(a)} ${fmtLen(len)} ${seg.prot}`);
        t.segs = mprotect(t.segs, a, len, seg.prot);
      } else {
        // A hint right after (or onto) a mapping: taken, or placed top-down elsewhere.
        const len = pick([PAGE, 3 * PAGE, PMD, 4 * M], ch.d);
        const hint = ch.b % 2 ? seg.end : seg.start;
        say(`mmap ${fmtAddr(hint)} ${fmtLen(len)} rw ${kind} anon`);
        if (!t.segs.some((x) => x.start < hint + len && x.end > hint))
          t.segs = insert(t.segs, { start: hint, end: hint + len, prot: 'rw' });
      }
    } else if (k < 15 || !seg) {
      // mmap: fresh boundary-heavy address, or relative to an existing segment
      // (adjacent: VMA merge; overlapping: MAP_FIXED replaces).
      let addr: number;
      if (seg && ch.c % 3 === 0) addr = ch.c % 2 ? seg.end : nearSeg(seg, ch.d);
      else
        addr = (2 + (ch.c % 15)) * PGD + pick(SLOT_OFFSETS, ch.d) + (ch.d % 5 === 0 ? PAGE * ((ch.d >> 4) % 300) : 0);
      const len = pick(LENGTHS, ch.b >> 2);
      const prot = pick(['rw', 'rw', 'rw', 'rw', 'rw', 'rw', 'r', 'none'], ch.b >> 6);
      const shared = (ch.a >> 3) % 10 < 3;
      const placed = ch.a % 5 === 0; // 1 in 5: the kernel places it (placement is compared)
      if (placed && ch.d % 3 === 0) {
        // No address: top-down below [vvar] (THP-aligned for private multiples of
        // 2 MiB). The model does not follow it: nothing here touches slot 255.
        say(`mmap auto ${fmtLen(len)} ${prot} ${shared ? 'shared' : 'private'} anon`);
      } else if (placed) {
        // A hint, sometimes unaligned (rounded down), often on or next to a mapping
        // (then taken elsewhere: top-down).
        const hint = addr + (ch.d % 2 ? 0x123 : 0);
        say(`mmap ${fmtAddr(hint)} ${fmtLen(len)} ${prot} ${shared ? 'shared' : 'private'} anon`);
        if (!t.segs.some((x) => x.start < addr + len && x.end > addr))
          t.segs = insert(t.segs, { start: addr, end: addr + len, prot });
      } else {
        say(`mmap ${fmtAddr(addr)} ${fmtLen(len)} ${prot} ${shared ? 'shared' : 'private'} anon fixed`);
        t.segs = insert(t.segs, { start: addr, end: addr + len, prot });
      }
    } else if (k < 45) {
      // touch: mostly inside a segment that allows it (partial, unaligned to
      // PMDs), sometimes running past its end.
      const write = ch.c % 3 !== 0;
      const s = target(write, ch.d)!;
      const addr = ch.d % 3 === 0 ? s.start : nearSeg(s, ch.d >> 2);
      let len = pick(TOUCH_LENGTHS, ch.c >> 2);
      if (ch.c % 9 !== 0) len = Math.min(len, s.end - addr); // usually stay inside
      len = Math.min(len, MAX_TOUCH, Math.max(PAGE, alignDown(budget, PAGE)));
      budget -= len;
      say(`touch ${fmtAddr(addr)} ${fmtLen(len)} ${write ? 'write' : 'read'}`);
      if (faults(t.segs, addr, len, write)) t.dead = true;
    } else if (k < 54) {
      // one read or write: a zero-page read before a write, COW after fork;
      // now and then into PROT_NONE/read-only/unmapped memory (SIGSEGV).
      const write = ch.c % 2 === 0;
      const s = target(write, ch.d)!;
      const addr = ch.d % 13 === 0 ? s.end + PAGE * (ch.d % 3) : nearSeg(s, ch.d >> 2) + (ch.c % 5) * 8;
      budget -= PAGE;
      if (write) say(`write ${fmtAddr(addr)} ${ch.c % 4 === 0 ? '0x41' : '"ptx"'}`);
      else say(`read ${fmtAddr(addr)}${ch.c % 4 === 1 ? ' 16' : ''}`);
      if (faults(t.segs, addr, write ? 3 : 16, write)) t.dead = true;
    } else if (k < 64) {
      // munmap: splits VMAs, crosses PMD/PUD/PGD boundaries and holes;
      // rarely an unaligned start (EINVAL).
      const addr = nearSeg(seg, ch.c);
      const len = rangeLen(seg, addr, ch.d);
      const bad = ch.d % 41 === 0;
      say(`munmap ${fmtAddr(addr + (bad ? 0x10 : 0))} ${fmtLen(len)}`);
      if (!bad) t.segs = removeRange(t.segs, addr, addr + len);
    } else if (k < 71) {
      // mprotect: none (to fault on later), r, rw; may run into a hole (ENOMEM).
      const addr = nearSeg(seg, ch.c);
      const prot = pick(['none', 'r', 'rw', 'rw'], ch.b >> 5);
      const len = rangeLen(seg, addr, ch.d);
      say(`mprotect ${fmtAddr(addr)} ${fmtLen(len)} ${prot}`);
      t.segs = mprotect(t.segs, addr, len, prot);
    } else if (k < 83) {
      // MADV_DONTNEED, below and above 2 MiB, PMD-aligned or not (PTE-page reclaim).
      let addr = ch.c % 2 ? alignDown(nearSeg(seg, ch.c >> 1), PMD) : nearSeg(seg, ch.c >> 1);
      if (addr < seg.start) addr = seg.start;
      const len =
        ch.d % 4 === 0 ? seg.end - addr : pick([PAGE, M, PMD - PAGE, PMD, 4 * M, 8 * M, 3 * M, 64 * M], ch.d >> 2);
      say(`madvise ${fmtAddr(addr)} ${fmtLen(len)} MADV_DONTNEED`);
    } else if (k < 93) {
      if (used < NAMES.length) {
        const name = NAMES[used++]!;
        say(`fork ${name}`);
        tasks.push({ name, segs: t.segs.map((s) => ({ ...s })), dead: false });
      }
    } else if (k < 96) {
      if (used < NAMES.length) {
        const name = NAMES[used++]!;
        lines.push(`spawn ${name}`);
        tasks.push({ name, segs: [], dead: false });
      }
    } else {
      say('exit');
      t.dead = true;
    }
  }
  return lines.join('\n') + '\n';
}

const choiceArb: fc.Arbitrary<Choice> = fc.record({
  kind: fc.nat({ max: 99 }),
  a: fc.nat({ max: 0xffff }),
  b: fc.nat({ max: 0xffff }),
  c: fc.nat({ max: 0xffff }),
  d: fc.nat({ max: 0xffff }),
});

/** Random scenario texts: `spawn A` and 1 to 30 more steps (fewer when choices are dropped). */
export const scenarioArb: fc.Arbitrary<string> = fc
  .array(choiceArb, { minLength: 1, maxLength: 30, size: 'max' })
  .map(interpret);
