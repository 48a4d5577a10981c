import { expect, test } from './fixtures';
import { SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce' });

test('the text autosaves and comes back after a reload', async ({ explorer, page }) => {
  await explorer.goto();
  await explorer.setEditorText(SMALL + 'A: read 0x7f0000001000\n# typed by hand\n');
  await expect(explorer.stepCount).toHaveText('Step 0 of 4');
  await page.reload();
  await expect(explorer.editorContent).toContainText('# typed by hand');
  await expect(explorer.stepCount).toHaveText('Step 0 of 4');
  const saved = await page.evaluate(() => localStorage.getItem('ptx:text'));
  expect(saved).toContain('# typed by hand');
});

test('errors show inline at line and column, the last good view stays, and fixing loads', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL, 3);
  await expect(explorer.stepCount).toHaveText('Step 3 of 3');
  const nodesBefore = await explorer.nodes().count();
  expect(nodesBefore).toBeGreaterThan(0);

  await explorer.setEditorText(SMALL.replace('A: write', 'A: wirte'));
  // Inline: the word is marked and the message sits at the end of its line.
  await expect(page.locator('.cm-ptx-error')).toHaveText('wirte');
  await expect(page.locator('.cm-ptx-errorMessage')).toContainText('6:4:');
  await expect(page.locator('.cm-ptx-errorMessage')).toContainText('did you mean "write"');
  // Listed under the editor, and the view is the last one that loaded.
  await expect(explorer.errors).toContainText('does not load');
  await expect(explorer.errors).toContainText('The view still shows the last version that loaded');
  await expect(explorer.stepCount).toHaveText('Step 3 of 3');
  expect(await explorer.nodes().count()).toBe(nodesBefore);

  // The listed error moves the cursor to it.
  await explorer.errors.getByRole('button', { name: /^6:4:/ }).click();
  await expect(explorer.editorContent).toBeFocused();

  // What was typed is saved even though it does not load.
  expect(await page.evaluate(() => localStorage.getItem('ptx:text'))).toContain('wirte');

  await explorer.setEditorText(SMALL + 'A: exit\n');
  await expect(explorer.errors).toHaveCount(0);
  await expect(page.locator('.cm-ptx-error')).toHaveCount(0);
  await expect(explorer.stepCount).toHaveText('Step 3 of 4');
});

test('the scenario language is highlighted', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL);
  // Keywords, strings, numbers and flags each get a highlighting class from CodeMirror.
  const spans = page.locator('.cm-line span');
  await expect(spans.filter({ hasText: /^mmap$/ })).toHaveCount(1);
  const style = async (text: string | RegExp) => spans.filter({ hasText: text }).first().evaluate((el) => getComputedStyle(el).color);
  const kw = await style(/^mmap$/);
  const str = await style('"A maps 4 MiB"');
  const num = await style(/^4M$/);
  expect(new Set([kw, str, num]).size).toBe(3);
});

test('a scenario that does not load on first open still shows the text and errors, never a blank page', async ({ explorer, page }) => {
  await explorer.openScenario('spawn A\nA: frobnicate 1\nB: exit\n');
  await expect(explorer.heading).toBeVisible();
  await expect(explorer.errors).toContainText('2 problems');
  await expect(explorer.editorContent).toContainText('frobnicate');
  await expect(page.locator('.cm-ptx-errorMessage').first()).toContainText('2:4:');
});

test('when the browser cannot save, the user is told and nothing else breaks', async ({ explorer, page, pageErrors }) => {
  await page.addInitScript(() => {
    Storage.prototype.setItem = () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
  });
  await explorer.openScenario(SMALL, 1);
  await explorer.setEditorText(SMALL + 'A: exit\n');
  await expect(page.getByRole('status').filter({ hasText: 'cannot be saved' })).toBeVisible();
  await expect(explorer.stepCount).toHaveText('Step 1 of 4');
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 2 of 4');
  expect(pageErrors).toEqual([]);
});
