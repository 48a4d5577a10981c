/**
 * The machine inside a step, event by event (issue 14): the inspect()
 * forest after the first `done` events of a step, from the forest before
 * the step and the step's changes (./changes.ts).
 *
 * change-log.ts tags each change with the event that made it, in event
 * order, so playing the changes with `event < done` onto the state before
 * the step gives the state after event `done` (change-log.property.test.ts
 * checks that for every kernel variant, on the machine itself). Here the
 * same changes are played onto the forest the views draw: table pages
 * appear (table-alloc) and go (table-free), entries are set and cleared;
 * data frames and pgtables_bytes are not drawn as nodes, so they only
 * matter through the entries that point at them. What an entry looks like
 * (its addresses, its target node) is taken from inspect()'s own forests of
 * the machine before and after the step wherever they hold that entry with
 * that value, and only computed here for a value neither holds (an entry a
 * step sets and then changes again).
 *
 * Not every step can be played so: a step whose changes were capped (the
 * report counts some in `changes_omitted`), a bulk change (a block of
 * entries, a Run: its entries are summarised), or a change inside a table
 * the forest summarises. Those say why instead, and the views show the whole
 * step at once.
 */
import type { StepChange } from './changes';
import type { EntryInfo, Forest, NodeInfo } from './inspect';
import { _PAGE_NX, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_PSE, _PAGE_SAVED_DIRTY } from './paging';

export type WhyWhole = 'capped' | 'bulk' | 'summarised';

export type EventForest = { ok: true; forest: Forest } | { ok: false; why: WhyWhole };

/** The changes the first `done` events made (changes are in event order). */
export function changesThrough(changes: readonly StepChange[], done: number): StepChange[] {
  return changes.filter((c) => c.event < done);
}

const PFN_MASK = 2 ** 40 - 1;

/** An entry's PFN and flags from its 16 hex digits: the inverse of paging.ts entryValue(). */
export function entryBits(hex16: string): { pfn: number; flags: number } {
  const h = hex16.replace(/^0x/, '').padStart(16, '0');
  const top = parseInt(h.slice(0, 3), 16);
  const field = parseInt(h.slice(3, 13), 16);
  let flags = parseInt(h.slice(13), 16);
  if (top & 0x800) flags |= _PAGE_NX;
  if (top & 0x040) flags |= _PAGE_SAVED_DIRTY;
  const inverted = !(flags & _PAGE_PRESENT) && (flags & _PAGE_PROTNONE) !== 0;
  return { pfn: inverted ? PFN_MASK - field : field, flags };
}

const tableId = (pfn: number): string => `t${pfn}`;

function copyNode(n: NodeInfo): NodeInfo {
  const c: NodeInfo = { ...n, entries: [...n.entries], parents: [] };
  return c;
}

/**
 * The forest after the first `done` events of a step. `before` and `after`
 * are inspect()'s forests of the machine before and after the step (with the
 * same options); `omitted` is the report's `changes_omitted`.
 */
export function forestAfterEvents(
  before: Forest,
  after: Forest,
  changes: readonly StepChange[],
  done: number,
  omitted = 0,
  maxEntries = 64,
): EventForest {
  if (omitted > 0) return { ok: false, why: 'capped' };
  // A bulk change anywhere in the step: its entries are Runs, drawn as summaries that the forest cannot split event by
  // event.
  for (const c of changes) if ('count' in c && (c.count ?? 1) > 1) return { ok: false, why: 'bulk' };

  const nodes = new Map<string, NodeInfo>();
  for (const n of Object.values(before.nodes)) if (n.kind !== 'data') nodes.set(n.id, copyNode(n));
  /** Data frames the step allocated so far, by PFN: what they are (an entry may point at one neither forest lists). */
  const allocated = new Map<number, string>();
  /** Whether a table's listed entries were already cut to maxEntries before the step. */
  const cut = (n: NodeInfo): boolean => n.present > n.entries.length;

  const known = (table: number, index: number, value: string): EntryInfo | undefined => {
    for (const f of [after, before]) {
      const e = f.nodes[tableId(table)]?.entries.find((x) => x.index === index);
      if (e && e.value === value) return e;
    }
    return undefined;
  };

  /**
   * The entry with a value neither forest holds at that place: addresses from the table's other entries, target by PFN.
   */
  const computed = (node: NodeInfo, index: number, value: string): EntryInfo | null => {
    const { pfn, flags } = entryBits(value);
    const span = spanOf(node, before, after);
    if (span === null) return null;
    const from = span.base + BigInt(index) * span.size;
    const leaf = node.level === 'pte' || (flags & _PAGE_PSE) !== 0;
    let target: string;
    if (!leaf) {
      target = tableId(pfn);
      if (!nodes.has(target)) return null;
    } else {
      const data = [after, before]
        .map((f) => Object.values(f.nodes).find((n) => n.kind === 'data' && n.pfn === pfn))
        .find((n) => n !== undefined);
      target = data?.id ?? `d${pfn}`;
    }
    return {
      index,
      value,
      flags,
      pfn,
      target,
      from: '0x' + from.toString(16),
      to: '0x' + (from + span.size).toString(16),
    };
  };

  for (const c of changesThrough(changes, done)) {
    switch (c.kind) {
      case 'table-alloc': {
        const id = tableId(c.pfn);
        const owner = after.nodes[id]?.owner ?? c.mm;
        nodes.set(id, { id, kind: 'table', level: c.level, pfn: c.pfn, owner, entries: [], present: 0, parents: [] });
        break;
      }
      case 'table-free':
        nodes.delete(tableId(c.pfn));
        break;
      case 'entry-set':
      case 'entry-cleared': {
        const node = nodes.get(tableId(c.table));
        if (!node || node.kind !== 'table') return { ok: false, why: 'summarised' };
        const at = node.entries.findIndex((x) => x.index === c.index);
        if (c.kind === 'entry-cleared') {
          if (at >= 0) node.entries.splice(at, 1);
          node.present--;
          break;
        }
        const value = '0x' + c.new;
        const e = known(c.table, c.index, value) ?? computed(node, c.index, value);
        if (!e) return { ok: false, why: 'summarised' };
        const wasCut = cut(node);
        if (c.old === null) node.present++;
        if (at >= 0) node.entries[at] = e;
        else {
          const last = node.entries[node.entries.length - 1];
          // Past the last listed entry of a table already cut: not listed, as inspect() would not list it.
          if (wasCut && last && c.index > last.index) break;
          node.entries.push(e);
          node.entries.sort((a, b) => a.index - b.index);
          if (node.entries.length > maxEntries) node.entries.length = maxEntries;
        }
        break;
      }
      case 'data-alloc':
        allocated.set(c.pfn, c.what);
        break;
      default:
        break;
    }
  }

  // A table cut to maxEntries before the step lists fewer entries than it holds once some are cleared:
  // the rest are after's, where no later event changes them (their value now is their value then).
  const later = new Set(
    changes
      .filter((c) => c.event >= done && (c.kind === 'entry-set' || c.kind === 'entry-cleared'))
      .map((c) => ('table' in c ? `${c.table}:${c.index}` : '')),
  );
  for (const node of nodes.values()) {
    if (node.kind !== 'table' || node.entries.length >= Math.min(node.present, maxEntries)) continue;
    const listed = new Set(node.entries.map((e) => e.index));
    for (const e of after.nodes[node.id]?.entries ?? [])
      if (!listed.has(e.index) && !later.has(`${node.pfn}:${e.index}`)) node.entries.push(e);
    node.entries.sort((a, b) => a.index - b.index);
    if (node.entries.length > maxEntries) node.entries.length = maxEntries;
  }

  // The roots whose PGD page exists now: after's (a task spawned at this step), then before's (one exiting).
  const roots: Forest['roots'] = [];
  for (const r of [...after.roots, ...before.roots]) {
    if (nodes.has(r.node) && !roots.some((x) => x.mm === r.mm && x.node === r.node)) roots.push(r);
  }
  // Rebuild what is reachable, in inspect()'s order, with each node's parents.
  const out: Record<string, NodeInfo> = {};
  const dataNode = (id: string, pfn: number): NodeInfo => {
    const known = after.nodes[id] ?? before.nodes[id];
    if (known) return { ...known, parents: [] };
    const what = allocated.get(pfn) ?? 'anonymous page';
    return { id, kind: 'data', level: 'data', pfn, owner: what, entries: [], present: 0, parents: [] };
  };
  const visit = (id: string, parent: string | null): void => {
    const seen = out[id];
    if (seen) {
      if (parent && !seen.parents.includes(parent)) seen.parents.push(parent);
      return;
    }
    const n = nodes.get(id);
    if (!n) return;
    const node: NodeInfo = { ...n, parents: parent ? [parent] : [] };
    out[id] = node;
    for (const e of node.entries) {
      if (nodes.has(e.target)) visit(e.target, id);
      else {
        const d = (out[e.target] ??= dataNode(e.target, e.pfn));
        if (!d.parents.includes(id)) d.parents.push(id);
      }
    }
  };
  for (const r of roots) visit(r.node, null);
  return { ok: true, forest: { roots, nodes: out } };
}

/** The first address a table maps and its entries' span, from its entries or its parent's entry, in either forest. */
function spanOf(node: NodeInfo, before: Forest, after: Forest): { base: bigint; size: bigint } | null {
  for (const f of [after, before, { roots: [], nodes: { [node.id]: node } }]) {
    const n = f.nodes[node.id];
    const e = n?.entries.find((x) => f.nodes[x.target]?.kind !== 'summary');
    if (e) {
      const size = BigInt(e.to) - BigInt(e.from);
      return { base: BigInt(e.from) - BigInt(e.index) * size, size };
    }
  }
  for (const f of [after, before]) {
    for (const p of Object.values(f.nodes)) {
      const e = p.kind === 'table' ? p.entries.find((x) => x.target === node.id) : undefined;
      if (e) return { base: BigInt(e.from), size: (BigInt(e.to) - BigInt(e.from)) / 512n };
    }
  }
  return null;
}
