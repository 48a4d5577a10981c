import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { INTRO_SCENARIO, SEED_SCENARIO, SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce' });

/** Axe takes seconds per run on a 2-core machine; the axe tests get more time. */
const AXE_TIMEOUT = 90_000;

async function axe(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('export the view as SVG and PNG', async ({ explorer, page }) => {
  await explorer.openScenario(INTRO_SCENARIO, 6);
  const { download: svgDl, text: svg } = await explorer.exportSvg();
  expect(svgDl.suggestedFilename()).toBe('page-tables-step-6.svg');
  expect(svg).toContain('<svg');
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(svg).toContain('PGD · A');
  expect(svg).toContain('--tree-walk:'); // the theme's colours travel with it
  expect(svg).not.toContain('tabindex');

  const [pngDl] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export PNG' }).click(),
  ]);
  expect(pngDl.suggestedFilename()).toBe('page-tables-step-6.png');
  const png = readFileSync((await pngDl.path())!);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.length).toBeGreaterThan(5000);
});

test('the light and dark themes, remembered across reloads', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL, 3);
  const dark = page.getByRole('button', { name: 'Dark theme' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  const lightBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await dark.click();
  await expect(dark).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const darkBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(darkBg).not.toBe(lightBg);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('usable at 1280×720: every part on screen, nothing overflows', async ({ explorer, page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SEED_SCENARIO, 7);
  for (const l of [
    explorer.nextStep,
    explorer.stepCount,
    explorer.tree,
    explorer.trace,
    explorer.editor,
    explorer.address,
  ]) {
    await expect(l).toBeInViewport();
  }
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: test.info().outputPath('1280x720.png') });
});

test('usable at phone width: panels collapse, controls stay reachable', async ({ explorer, page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await explorer.openScenario(INTRO_SCENARIO, 3);
  await expect(explorer.nextStep).toBeInViewport();
  await expect(explorer.tree).toBeVisible();
  await expect(explorer.editor).toBeHidden();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 4 of 9');
  await page.getByRole('button', { name: 'Editor', exact: true }).click();
  await expect(explorer.editor).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('phone.png'), fullPage: true });
});

test('no axe violations on the main states', async ({ explorer, page }) => {
  test.setTimeout(AXE_TIMEOUT);
  // The seed at the guest's first fault, an entry in the inspector, the share panel open.
  await explorer.openScenario(SEED_SCENARIO, 7);
  await explorer.nodes({ level: 'pgd' }).first().locator('g.row').first().click();
  await expect(explorer.inspector).toContainText('PGD entry');
  await explorer.copyLinkButton.click();
  await expect(explorer.shareLink).toBeVisible();
  expect(await axe(page), 'seed, inspector, share panel').toEqual([]);

  await explorer.showTab('Accounting');
  expect(await axe(page), 'accounting').toEqual([]);
});

test('no axe violations with errors, the gallery and the dark theme', async ({ explorer, page }) => {
  test.setTimeout(AXE_TIMEOUT);
  await explorer.openScenario(SMALL, 2);
  await explorer.setEditorText(SMALL.replace('spawn A', 'spwan A'));
  await expect(explorer.errors).toBeVisible();
  await explorer.galleryButton.click();
  await expect(explorer.gallery).toBeVisible();
  expect(await axe(page), 'errors in the text, gallery open').toEqual([]);
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Dark theme' }).click();
  await explorer.openScenario(INTRO_SCENARIO, 6);
  expect(await axe(page), 'dark theme').toEqual([]);
});

test('no axe violations in embed mode and at phone width', async ({ explorer, page }) => {
  test.setTimeout(AXE_TIMEOUT);
  await explorer.openScenario(INTRO_SCENARIO, 6, { embed: true });
  await expect(explorer.stepCount).toHaveText('Step 6 of 9');
  expect(await axe(page), 'embed').toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await explorer.openScenario(INTRO_SCENARIO, 6);
  expect(await axe(page), 'phone').toEqual([]);
});

test("no axe violations on a lesson's first page, its next-lesson card and Predict's veil, light and dark", async ({
  explorer,
  page,
}) => {
  test.setTimeout(AXE_TIMEOUT * 2);
  for (const theme of ['light', 'dark'] as const) {
    await explorer.goto('/#lesson=mshare-v1-guest-fault');
    // The theme is kept in the browser's storage: set once, it holds for the pages below.
    if (theme === 'dark') await page.getByRole('button', { name: 'Dark theme' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await expect(page.getByTestId('lesson-start')).toBeVisible();
    expect(await axe(page), `${theme}: lesson's first page`).toEqual([]);
    await explorer.goto('/#lesson=mshare-v1-guest-fault&step=6&predict=1');
    await expect(page.locator('.cm-ptx-ahead').first()).toBeVisible();
    expect(await axe(page), `${theme}: Predict's veil`).toEqual([]);
    await explorer.goto('/#lesson=mshare-v1-guest-fault&step=11');
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await expect(page.getByTestId('next-lesson')).toBeVisible();
    expect(await axe(page), `${theme}: next-lesson card`).toEqual([]);
  }
  // At phone width the first page scrolls inside the tree's box; its Start button is first, in sight.
  await page.setViewportSize({ width: 390, height: 844 });
  await explorer.goto('/#lesson=mshare-v1-guest-fault');
  await expect(page.getByTestId('lesson-start').getByRole('button', { name: 'Start: step 1 →' })).toBeInViewport();
  expect(await axe(page), 'phone: first page').toEqual([]);
});
