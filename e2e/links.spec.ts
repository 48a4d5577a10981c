import { decodeLink, encodeLink, base64urlEncode } from '../src/scenario/link';
import { expect, test } from './fixtures';
import { SEED_SCENARIO, SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce', permissions: ['clipboard-read', 'clipboard-write'] });

test('"Copy link" copies a link that reopens this scenario at this step', async ({ explorer, page, pageErrors }) => {
  await explorer.openScenario(SMALL, 2);
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  const link = await explorer.copyLink();
  await expect(page.getByTestId('share-status')).toContainText('Link copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

  // The same codec as `ptx url`: it decodes to the text and the step.
  const decoded = decodeLink(link);
  expect(decoded).toMatchObject({ ok: true, text: SMALL, step: 2, version: 3 });

  // Another visitor (a fresh context: nothing saved) opens it.
  const other = await page.context().browser()!.newPage({ reducedMotion: 'reduce' });
  await other.goto(link);
  await expect(other.getByTestId('step-count')).toHaveText('Step 2 of 3');
  await expect(other.getByTestId('caption')).toHaveText('A maps 4 MiB');
  await other.close();
  expect(pageErrors).toEqual([]);
});

test('links of the older v1 format keep opening', async ({ explorer }) => {
  const v1 = `#v1=${base64urlEncode(new TextEncoder().encode(SMALL))}&step=3`;
  await explorer.goto('/' + v1);
  await expect(explorer.stepCount).toHaveText('Step 3 of 3');
  await expect(explorer.editorContent).toContainText('A maps 4 MiB');
});

test('a link over 2,000 characters carries a warning', async ({ explorer, page }) => {
  // Text that does not compress: random names.
  let text = 'spawn A\n';
  let seed = 7;
  for (let i = 0; i < 180; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    text += `# ${seed.toString(36)}${(seed * 7).toString(36)}${(seed * 13).toString(36)}\n`;
  }
  await explorer.openScenario(text);
  const link = await explorer.copyLink();
  expect(link.length).toBeGreaterThan(2000);
  await expect(page.getByTestId('share-long')).toContainText('Some chat tools');
});

test('a short link has no length warning', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL);
  await explorer.copyLink();
  await expect(page.getByTestId('share-long')).toHaveCount(0);
});

const BROKEN = [
  '#v2=',
  '#v2=AAAA',
  '#v2=@@@@',
  '#v9=abc',
  encodeLink(SMALL).slice(0, 40), // cut off
  '#v1=%E0%A4%A',
  '#nothing-of-ours',
  encodeLink(SMALL) + '&step=-1',
  '#v1=' + base64urlEncode(new Uint8Array([0xff, 0xfe, 0x00])),
  '#' + 'A'.repeat(5000),
];

// Two tests of five links each: every link is opened fresh, as a click in a chat would.
for (const [part, hashes] of [BROKEN.slice(0, 5), BROKEN.slice(5)].entries()) {
  test(`a broken link shows a clear message and keeps the user's text (part ${part + 1})`, async ({
    explorer,
    page,
    pageErrors,
  }) => {
    test.setTimeout(60_000);
    await explorer.goto();
    await explorer.setEditorText(SMALL + '# mine, not to be lost\n');
    await expect(explorer.stepCount).toHaveText('Step 0 of 3');
    for (const hash of hashes) {
      await page.goto('about:blank');
      await page.goto('/' + hash);
      await expect(explorer.heading, hash).toBeVisible();
      const alert = page.getByRole('alert').first();
      await expect(alert, hash).toBeVisible();
      await expect(alert, hash).toContainText(/link/i);
      await expect(explorer.editorContent, hash).toContainText('# mine, not to be lost');
      expect(await page.evaluate(() => localStorage.getItem('ptx:text')), hash).toContain('# mine, not to be lost');
      // Still usable.
      await explorer.nextStep.click();
      await expect(explorer.stepCount, hash).toHaveText('Step 1 of 3');
    }
    expect(pageErrors).toEqual([]);
  });
}

test('a good link keeps the previous text restorable', async ({ explorer, page }) => {
  await explorer.goto();
  await explorer.setEditorText(SMALL + '# my draft\n');
  await explorer.openScenario(SEED_SCENARIO, 2);
  await page.reload(); // the fragment is consumed: a reload shows the saved (linked) text
  await expect(explorer.editorContent).toContainText('mshare');
  await explorer.openScenario(SMALL.replace('Small', 'Other'));
  const notice = page.getByRole('status').filter({ hasText: 'previous text was kept' });
  await expect(notice).toBeVisible();
  await notice.getByRole('button', { name: 'Restore my previous text' }).click();
  // The user's own draft, not the first link's text, which was never theirs (issue 13).
  await expect(explorer.editorContent).toContainText('# my draft');
});

test('embed mode shows only the view and the step controls, and opens the full app at the same state', async ({
  explorer,
  page,
  context,
}) => {
  await explorer.goto();
  await explorer.setEditorText(SMALL + '# my own text\n');
  await explorer.openScenario(SEED_SCENARIO, 5, { embed: true });
  await expect(explorer.stepCount).toHaveText('Step 5 of 8');
  await expect(explorer.tree).toBeVisible();
  await expect(explorer.nextStep).toBeVisible();
  await expect(explorer.editor).toHaveCount(0);
  await expect(explorer.copyLinkButton).toHaveCount(0);
  await expect(page.getByRole('tab')).toHaveCount(0);
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 6 of 8');

  const open = page.getByRole('link', { name: 'Open in Page Table Explorer' });
  const href = (await open.getAttribute('href')) ?? '';
  expect(href).not.toContain('embed');
  expect(decodeLink(href)).toMatchObject({ ok: true, text: SEED_SCENARIO, step: 6 });
  const [full] = await Promise.all([context.waitForEvent('page'), open.click()]);
  await expect(full.getByTestId('step-count')).toHaveText('Step 6 of 8');
  await expect(full.getByRole('heading', { level: 1, name: 'Page Table Explorer' })).toBeVisible();

  // The embed never touched the user's saved text; the full app kept it restorable.
  const backups = await full.evaluate(() => localStorage.getItem('ptx:backups'));
  expect(JSON.parse(backups ?? '[]')[0]).toContain('# my own text');
});

test('embed mode also works with embed=1 in the fragment', async ({ page }) => {
  await page.goto('/' + encodeLink(SMALL, 1) + '&embed=1');
  await expect(page.getByTestId('step-count')).toHaveText('Step 1 of 3');
  await expect(page.getByTestId('editor')).toHaveCount(0);
});

test('the address bar holds the link of the current step: a reload comes back to it, with no history entry per step', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(SEED_SCENARIO, 2);
  const length = await page.evaluate(() => history.length);
  for (let i = 0; i < 4; i++) await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 6 of 8');
  await expect
    .poll(async () => decodeLink(await page.evaluate(() => location.href)))
    .toMatchObject({ ok: true, text: SEED_SCENARIO, step: 6 });
  expect(await page.evaluate(() => history.length)).toBe(length);
  await page.reload();
  await expect(explorer.stepCount).toHaveText('Step 6 of 8');
  await expect(explorer.currentLine).toHaveCount(1);
  // No notice for a reload: the link is the user's own text.
  await expect(page.getByRole('status').filter({ hasText: 'previous text' })).toHaveCount(0);

  // Held arrow keys: the last step lands in the address bar.
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowLeft');
  await expect(explorer.stepCount).toHaveText('Step 0 of 8');
  await expect
    .poll(async () => decodeLink(await page.evaluate(() => location.href)))
    .toMatchObject({ ok: true, step: 0 });
  expect(await page.evaluate(() => history.length)).toBe(length);
});

test('an edited text is in the address bar too, so a reload keeps what was typed, errors and all', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(SMALL, 1);
  await explorer.setEditorText(SMALL + 'A: wirte 0x7f0000002000\n');
  await expect(explorer.errors).toContainText('does not load');
  await expect
    .poll(async () => decodeLink(await page.evaluate(() => location.href)))
    .toMatchObject({ ok: true, text: SMALL + 'A: wirte 0x7f0000002000\n' });
  await page.reload();
  await expect(explorer.editorContent).toContainText('wirte');
  await expect(explorer.errors).toContainText('does not load');
  await expect(page.getByRole('status').filter({ hasText: 'does not load' })).toHaveCount(0);
});

test('the embed keeps its link in its own address too, and never saves', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL, 1, { embed: true });
  await explorer.nextStep.click();
  await expect
    .poll(async () => decodeLink(await page.evaluate(() => location.href)))
    .toMatchObject({ ok: true, step: 2 });
  expect(await page.evaluate(() => location.search)).toBe('?embed=1');
  await page.reload();
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  expect(await page.evaluate(() => localStorage.getItem('ptx:text'))).toBeNull();
});
