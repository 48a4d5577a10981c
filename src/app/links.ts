/**
 * Share links and the embed mode, on top of src/scenario/link.ts (the codec
 * `ptx url` uses too).
 *
 * Embed mode: `?embed=1` in the query (or `embed=1` among the fragment's
 * parameters, which decodeLink ignores) shows only the view and the step
 * controls, never saves anything, and offers "Open in Page Table Explorer",
 * a normal share link of the same scenario at the same step.
 */
import type { StoreApi } from 'zustand/vanilla';
import { decodeLink, makeLink } from '../scenario/link';
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

export function shareLink(base: string, text: string, step: number): string {
  return makeLink(base, text, step);
}

/** The embed address for the same scenario and step (for an <iframe>). */
export function embedLink(base: string, text: string, step: number): string {
  return makeLink(`${base}?embed=1`, text, step);
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
  const stashed = s.loadScenario(r.text, r.step === undefined ? { source: 'link' } : { source: 'link', step: r.step });
  const after = store.getState();
  if (after.errors.length > 0) {
    after.notify('warning', `The scenario in this link does not load (${after.errors.length} problem${after.errors.length === 1 ? '' : 's'}, shown in the editor).`);
  }
  if (stashed && !s.embed) {
    after.notify('info', 'Opened the scenario from the link. Your previous text was kept.', 'restore');
  }
  return true;
}
