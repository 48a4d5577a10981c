import { describe, expect, it } from 'vitest';
import { decodeLink, encodeLink } from '../scenario/link';
import { createExplorerStore } from '../store/store';
import {
  ADDRESS_MIN_MS,
  embedLink,
  isPredict,
  isPresent,
  linkFragment,
  openFragment,
  shareLink,
  syncAddressBar,
  ADDRESS_SETTLE_MS,
  type AddressTarget,
} from './links';

const TEXT = 'spawn A\nA: mmap 1T 2M rw private anon fixed\nA: write 1T+0x1000 "x"\n';

describe('link fragments', () => {
  it('are what encodeLink gives, so every reader of links opens them', () => {
    for (const step of [0, 1, 3, 12345]) expect(linkFragment(TEXT, step)).toBe(encodeLink(TEXT, step));
    expect(decodeLink(shareLink('https://x.test/app/', TEXT, 2))).toMatchObject({ ok: true, text: TEXT, step: 2 });
  });
  it('carry present=1 when asked, which older readers ignore', () => {
    const link = shareLink('https://x.test/', TEXT, 2, { present: true });
    expect(link.endsWith('&present=1')).toBe(true);
    expect(decodeLink(link)).toMatchObject({ ok: true, text: TEXT, step: 2 });
    expect(isPresent('', new URL(link).hash)).toBe(true);
    expect(isPresent('', encodeLink(TEXT, 2))).toBe(false);
    expect(isPresent('?present=1', '')).toBe(true);
    expect(isPresent('?present=0', '')).toBe(false);
    expect(embedLink('https://x.test/', TEXT, 1, { present: true })).toMatch(
      /^https:\/\/x\.test\/\?embed=1#v\d+=.*&step=1&present=1$/,
    );
  });
  it('carry predict=1 for a quiz link (issue 16), which older readers ignore', () => {
    const link = shareLink('https://x.test/', TEXT, 0, { predict: true });
    expect(link.endsWith('&predict=1')).toBe(true);
    expect(decodeLink(link)).toMatchObject({ ok: true, text: TEXT, step: 0 });
    expect(isPredict('', new URL(link).hash)).toBe(true);
    expect(isPredict('', encodeLink(TEXT, 2))).toBe(false);
    expect(isPredict('', new URL(shareLink('https://x.test/', TEXT, 0, { present: true })).hash)).toBe(false);
    expect(isPredict('?predict=1', '')).toBe(true);
    expect(isPredict('?predict=false', '')).toBe(false);
  });
});

/** A fake window: a clock moved by hand, timers run by advance(), replaceState recorded. */
function fakeTarget(hash = '', search = '') {
  let now = 1000;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const writes: string[] = [];
  const location = { pathname: '/app/', search, hash };
  const target: AddressTarget = {
    location,
    history: {
      state: null,
      replaceState(_s: unknown, _t: string, url?: string | URL | null) {
        writes.push(String(url));
        location.hash = String(url).replace(/^[^#]*/, '');
      },
    },
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout(id) {
      timers = timers.filter((t) => t.id !== id);
    },
    now: () => now,
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => t.at <= now)) {
      timers = timers.filter((x) => x !== t);
      t.fn();
    }
  };
  return { target, writes, location, advance };
}

describe('syncAddressBar', () => {
  it('writes the link of the text and step at once, then follows the step', () => {
    const store = createExplorerStore({ defaultText: TEXT });
    const f = fakeTarget();
    syncAddressBar(store, f.target);
    expect(f.writes).toEqual(['/app/' + encodeLink(TEXT, 0)]);
    f.advance(ADDRESS_MIN_MS);
    store.getState().next();
    // Not inside the step's own task (its frame would wait for replaceState), but just after it.
    expect(decodeLink(f.location.hash)).toMatchObject({ ok: true, text: TEXT, step: 0 });
    f.advance(ADDRESS_SETTLE_MS - 1);
    expect(decodeLink(f.location.hash)).toMatchObject({ ok: true, text: TEXT, step: 0 });
    f.advance(1);
    expect(decodeLink(f.location.hash)).toMatchObject({ ok: true, text: TEXT, step: 1 });
  });

  it('flush() writes a pending step at once (the page is being hidden)', () => {
    const store = createExplorerStore({ defaultText: TEXT });
    const f = fakeTarget();
    const sync = syncAddressBar(store, f.target);
    store.getState().next();
    sync.flush();
    expect(decodeLink(f.location.hash)).toMatchObject({ ok: true, step: 1 });
  });

  it('writes at most once per ADDRESS_MIN_MS while a key is held, and the last step always lands', () => {
    const store = createExplorerStore({ defaultText: TEXT });
    const f = fakeTarget();
    syncAddressBar(store, f.target);
    const before = f.writes.length;
    // 3 steps inside one interval: one write, after the interval, of the last step.
    store.getState().next();
    store.getState().next();
    store.getState().next();
    expect(f.writes.length).toBe(before);
    f.advance(ADDRESS_MIN_MS);
    expect(f.writes.length).toBe(before + 1);
    expect(decodeLink(f.location.hash)).toMatchObject({ ok: true, step: 3 });
  });

  it('keeps the query (embed) and an embed=1 fragment, and adds present=1 in Present mode', () => {
    const store = createExplorerStore({ defaultText: TEXT, embed: true });
    const f = fakeTarget('#' + encodeLink(TEXT, 1).slice(1) + '&embed=1', '?x=1');
    syncAddressBar(store, f.target);
    expect(f.writes.at(-1)).toBe('/app/?x=1' + encodeLink(TEXT, 0) + '&embed=1');
    f.advance(ADDRESS_MIN_MS);
    store.getState().setPresent(true);
    f.advance(ADDRESS_SETTLE_MS);
    expect(f.writes.at(-1)).toBe('/app/?x=1' + encodeLink(TEXT, 0) + '&present=1&embed=1');
  });

  it('adds predict=1 in Predict mode, so the address bar is the quiz link', () => {
    const store = createExplorerStore({ defaultText: TEXT });
    const f = fakeTarget();
    syncAddressBar(store, f.target);
    f.advance(ADDRESS_MIN_MS);
    store.getState().setPredict(true);
    f.advance(ADDRESS_MIN_MS);
    expect(f.writes.at(-1)).toBe('/app/' + encodeLink(TEXT, 0) + '&predict=1');
  });

  it('compresses a big text only once typing pauses', () => {
    const store = createExplorerStore({ defaultText: TEXT });
    const f = fakeTarget();
    syncAddressBar(store, f.target);
    const before = f.writes.length;
    const big = TEXT + '# ' + 'x'.repeat(30_000) + '\n';
    for (let i = 0; i < 5; i++) {
      store.getState().setText(big + `# ${i}\n`);
      f.advance(100);
    }
    expect(f.writes.length).toBe(before);
    f.advance(600);
    expect(f.writes.length).toBe(before + 1);
    expect(decodeLink(f.location.hash)).toMatchObject({ ok: true, text: big + '# 4\n' });
  });
});

describe('links hold the moment inside a step (issue 14)', () => {
  it('&event=k after the step, outside the check: it decodes with the step, and a reader that ignores it still opens the step', () => {
    const link = shareLink('https://x.test/', TEXT, 3, { event: 2 });
    expect(link.endsWith('&step=3&event=2')).toBe(true);
    expect(decodeLink(link)).toMatchObject({ ok: true, text: TEXT, step: 3, event: 2 });
    // The same link without its event is the old link, whose check it carries unchanged.
    expect(link.replace('&event=2', '')).toBe(shareLink('https://x.test/', TEXT, 3));
    expect(decodeLink(link.replace('&event=2', ''))).not.toHaveProperty('event');
    expect(
      shareLink('https://x.test/', TEXT, 3, { event: 2, present: true }).endsWith('&step=3&event=2&present=1'),
    ).toBe(true);
    // No event before the first step, nor for the whole step.
    expect(linkFragment(TEXT, 0, { event: 2 })).toBe(encodeLink(TEXT, 0));
    expect(linkFragment(TEXT, 3, { event: null })).toBe(encodeLink(TEXT, 3));
  });

  it('the address bar follows the event, and opening it restores it', () => {
    const store = createExplorerStore({ defaultText: TEXT });
    const f = fakeTarget();
    syncAddressBar(store, f.target);
    f.advance(ADDRESS_MIN_MS);
    store.getState().goToEvent(3, 2);
    f.advance(ADDRESS_SETTLE_MS);
    expect(f.location.hash.endsWith('&step=3&event=2')).toBe(true);
    const other = createExplorerStore({ defaultText: 'spawn B\n' });
    expect(openFragment(other, f.location.hash)).toBe(true);
    expect([other.getState().cursor, other.getState().event]).toEqual([3, 2]);
  });
});
