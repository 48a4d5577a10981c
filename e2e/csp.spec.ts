/**
 * The Content-Security-Policy of the built page (vite.config.ts, issue 13)
 * breaks nothing: the main flows run with it and the browser reports no
 * violation. Violations are collected twice: the securitypolicyviolation
 * events of the document, and the console lines Chromium writes for them
 * (which also cover the workers).
 */
import { expect, test } from './fixtures';
import { SEED_SCENARIO } from './scenarios';

test.use({ reducedMotion: 'reduce', permissions: ['clipboard-read', 'clipboard-write'] });

declare global {
  interface Window {
    __csp: string[];
  }
}

test('the built page has the policy, and load, gallery, steps, typing, accounting, exports and links run without a violation', async ({
  explorer,
  page,
  pageErrors,
}) => {
  test.setTimeout(120_000);
  const consoleCsp: string[] = [];
  const watch = (text: string) => {
    if (/Content Security Policy|Refused to/i.test(text)) consoleCsp.push(text);
  };
  page.on('console', (m) => watch(m.text()));
  page.on('worker', (w) => w.on('console', (m) => watch(m.text())));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  const violations = async () => [...(await page.evaluate(() => window.__csp)), ...consoleCsp];

  // Load.
  await explorer.goto();
  await explorer.settled();
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toMatch(
    /^default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'$/,
  );
  // The inline theme script ran (its hash is allowed): it set the theme before the app.
  await expect(page.locator('html')).toHaveAttribute('data-theme', /light|dark/);

  // Gallery.
  await explorer.galleryButton.click();
  await explorer.gallery.locator('[data-lesson="mshare-v1-other-address"]').click();
  await explorer.settled();
  await expect(explorer.stepCount).toHaveText(/Step 0 of \d+/);

  // Steps (the simulation worker).
  await explorer.nextStep.click();
  await explorer.nextStep.click();
  await explorer.settled();
  await explorer.lastStep.click();
  await explorer.settled();
  await expect(explorer.tree.locator('g.node').first()).toBeVisible();

  // Typing in the editor.
  await explorer.editorContent.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type('\n# typed under the policy\n');
  await expect(explorer.editorContent).toContainText('# typed under the policy');

  // The accounting tab (the comparison worker).
  await explorer.showTab('Accounting');
  await expect(explorer.accounting).toBeVisible();
  // The comparison with and without sharing comes from the worker.
  await expect(explorer.accounting).toContainText('without sharing');

  // Exports: SVG, and PNG (drawn through a blob: image).
  const [svg] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export SVG' }).click(),
  ]);
  expect(svg.suggestedFilename()).toMatch(/\.svg$/);
  const [png] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export PNG' }).click(),
  ]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);

  // Share: copy a link, then open one.
  const link = await explorer.copyLink();
  expect(link).toContain('#v3=');
  await explorer.openScenario(SEED_SCENARIO, 3);
  await expect(explorer.stepCount).toHaveText(/Step 3 of \d+/);

  expect(await violations()).toEqual([]);
  expect(pageErrors).toEqual([]);

  // The collector works and the policy is enforced: an injected inline script does not run, and is reported.
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.head.append(s);
    await new Promise((r) => setTimeout(r, 50));
    return (window as unknown as { __injected?: boolean }).__injected === true;
  });
  expect(ran).toBe(false);
  await expect.poll(async () => (await violations()).join('\n')).toMatch(/script-src/);
});
