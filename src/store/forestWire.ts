/**
 * The forest crosses from the simulation worker to the page as a delta.
 *
 * A step changes a few of the forest's nodes, but the forest of 64 forked
 * tasks has ~10,000 of them (~4 MB): structured-cloning all of it costs the
 * worker and, worse, the page's main thread ~50–100 ms per step. So the
 * worker sends only the nodes whose content differs from what it sent
 * before (compared field by field, sameNode()), plus every id in order; the page keeps the
 * nodes it received (ForestReceiver) and rebuilds the forest from the ids.
 * Node objects are never mutated once sent or received, so a forest rebuilt
 * this way shares unchanged nodes with the previous one.
 *
 * The protocol is a stream: the receiver must see every message the sender
 * encoded, in order (a worker's messages are; a new worker starts a new
 * sender, which sends everything again).
 */
import type { EntryInfo, Forest, NodeInfo } from '../core/inspect';
import type { Snapshot, SnapshotResult } from './sim';

export interface WireForest {
  roots: Forest['roots'];
  /** Every node id of the forest, in the forest's order. */
  ids: string[];
  /** The nodes not sent before in this form. */
  changed: NodeInfo[];
  /** Ids the sender forgot: the receiver forgets them too (so both hold the same set). */
  dropped: string[];
  /** The sender's first message: the receiver starts from nothing. */
  reset: boolean;
}

export type WireSnapshot = Omit<Snapshot, 'forest'> & { forest: WireForest };
export type WireResult = { ok: true; snapshot: WireSnapshot } | Extract<SnapshotResult, { ok: false }>;

/** The sender remembers at most this many times the forest's size of nodes before forgetting the stale ones. */
const SLACK = 2;

/** Whether two nodes show the same thing (every field of NodeInfo; no allocation, unlike comparing JSON). */
export function sameNode(a: NodeInfo, b: NodeInfo): boolean {
  if (a === b) return true;
  if (
    a.id !== b.id ||
    a.kind !== b.kind ||
    a.level !== b.level ||
    a.pfn !== b.pfn ||
    a.owner !== b.owner ||
    a.present !== b.present
  )
    return false;
  if (a.parents.length !== b.parents.length || a.entries.length !== b.entries.length) return false;
  for (let i = 0; i < a.parents.length; i++) if (a.parents[i] !== b.parents[i]) return false;
  for (let i = 0; i < a.entries.length; i++) {
    const x = a.entries[i] as EntryInfo;
    const y = b.entries[i] as EntryInfo;
    if (
      x.index !== y.index ||
      x.flags !== y.flags ||
      x.pfn !== y.pfn ||
      x.value !== y.value ||
      x.target !== y.target ||
      x.from !== y.from ||
      x.to !== y.to
    )
      return false;
  }
  const p = a.summary;
  const q = b.summary;
  if (!p || !q) return p === q;
  if (p.entries !== q.entries || p.dataPages !== q.dataPages || p.text !== q.text) return false;
  const pk = Object.keys(p.tables) as (keyof typeof p.tables)[];
  if (pk.length !== Object.keys(q.tables).length) return false;
  for (const k of pk) if (p.tables[k] !== q.tables[k]) return false;
  return true;
}

export class ForestSender {
  private readonly sent = new Map<string, NodeInfo>();
  private first = true;

  encode(r: SnapshotResult): WireResult {
    if (!r.ok) return r;
    const { forest, ...rest } = r.snapshot;
    const ids = Object.keys(forest.nodes);
    const changed: NodeInfo[] = [];
    for (const id of ids) {
      const node = forest.nodes[id] as NodeInfo;
      const before = this.sent.get(id);
      if (before && sameNode(before, node)) continue;
      this.sent.set(id, node);
      changed.push(node);
    }
    const dropped: string[] = [];
    if (this.sent.size > SLACK * ids.length + 1024) {
      const keep = new Set(ids);
      for (const id of this.sent.keys()) if (!keep.has(id)) dropped.push(id);
      for (const id of dropped) this.sent.delete(id);
    }
    const reset = this.first;
    this.first = false;
    return { ok: true, snapshot: { ...rest, forest: { roots: forest.roots, ids, changed, dropped, reset } } };
  }
}

export class ForestReceiver {
  private readonly nodes = new Map<string, NodeInfo>();

  /** Apply a message's nodes (call for every message, in order, even one that is not wanted any more). */
  decode(r: WireResult): SnapshotResult {
    if (!r.ok) return r;
    const { forest, ...rest } = r.snapshot;
    if (forest.reset) this.nodes.clear();
    for (const id of forest.dropped) this.nodes.delete(id);
    for (const n of forest.changed) this.nodes.set(n.id, n);
    const nodes: Record<string, NodeInfo> = {};
    for (const id of forest.ids) {
      const n = this.nodes.get(id);
      if (!n) throw new Error(`the simulation worker referred to node ${id} it never sent`);
      nodes[id] = n;
    }
    return { ok: true, snapshot: { ...rest, forest: { roots: forest.roots, nodes } } };
  }
}
