import { expect, test } from './fixtures';
import { SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce' });

test('the step buttons, the slider and "Step N of M" with the caption', async ({ explorer, pageErrors }) => {
  await explorer.openScenario(SMALL);
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');
  await expect(explorer.firstStep).toBeDisabled();
  await expect(explorer.previousStep).toBeDisabled();

  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 1 of 3');
  await expect(explorer.statement).toHaveText('spawn A');

  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  await expect(explorer.caption).toHaveText('A maps 4 MiB');

  await explorer.lastStep.click();
  await expect(explorer.stepCount).toHaveText('Step 3 of 3');
  await expect(explorer.caption).toHaveText('A writes: PUD, PMD and PTE pages appear');
  await expect(explorer.nextStep).toBeDisabled();
  await expect(explorer.lastStep).toBeDisabled();

  await explorer.previousStep.click();
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  await explorer.firstStep.click();
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');

  await explorer.slider.fill('2');
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  expect(pageErrors).toEqual([]);
});

test('keys ← → Home End step, Space plays and pauses', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await expect(explorer.stepCount).toHaveText('Step 1 of 3');
  await page.keyboard.press('End');
  await expect(explorer.stepCount).toHaveText('Step 3 of 3');
  await page.keyboard.press('ArrowLeft');
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  await page.keyboard.press('Home');
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');

  await page.keyboard.press(' ');
  await expect(explorer.pause).toBeVisible();
  await expect(explorer.stepCount).toHaveText('Step 1 of 3', { timeout: 5000 });
  await page.keyboard.press(' ');
  await expect(explorer.play).toBeVisible();
  const { n } = await explorer.step();
  await page.waitForTimeout(1800);
  expect((await explorer.step()).n).toBe(n);
});

test('the step keys do nothing while typing in the editor', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL, 1);
  await expect(explorer.stepCount).toHaveText('Step 1 of 3');
  await explorer.editorContent.click();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Home');
  await page.keyboard.type(' ');
  await expect(explorer.stepCount).toHaveText('Step 1 of 3');
  await expect(explorer.play).toBeVisible();
});

test('Play runs to the end and stops; Pause stops it', async ({ explorer }) => {
  await explorer.openScenario(SMALL);
  await explorer.play.click();
  await expect(explorer.pause).toBeVisible();
  await expect(explorer.stepCount).toHaveText('Step 3 of 3', { timeout: 8000 });
  await expect(explorer.play).toBeVisible({ timeout: 4000 });
});

test('each step is announced in words in an aria-live region', async ({ explorer }) => {
  await explorer.openScenario(SMALL);
  await expect(explorer.announcer).toHaveAttribute('aria-live', 'polite');
  await expect(explorer.announcer).toHaveText('Step 0 of 3: before the first step.');
  await explorer.nextStep.click();
  await explorer.nextStep.click();
  await expect(explorer.announcer).toContainText('Step 2 of 3, A: mmap');
  await expect(explorer.announcer).toContainText('ok');
  await expect(explorer.announcer).toContainText('A maps 4 MiB');
});

test('a step the simulator takes forever to compute never blanks or freezes the page', async ({
  explorer,
  page,
  pageErrors,
}) => {
  // A simulator that never answers.
  await page.route(/sim\.worker[^/]*\.js/, (route) =>
    route.fulfill({ contentType: 'text/javascript', body: 'self.onmessage = () => {};' }),
  );
  await page.goto('/');
  await explorer.setEditorText(SMALL);
  await explorer.lastStep.click();
  await expect(explorer.stepCount).toHaveText('Step 3 of 3');
  await expect(page.getByRole('status').filter({ hasText: 'Computing step 3' })).toBeVisible();
  await expect(explorer.trace).toContainText('Computing step 3');
  // As typed (issue 12): the printer would write 127T+0x1000.
  await expect(explorer.statement).toHaveText('A: write 0x7f0000001000 "hi"');
  await explorer.firstStep.click();
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');
  await expect(explorer.editorContent).toContainText('A maps 4 MiB');
  expect(pageErrors).toEqual([]);
});
