/**
 * The texts of the project's scenarios/*.ptx files, bundled by Vite as raw
 * text. Only ./gallery.ts's loadScenarioFiles() imports this module, and it
 * does so dynamically, so the texts (about 20 KB gzipped) are one chunk of
 * their own, fetched the first time the gallery, a lesson link or the
 * next-lesson card needs them, not with the first load (issue 18). The
 * service worker precaches every built file, this chunk too, so it works
 * offline like the rest.
 */
export const SCENARIO_FILES = import.meta.glob('../../scenarios/**/*.ptx', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;
