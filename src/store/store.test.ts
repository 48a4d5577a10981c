import { beforeEach, describe, expect, it, vi } from 'vitest';
import { INTRO_SCENARIO, SEED_SCENARIO } from '../scenario/examples';
import { parseScenario } from '../scenario/parser';
import type { Scenario } from '../scenario/ast';
import { addressFields, announce, bytesAsText, copyMoves, pathFor, rootOf } from './derive';
import { isCanonical } from '../core/paging';
import { KEYS, memoryKV } from './persist';
import { replayCount, resetSim, snapshotAt, stepReport, stepReports, stepsRun } from './sim';
import { createExplorerStore, groupNames, stepCount } from './store';

const SMALL = 'spawn A\nA: mmap 0x7f0000000000 4M rw private anon fixed\nA: write 0x7f0000001000 "hi"\n';

function parsed(text: string): Scenario {
  const r = parseScenario(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

describe('the store', () => {
  it('starts from the saved text, else the default, parsed', () => {
    const fresh = createExplorerStore({ kv: memoryKV(), defaultText: SMALL });
    expect(fresh.getState().text).toBe(SMALL);
    expect(stepCount(fresh.getState())).toBe(3);
    const saved = createExplorerStore({ kv: memoryKV({ [KEYS.text]: 'spawn X\n' }), defaultText: SMALL });
    expect(saved.getState().text).toBe('spawn X\n');
    expect(stepCount(saved.getState())).toBe(1);
  });

  it('saves every change and keeps the last good scenario while the text does not load', () => {
    const kv = memoryKV();
    const s = createExplorerStore({ kv, defaultText: SMALL });
    s.getState().goTo(3);
    const good = s.getState().loaded;
    s.getState().setText(SMALL + 'A: frob\n');
    expect(kv.get(KEYS.text)).toBe(SMALL + 'A: frob\n');
    expect(s.getState().errors[0]).toMatchObject({ line: 4, col: 4 });
    expect(s.getState().loaded).toBe(good);
    expect(s.getState().cursor).toBe(3);
    s.getState().setText('spawn A\n');
    expect(s.getState().errors).toEqual([]);
    expect(stepCount(s.getState())).toBe(1);
    expect(s.getState().cursor).toBe(1); // clamped
  });

  it('the embed mode saves nothing', () => {
    const kv = memoryKV({ [KEYS.text]: 'spawn Mine\n' });
    const s = createExplorerStore({ kv, embed: true, defaultText: SMALL });
    expect(s.getState().text).toBe(SMALL); // not the user's text either
    s.getState().setText('spawn B\n');
    s.getState().loadScenario('spawn C\n', { source: 'link' });
    s.getState().setTheme('dark');
    expect(kv.get(KEYS.text)).toBe('spawn Mine\n');
    expect(kv.get(KEYS.previous)).toBeNull();
    expect(kv.get(KEYS.backups)).toBeNull();
    expect(kv.get(KEYS.textOwn)).toBeNull();
    expect(kv.get(KEYS.theme)).toBeNull();
  });

  it('a load keeps the replaced text restorable, but not the built-in default', () => {
    const kv = memoryKV();
    const s = createExplorerStore({ kv, defaultText: SMALL });
    expect(s.getState().loadScenario('spawn A\n', { source: 'gallery' })).toBe(false);
    s.getState().setText('spawn Mine\n');
    expect(s.getState().loadScenario('spawn B\nB: exit\n', { source: 'link', step: 2 })).toBe(true);
    expect(s.getState().cursor).toBe(2);
    expect(JSON.parse(kv.get(KEYS.backups)!)).toEqual(['spawn Mine\n']);
    s.getState().restorePrevious();
    expect(s.getState().text).toBe('spawn Mine\n');
    expect(s.getState().textIsOwn).toBe(true);
    // The link's text was never the user's: it is not kept, and the backup was used up.
    expect(s.getState().previousText).toBeNull();
    expect(JSON.parse(kv.get(KEYS.backups)!)).toEqual([]);
  });

  it("issue 13: own text, a link, a reload, a gallery item: the user's own text is still restorable", () => {
    const kv = memoryKV();
    const first = createExplorerStore({ kv, defaultText: SMALL });
    first.getState().setText('spawn Mine\n# my own work\n');
    expect(first.getState().loadScenario('spawn L\n', { source: 'link' })).toBe(true);
    // Reload: a new store on the same storage. The link's text is shown, not taken for the user's.
    const second = createExplorerStore({ kv, defaultText: SMALL });
    expect(second.getState().text).toBe('spawn L\n');
    expect(second.getState().textIsOwn).toBe(false);
    // Restore is offered at start-up.
    expect(second.getState().notices).toEqual([expect.objectContaining({ kind: 'info', action: 'restore' })]);
    expect(second.getState().loadScenario('spawn G\n', { source: 'gallery' })).toBe(true);
    // The gallery's own offer (made by Gallery.tsx) replaces the start-up one: one Restore on screen.
    second.getState().notify('info', 'Loaded a scenario from the gallery. Your previous text was kept.', 'restore');
    expect(second.getState().notices.map((n) => n.action)).toEqual(['restore']);
    expect(second.getState().previousText).toBe('spawn Mine\n# my own work\n');
    // And after yet another reload.
    const third = createExplorerStore({ kv, defaultText: SMALL });
    expect(third.getState().notices.map((n) => n.action)).toEqual(['restore']);
    third.getState().restorePrevious();
    expect(third.getState().text).toBe('spawn Mine\n# my own work\n');
  });

  it("a link's text becomes the user's own once edited, and is then kept like any other", () => {
    const kv = memoryKV();
    const s = createExplorerStore({ kv, defaultText: SMALL });
    s.getState().setText('spawn Mine\n');
    s.getState().loadScenario('spawn L\n', { source: 'link' });
    s.getState().setText('spawn L\nL: exit\n');
    expect(s.getState().textIsOwn).toBe(true);
    expect(kv.get(KEYS.textOwn)).toBe('1');
    s.getState().loadScenario('spawn G\n', { source: 'gallery' });
    expect(s.getState().backups).toEqual(['spawn L\nL: exit\n', 'spawn Mine\n']);
    // An older backup can be chosen; the current text, not the user's, is not kept.
    s.getState().restorePrevious(1);
    expect(s.getState().text).toBe('spawn Mine\n');
    expect(s.getState().backups).toEqual(['spawn L\nL: exit\n']);
  });

  it('keeps the last 3 distinct own texts, newest first', () => {
    const kv = memoryKV();
    const s = createExplorerStore({ kv, defaultText: SMALL });
    for (const t of ['spawn A1\n', 'spawn A2\n', 'spawn A1\n', 'spawn A3\n', 'spawn A4\n']) {
      s.getState().setText(t);
      s.getState().loadScenario(SMALL, { source: 'gallery' });
    }
    expect(s.getState().backups).toEqual(['spawn A4\n', 'spawn A3\n', 'spawn A1\n']);
    expect(JSON.parse(kv.get(KEYS.backups)!)).toEqual(['spawn A4\n', 'spawn A3\n', 'spawn A1\n']);
  });

  it('when the backups do not fit in storage, the oldest are dropped from it first', () => {
    const kv = memoryKV();
    // A storage that holds at most 2,000 characters per value, as a quota would.
    const small = { ...kv, set: (k: string, v: string) => v.length <= 2000 && kv.set(k, v) };
    const s = createExplorerStore({ kv: small, defaultText: SMALL });
    for (const c of ['a', 'b', 'c']) {
      s.getState().setText(`spawn A\n# ${c.repeat(900)}\n`);
      s.getState().loadScenario(SMALL, { source: 'gallery' });
    }
    expect(s.getState().backups).toHaveLength(3);
    const saved = JSON.parse(kv.get(KEYS.backups)!) as string[];
    expect(saved.map((t) => t[10])).toEqual(['c', 'b']);
    expect(s.getState().notices.filter((n) => n.kind === 'warning')).toEqual([]);
  });

  it('reads the single backup older versions saved, and survives corrupt storage', () => {
    const old = createExplorerStore({
      kv: memoryKV({ [KEYS.text]: 'spawn L\n', [KEYS.previous]: 'spawn Old\n' }),
      defaultText: SMALL,
    });
    expect(old.getState().backups).toEqual(['spawn Old\n']);
    // A text saved by an older version, with no mark, counts as the user's own.
    expect(old.getState().textIsOwn).toBe(true);
    for (const junk of ['{', '"x"', '[1, null, "  ", "spawn K\\n"]', 'null']) {
      const s = createExplorerStore({ kv: memoryKV({ [KEYS.backups]: junk }), defaultText: SMALL });
      expect(s.getState().backups, junk).toEqual(junk.startsWith('[') ? ['spawn K\n'] : []);
    }
  });

  it('no start-up notice without a backup, nor in embed mode', () => {
    expect(
      createExplorerStore({ kv: memoryKV({ [KEYS.text]: 'spawn X\n' }), defaultText: SMALL }).getState().notices,
    ).toEqual([]);
    const kv = memoryKV({ [KEYS.text]: 'spawn X\n', [KEYS.backups]: '["spawn Y\\n"]' });
    expect(createExplorerStore({ kv, embed: true, defaultText: SMALL }).getState().notices).toEqual([]);
    expect(createExplorerStore({ kv, defaultText: SMALL }).getState().notices).toHaveLength(1);
  });

  it('groupNames counts what the groups of a text expand to, cheaply', () => {
    expect(groupNames('spawn A\nA: exit\n')).toBe(0);
    expect(groupNames('spawn db[1..8]\ndb[3..4]: exit # w[1..10]\n')).toBe(20);
    expect(groupNames('x[5..1] y[0..99999999999]')).toBe(100_000); // empty, and capped at a group's limit
  });

  it('a short text with huge groups is parsed after a pause in typing, not at each key (issue 13)', () => {
    vi.useFakeTimers();
    try {
      const s = createExplorerStore({ defaultText: SMALL });
      const big = 'spawn T[1..100000]\n' + Array.from({ length: 9 }, (_, i) => `T[1..100000]: read ${i}\n`).join('');
      expect(big.length).toBeLessThan(300);
      const before = s.getState().loaded;
      s.getState().setText(big);
      s.getState().setText(big + '#');
      // Nothing parsed yet: the key returned at once, the view still shows the last scenario.
      expect(s.getState().loaded).toBe(before);
      vi.advanceTimersByTime(999);
      expect(s.getState().loaded).toBe(before);
      vi.advanceTimersByTime(1000);
      expect(s.getState().loaded?.text).toBe(big + '#');
      expect(stepCount(s.getState())).toBe(10);
      // A small text still parses at each key.
      s.getState().setText(SMALL);
      expect(s.getState().loaded?.text).toBe(SMALL);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a link step past the end shows the last step and says so', () => {
    const s = createExplorerStore({ defaultText: SMALL });
    s.getState().loadScenario(SMALL, { source: 'link', step: 99 });
    expect(s.getState().cursor).toBe(3);
    expect(s.getState().notices[0]?.message).toContain('step 99');
  });

  it('a text that does not load from a link keeps the last good view', () => {
    const s = createExplorerStore({ defaultText: SMALL });
    const good = s.getState().loaded;
    s.getState().loadScenario('spawn\n', { source: 'link', step: 1 });
    expect(s.getState().text).toBe('spawn\n');
    expect(s.getState().errors.length).toBeGreaterThan(0);
    expect(s.getState().loaded).toBe(good);
  });

  it('the cursor stays in 0..M; play from the end starts over', () => {
    const s = createExplorerStore({ defaultText: SMALL });
    const a = () => s.getState();
    a().prev();
    expect(a().cursor).toBe(0);
    a().last();
    expect(a().cursor).toBe(3);
    a().next();
    expect(a().cursor).toBe(3);
    a().setPlaying(true);
    expect(a()).toMatchObject({ playing: true, cursor: 0 });
    a().next();
    a().next();
    a().next();
    expect(a()).toMatchObject({ playing: false, cursor: 3 });
    a().goTo(Number.NaN);
    expect(a().cursor).toBe(0);
  });
});

describe('the replay', () => {
  beforeEach(() => resetSim());

  it.each([
    ['intro', INTRO_SCENARIO],
    ['seed', SEED_SCENARIO],
  ])('the state at any step is the same whether reached forward, back, or fresh (%s)', (_name, text) => {
    const sc = parsed(text);
    const m = sc.steps.length;
    const fresh = [];
    for (let k = 0; k <= m; k++) {
      resetSim();
      const r = snapshotAt(text, sc, k);
      if (!r.ok) throw new Error(r.failure.message);
      fresh.push(JSON.stringify(r.snapshot));
    }
    resetSim();
    for (let k = 0; k <= m; k++)
      expect(JSON.stringify((snapshotAt(text, sc, k) as { snapshot: unknown }).snapshot)).toBe(fresh[k]);
    for (let k = m; k >= 0; k--) {
      // A new expand key forces a replay from the start, not a cache hit.
      const r = snapshotAt(text, sc, k, [`none${k}`]);
      expect(JSON.stringify((r as { snapshot: unknown }).snapshot)).toBe(fresh[k]);
    }
    expect(replayCount()).toBeGreaterThan(0);
  });

  it('goes back by replaying from a checkpoint, not from the start', () => {
    // 300 writes: the timeline checkpoints at least every 64 steps.
    const lines = ['kernel mainline', 'spawn A', 'A: mmap 0x7f0000000000 2M rw private anon fixed'];
    for (let i = 0; i < 300; i++) lines.push(`A: write 0x${(0x7f0000000000 + (i % 512) * 4096).toString(16)} "x"`);
    const text = lines.join('\n');
    const sc = parsed(text);
    expect(sc.steps.length).toBe(302);
    const end = snapshotAt(text, sc, 302);
    expect(end.ok).toBe(true);
    expect(stepsRun()).toBe(302);
    const back = snapshotAt(text, sc, 290, ['other']);
    expect(back.ok && back.snapshot.step).toBe(290);
    expect(replayCount()).toBe(1);
    // From the checkpoint at or before 290 (every ≤ 64 steps), never from 0.
    expect(stepsRun() - 302).toBeLessThanOrEqual(64);
    // The same state as a fresh run to 290.
    const got = JSON.stringify(back.ok && back.snapshot);
    resetSim();
    const fresh = snapshotAt(text, sc, 290, ['other']);
    expect(got).toBe(JSON.stringify(fresh.ok && fresh.snapshot));
  });

  it('keeps step reports across replays and reports each step once', () => {
    const sc = parsed(INTRO_SCENARIO);
    const all = stepReports(INTRO_SCENARIO, sc, sc.steps.length);
    expect(all.map((s) => s.index)).toEqual(sc.steps.map((_, i) => i + 1));
    // Rebuilt from the changes the Timeline keeps: equal, not the same object.
    expect(stepReport(INTRO_SCENARIO, sc, 3)).toEqual(all[2]);
    expect(stepReport(INTRO_SCENARIO, sc, 0)).toBeUndefined();
  });
});

describe('derivations', () => {
  it('splits an address into the fields the MMU reads', () => {
    const f = addressFields(0x7f0000001234n, 4);
    expect(f.map((x) => [x.name, x.hi, x.lo, Number(x.value)])).toEqual([
      ['sign', 63, 48, 0],
      ['pgd', 47, 39, 254],
      ['pud', 38, 30, 0],
      ['pmd', 29, 21, 0],
      ['pte', 20, 12, 1],
      ['offset', 11, 0, 0x234],
    ]);
    const five = addressFields(0x80000000001000n, 5);
    expect(five.map((x) => x.name)).toEqual(['sign', 'pgd', 'p4d', 'pud', 'pmd', 'pte', 'offset']);
    expect(five[0]).toMatchObject({ hi: 63, lo: 57 });
    expect(five[1]).toMatchObject({ hi: 56, lo: 48, value: 128n });
    expect(isCanonical(0xffff800000000000n, 4)).toBe(true);
    expect(isCanonical(0x0000800000000000n, 4)).toBe(false);
  });

  it('follows the walk of an address through the forest', () => {
    const sc = parsed(INTRO_SCENARIO);
    const r = snapshotAt(INTRO_SCENARIO, sc, 6);
    if (!r.ok) throw new Error(r.failure.message);
    const { forest } = r.snapshot;
    const path = pathFor(forest, rootOf(forest, 'B'), 0x7f0000001000n, 4);
    expect(path.map((p) => [p.level, p.index])).toEqual([
      ['pgd', 254],
      ['pud', 0],
      ['pmd', 0],
      ['pte', 1],
    ]);
    expect(forest.nodes[path[3]?.target as string]?.kind).toBe('data');
    // An address with nothing mapped stops at the first empty entry.
    expect(pathFor(forest, rootOf(forest, 'B'), 0x1000n, 4)).toHaveLength(1);
  });

  it('finds the entry set_pgd copied from the host into the guest', () => {
    const sc = parsed(SEED_SCENARIO);
    const rep = stepReport(SEED_SCENARIO, sc, 7);
    const r = snapshotAt(SEED_SCENARIO, sc, 7);
    if (!r.ok || !rep) throw new Error('no snapshot');
    expect(rep.events.some((e) => e.fn === 'set_pgd')).toBe(true);
    const { forest } = r.snapshot;
    const path = pathFor(forest, rootOf(forest, 'B'), 0x10000001000n, 4);
    const moves = copyMoves(forest, rep.events, path, 4);
    expect(moves).toHaveLength(1);
    expect(moves[0]?.to).toEqual({ node: rootOf(forest, 'B'), index: 2 });
    expect(moves[0]?.from.node).not.toBe(rootOf(forest, 'B'));
    expect(forest.nodes[moves[0]?.target as string]?.level).toBe('pud');
    // A step of many guests' copies (the SGA's 1,500 set_pgd) is one move on the walk's entry, the first event's.
    const many = Array.from({ length: 50 }, () => rep.events).flat();
    expect(copyMoves(forest, many, path, 4)).toEqual(moves);
  });

  it('says a step in words', () => {
    const sc = parsed(SMALL);
    expect(announce(sc, 0, undefined)).toBe('Step 0 of 3: before the first step.');
    expect(announce(sc, 3, stepReport(SMALL, sc, 3))).toBe('Step 3 of 3, A: write 127T+0x1000 "hi": ok.');
    expect(bytesAsText('6869')).toBe('hi');
    expect(bytesAsText('0001')).toBeNull();
  });
});
