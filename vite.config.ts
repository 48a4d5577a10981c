import { createHash } from 'node:crypto';
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
        if (charset) return html.slice(0, charset.index + charset[0].length) + meta + html.slice(charset.index + charset[0].length);
        return html.replace(/<head>/, `<head>${meta}`);
      },
    },
  };
}

// Fixed ports so README, Playwright and humans agree on the URLs;
// strictPort fails loudly instead of silently moving to another port.
export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  server: { port: 5173, strictPort: true, open: canOpenBrowser },
  preview: { port: 4173, strictPort: true },
});
