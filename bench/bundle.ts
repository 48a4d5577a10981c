/**
 * Row 5: what the first load fetches, gzipped. A production build (vite
 * build, into a directory of its own so dist/ is left alone), then
 * index.html and what it references (scripts, stylesheets, modulepreloads)
 * and, recursively, the chunks those scripts import statically. Lazy chunks
 * (dynamic import()) and workers are fetched later and are not counted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Row } from './lib';

export interface BundleResult {
  /** Gzipped bytes of the first load, in all. */
  gzip: number;
  files: { file: string; bytes: number; gzip: number }[];
  /** Every built .js file with its gzipped size (lazy ones included), for the record. */
  all: { file: string; gzip: number }[];
}

/** Build the app into outDir (vite build; a type check is not part of it). */
export function buildApp(root: string, outDir: string): void {
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stderr || r.stdout}`);
}

const gz = (b: Buffer): number => gzipSync(b).length;

export function measureBundle(outDir: string): BundleResult {
  const html = readFileSync(join(outDir, 'index.html'));
  const files: BundleResult['files'] = [{ file: 'index.html', bytes: html.length, gzip: gz(html) }];
  const seen = new Set<string>();
  const queue: string[] = [];
  const text = html.toString('utf8');
  for (const m of text.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*>/g)) {
    const tag = m[0];
    const url = m[1] as string;
    if (/^(?:https?:)?\/\//.test(url)) continue;
    if (tag.startsWith('<link') && !/rel="(?:stylesheet|modulepreload)"/.test(tag)) continue;
    // "./assets/x.js" and "/assets/x.js" both name assets/x.js, as a static import resolves it (a chunk both
    // preloaded by the page and imported by the entry was counted twice, as "./assets/…" and "assets/…").
    queue.push(new URL(url, 'http://x/').pathname.slice(1));
  }
  while (queue.length) {
    const f = queue.shift() as string;
    if (seen.has(f) || !existsSync(join(outDir, f))) continue;
    seen.add(f);
    const b = readFileSync(join(outDir, f));
    files.push({ file: f, bytes: b.length, gzip: gz(b) });
    if (f.endsWith('.js')) {
      // Static imports only: `import … from "./x.js"` and `import "./x.js"`, not import("./x.js").
      const dir = f.slice(0, f.lastIndexOf('/') + 1);
      for (const im of b
        .toString('utf8')
        .matchAll(/\bimport\s*(?:[\w*{}\s,$]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
        queue.push(new URL(im[1] as string, `http://x/${dir}`).pathname.slice(1));
      }
    }
  }
  const all: BundleResult['all'] = [];
  const assets = join(outDir, 'assets');
  if (existsSync(assets)) {
    for (const f of spawnSync('ls', [assets], { encoding: 'utf8' }).stdout.split('\n')) {
      if (f.endsWith('.js')) all.push({ file: `assets/${f}`, gzip: gz(readFileSync(join(assets, f))) });
    }
  }
  return { gzip: files.reduce((a, f) => a + f.gzip, 0), files, all };
}

export function bundleRows(b: BundleResult): Row[] {
  const js = b.files.filter((f) => f.file.endsWith('.js'));
  const biggest = [...js].sort((x, y) => y.gzip - x.gzip)[0];
  return [
    {
      what: 'first load, gzipped (index.html + its JS and CSS, lazy chunks excluded)',
      figure: `${(b.gzip / 1000).toFixed(1)} KB in ${b.files.length} files${biggest ? ` (largest ${biggest.file.replace(/^assets\//, '')}: ${(biggest.gzip / 1000).toFixed(1)} KB)` : ''}`,
      goal: '≤ 160 KB',
      status: b.gzip <= 160_000 ? 'pass' : 'miss',
    },
  ];
}
