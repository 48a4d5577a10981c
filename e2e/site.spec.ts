/**
 * A site a class can open (issue 16): the built dist/ served from a sub-path
 * (/explorer/, as GitHub Pages serves a project) by a tiny static server
 * started here, opens share links and lessons, runs its workers, and after
 * one visit opens with the network off (the service worker's cache).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeLink } from '../src/scenario/link';
import { expect, test } from './fixtures';
import { SEED_SCENARIO } from './scenarios';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

let server: Server;
let site = '';
/** Every path the server was asked for, to prove nothing is fetched outside the sub-path. */
const asked: string[] = [];

test.use({ serviceWorkers: 'allow', reducedMotion: 'reduce' });

test.beforeAll(async () => {
  // The preview server of playwright.config.ts built dist/ before any spec runs.
  expect(existsSync(join(DIST, 'index.html')), 'dist/ is built').toBe(true);
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    asked.push(path);
    if (path === '/explorer') {
      res.writeHead(301, { location: '/explorer/' }).end();
      return;
    }
    if (!path.startsWith('/explorer/')) {
      res.writeHead(404).end('not under /explorer/');
      return;
    }
    let file = normalize(join(DIST, path.slice('/explorer/'.length)));
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('no such file');
      return;
    }
    res
      .writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      })
      .end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site = `http://127.0.0.1:${(server.address() as AddressInfo).port}/explorer/`;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('from a sub-path: a share link and a lesson link open, the workers run, icon and manifest load, nothing is fetched outside it', async ({
  explorer,
  page,
  pageErrors,
}) => {
  test.setTimeout(90_000);
  asked.length = 0;
  // A share link, as `ptx url --base …/explorer/` prints it.
  await explorer.goto(site + encodeLink(SEED_SCENARIO, 6));
  await explorer.settled();
  await expect(explorer.stepCount).toHaveText(/^Step 6 of \d+$/);
  await expect(page.getByTestId('scenario-title')).toHaveText("mshare: the guest's first fault copies a PGD entry");
  await expect(explorer.tree.locator('g.node').first()).toBeVisible();
  // The comparison worker too.
  await explorer.showTab('Accounting');
  await expect(explorer.accounting).toContainText('without sharing');

  // A lesson by name, at a step.
  await explorer.goto(`${site}#lesson=munmap-frees-tables&step=7`);
  await explorer.settled();
  await expect(page.getByTestId('scenario-title')).toHaveText(
    'munmap: which table pages are freed (floor and ceiling)',
  );
  await expect(explorer.stepCount).toHaveText(/^Step 7 of \d+$/);
  // The address bar then holds the share link of the same text and step, under the sub-path.
  await expect.poll(() => new URL(page.url()).pathname).toBe('/explorer/');
  await expect.poll(() => new URL(page.url()).hash).toMatch(/^#v3=.*&step=7$/);

  // Icon and manifest, relative to the sub-path.
  const manifestHref = await page.locator('link[rel="manifest"]').evaluate((l) => (l as HTMLLinkElement).href);
  expect(manifestHref).toBe(`${site}manifest.webmanifest`);
  const manifest = await (await page.request.get(manifestHref)).json();
  expect(manifest).toMatchObject({ name: 'Page Table Explorer', start_url: './', scope: './' });
  // The favicon is inline (Chromium fetches it outside the service worker, so offline a file would fail).
  const iconHref = await page.locator('link[rel="icon"]').getAttribute('href');
  expect(decodeURIComponent(iconHref ?? '')).toMatch(
    /^data:image\/svg\+xml,<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 512 512">/,
  );
  expect((await page.request.get(`${site}icon.svg`)).headers()['content-type']).toBe('image/svg+xml');
  for (const icon of manifest.icons as { src: string }[])
    expect((await page.request.get(new URL(icon.src, manifestHref).href)).status(), icon.src).toBe(200);
  // Link previews.
  await expect(page.locator('meta[property="og:title"]')).toHaveAttribute('content', /Page Table Explorer/);
  await expect(page.locator('meta[property="og:description"]')).toHaveAttribute('content', /page tables/);
  await expect(page.locator('meta[name="description"]')).toHaveAttribute('content', /page tables/);

  expect(asked.filter((p) => !p.startsWith('/explorer/'))).toEqual([]);
  expect(pageErrors).toEqual([]);
});

test('after one visit the site opens with the network off: lessons, links and stepping work', async ({
  explorer,
  page,
  context,
  pageErrors,
}) => {
  test.setTimeout(90_000);
  await explorer.goto(site);
  await explorer.settled();
  // The service worker is active once it has cached every file of the site (install waits for it).
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toBe(site);

  await context.setOffline(true);
  // Going offline really cuts the network: a file of the site that is not cached cannot come from anywhere.
  const failed: string[] = [];
  context.on('requestfailed', (r) => failed.push(`${new URL(r.url()).pathname} ${r.failure()?.errorText}`));
  expect(
    await page.evaluate(() =>
      fetch('./not-cached.txt').then(
        (r) => `status ${r.status}`,
        () => 'failed',
      ),
    ),
  ).toBe('failed');
  expect(failed).toContain('/explorer/not-cached.txt net::ERR_INTERNET_DISCONNECTED');
  pageErrors.length = 0; // that failure's own console line

  // A new load, offline: a lesson link.
  await explorer.goto(`${site}#lesson=zero-page-cow-fork&step=4`);
  await explorer.settled();
  await expect(page.getByTestId('scenario-title')).toHaveText('Zero page, copy-on-write and fork');
  await expect(explorer.stepCount).toHaveText(/^Step 4 of \d+$/);
  // Stepping needs the simulation worker, which comes from the cache too.
  await explorer.lastStep.click();
  await explorer.settled();
  await expect(explorer.stepCount).toHaveText(/^Step (\d+) of \1$/);
  await expect(page.getByTestId('next-lesson')).toContainText('Next lesson');
  await expect(explorer.tree.locator('g.node').first()).toBeVisible();

  // A share link, offline, in a new tab.
  const tab = await context.newPage();
  await tab.goto(site + encodeLink(SEED_SCENARIO, 2));
  await tab.locator('[data-testid="tree-stage"][data-pending="false"]').waitFor();
  await expect(tab.getByTestId('step-count')).toHaveText(/^Step 2 of \d+$/);
  // The gallery, and the comparison worker.
  await tab.getByRole('button', { name: 'Gallery', exact: true }).click();
  await tab.getByTestId('gallery').locator('[data-lesson="mshare-v1-other-address"]').click();
  await expect(tab.getByTestId('scenario-title')).toHaveText(
    'mshare v1: a guest at another address works, because nothing checks',
  );
  await tab.getByRole('button', { name: 'Last step', exact: true }).click();
  await tab.getByRole('tab', { name: 'Accounting', exact: true }).click();
  await expect(tab.getByTestId('accounting')).toContainText('without sharing');
  await tab.close();

  await context.setOffline(false);
  expect(pageErrors).toEqual([]);
});
