import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';

test('the app loads with its heading and without errors', async ({ explorer, pageErrors, page }) => {
  await explorer.goto();
  await expect(explorer.heading).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(pageErrors).toEqual([]);
});

test('the start page has no axe violations', async ({ explorer, page }) => {
  await explorer.goto();
  await expect(explorer.heading).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations).toEqual([]);
});
