/**
 * The build's site plugins (vite.config.ts, issue 16): link previews only
 * with an absolute site address, and the service worker's file list.
 */
import { describe, expect, it } from 'vitest';
import type { Plugin } from 'vite';
import { eagerCompileHint, linkPreview, serviceWorkerSource } from '../../vite.config';

const HTML = '<html><head><title>x</title></head><body></body></html>';
const run = (p: Plugin, html: string): string => {
  const hook = p.transformIndexHtml as (html: string) => string;
  return hook(html);
};

describe('link previews', () => {
  it('add og:image and og:url, absolute, when the site address is known', () => {
    const out = run(linkPreview('https://owner.github.io/repo'), HTML);
    expect(out).toContain('<meta property="og:url" content="https://owner.github.io/repo/" />');
    expect(out).toContain('<meta property="og:image" content="https://owner.github.io/repo/og.png" />');
    expect(out).toContain('<meta name="twitter:card" content="summary_large_image" />');
    expect(out.indexOf('og:image')).toBeLessThan(out.indexOf('</head>'));
  });
  it('add nothing without it (a relative og:image would be wrong)', () => {
    expect(run(linkPreview(''), HTML)).toBe(HTML);
  });
  it('escape the address', () => {
    expect(run(linkPreview('https://x.test/a"b&c/'), HTML)).toContain('content="https://x.test/a&quot;b&amp;c/"');
  });
});

describe('the service worker', () => {
  it('caches the listed files relative to itself, under a cache named by the build', () => {
    const sw = serviceWorkerSource(['assets/index-abc.js', 'index.html'], '0123456789abcdef');
    expect(sw).toContain(`const CACHE = 'ptx-0123456789abcdef';`);
    expect(sw).toContain('const FILES = ["./assets/index-abc.js","./index.html"];');
    // Old builds' caches go; page loads fall back to the cached index.html.
    expect(sw).toContain(".filter((k) => k.startsWith('ptx-') && k !== CACHE)");
    expect(sw).toContain("cache.match('./index.html')");
    // It parses as a script.
    expect(() => new Function(sw)).not.toThrow();
  });
});

describe("V8's compile hint", () => {
  it('heads the entry chunk alone, above the code Vite put first', () => {
    const chunk = (isEntry: boolean, code: string) => ({ type: 'chunk' as const, isEntry, code });
    const bundle: Record<string, { type: 'chunk' | 'asset'; isEntry?: boolean; code?: string }> = {
      'assets/index.js': chunk(true, 'const __vite__mapDeps=(i)=>i;\nimport "./x.js";'),
      'assets/editor.js': chunk(false, 'export const e = 1;'),
      'assets/index.css': { type: 'asset' },
    };
    const gen = eagerCompileHint().generateBundle as { handler: (o: unknown, b: typeof bundle) => void };
    gen.handler({}, bundle);
    // v8.dev/blog/explicit-compile-hints: the magic comment, on a line of its own, before any code.
    expect(bundle['assets/index.js']!.code).toBe(
      '//# allFunctionsCalledOnLoad\nconst __vite__mapDeps=(i)=>i;\nimport "./x.js";',
    );
    expect(bundle['assets/editor.js']!.code).toBe('export const e = 1;');
    expect(bundle['assets/index.css']!.code).toBeUndefined();
  });
});
