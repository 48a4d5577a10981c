import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// Open a browser on `npm start` only where there is a desktop to open it on
// (not in CI, not on a headless Linux box).
const canOpenBrowser =
  !process.env.CI && (process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY);

/**
 * The Content-Security-Policy of the built page, as a <meta> (issue 13): a
 * scenario from a stranger's link must never run code, and the policy makes
 * sure of it even if our escaping had a hole. Scripts only from our origin,
 * plus the one inline script of index.html (the theme before first paint),
 * allowed by its SHA-256 (CSP Level 3, "hash-source"), computed here from the
 * exact text Vite emits so it cannot drift. Styles may be inline (React's
 * style attributes, d3's); images also data: (the empty favicon) and blob:
 * (the PNG export draws the SVG through a blob: URL); workers only ours.
 * Build only: Vite's dev server injects inline scripts for HMR, which the
 * policy would block. frame-ancestors cannot be set by <meta> (CSP3 §6.1.2.3):
 * hosts send it as a header (README, "Hosting").
 */
export function contentSecurityPolicy(): Plugin {
  return {
    name: 'ptx-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
        const hashes = inline.map((code) => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`);
        const policy = [
          "default-src 'self'",
          `script-src 'self' ${hashes.join(' ')}`.trim(),
          "style-src 'self' 'unsafe-inline'",
          "img-src 'self' data: blob:",
          "worker-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
          "form-action 'none'",
        ].join('; ');
        // Early in <head> (after the charset), before any script, so it governs them all.
        const meta = `\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`;
        const charset = /<meta charset="[^"]*"\s*\/?>/i.exec(html);
        if (charset)
          return (
            html.slice(0, charset.index + charset[0].length) + meta + html.slice(charset.index + charset[0].length)
          );
        return html.replace(/<head>/, `<head>${meta}`);
      },
    },
  };
}

/** Every file under `dir`, as '/'-separated paths relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The service worker's code (issue 16: classrooms have poor Wi-Fi, so after
 * one visit the site opens with no network). `files` are the site's files
 * relative to sw.js, which sits at the site's root, so the site works from
 * any sub-path. Install caches them all; a page load asks the network first
 * (a new deploy shows at once when online) but gives up after 3 s and serves
 * the cached index.html, whose hashed scripts, workers and styles are all in
 * the same cache (so a cached page never mixes two builds). Other requests
 * of the site come from the cache, else the network. Activation deletes the
 * caches of older builds. No skipWaiting: a new build's worker takes over
 * once no tab runs the old one, so an open lesson never loses a lazily
 * loaded chunk mid-way.
 */
export function serviceWorkerSource(files: string[], version: string): string {
  return `// Page Table Explorer's service worker, written by vite.config.ts (offlineServiceWorker); build ${version}.
const CACHE = 'ptx-${version}';
const FILES = ${JSON.stringify(files.map((f) => `./${f}`))};
self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })))));
});
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith('ptx-') && k !== CACHE).map((k) => caches.delete(k)))));
});
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([fetch(request), new Promise((_, reject) => setTimeout(() => reject(new Error('slow')), 3000))]);
    if (response.ok) return response;
  } catch (_) {
    // offline or slow: the cached page below
  }
  return (await cache.match('./index.html')) || fetch(request);
}
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === 'navigate') return event.respondWith(page(request));
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(request)).then((hit) => hit || fetch(request)));
});
`;
}

/**
 * Writes sw.js into the built site, listing every file of it (the hashed
 * assets, the workers, index.html, public/), after the bundle is written.
 * Hand-written rather than vite-plugin-pwa: it is some fifty lines, needs no
 * dependency (that plugin's releases lag Vite's majors, and we are on
 * Vite 8), and precaches exactly what the build wrote. Its CACHE name is a
 * hash of all those files, so any change to the site gives a new sw.js and
 * browsers update. The app registers it (src/app/serviceWorker.ts); the CSP's
 * worker-src 'self' allows it and default-src 'self' the manifest.
 */
export function offlineServiceWorker(): Plugin {
  let outDir = 'dist';
  return {
    name: 'ptx-offline',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir); // --outDir may be absolute (the bench builds elsewhere)
    },
    writeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        // Not sw.js itself, source maps, dot files, nor og.png (for link previews only, fetched by crawlers).
        const files = filesUnder(outDir).filter(
          (f) => f !== 'sw.js' && f !== 'og.png' && !f.endsWith('.map') && !/(^|\/)\./.test(f),
        );
        const hash = createHash('sha256');
        for (const f of files)
          hash
            .update(f)
            .update('\0')
            .update(readFileSync(join(outDir, f)))
            .update('\0');
        writeFileSync(join(outDir, 'sw.js'), serviceWorkerSource(files, hash.digest('hex').slice(0, 16)));
      },
    },
  };
}

/**
 * Link previews (Open Graph): a preview image needs an absolute URL, which
 * only the host knows, so the build adds og:image and og:url when
 * PTX_SITE_URL says where the site lives (the GitHub Pages workflow sets it).
 */
export function linkPreview(site = process.env.PTX_SITE_URL): Plugin {
  return {
    name: 'ptx-link-preview',
    apply: 'build',
    transformIndexHtml(html) {
      if (!site) return html;
      const base = site.endsWith('/') ? site : `${site}/`;
      const esc = (u: string) => u.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      const tags = [
        `<meta property="og:url" content="${esc(base)}" />`,
        `<meta property="og:image" content="${esc(new URL('og.png', base).href)}" />`,
        `<meta property="og:image:width" content="1200" />`,
        `<meta property="og:image:height" content="630" />`,
        `<meta property="og:image:alt" content="The Page Table Explorer icon: a page-table tree whose two branches reach one shared table page, beside the words Page Table Explorer" />`,
        `<meta name="twitter:card" content="summary_large_image" />`,
      ];
      return html.replace('</head>', `  ${tags.join('\n    ')}\n  </head>`);
    },
  };
}

/**
 * The favicon as a data: URL in the built page. Chromium fetches a page's
 * icon itself, outside the service worker, so offline a linked icon.svg
 * would fail (a console error, a blank tab icon); inline, it needs no
 * request at all (the CSP's img-src allows data:). public/icon.svg stays the
 * one source, and the manifest's icon.
 */
export function inlineFavicon(): Plugin {
  let root = '.';
  return {
    name: 'ptx-inline-favicon',
    apply: 'build',
    configResolved(config) {
      root = config.root;
    },
    transformIndexHtml(html) {
      const svg = readFileSync(join(root, 'public', 'icon.svg'), 'utf8')
        .replace(/<!--[\s\S]*?-->/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      const uri = `data:image/svg+xml,${encodeURIComponent(svg)}`;
      return html.replace(/(<link rel="icon" href=")[^"]*icon\.svg(")/, `$1${uri}$2`);
    },
  };
}

/**
 * V8's explicit compile hint (Chrome 136; v8.dev/blog/explicit-compile-hints): the magic comment at the top of the
 * entry chunk has every function in it compiled while the script loads, on a background thread, instead of lazily on
 * the main thread when first called. A session's first step, and the first step of each kind (the first copy, the
 * first table freed), ran ~70 functions for the first time inside the click: ~5 ms of lazy compiling, traced
 * (docs/PERFORMANCE.md). Added last, over what the minifier and Vite's preload helper wrote: the minifier drops
 * comments, and the comment must come before the code it covers. The entry only: the editor, the panels and the
 * workers load lazily or off the main thread.
 */
export function eagerCompileHint(): Plugin {
  return {
    name: 'ptx-eager-compile-hint',
    apply: 'build',
    enforce: 'post',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const chunk of Object.values(bundle))
          if (chunk.type === 'chunk' && chunk.isEntry) chunk.code = `//# allFunctionsCalledOnLoad\n${chunk.code}`;
      },
    },
  };
}

// Fixed ports so README, Playwright and humans agree on the URLs;
// strictPort fails loudly instead of silently moving to another port.
// base './': every asset path in the build is relative, so dist/ works from
// any sub-path (GitHub Pages serves a project at /NAME/) without a rebuild.
export default defineConfig({
  base: './',
  plugins: [
    react(),
    contentSecurityPolicy(),
    inlineFavicon(),
    linkPreview(),
    offlineServiceWorker(),
    eagerCompileHint(),
  ],
  server: { port: 5173, strictPort: true, open: canOpenBrowser },
  preview: { port: 4173, strictPort: true },
});
