import { expect, test } from './fixtures';
import { BIG_SCENARIO, INTRO_SCENARIO, MANY_FORKS, SEED_SCENARIO, SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce' });

test("the trace lists the step's events as a call trail, each explained", async ({ explorer }) => {
  await explorer.openScenario(INTRO_SCENARIO, 3); // A's first write
  const events = explorer.trace.locator('li.event');
  // The trail follows the step's first frame (TracePanel, useAfterPaint): read it once it is there.
  await expect(events.first()).toBeAttached();
  const fns = await events.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-fn')));
  expect(fns.slice(0, 3)).toEqual(['handle_mm_fault', '__handle_mm_fault', 'pud_alloc']);
  expect(fns).toContain('pte_alloc');
  const pud = explorer.trace.locator('li.event[data-fn="pud_alloc"]');
  await expect(pud.locator('.detail')).toContainText('charged to A');
  await expect(pud.locator('.explain')).toContainText('new PUD page');
  await expect(explorer.trace).toContainText('Outcome: ok');
  // Mainline quotes no patch.
  await expect(explorer.trace.getByText('Patch lines that ran')).toHaveCount(0);

  await explorer.firstStep.click();
  await expect(explorer.trace).toContainText('Before the first step');
});

test('a group step lists its first 120 events, drawn over two frames, and the rest on demand', async ({ explorer }) => {
  await explorer.openScenario(MANY_FORKS, 4); // t1 forks 69 children: dup_mm and copy_page_range each
  const events = explorer.trace.locator('li.event');
  // The step's first frame draws 10 events; the rest up to the cap follow once it is painted.
  await expect(events).toHaveCount(120);
  await expect(events.nth(119)).toHaveAttribute('data-fn', 'copy_page_range');
  await explorer.trace.getByRole('button', { name: 'Show all 138 events (18 more)' }).click();
  await expect(events).toHaveCount(138);
  await expect(events.last()).toContainText('t1');
});

test('a group step lists its first 200 changes, drawn over two frames, and the rest on demand', async ({
  explorer,
}) => {
  await explorer.openScenario(MANY_FORKS, 4); // t1 forks 69 children: 622 changes (`ptx run --json`: 100 + 522 omitted)
  const changes = explorer.page.getByTestId('changes');
  await expect(changes.getByRole('heading')).toHaveText('Changes (622)');
  // The step's first frame draws 12 lines; the rest up to 200 follow once it is painted.
  await expect(explorer.changeItems).toHaveCount(200);
  await changes.getByRole('button', { name: 'Show all 622 changes (422 more)' }).click();
  await expect(explorer.changeItems).toHaveCount(622);
  // The announcement reads ten of them and says how many more.
  await expect(explorer.page.getByTestId('announcer')).toContainText('; and 612 more.');
});

test("the change list keeps the focus from step to step, each step's list from its top", async ({ explorer, page }) => {
  await explorer.openScenario(MANY_FORKS, 4); // the fork: 622 changes, 200 drawn
  const list = page.locator('.changes-list');
  await expect(explorer.changeItems).toHaveCount(200);
  await list.focus();
  await page.keyboard.press('End');
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  await list.evaluate((el) => ((el as HTMLElement & { __old?: boolean }).__old = true));
  // ← steps from the focused list (only Space, Home and End scroll it); that step's list is another element.
  await page.keyboard.press('ArrowLeft');
  await expect(explorer.stepCount).toHaveText('Step 3 of 4');
  await expect(explorer.changes).toContainText('Changes (');
  await expect(list).toBeFocused();
  expect(await list.evaluate((el) => (el as HTMLElement & { __old?: boolean }).__old)).toBeUndefined();
  // And on again: the fork's list, from its top, still focused.
  await page.keyboard.press('ArrowRight');
  await expect(explorer.stepCount).toHaveText('Step 4 of 4');
  await expect(explorer.changeItems).toHaveCount(200);
  await expect(list).toBeFocused();
  expect(await list.evaluate((el) => el.scrollTop)).toBe(0);
});

test('a step where the MMU needed no help says so', async ({ explorer }) => {
  await explorer.openScenario(INTRO_SCENARIO, 6); // B reads a page its fork copied the PTE of
  await expect(explorer.trace).toContainText('the MMU walked the tables by itself');
  await expect(explorer.outcome).toContainText('read "hello"');
});

test('accounting: page-table bytes by level per task, the totals, no comparison on mainline', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(INTRO_SCENARIO, 5); // after fork
  await explorer.showTab('Accounting');
  const table = explorer.accounting.locator('table.acct-table');
  await expect(table.locator('thead th')).toHaveText(['mm', 'PTE', 'PMD', 'PUD', 'VmPTE']);
  await expect(table.locator('tr[data-task="A"] td')).toHaveText(['4 KiB', '4 KiB', '4 KiB', '12 KiB']);
  await expect(page.getByTestId('vmpte-B')).toHaveText('12 KiB');
  await expect(page.getByTestId('vmpte-total')).toHaveText('24 KiB');
  await expect(page.getByTestId('no-compare')).toBeVisible();
  await expect(explorer.accounting).toContainText('No memory directive');
  // It follows the cursor.
  await explorer.lastStep.click();
  await expect(table.locator('tr[data-task="B"]')).toHaveCount(0);
  await expect(page.getByTestId('vmpte-total')).toHaveText('12 KiB');
});

test('accounting with sharing: the scenario without sharing beside it', async ({ explorer, page }) => {
  await explorer.openScenario(SEED_SCENARIO, 7);
  await expect(explorer.outcome).not.toContainText('ENOSYS');
  await explorer.showTab('Accounting');
  const chart = page.getByTestId('compare-chart');
  await expect(chart.locator('.bar-with').first()).toBeVisible();
  await expect(chart.locator('.bar-without').first()).toBeVisible();
  await expect(chart.getByRole('img')).toHaveAccessibleName(/B 0 B, without sharing 12 KiB/);
  await expect(explorer.accounting.locator('tr[data-mshare="sga"]')).toContainText('12 KiB');
});

test('accounting with a memory directive: how close the machine is to running out', async ({ explorer, page }) => {
  await explorer.openScenario(BIG_SCENARIO, 2);
  await explorer.showTab('Accounting');
  const meter = page.getByRole('meter', { name: 'Memory in use' });
  await expect(meter).toBeVisible();
  const now = Number(await meter.getAttribute('aria-valuenow'));
  expect(now).toBeGreaterThan(10);
  await expect(page.getByTestId('memory')).toContainText('of 2 TiB in use');
});

test('the gallery lists the lessons in sections, each with a title, a goal, minutes and what it shows, and loads one', async ({
  explorer,
  page,
}) => {
  await explorer.goto();
  await explorer.setEditorText(SMALL + '# my work\n');
  await explorer.galleryButton.click();
  await expect(explorer.gallery).toBeVisible();
  await expect(explorer.gallery.getByRole('heading', { level: 3 }).first()).toHaveText('1. Paging basics and the walk');
  const items = explorer.gallery.locator('.gallery-item');
  expect(await items.count()).toBeGreaterThanOrEqual(28);
  for (const item of await items.all()) {
    await expect(item.locator('.gallery-title')).not.toBeEmpty();
    await expect(item.locator('.gl-goal')).not.toBeEmpty();
    await expect(item.locator('.gallery-summary')).not.toBeEmpty();
    await expect(item.locator('.gl-minutes')).toHaveText(/^\d+ min$/);
  }
  const lesson = explorer.gallery.locator('[data-lesson="madvise-reclaim"]');
  await expect(lesson.locator('.gallery-summary')).toHaveText(
    'You will see: An 8 MiB touched range; zapping a page or 2 MiB less a page frees no table; zapping all 8 MiB frees the 4 PTE pages; the next read finds zeros.',
  );
  await expect(lesson.locator('.gl-minutes')).toHaveText('6 min');
  await lesson.click();
  await expect(explorer.gallery).toBeHidden();
  await expect(page.getByTestId('scenario-title')).toHaveText(
    'MADV_DONTNEED frees PTE pages it empties (CONFIG_PT_RECLAIM)',
  );
  await expect(explorer.stepCount).toHaveText('Step 0 of 8');
  // What was there before can come back.
  await page.getByRole('button', { name: 'Restore my previous text' }).click();
  await expect(explorer.editorContent).toContainText('# my work');
});

test('the gallery closes with Escape and the step keys stay quiet while it is open', async ({ explorer, page }) => {
  await explorer.openScenario(SMALL);
  await explorer.galleryButton.click();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Escape');
  await expect(explorer.gallery).toBeHidden();
  await expect(explorer.stepCount).toHaveText('Step 0 of 3');
});

test('a long comparison runs in the background: the page stays usable, and it can be stopped', async ({
  explorer,
  page,
}) => {
  // A comparison that never finishes: the worker's script is replaced by one that never answers.
  await page.route(/compare\.worker[^/]*\.js/, (route) =>
    route.fulfill({ contentType: 'text/javascript', body: 'self.onmessage = () => {};' }),
  );
  await explorer.openScenario(SEED_SCENARIO, 1);
  await explorer.showTab('Accounting');
  const running = page.getByTestId('compare-running');
  await expect(running).toBeVisible();
  // Meanwhile everything responds.
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 2 of 8');
  await explorer.showTab('Trace');
  await expect(explorer.trace).toContainText('mm_alloc');
  await explorer.showTab('Accounting');
  await expect(running).toBeVisible();
  await running.getByRole('button', { name: 'Stop' }).click();
  await expect(running).toHaveCount(0);
  await expect(page.getByTestId('compare-stopped')).toContainText('The comparison was stopped.');
});

// Every scenario of the gallery (every lesson, and any other file of scenarios/) opens and runs to its end.
for (const part of [0, 1]) {
  test(`every gallery scenario opens and runs to its last step without errors (part ${part + 1})`, async ({
    explorer,
    page,
    pageErrors,
  }) => {
    test.setTimeout(120_000);
    await explorer.goto();
    await explorer.galleryButton.click();
    // The texts load when the gallery first opens (issue 18): count once they are there.
    await expect(explorer.gallery.getByText(/^\d+ lessons in order/)).toBeVisible();
    const count = await explorer.gallery.locator('.gallery-item').count();
    expect(count).toBeGreaterThan(30);
    await page.keyboard.press('Escape');
    for (let i = part; i < count; i += 2) {
      await explorer.galleryButton.click();
      const item = explorer.gallery.locator('.gallery-item').nth(i);
      const title = (await item.locator('.gallery-title').textContent()) ?? `#${i}`;
      await item.click();
      await expect(explorer.errors, title).toHaveCount(0);
      if (await explorer.lastStep.isDisabled()) continue; // no steps
      await explorer.lastStep.click();
      await explorer.settled();
      await expect(explorer.heading, title).toBeVisible();
      await expect(page.locator('.sim-failure, .panel-failure'), title).toHaveCount(0);
    }
    expect(pageErrors).toEqual([]);
  });
}
