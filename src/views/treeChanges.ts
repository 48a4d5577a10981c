/**
 * What a step changed, as the tree draws it (issue 12, "What changed,
 * shown"), from the core's per-step `changes` (src/core/changes.ts): entry
 * rows set or changed (old → new, flag flips such as `RW 1→0`), tables and
 * data pages that are new, and tables freed (drawn as dashed ghosts for that
 * step, labelled with the function that freed them). Pure: no DOM.
 *
 * A report step without `changes` (the core that computes them is built
 * alongside) shows nothing.
 */
import type { StepChange } from '../core/changes';
import type { ReportStep } from '../scenario/report';

/** A changed entry row: what the row says under its value. */
export interface RowChange {
  kind: 'set' | 'cleared';
  /** The whole change in words, for the tooltip and the screen reader. */
  full: string;
  /** The short form drawn in the row (fits a table's width). */
  short: string;
  fn: string;
  /** Indices into the step's events of the events that made it. */
  events: number[];
}

export interface FreedTable {
  id: string;
  level: string;
  pfn: number;
  mm: string;
  fn: string;
  event: number;
}

export interface ChangeMarks {
  /** node id → entry index → its change. */
  rows: Map<string, Map<number, RowChange>>;
  /** Nodes allocated at this step (table pages and data pages). */
  added: Set<string>;
  freed: FreedTable[];
  /** Each event index → the node ids and rows it touched (trace ↔ tree). */
  byEvent: Map<number, { nodes: Set<string>; rows: { node: string; index: number }[] }>;
}

export const NO_CHANGES: ChangeMarks = { rows: new Map(), added: new Set(), freed: [], byEvent: new Map() };

/** The step's changes, if its report carries them (an additive field of the report). */
export function changesOf(report: ReportStep | undefined): StepChange[] | undefined {
  const c = (report as (ReportStep & { changes?: unknown }) | undefined)?.changes;
  return Array.isArray(c) ? (c as StepChange[]) : undefined;
}

/** 0x0000000001003067 → 0x1003067: the value without its leading zeros (the full one is in the tooltip). */
export function shortHex(v: string): string {
  const s = v.replace(/^0x/, '').replace(/^0+(?=.)/, '');
  return '0x' + s;
}

const tableId = (pfn: number): string => `t${pfn}`;

export function changeMarks(changes: readonly StepChange[] | undefined): ChangeMarks {
  if (!changes || changes.length === 0) return NO_CHANGES;
  const rows = new Map<string, Map<number, RowChange>>();
  const added = new Set<string>();
  const freed: FreedTable[] = [];
  const byEvent: ChangeMarks['byEvent'] = new Map();
  const touch = (event: number): { nodes: Set<string>; rows: { node: string; index: number }[] } => {
    let t = byEvent.get(event);
    if (!t) byEvent.set(event, (t = { nodes: new Set(), rows: [] }));
    return t;
  };
  const putRow = (node: string, index: number, rc: RowChange, event: number): void => {
    let m = rows.get(node);
    if (!m) rows.set(node, (m = new Map()));
    const had = m.get(index);
    // Two changes of one entry in a step (cleared, then set again): the row says the last, the tooltip all of them.
    m.set(index, had ? { ...rc, full: `${had.full}; then ${rc.full}`, events: [...had.events, ...rc.events] } : rc);
    touch(event).rows.push({ node, index });
  };
  for (const c of changes) {
    switch (c.kind) {
      case 'entry-set': {
        const flips = c.flags?.map((f) => `${f.name} ${f.from}→${f.to}`) ?? [];
        const oldPfn = c.old === null ? null : BigInt('0x' + c.old) & 0x000f_ffff_ffff_f000n;
        const newPfn = BigInt('0x' + c.new) & 0x000f_ffff_ffff_f000n;
        let short: string;
        if (c.old === null) short = `new: ${shortHex(c.new)}`;
        else if (oldPfn !== newPfn) short = `${shortHex(c.old)} → ${shortHex(c.new)}`;
        else if (flips.length) short = flips.join(', ');
        else short = `${shortHex(c.old)} → ${shortHex(c.new)}`;
        const full = `${c.level.toUpperCase()}[${c.index}]: ${c.old === null ? 'none' : '0x' + c.old} → 0x${c.new}${flips.length ? ` [${flips.join(', ')}]` : ''} (${c.fn})`;
        putRow(tableId(c.table), c.index, { kind: 'set', full, short, fn: c.fn, events: [c.event] }, c.event);
        break;
      }
      case 'entry-cleared':
        putRow(
          tableId(c.table),
          c.index,
          {
            kind: 'cleared',
            full: `${c.level.toUpperCase()}[${c.index}]: 0x${c.old} → none (${c.fn})`,
            short: `cleared: ${c.fn}`,
            fn: c.fn,
            events: [c.event],
          },
          c.event,
        );
        break;
      case 'table-alloc':
        added.add(tableId(c.pfn));
        touch(c.event).nodes.add(tableId(c.pfn));
        break;
      case 'table-free':
        added.delete(tableId(c.pfn));
        freed.push({ id: tableId(c.pfn), level: c.level, pfn: c.pfn, mm: c.mm, fn: c.fn, event: c.event });
        touch(c.event).nodes.add(tableId(c.pfn));
        break;
      case 'data-alloc':
        added.add(`d${c.pfn}`);
        touch(c.event).nodes.add(`d${c.pfn}`);
        break;
      case 'data-free':
      case 'pgtables':
      case 'tlb-fill':
      case 'tlb-flush':
      case 'tlb-switch':
        break;
    }
  }
  return { rows, added, freed, byEvent };
}

/** What an event touched, for highlighting it in the tree: its nodes, the tables holding its rows. */
export function touchedBy(marks: ChangeMarks, event: number | null): { nodes: Set<string>; rows: Set<string> } {
  const t = event === null ? undefined : marks.byEvent.get(event);
  return { nodes: new Set(t?.nodes ?? []), rows: new Set((t?.rows ?? []).map((r) => `${r.node}:${r.index}`)) };
}

/** The events of the step that touched entry `index` of node `node` (the Inspector lists them). */
export function eventsTouching(marks: ChangeMarks, node: string, index: number | null): number[] {
  const out: number[] = [];
  for (const [ev, t] of marks.byEvent) {
    if (
      index === null
        ? t.nodes.has(node) || t.rows.some((r) => r.node === node)
        : t.rows.some((r) => r.node === node && r.index === index)
    )
      out.push(ev);
  }
  return out.sort((a, b) => a - b);
}
