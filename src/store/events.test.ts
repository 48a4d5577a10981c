/**
 * The position inside a step (issue 14): one number in the store (events
 * done, null = the whole step), the moves Shift+→/← make, and the worker's
 * view of a moment, on the seed's guest read (events handle_mm_fault,
 * find_shared_vma, set_pgd, VM_FAULT_NOPAGE; mshare v1 patch 08/14).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SEED_SCENARIO } from '../scenario/examples';
import { parseScenario } from '../scenario/parser';
import type { Scenario } from '../scenario/ast';
import { eventShown, nextEventPosition, prevEventPosition } from './derive';
import { resetSim, snapshotAt, stepReport } from './sim';
import { createExplorerStore } from './store';

function parsed(text: string): Scenario {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

describe('positions inside a step', () => {
  it('eventShown: a moment strictly inside the step, else the whole step', () => {
    expect(eventShown(null, 4)).toBeNull();
    expect(eventShown(1, 4)).toBe(1);
    expect(eventShown(3, 4)).toBe(3);
    // All four done is the step itself; past it too (a link's event beyond the step's).
    expect(eventShown(4, 4)).toBeNull();
    expect(eventShown(9, 4)).toBeNull();
    expect(eventShown(1, 1)).toBeNull();
    expect(eventShown(1, 0)).toBeNull();
    expect(eventShown(0, 4)).toBeNull();
  });

  it('Shift+→ walks the events of a 4-event step, then on to the next step', () => {
    // Step 6 whole, step 7 has 4 events, 8 steps in all.
    let p = nextEventPosition({ cursor: 6, event: null }, 2, 8);
    expect(p).toEqual({ cursor: 7, event: 1 });
    const seen: (number | null)[] = [p.event];
    for (let i = 0; i < 3; i++) {
      p = nextEventPosition(p, 4, 8);
      seen.push(p.event);
    }
    expect(seen).toEqual([1, 2, 3, null]);
    expect(p.cursor).toBe(7);
    expect(nextEventPosition(p, 4, 8)).toEqual({ cursor: 8, event: 1 });
    // At the end of the last step there is nothing further.
    expect(nextEventPosition({ cursor: 8, event: null }, 3, 8)).toEqual({ cursor: 8, event: null });
    // The step's events not known yet (computing): by step.
    expect(nextEventPosition({ cursor: 7, event: 2 }, 0, 8)).toEqual({ cursor: 8, event: 1 });
  });

  it('Shift+← goes back the same way: the moment before the last event, down to the step before', () => {
    let p = prevEventPosition({ cursor: 7, event: null }, 4);
    expect(p).toEqual({ cursor: 7, event: 3 });
    p = prevEventPosition(p, 4);
    expect(p).toEqual({ cursor: 7, event: 2 });
    p = prevEventPosition(p, 4);
    expect(p).toEqual({ cursor: 7, event: 1 });
    // Before the first event is the state after the step before.
    expect(prevEventPosition(p, 4)).toEqual({ cursor: 6, event: null });
    expect(prevEventPosition({ cursor: 3, event: null }, 1)).toEqual({ cursor: 2, event: null });
    expect(prevEventPosition({ cursor: 0, event: null }, 0)).toEqual({ cursor: 0, event: null });
  });
});

describe('the store keeps one event number', () => {
  it('goToEvent sets it; every move by statement clears it', () => {
    const store = createExplorerStore({ defaultText: SEED_SCENARIO });
    const s = () => store.getState();
    s().goToEvent(7, 2);
    expect([s().cursor, s().event]).toEqual([7, 2]);
    s().next();
    expect([s().cursor, s().event]).toEqual([8, null]);
    s().goToEvent(7, 3);
    s().prev();
    expect([s().cursor, s().event]).toEqual([6, null]);
    s().goToEvent(7, 3);
    s().goTo(7);
    expect(s().event).toBeNull();
    // Before the first step there are no events.
    s().goToEvent(0, 2);
    expect(s().event).toBeNull();
  });

  it("a link's event is kept with its step; past the last step, dropped", () => {
    const store = createExplorerStore({ defaultText: 'spawn A\n' });
    store.getState().loadScenario(SEED_SCENARIO, { source: 'link', step: 7, event: 2 });
    expect([store.getState().cursor, store.getState().event]).toEqual([7, 2]);
    store.getState().loadScenario(SEED_SCENARIO, { source: 'link', step: 99, event: 2 });
    expect(store.getState().event).toBeNull();
    store.getState().loadScenario(SEED_SCENARIO, { source: 'link', step: 7 });
    expect(store.getState().event).toBeNull();
  });
});

describe("the worker's view of a moment", () => {
  beforeEach(() => resetSim());
  it("the guest read after find_shared_vma and after set_pgd: B's PGD[2] none, then the host's", () => {
    const sc = parsed(SEED_SCENARIO);
    const read = stepReport(SEED_SCENARIO, sc, 7);
    expect(read?.events.map((e) => e.fn)).toEqual(['handle_mm_fault', 'find_shared_vma', 'set_pgd', 'VM_FAULT_NOPAGE']);
    const pgd2 = (n: number, event: number | undefined, mm: string) => {
      const r = snapshotAt(SEED_SCENARIO, sc, n, [], event);
      if (!r.ok) throw new Error(r.failure.message);
      const f = r.snapshot.forest;
      return {
        value: f.nodes[f.roots.find((x) => x.mm === mm)?.node ?? '']?.entries.find((e) => e.index === 2)?.value ?? null,
        event: r.snapshot.event,
      };
    };
    const host = pgd2(7, 2, 'mshare:sga');
    expect(host.value).toBe('0x0000000001003067');
    expect(pgd2(7, 2, 'B')).toEqual({ value: null, event: { done: 2, of: 4 } });
    expect(pgd2(7, 3, 'B')).toEqual({ value: host.value, event: { done: 3, of: 4 } });
    // All four done, or none asked: the step itself, unmarked.
    expect(pgd2(7, 4, 'B')).toEqual({ value: host.value, event: undefined });
    expect(pgd2(7, undefined, 'B').value).toBe(host.value);
  });
});
