import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { INTRO_SCENARIO } from './scenario/examples';
import { StoreContext } from './app/context';
import { openLessonFragment } from './app/lessonLink';
import { registerServiceWorker } from './app/serviceWorker';
import { hasLinkFragment, isEmbed, isPredict, isPresent, openFragment, syncAddressBar } from './app/links';
import { browserKV, memoryKV } from './store/persist';
import { createExplorerStore } from './store/store';
import './app/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const embed = isEmbed(location.search, location.hash);
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

/** A link's fragment opens its scenario (and Present mode when it asks for it). */
function openLocationFragment(): void {
  // Read once: opening the scenario rewrites the address bar (syncAddressBar), present=1 and all.
  const hash = location.hash;
  if (!hasLinkFragment(hash)) return;
  // `#lesson=NAME&step=N` names a lesson (issue 16); any other fragment is a share link.
  if (!openLessonFragment(store, hash)) openFragment(store, hash);
  if (isPresent(location.search, hash)) store.getState().setPresent(true);
  if (isPredict(location.search, hash)) store.getState().setPredict(true);
}
openLocationFragment();
window.addEventListener('hashchange', openLocationFragment);
// From here on the address bar holds the link of the text and step on screen (replaceState: no
// history entry per step), so a reload or a bookmark comes back to the same step.
const address = syncAddressBar(store, {
  location,
  history,
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (id) => window.clearTimeout(id as number),
  now: () => performance.now(),
});
// Save once more when the page goes away (setText already saved every change).
window.addEventListener('pagehide', () => {
  address.flush();
  if (!embed) kv.set('ptx:text', store.getState().text);
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
