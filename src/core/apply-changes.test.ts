/**
 * forestAfterEvents(): the forest the views draw inside a step.
 *
 * Checked two ways against the core itself, never against its own output:
 * with all of a step's events done it gives exactly inspect()'s forest of
 * the machine after the step; and after each event of a step, every table
 * page it draws and every entry listed in it is what the machine held at that
 * point, as changes.test-helper.ts plays the step's changes onto the machine's
 * own picture (which refuses a change that does not fit).
 * And the seed's moment by hand: B's PGD[2] is none until set_pgd, then the
 * host's value (mshare v1 patch 08/14: set_pgd(pgd, *host_pgd)).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/parser';
import { Runner } from '../scenario/run';
import type { ReportStep } from '../scenario/report';
import { applyChanges, cloneState, snapshot, type PtState } from './changes.test-helper';
import { changesThrough, entryBits, forestAfterEvents } from './apply-changes';
import { inspect, type Forest } from './inspect';
import { entryHex } from './paging';

function forestOf(r: Runner): Forest {
  const k = r.kernel;
  return inspect(
    k.m,
    k.liveMms().map((mm) => ({ label: mm.label, mm })),
    { maxEntries: 64 },
  );
}

/** Parents as sets: inspect() lists a node's parents in the order it met them, which is not what is compared. */
function normal(f: Forest): unknown {
  const nodes = Object.fromEntries(
    Object.entries(f.nodes).map(([id, n]) => [id, { ...n, parents: [...n.parents].sort() }]),
  );
  return { roots: f.roots, nodes };
}

interface Played {
  step: ReportStep;
  before: Forest;
  after: Forest;
  state: PtState;
}

function play(file: string): Played[] {
  const p = parseScenario(readFileSync(`scenarios/${file}`, 'utf8'));
  if (!p.ok) throw new Error(file);
  const r = new Runner(p.scenario);
  const out: Played[] = [];
  while (!r.finished) {
    const before = forestOf(r);
    const state = snapshot(r.kernel);
    const step = r.step();
    out.push({ step, before, after: forestOf(r), state });
  }
  return out;
}

const FILES = [
  'mshare-v1-guest-fault.ptx',
  'mainline-first-fault.ptx',
  'fork-shared-vs-private.ptx',
  'munmap-frees-tables.ptx',
  'zero-page-cow-fork.ptx',
  'mshare-v1-guest-exit.ptx',
  'mshare-v1-last-unlink.ptx',
  'msharefs-two-addresses.ptx',
  'hugetlb-pmd-sharing.ptx',
  'five-level-paging.ptx',
];

describe('forestAfterEvents', () => {
  it('reads entry values back as inspect() wrote them (PROT_NONE inverted, NX, SAVED_DIRTY)', () => {
    for (const [pfn, flags] of [
      [0x1003, 0x067],
      [0x1006, 0x067 | (1 << 20)],
      [0x2a, 0x100],
      [0x77, 0x025 | (1 << 21)],
    ] as const) {
      expect(entryBits(entryHex(pfn, flags))).toEqual({ pfn, flags });
    }
  });

  for (const file of FILES) {
    it(`${file}: all events done is the forest after the step; each event's tables are the machine's`, () => {
      let replayed = 0;
      for (const { step, before, after, state } of play(file)) {
        const n = step.events.length;
        const whole = forestAfterEvents(before, after, step.changes, n, step.changes_omitted ?? 0);
        if (!whole.ok) {
          // Not played: bulk Runs, a capped list, or a change inside a table the forest shows only as a summary.
          expect(['bulk', 'capped', 'summarised']).toContain(whole.why);
          continue;
        }
        expect(normal(whole.forest), `step ${step.index} (line ${step.line})`).toEqual(normal(after));
        for (let done = 1; done < n; done++) {
          const got = forestAfterEvents(before, after, step.changes, done);
          if (!got.ok) throw new Error(`step ${step.index} event ${done}: ${got.why}`);
          const truth = cloneState(state);
          applyChanges(truth, changesThrough(step.changes, done));
          for (const node of Object.values(got.forest.nodes)) {
            if (node.kind !== 'table') continue;
            const t = truth.tables.get(node.pfn);
            expect(t, `step ${step.index} event ${done}: table ${node.id}`).toBeDefined();
            expect(node.level).toBe(t?.level);
            expect(node.present, `step ${step.index} event ${done}: ${node.id} present`).toBe(t?.entries.size);
            for (const e of node.entries)
              expect(e.value, `${node.id}[${e.index}]`).toBe('0x' + t?.entries.get(e.index));
          }
          replayed++;
        }
      }
      expect(replayed).toBeGreaterThan(0);
    });
  }

  it("the seed's guest read: B's PGD[2] none at handle_mm_fault and find_shared_vma, the host's entry from set_pgd", () => {
    const played = play('mshare-v1-guest-fault.ptx');
    const read = played.find((p) => p.step.op === 'read' && p.step.task === 'B');
    if (!read) throw new Error('no read by B');
    expect(read.step.events.map((e) => e.fn)).toEqual([
      'handle_mm_fault',
      'find_shared_vma',
      'set_pgd',
      'VM_FAULT_NOPAGE',
    ]);
    const pgdOf = (f: Forest, mm: string) => f.nodes[f.roots.find((r) => r.mm === mm)?.node ?? ''];
    const at = (done: number): Forest => {
      const r = forestAfterEvents(read.before, read.after, read.step.changes, done);
      if (!r.ok) throw new Error(r.why);
      return r.forest;
    };
    // The host's PGD[2] points at its PUD page (pfn 0x1003 in this scenario, as A's write allocated it).
    const host = pgdOf(at(1), 'mshare:sga')?.entries.find((e) => e.index === 2);
    expect(host?.value).toBe('0x0000000001003067');
    for (const done of [1, 2]) expect(pgdOf(at(done), 'B')?.entries.find((e) => e.index === 2)).toBeUndefined();
    for (const done of [3, 4]) {
      const b = pgdOf(at(done), 'B')?.entries.find((e) => e.index === 2);
      expect(b?.value).toBe(host?.value);
      expect(b?.target).toBe(host?.target);
    }
  });

  it('a step whose changes were capped is not played event by event', () => {
    const played = play('mshare-v1-guest-fault.ptx');
    const p = played[4] as Played;
    expect(forestAfterEvents(p.before, p.after, p.step.changes, 1, 3)).toEqual({ ok: false, why: 'capped' });
  });
});
