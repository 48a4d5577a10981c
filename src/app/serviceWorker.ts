/**
 * Registers the service worker the build writes (vite.config.ts,
 * offlineServiceWorker), so the site opens offline after one visit (issue 16:
 * classrooms have poor Wi-Fi). './sw.js' resolves against the page, so the
 * worker's scope is the site's own folder, whatever sub-path it is served
 * from. Build only: the dev server has no sw.js, and a cache would hide edits.
 * A browser without service workers (or a private window that refuses them)
 * simply runs online.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const register = () => {
    navigator.serviceWorker.register('./sw.js').catch(() => {
      /* no offline copy: the site works online as before */
    });
  };
  // After load: the precache downloads must not compete with the first scenario's.
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
