/**
 * Issue 13: the user's own text is never lost. The sequence that lost it:
 * have your own text, open a link (the notice offers Restore), reload (a
 * crash forces one), pick a gallery item: the backup had become the link's
 * text and nothing offered the user's own back.
 */
import { encodeLink } from '../src/scenario/link';
import { expect, test } from './fixtures';
import { SEED_SCENARIO, SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce' });

const MINE = SMALL + '# my own work, typed by hand\n';

test("own text, a link, a reload, a gallery item: the user's own text is restorable at every point", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await explorer.goto();
  await explorer.setEditorText(MINE);
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');

  await explorer.openScenario(SEED_SCENARIO, 2);
  await expect(page.getByRole('status').filter({ hasText: 'previous text was kept' })).toBeVisible();

  await page.reload();
  await explorer.settled();
  await expect(explorer.editorContent).toContainText('mshare');
  // Offered at start-up, since a backup exists.
  const atStart = page.getByRole('status').filter({ hasText: 'Your own earlier text is kept' });
  await expect(atStart.getByRole('button', { name: 'Restore my previous text' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('restore-at-start.png') });

  await explorer.galleryButton.click();
  await explorer.gallery.locator('[data-gallery-id="builtin:intro"]').click();
  await expect(explorer.editorContent).toContainText('First steps');
  const notice = page.getByRole('status').filter({ hasText: 'Loaded a scenario from the gallery' });
  await notice.getByRole('button', { name: 'Restore my previous text' }).click();
  await expect(explorer.editorContent).toContainText('# my own work, typed by hand');
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');
  expect(await page.evaluate(() => localStorage.getItem('ptx:text'))).toBe(MINE);
  expect(pageErrors).toEqual([]);
});

test('older own texts stay restorable, from the notice', async ({ explorer, page }) => {
  await explorer.goto();
  await explorer.setEditorText(SMALL + '# first draft\n');
  await explorer.openScenario(SEED_SCENARIO);
  await explorer.setEditorText(SMALL + '# second draft\n');
  await explorer.galleryButton.click();
  await explorer.gallery.locator('[data-gallery-id="builtin:intro"]').click();
  const notice = page.getByRole('status').filter({ hasText: 'Loaded a scenario from the gallery' });
  await notice.getByText('Older texts').click();
  await page.screenshot({ path: test.info().outputPath('older-texts.png') });
  await notice.getByRole('button', { name: /^Restore “/ }).click();
  await expect(explorer.editorContent).toContainText('# first draft');
});

test('a link changed by one character says so and opens nothing; the text stays', async ({ explorer, page }) => {
  await explorer.goto();
  await explorer.setEditorText(MINE);
  const link = encodeLink(SEED_SCENARIO, 2);
  // One character of the data changed, as a chat tool or a typo might.
  const i = 20;
  const changed = link.slice(0, i) + (link[i] === 'A' ? 'B' : 'A') + link.slice(i + 1);
  await page.goto('about:blank');
  await page.goto('/' + changed);
  await expect(page.getByRole('alert').first()).toContainText('this link was changed or cut');
  await expect(explorer.editorContent).toContainText('# my own work, typed by hand');
  await page.screenshot({ path: test.info().outputPath('changed-link.png') });
});
