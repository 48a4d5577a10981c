/**
 * A reload must not undo the last edit. The address bar follows the text and
 * step a little late (syncAddressBar writes at most every ADDRESS_MIN_MS, and
 * ADDRESS_SETTLE_MS after the frame that shows a change), and a reload takes
 * the URL the bar holds as it starts (at `beforeunload`), while the page lives
 * on until `pagehide`: a key typed and F5 pressed within that window reopened
 * the old link, putting the text from before the edit back on screen (the edit
 * itself was saved and restorable, but not shown). Seen as a flaky e2e test in
 * CI, and measured: an edit and a reload in one task reopened the old text 6
 * times in 6.
 *
 * So at `pagehide`, once the pending link is written, the tab remembers which
 * fragment the navigation left with and which the bar should have held, in
 * sessionStorage (this tab only, kept across the reload: another tab's work is
 * never involved). At start-up, a URL whose fragment is that stale one opens
 * the fresh one instead. Any other URL (a link pasted or followed since) opens
 * as it is. src/main.tsx wires the events.
 */
import type { KV } from '../store/persist';

export const PENDING_KEY = 'ptx:address-pending';

interface Pending {
  from: string;
  to: string;
}

/** Called at pagehide with the fragment before and after the pending write. */
export function rememberPendingLink(session: KV, from: string, to: string): void {
  if (from === to) session.remove(PENDING_KEY);
  else session.set(PENDING_KEY, JSON.stringify({ from, to } satisfies Pending));
}

/**
 * The fragment to open at start-up: `hash` itself, or the fragment the bar
 * should have held if `hash` is the stale one this tab left behind. The record
 * is used once. '' means no link (a text over 1 MiB has none): the saved text opens.
 */
export function startFragment(session: KV, hash: string): string {
  const raw = session.get(PENDING_KEY);
  if (raw === null) return hash;
  session.remove(PENDING_KEY);
  let p: unknown;
  try {
    p = JSON.parse(raw);
  } catch {
    return hash;
  }
  if (typeof p !== 'object' || p === null) return hash;
  const { from, to } = p as Partial<Pending>;
  if (typeof from !== 'string' || typeof to !== 'string') return hash;
  return from === hash ? to : hash;
}
