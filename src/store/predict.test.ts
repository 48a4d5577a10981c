import { describe, expect, it } from 'vitest';
import { memoryKV } from './persist';
import { lessonKey, predictKey, score } from './predict';
import { createExplorerStore } from './store';

const SMALL = 'spawn A\nA: mmap 0x7f0000000000 4M rw private anon fixed\nA: write 0x7f0000001000 "hi"\n';

describe('Predict mode in the store', () => {
  it('holds the next step back while on, and reveals it when asked to', () => {
    const s = createExplorerStore({ kv: memoryKV(), defaultText: SMALL, predict: true });
    expect(s.getState().predict).toBe(true);
    s.getState().next();
    expect(s.getState()).toMatchObject({ cursor: 0, predictAt: 1 });
    // A second press while the question is up does not skip it.
    s.getState().next();
    expect(s.getState()).toMatchObject({ cursor: 0, predictAt: 1 });
    s.getState().revealStep();
    expect(s.getState()).toMatchObject({ cursor: 1, predictAt: null });
    s.getState().next();
    expect(s.getState()).toMatchObject({ cursor: 1, predictAt: 2 });
  });
  it('steps at once when off, and turning it off drops a held step', () => {
    const s = createExplorerStore({ kv: memoryKV(), defaultText: SMALL });
    s.getState().next();
    expect(s.getState()).toMatchObject({ cursor: 1, predictAt: null });
    s.getState().setPredict(true);
    s.getState().next();
    expect(s.getState().predictAt).toBe(2);
    s.getState().setPredict(false);
    expect(s.getState().predictAt).toBeNull();
    s.getState().next();
    expect(s.getState().cursor).toBe(2);
  });
  it('does not hold at the last step, and a held step is not revealed once the cursor moved elsewhere', () => {
    const s = createExplorerStore({ kv: memoryKV(), defaultText: SMALL, predict: true });
    s.getState().last();
    s.getState().next();
    expect(s.getState()).toMatchObject({ cursor: 3, predictAt: null });
    s.getState().goTo(0);
    s.getState().next();
    s.getState().goTo(2);
    s.getState().revealStep();
    expect(s.getState()).toMatchObject({ cursor: 2, predictAt: null });
  });
  it('holds an event back when moving by event, and reveals it where it was asked', () => {
    const s = createExplorerStore({ kv: memoryKV(), defaultText: SMALL, predict: true });
    s.getState().goToEvent(3, 2);
    // Within step 3 (of 8 events): the third is held.
    expect(s.getState().holdEvent({ cursor: 3, event: 3 }, 8)).toBe(true);
    expect(s.getState()).toMatchObject({
      cursor: 3,
      event: 2,
      predictAt: 3,
      predictEvent: { from: { cursor: 3, event: 2 }, to: { cursor: 3, event: 3 }, k: 3 },
    });
    // Asked again while up: still held, nothing moves.
    expect(s.getState().holdEvent({ cursor: 3, event: 3 }, 8)).toBe(true);
    s.getState().revealStep();
    expect(s.getState()).toMatchObject({ cursor: 3, event: 3, predictAt: null, predictEvent: null });
    // To the step's end: its last event (8 of 8) is the one held.
    s.getState().goToEvent(3, 7);
    s.getState().holdEvent({ cursor: 3, event: null }, 8);
    expect(s.getState().predictEvent).toMatchObject({ to: { cursor: 3, event: null }, k: 8 });
    s.getState().revealStep();
    expect(s.getState()).toMatchObject({ cursor: 3, event: null });
    // Into the next step: its first event.
    s.getState().goTo(1);
    s.getState().holdEvent({ cursor: 2, event: 1 }, 2);
    expect(s.getState()).toMatchObject({ predictAt: 2, predictEvent: { k: 1 } });
    // → instead asks the step's questions, today's way.
    s.getState().next();
    expect(s.getState()).toMatchObject({ cursor: 1, predictAt: 2, predictEvent: null });
  });
  it('lets a move by event go at once when off, at the end, and not reveal a stale event hold', () => {
    const off = createExplorerStore({ kv: memoryKV(), defaultText: SMALL });
    expect(off.getState().holdEvent({ cursor: 1, event: 1 }, 0)).toBe(false);
    const s = createExplorerStore({ kv: memoryKV(), defaultText: SMALL, predict: true });
    s.getState().last();
    expect(s.getState().holdEvent({ cursor: 3, event: null }, 0)).toBe(false);
    s.getState().goToEvent(3, 1);
    s.getState().holdEvent({ cursor: 3, event: 2 }, 8);
    s.getState().goToEvent(3, 4); // moved elsewhere meanwhile
    s.getState().revealStep();
    expect(s.getState()).toMatchObject({ cursor: 3, event: 4, predictAt: null, predictEvent: null });
    s.getState().holdEvent({ cursor: 3, event: 5 }, 8);
    s.getState().setPredict(false);
    expect(s.getState().predictEvent).toBeNull();
  });
  it('keeps answers per lesson in storage, the first answer counting, and not in embed mode', () => {
    const kv = memoryKV();
    const s = createExplorerStore({ kv, defaultText: SMALL });
    const key = lessonKey({ text: SMALL });
    s.getState().openLesson(key);
    s.getState().answerQuestion('3:entry:A:pte:4099:1', { choice: 2, right: false });
    s.getState().answerQuestion('3:entry:A:pte:4099:1', { choice: 1, right: true });
    s.getState().answerQuestion('3:ask:0', { choice: 0, right: true });
    expect(score(s.getState().answers)).toEqual({ right: 1, total: 2 });
    expect(JSON.parse(kv.get(predictKey(key))!)).toEqual({
      '3:entry:A:pte:4099:1': { choice: 2, right: false },
      '3:ask:0': { choice: 0, right: true },
    });
    // Another store (a reload) finds them; another lesson has its own.
    const again = createExplorerStore({ kv, defaultText: SMALL });
    again.getState().openLesson(key);
    expect(Object.keys(again.getState().answers)).toHaveLength(2);
    again.getState().openLesson(lessonKey({ text: SMALL + 'A: exit\n' }));
    expect(again.getState().answers).toEqual({});
    // Reset forgets them.
    again.getState().openLesson(key);
    again.getState().resetAnswers();
    expect(kv.get(predictKey(key))).toBeNull();
    const embed = createExplorerStore({ kv, defaultText: SMALL, embed: true });
    embed.getState().openLesson(key);
    embed.getState().answerQuestion('1:x', { choice: 0, right: true });
    expect(kv.get(predictKey(key))).toBeNull();
  });
  it('reads a damaged entry as no answers', () => {
    const kv = memoryKV({ [predictKey('k')]: '{"a":{"choice":"x","right":true},"b":{"choice":1,"right":false}}' });
    const s = createExplorerStore({ kv, defaultText: SMALL });
    s.getState().openLesson('k');
    expect(s.getState().answers).toEqual({ b: { choice: 1, right: false } });
    const bad = createExplorerStore({ kv: memoryKV({ [predictKey('k')]: 'not json' }), defaultText: SMALL });
    bad.getState().openLesson('k');
    expect(bad.getState().answers).toEqual({});
  });
  it('keys a lesson by its text', () => {
    expect(lessonKey({ text: SMALL })).toBe(lessonKey({ text: String(SMALL) }));
    expect(lessonKey({ text: SMALL })).not.toBe(lessonKey({ text: SMALL + '\n' }));
  });
});
