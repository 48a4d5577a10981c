/**
 * Pure derivations from (scenario, cursor, snapshot) for the views: the
 * step's address and its bit fields, the path a walk takes through the
 * forest, the entries a step copied from a host mm, and the words that
 * announce a step. No React, no DOM: tested in Node.
 */
import type { Forest, NodeInfo } from '../core/inspect';
import type { Scenario, Step } from '../scenario/ast';
import type { ReportOutcome, ReportStep } from '../scenario/report';
import { printStep } from '../scenario/printer';
import type { LevelName } from '../core/paging';

/** Table levels from the top, as the MMU walks them. */
export function levelsOf(paging: 4 | 5): LevelName[] {
  return paging === 5 ? ['pgd', 'p4d', 'pud', 'pmd', 'pte'] : ['pgd', 'pud', 'pmd', 'pte'];
}

export const LEVEL_LABEL: Record<string, string> = {
  pgd: 'PGD',
  p4d: 'P4D',
  pud: 'PUD',
  pmd: 'PMD',
  pte: 'PTE',
  data: 'page',
};

/** The statement at cursor n (1-based), or undefined before the first step. */
export function stepAt(s: Scenario | undefined, n: number): Step | undefined {
  return s && n > 0 ? s.steps[n - 1] : undefined;
}

/** The virtual address a step is about, if any (mmap auto: the address it returned). */
export function addressOf(step: Step | undefined, report?: ReportStep): bigint | null {
  if (!step) return null;
  const op = step.op;
  switch (op.op) {
    case 'read':
    case 'write':
    case 'exec':
    case 'translate':
    case 'touch':
    case 'munmap':
    case 'mprotect':
    case 'madvise':
    case 'mshare':
      return op.addr;
    case 'mmap': {
      if (op.addr !== 'auto') return op.addr;
      const v = report?.outcome.kind === 'ok' ? report.outcome.value : undefined;
      return v && /^0x[0-9a-f]+$/i.test(v) ? BigInt(v) : null;
    }
    default:
      return null;
  }
}

/** Steps whose walk lights up: the accesses and translate. */
export function isAccess(step: Step | undefined): boolean {
  return !!step && ['read', 'write', 'exec', 'translate', 'touch'].includes(step.op.op);
}

export interface AddressField {
  /** 'sign', a level, or 'offset'. */
  name: 'sign' | LevelName | 'offset';
  label: string;
  /** Highest and lowest bit, inclusive. */
  hi: number;
  lo: number;
  value: bigint;
  /** The bits as a binary string, hi first. */
  bits: string;
}

/**
 * The linear address split as the MMU reads it (Intel SDM Vol. 3A §4.5,
 * figures 4-8 to 4-11): 9 bits of index per level above a 12-bit offset,
 * the bits above the top level a copy of its highest bit (canonical form).
 */
export function addressFields(addr: bigint, paging: 4 | 5): AddressField[] {
  const a = BigInt.asUintN(64, addr);
  const levels = levelsOf(paging);
  const top = 12 + 9 * levels.length; // 48 or 57
  const field = (name: AddressField['name'], label: string, hi: number, lo: number): AddressField => {
    const width = hi - lo + 1;
    const value = (a >> BigInt(lo)) & ((1n << BigInt(width)) - 1n);
    return { name, label, hi, lo, value, bits: value.toString(2).padStart(width, '0') };
  };
  const out: AddressField[] = [field('sign', 'sign extension', 63, top)];
  levels.forEach((l, i) => {
    const hi = top - 1 - 9 * i;
    out.push(field(l, LEVEL_LABEL[l] as string, hi, hi - 8));
  });
  out.push(field('offset', 'offset', 11, 0));
  return out;
}

export interface PathStep {
  level: string;
  node: string;
  index: number;
  /** What the entry points to (absent when the entry is none or not listed). */
  target?: string;
}

/** The root node of a task's (or host mm's) tree. */
export function rootOf(forest: Forest, mm: string): string | undefined {
  return forest.roots.find((r) => r.mm === mm)?.node;
}

/**
 * The walk of `addr` through the forest from `root`: at each table the entry
 * of the address's index, as the MMU reads them; stops at a none entry, a
 * leaf, or a summary node.
 */
export function pathFor(forest: Forest, root: string | undefined, addr: bigint, paging: 4 | 5): PathStep[] {
  const out: PathStep[] = [];
  if (root === undefined) return out;
  const fields = addressFields(addr, paging).filter((f) => f.name !== 'sign' && f.name !== 'offset');
  let node: NodeInfo | undefined = forest.nodes[root];
  for (const f of fields) {
    if (!node || node.kind !== 'table') break;
    const index = Number(f.value);
    const e = node.entries.find((x) => x.index === index);
    // A summary entry stands for a run of entries starting at its index.
    const run = e
      ? undefined
      : node.entries.find(
          (x) =>
            forest.nodes[x.target]?.kind === 'summary' && x.index <= index && inRun(forest, x.target, x.index, index),
        );
    const hit = e ?? run;
    out.push(
      hit ? { level: f.name, node: node.id, index, target: hit.target } : { level: f.name, node: node.id, index },
    );
    if (!hit) break;
    node = forest.nodes[hit.target];
  }
  return out;
}

function inRun(forest: Forest, summaryId: string, first: number, index: number): boolean {
  const s = forest.nodes[summaryId]?.summary;
  return !!s && index < first + s.entries;
}

export interface CopyMove {
  /** The event that copied it. */
  fn: string;
  /** The host's table and entry the value came from. */
  from: { node: string; index: number };
  /** The guest's table and entry it went to. */
  to: { node: string; index: number };
  /** The shared table both now point to. */
  target: string;
}

/** Events that copy a host entry into a guest table, and the level of the entry they write. */
const COPY_EVENTS: Record<string, (paging: 4 | 5) => LevelName> = {
  set_pgd: () => 'pgd',
  // With 4-level paging the P4D is folded into the PGD: set_p4d writes the PGD entry.
  set_p4d: (paging) => (paging === 5 ? 'p4d' : 'pgd'),
  huge_pmd_share: () => 'pud',
};

/**
 * For a step that copied an entry (set_pgd, set_p4d, huge_pmd_share): where
 * it came from and where it went, found in the forest after the step: the
 * guest's entry on the walk of the step's address, and another entry
 * pointing at the same table (the host's).
 *
 * Every copy event of a step resolves to the walk's entry at its level, so
 * each level is looked at once, for its first event: the 1,500-guest SGA's
 * step has 1,500 set_pgd events and 1,500 parents of the shared table, and
 * looking again per event (sorting the parents each time) took ~100 ms of the
 * step's frame.
 */
export function copyMoves(forest: Forest, events: ReportStep['events'], path: PathStep[], paging: 4 | 5): CopyMove[] {
  const out: CopyMove[] = [];
  const seen = new Set<LevelName>();
  let hostRoots: Set<string> | null = null;
  for (const ev of events) {
    const levelOf = COPY_EVENTS[ev.fn];
    if (!levelOf) continue;
    const level = levelOf(paging);
    if (seen.has(level)) continue;
    seen.add(level);
    const at = path.find((p) => p.level === level);
    if (!at || at.target === undefined) continue;
    const target = forest.nodes[at.target];
    if (!target) continue;
    // The host's entry first (an mshare host mm's root, labelled "mshare:…"): another
    // guest's or the creator's entry points at the same table but is not where the copy came from.
    hostRoots ??= new Set(forest.roots.filter((r) => r.mm.startsWith('mshare:')).map((r) => r.node));
    const host = hostRoots;
    const parents = [...target.parents].sort((a, b) => Number(!host.has(a)) - Number(!host.has(b)));
    for (const parent of parents) {
      if (parent === at.node) continue;
      const e = forest.nodes[parent]?.entries.find((x) => x.target === target.id);
      if (!e) continue;
      out.push({
        fn: ev.fn,
        from: { node: parent, index: e.index },
        to: { node: at.node, index: at.index },
        target: target.id,
      });
      break;
    }
  }
  return out;
}

/** Bytes a read returned (hex) as text when they are all printable ASCII. */
export function bytesAsText(hex: string): string | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  let s = '';
  for (let i = 0; i < hex.length; i += 2) {
    const b = parseInt(hex.slice(i, i + 2), 16);
    if (b < 0x20 || b > 0x7e) return null;
    s += String.fromCharCode(b);
  }
  return s;
}

function okText(o: Extract<ReportOutcome, { kind: 'ok' }>, op?: string): string {
  if (o.value === undefined) return 'ok';
  const text = op === 'read' ? bytesAsText(o.value) : null;
  if (text !== null) return `ok, read "${text.length > 40 ? text.slice(0, 40) + '…' : text}"`;
  if (op === 'read')
    return `ok, read ${o.value.length / 2} byte${o.value.length === 2 ? '' : 's'}: ${o.value.length > 32 ? o.value.slice(0, 32) + '…' : o.value}`;
  return `ok, ${o.value.length > 40 ? o.value.slice(0, 40) + '…' : o.value}`;
}

export function outcomeText(o: ReportOutcome, op?: string): string {
  switch (o.kind) {
    case 'ok': {
      // A stale TLB hit succeeds as the hardware lets it; the sentence must say what it really read (issue 17).
      const stale = o.stale_tlb
        ? ` through a STALE TLB entry on CPU ${o.stale_tlb.cpu} (pfn 0x${o.stale_tlb.pfn.toString(16)} now belongs to ${o.stale_tlb.owner})`
        : '';
      return okText(o, op) + stale;
    }
    case 'errno':
      return `failed with ${o.errno}${o.why ? ` (${o.why})` : ''}`;
    case 'signal':
      return `killed by ${o.signal}: ${o.cause}`;
    case 'skipped':
      return `skipped${o.why ? ` (${o.why})` : ''}`;
  }
}

/** The sentence an aria-live region reads for the step at the cursor. */
export function announce(scenario: Scenario | undefined, cursor: number, report: ReportStep | undefined): string {
  const total = scenario?.steps.length ?? 0;
  const step = stepAt(scenario, cursor);
  if (!step) return `Step 0 of ${total}: before the first step.`;
  const what = printStep(step);
  const outcome = report ? `: ${outcomeText(report.outcome, report.op)}` : '';
  const note = step.note ? ` ${step.note.replace(/\n/g, ' ')}` : '';
  return `Step ${cursor} of ${total}, ${what}${outcome}.${note}`;
}

/** A place in the scenario: steps done, and events done inside the cursor's step (null: the whole step). */
export interface Position {
  cursor: number;
  event: number | null;
}

/**
 * The events done that the view shows inside a step of `of` events: null
 * (the whole step) for none asked, for a step of one event or none, and for
 * a number at or past the last event (all done is the step itself).
 */
export function eventShown(event: number | null, of: number): number | null {
  return event !== null && event >= 1 && event < of ? event : null;
}

/**
 * Shift+→ / "Next event": the next event of the step, the step's end after
 * its last, then the first event of the next step (shown whole if that step
 * has one event or none). `of`: the cursor's step's events (0 while not
 * known: then it moves by step).
 */
export function nextEventPosition(p: Position, of: number, total: number): Position {
  const e = eventShown(p.event, of);
  if (e !== null) return { cursor: p.cursor, event: e + 1 < of ? e + 1 : null };
  if (p.cursor >= total) return { cursor: p.cursor, event: null };
  return { cursor: p.cursor + 1, event: 1 };
}

/**
 * Shift+← / "Previous event": the event before; from a step's end, its
 * last-but-one event (the moment before the last); from its first event,
 * the end of the step before (the state the step started from).
 */
export function prevEventPosition(p: Position, of: number): Position {
  const e = eventShown(p.event, of);
  if (e !== null) return e > 1 ? { cursor: p.cursor, event: e - 1 } : { cursor: p.cursor - 1, event: null };
  if (of >= 2) return { cursor: p.cursor, event: of - 1 };
  return { cursor: Math.max(0, p.cursor - 1), event: null };
}

/** A short human label for a forest node. */
export function nodeLabel(n: NodeInfo): string {
  if (n.kind === 'data') return n.id === 'zero' ? 'the zero page' : `${n.owner} pfn 0x${n.pfn.toString(16)}`;
  if (n.kind === 'summary') return `summary of ${n.summary?.text ?? 'a populated range'}`;
  return `${LEVEL_LABEL[n.level] ?? n.level} page pfn 0x${n.pfn.toString(16)}${n.owner ? ` of ${n.owner}` : ''}`;
}
