import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { INTRO_SCENARIO } from './scenario/examples';
import { StoreContext } from './app/context';
import { loadScenarioFiles } from './app/gallery';
import { openLessonFragment, parseLessonFragment } from './app/lessonLink';
import { registerServiceWorker } from './app/serviceWorker';
import { hasLinkFragment, isEmbed, isPredict, isPresent, openFragment, syncAddressBar } from './app/links';
import { rememberPendingLink, startFragment } from './app/pendingLink';
import { browserKV, memoryKV } from './store/persist';
import { createExplorerStore } from './store/store';
import './app/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const embed = isEmbed(location.search, location.hash);
// This tab's own work, kept across a reload (src/app/pendingLink.ts); the embed writes no storage of any kind.
const session = embed ? memoryKV() : browserKV('session');
{
  // A reload that left before the address bar caught up with the last edit or step opens that edit or step.
  const fragment = startFragment(session, location.hash);
  if (fragment !== location.hash)
    history.replaceState(history.state, '', location.pathname + location.search + fragment);
}
const prefersDark = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
const kv = browserKV();
const savedTheme = kv.get('ptx:theme');
const store = createExplorerStore({
  // The embed mode never writes to the user's storage: an embedded slide must not replace their text.
  kv: embed ? memoryKV() : kv,
  embed,
  defaultText: INTRO_SCENARIO,
  theme: savedTheme === 'dark' || savedTheme === 'light' ? savedTheme : prefersDark ? 'dark' : 'light',
  // At phone width the editor starts folded away (the "Editor" button brings it back).
  showEditor: !(typeof matchMedia === 'function' && matchMedia('(max-width: 860px)').matches),
  present: isPresent(location.search, location.hash),
  predict: isPredict(location.search, location.hash),
});

/** Counts the fragments opened: a lesson link that waited for its texts gives way to a newer one. */
let opened = 0;

/**
 * A link's fragment opens its scenario (and Present mode when it asks for it).
 * A share link opens at once; a lesson link once the lessons' texts are
 * loaded (issue 18: they are not part of the first load), hence the promise.
 */
function openLocationFragment(hash = location.hash): Promise<void> | undefined {
  // Read once: opening the scenario rewrites the address bar (syncAddressBar), present=1 and all.
  if (!hasLinkFragment(hash)) return undefined;
  const n = ++opened;
  const modes = () => {
    if (isPresent(location.search, hash)) store.getState().setPresent(true);
    if (isPredict(location.search, hash)) store.getState().setPredict(true);
  };
  // `#lesson=NAME&step=N` names a lesson (issue 16); any other fragment is a share link.
  if (parseLessonFragment(hash) === undefined) {
    openFragment(store, hash);
    modes();
    return undefined;
  }
  const stillWanted = () => n === opened;
  return openLessonFragment(store, hash, { stillWanted }).then(() => {
    if (stillWanted()) modes();
  });
}

let address: { flush(): void } | undefined;
/**
 * A navigation (a reload) takes the URL the bar holds as it starts, and `beforeunload` runs then; the page lives on
 * until `pagehide`, and the bar's timer may write the fresh link in between, too late for that navigation. So the
 * next start-up is told to open the fresh link instead of the one the navigation left with (src/app/pendingLink.ts):
 * the hash at `beforeunload`, or at `pagehide` before its own flush when no `beforeunload` came.
 */
let leftWith: string | undefined;
window.addEventListener('beforeunload', () => {
  leftWith = location.hash;
});
window.addEventListener('pageshow', () => {
  leftWith = undefined; // back from the back/forward cache: whatever left then is over
});
// Save once more when the page goes away (setText already saved every change).
window.addEventListener('pagehide', () => {
  const from = leftWith ?? location.hash;
  address?.flush();
  rememberPendingLink(session, from, location.hash);
  if (!embed) kv.set('ptx:text', store.getState().text);
});

const start = (): void => {
  // The event's own URL, not location.hash: a step's throttled address-bar write (replaceState) can land
  // between the navigation and this event, and would put the old text's link back in its place.
  window.addEventListener('hashchange', (e) => void openLocationFragment(new URL(e.newURL).hash));
  // From here on the address bar holds the link of the text and step on screen (replaceState: no
  // history entry per step), so a reload or a bookmark comes back to the same step. Started after
  // a lesson link opened, so until then the bar keeps the lesson link (a reload opens it again).
  address = syncAddressBar(store, {
    location,
    history,
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (id) => window.clearTimeout(id as number),
    now: () => performance.now(),
  });

  createRoot(root).render(
    <StrictMode>
      <StoreContext value={store}>
        <App />
      </StoreContext>
    </StrictMode>,
  );

  // Offline after the first visit (issue 16).
  registerServiceWorker();

  // The lessons' texts, once the page is idle: off the first load (issue 18), but in memory before
  // they are needed, so the gallery opens at once and, on a first visit (a page the service worker
  // does not control yet), a lesson link still opens after the network drops. A failure here is
  // quiet: the gallery or the link that needs them tries again and says so.
  const prefetch = () => {
    void loadScenarioFiles().catch(() => undefined);
    // Predict mode's card, for the same reason (a quiz turned on after the network drops).
    void import('./app/PredictPanel').catch(() => undefined);
    // The fonts the steps will show, made now rather than in the frame of the step that first shows each (the list
    // in a chunk of its own: the first load stays within its budget).
    void import('./app/uiFonts').then((m) => m.warmUiFonts()).catch(() => undefined);
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(prefetch, { timeout: 5000 });
  else window.setTimeout(prefetch, 1000);
};

// A lesson link at startup: the page shows the lesson from its first paint, not the last text for a moment.
const opening = openLocationFragment();
if (opening) void opening.then(start, start);
else start();
