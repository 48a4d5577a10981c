import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { NodeInfo } from '../core/inspect';
import type { SnapshotResult } from './sim';
import { ForestReceiver, ForestSender, sameNode } from './forestWire';
import { inspect } from '../core/inspect';
import { parseScenario } from '../scenario/parser';
import { Runner } from '../scenario/run';

function node(id: string, present: number): NodeInfo {
  return { id, kind: 'table', level: 'pte', pfn: Number(id.slice(1)), owner: 'A', entries: [], present, parents: [] };
}

function result(nodes: NodeInfo[]): SnapshotResult {
  return {
    ok: true,
    snapshot: {
      step: 0,
      forest: {
        roots: nodes.length ? [{ mm: 'A', node: (nodes[0] as NodeInfo).id }] : [],
        nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
      },
      report: {} as never,
      tasks: ['A'],
      memory: { usedPages: 0, limitPages: null },
      paging: 4,
    },
  };
}

describe('the forest as a delta', () => {
  it('sends only the nodes that changed, and the page gets the same forest', () => {
    const s = new ForestSender();
    const r = new ForestReceiver();
    const a = result([node('t1', 1), node('t2', 1), node('t3', 1)]);
    const w1 = s.encode(a);
    expect(w1.ok && w1.snapshot.forest.changed.map((n) => n.id)).toEqual(['t1', 't2', 't3']);
    expect(r.decode(w1)).toEqual(a);
    const b = result([node('t1', 1), node('t2', 2), node('t4', 1)]);
    const w2 = s.encode(b);
    expect(w2.ok && w2.snapshot.forest.changed.map((n) => n.id)).toEqual(['t2', 't4']);
    const got = r.decode(w2);
    expect(got).toEqual(b);
    // Unchanged nodes are the very objects received before.
    const first = r.decode(s.encode(b));
    expect(first.ok && got.ok && first.snapshot.forest.nodes.t1).toBe(got.ok && got.snapshot.forest.nodes.t1);
  });

  it('forgets nodes long gone, on both sides, and sends them again if they come back', () => {
    const s = new ForestSender();
    const r = new ForestReceiver();
    const big = result(Array.from({ length: 1100 }, (_, i) => node(`t${i + 1}`, 1)));
    r.decode(s.encode(big));
    const small = s.encode(result([node('t1', 1)]));
    expect(small.ok && small.snapshot.forest.dropped.length).toBe(1099);
    r.decode(small);
    const back = s.encode(big);
    expect(back.ok && back.snapshot.forest.changed.length).toBe(1099);
    expect(r.decode(back)).toEqual(big);
  });

  it('passes failures through', () => {
    const f: SnapshotResult = { ok: false, failure: { step: 3, message: 'x' } };
    expect(new ForestReceiver().decode(new ForestSender().encode(f))).toEqual(f);
  });

  it('a new sender (a new worker) starts the receiver afresh', () => {
    const r = new ForestReceiver();
    r.decode(new ForestSender().encode(result([node('t1', 1)])));
    const s2 = new ForestSender();
    const w = s2.encode(result([node('t2', 1)]));
    expect(w.ok && w.snapshot.forest.reset).toBe(true);
    expect(r.decode(w)).toEqual(result([node('t2', 1)]));
  });

  it('any sequence of forests arrives intact, however the sender forgets', () => {
    const forests = fc.array(
      fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 3000 }), present: fc.integer({ min: 0, max: 3 }) }), {
        selector: (x) => x.id,
        maxLength: 600,
      }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(forests, (seq) => {
        const s = new ForestSender();
        const r = new ForestReceiver();
        for (const f of seq) {
          const want = result(f.map((x) => node(`t${x.id}`, x.present)));
          expect(r.decode(s.encode(want))).toEqual(want);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('sameNode', () => {
  const entry = fc.record({
    index: fc.integer({ min: 0, max: 2 }),
    value: fc.constantFrom('0x1', '0x2'),
    flags: fc.integer({ min: 0, max: 1 }),
    pfn: fc.integer({ min: 0, max: 1 }),
    target: fc.constantFrom('t1', 'd2'),
    from: fc.constantFrom('0x0', '0x1000'),
    to: fc.constantFrom('0x1000', '0x2000'),
  });
  const summary = fc.record({
    entries: fc.integer({ min: 1, max: 2 }),
    tables: fc.constantFrom({}, { pte: 1 }, { pte: 2 }, { pmd: 1, pte: 1 }),
    dataPages: fc.integer({ min: 0, max: 1 }),
    text: fc.constantFrom('a', 'b'),
  });
  const info = fc.record(
    {
      id: fc.constantFrom('t1', 't2'),
      kind: fc.constantFrom('table' as const, 'summary' as const),
      level: fc.constantFrom('pte' as const, 'pmd' as const),
      pfn: fc.integer({ min: 0, max: 1 }),
      owner: fc.constantFrom('A', 'B'),
      entries: fc.array(entry, { maxLength: 2 }),
      present: fc.integer({ min: 0, max: 1 }),
      parents: fc.array(fc.constantFrom('t1', 't2'), { maxLength: 2 }),
      summary,
    },
    { requiredKeys: ['id', 'kind', 'level', 'pfn', 'owner', 'entries', 'present', 'parents'] },
  );

  it('is equality of the JSON (every field counts)', () => {
    fc.assert(
      fc.property(info, info, (a, b) => {
        expect(sameNode(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        expect(sameNode(a, structuredClone(a))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('knows every field inspect() gives a node and an entry (a new field must be compared too)', () => {
    const p = parseScenario('kernel mainline\nspawn A\nA: mmap 1T 2M rw private anon fixed\nA: write 1T "x"\n');
    if (!p.ok) throw new Error('does not parse');
    const r = new Runner(p.scenario);
    while (r.done < p.scenario.steps.length) r.step();
    const k = r.kernel;
    const f = inspect(
      k.m,
      k.liveMms().map((mm) => ({ label: mm.label, mm })),
    );
    const nodes = Object.values(f.nodes);
    const keys = new Set(nodes.flatMap((n) => Object.keys(n)));
    expect([...keys].sort()).toEqual(['entries', 'id', 'kind', 'level', 'owner', 'parents', 'pfn', 'present']);
    const ekeys = new Set(nodes.flatMap((n) => n.entries.flatMap((e) => Object.keys(e))));
    expect([...ekeys].sort()).toEqual(['flags', 'from', 'index', 'pfn', 'target', 'to', 'value']);
  });
});
