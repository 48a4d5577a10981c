/**
 * Share links and the embed mode, on top of src/scenario/link.ts (the codec
 * `ptx url` uses too).
 *
 * Embed mode: `?embed=1` in the query (or `embed=1` among the fragment's
 * parameters, which decodeLink ignores) shows only the view and the step
 * controls, never saves anything, and offers "Open in Page Table Explorer",
 * a normal share link of the same scenario at the same step.
 *
 * Present mode: `present=1` among the fragment's parameters (or in the query)
 * opens the app in Present mode; decodeLink ignores keys it does not know, so
 * older apps open such a link normally and older links open as before.
 *
 * The address bar (issue 12, "links stay"): the full app and the embed keep
 * the link of the current text and step in it with history.replaceState (no
 * history entry per step), so a reload or a bookmark returns to the same step.
 * The compressed text is cached per text: stepping only computes the step's check (v3's CRC covers the step).
 */
import type { StoreApi } from 'zustand/vanilla';
import { decodeLink, linkEncoder, withEvent } from '../scenario/link';
import type { ExplorerState } from '../store/store';

/** Links longer than this get cut by some chat tools and mail clients. */
export const LONG_LINK = 2000;

export function isEmbed(search: string, hash: string): boolean {
  const q = new URLSearchParams(search).get('embed');
  if (q !== null && q !== '0' && q !== 'false') return true;
  return /(?:^#|&)embed=(?:1|true)(?:&|$)/.test(hash);
}

/** The app's address without query or fragment: where links point. */
export function appBase(loc: Pick<Location, 'origin' | 'pathname'>): string {
  return loc.origin + loc.pathname;
}

/** Whether a link asks for Present mode: `present=1` in the query or among the fragment's parameters. */
export function isPresent(search: string, hash: string): boolean {
  const q = new URLSearchParams(search).get('present');
  if (q !== null && q !== '0' && q !== 'false') return true;
  return /(?:^#|&)present=(?:1|true)(?:&|$)/.test(hash);
}

/**
 * Whether a link asks for Predict mode (issue 16: a lecturer's quiz link):
 * `predict=1` among the fragment's parameters, or in the query. Older apps
 * ignore the key and open the scenario normally.
 */
export function isPredict(search: string, hash: string): boolean {
  const q = new URLSearchParams(search).get('predict');
  if (q !== null && q !== '0' && q !== 'false') return true;
  return /(?:^#|&)predict=(?:1|true)(?:&|$)/.test(hash);
}

/**
 * The last text's fragment without its step. Deflating a 1 MiB text takes
 * tens of milliseconds; a step changes many times a second while a key is
 * held, the text rarely.
 */
let cache: { text: string; fragment: (step: number) => string } | null = null;

/**
 * The link fragment of `text` at `step` (with its '#'), `present=1` added when
 * asked. Throws RangeError as encodeLink does (a text over 1 MiB).
 */
export function linkFragment(
  text: string,
  step: number,
  opts: { present?: boolean; predict?: boolean; event?: number | null } = {},
): string {
  if (cache?.text !== text) cache = { text, fragment: linkEncoder(text) };
  const at = Math.max(0, Math.trunc(step));
  // The moment inside the step (issue 14), after the step the check covers; none before the first step.
  const fragment = at > 0 ? withEvent(cache.fragment(at), opts.event) : cache.fragment(at);
  return `${fragment}${opts.present ? '&present=1' : ''}${opts.predict ? '&predict=1' : ''}`;
}

export function shareLink(
  base: string,
  text: string,
  step: number,
  opts: { present?: boolean; predict?: boolean; event?: number | null } = {},
): string {
  const hash = base.indexOf('#');
  return (hash < 0 ? base : base.slice(0, hash)) + linkFragment(text, step, opts);
}

/** The embed address for the same scenario and step (for an <iframe>). */
export function embedLink(
  base: string,
  text: string,
  step: number,
  opts: { present?: boolean; predict?: boolean; event?: number | null } = {},
): string {
  return shareLink(`${base}?embed=1`, text, step, opts);
}

/** Whether a fragment is worth decoding: anything but empty (a lone # included). */
export function hasLinkFragment(hash: string): boolean {
  return hash.replace(/^#/, '').trim() !== '';
}

/**
 * Open the scenario a fragment holds. A good link replaces the text (the old
 * text stays restorable); a broken one leaves everything as it was and says
 * why. Returns whether it loaded.
 */
export function openFragment(store: StoreApi<ExplorerState>, hash: string): boolean {
  const s = store.getState();
  const r = decodeLink(hash);
  if (!r.ok) {
    s.notify('error', `This link could not be opened: ${r.message}. Your own text is unchanged.`);
    return false;
  }
  if (r.text.trim() === '') {
    s.notify('error', 'This link holds an empty scenario, so there is nothing to open. Your own text is unchanged.');
    return false;
  }
  // The address bar holds the link of the text being edited: a reload brings back that very text,
  // already saved and shown with its errors, so it is no news to report.
  const reload = r.text === s.text;
  const stashed = s.loadScenario(
    r.text,
    r.step === undefined
      ? { source: 'link' }
      : r.event === undefined
        ? { source: 'link', step: r.step }
        : { source: 'link', step: r.step, event: r.event },
  );
  const after = store.getState();
  if (after.errors.length > 0 && !reload) {
    after.notify(
      'warning',
      `The scenario in this link does not load (${after.errors.length} problem${after.errors.length === 1 ? '' : 's'}, shown in the editor).`,
    );
  }
  // A reload of the address bar's own link opens nothing new: the start-up offer to restore stands.
  if (stashed && !s.embed && !reload) {
    after.notify('info', 'Opened the scenario from the link. Your previous text was kept.', 'restore');
  }
  return true;
}

/** Chrome ignores replaceState beyond about 200 calls in 10 s: a held arrow key must stay well below. */
export const ADDRESS_MIN_MS = 150;
/** A change's link is written this long after it at the earliest, after the frame that shows it. */
export const ADDRESS_SETTLE_MS = 50;
/** Texts longer than this are compressed for the address bar only after typing pauses. */
const BIG_TEXT = 20_000;

export interface AddressTarget {
  location: Pick<Location, 'pathname' | 'search' | 'hash'>;
  history: Pick<History, 'replaceState' | 'state'>;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
}

/**
 * Keep the address bar on the link of the store's text, step and Present mode.
 * Writes at most once per ADDRESS_MIN_MS (the last state always lands);
 * a new big text is compressed once typing pauses. Returns a stop function;
 * `flush` writes what is pending at once.
 */
export function syncAddressBar(store: StoreApi<ExplorerState>, target: AddressTarget): { stop(): void; flush(): void } {
  let timer: unknown = null;
  let lastWrite = -Infinity;
  // An embed asked for with `embed=1` in the fragment keeps it there (the query form needs nothing).
  const embedInHash = /(?:^#|&)embed=(?:1|true)(?:&|$)/.test(target.location.hash);
  const write = () => {
    timer = null;
    const s = store.getState();
    let fragment: string;
    try {
      fragment = linkFragment(s.text, s.cursor, { present: s.present, predict: s.predict, event: s.event });
    } catch {
      fragment = ''; // over 1 MiB: no link holds it; the text is still saved
    }
    if (fragment && embedInHash) fragment += '&embed=1';
    lastWrite = target.now();
    const url = target.location.pathname + target.location.search + fragment;
    if (target.location.hash === fragment) return;
    target.history.replaceState(target.history.state, '', url);
  };
  const schedule = (first = false) => {
    const s = store.getState();
    if (cache?.text !== s.text && s.text.length > BIG_TEXT) {
      // Typing in a big text: wait for a pause, each key pushes the write back.
      if (timer !== null) target.clearTimeout(timer);
      timer = target.setTimeout(write, 600);
      return;
    }
    if (timer !== null) return;
    // Never inside the step's own task: replaceState of a long link costs a few ms (3.3 ms a step, profiled), which
    // the step's first frame would wait for. The link lands ADDRESS_SETTLE_MS later; flush() writes it at once.
    const wait = Math.max(first ? 0 : ADDRESS_SETTLE_MS, lastWrite + ADDRESS_MIN_MS - target.now());
    if (wait === 0) write();
    else timer = target.setTimeout(write, wait);
  };
  const unsubscribe = store.subscribe((s, prev) => {
    if (
      s.text !== prev.text ||
      s.cursor !== prev.cursor ||
      s.event !== prev.event ||
      s.present !== prev.present ||
      s.predict !== prev.predict
    )
      schedule();
  });
  // The link of what opened is written at once (a reload or a copied address bar right away gets it).
  schedule(true);
  return {
    stop() {
      unsubscribe();
      if (timer !== null) target.clearTimeout(timer);
      timer = null;
    },
    flush() {
      if (timer === null) return;
      target.clearTimeout(timer);
      write();
    },
  };
}
