/**
 * The Accounting tab tells the truth (issue 12 item 6) and computes the
 * scenario without sharing only up to the step on screen, under a time
 * budget (issue 13). The SGA's figures are worked out by hand in
 * src/scenario/compare.test.ts: 1,500 × 153,901 × 4096 B = 880.6 GiB needed,
 * 361 clients fit in 512 GiB (211.9 GiB of tables), 1,139 OOM-killed.
 */
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';
import type { Locator, Page } from '@playwright/test';

test.use({ reducedMotion: 'reduce' });

const SGA = readFileSync(new URL('../scenarios/sga-1500-mshare.ptx', import.meta.url), 'utf8');
// Issue 13's three hostile lines with kernel mshare-v1: step 3 faults in 128 TiB of hugetlb pages.
const HOSTILE = `kernel mshare-v1
spawn A
A: mmap 0x200000 0x7fffffc00000 rw shared anon hugetlb fixed
A: touch 0x200000 0x7fffffc00000 write
`;

/**
 * Whether the element lies wholly inside the window and inside its scrolled panel as it stands (nothing to scroll to
 * see it).
 */
async function inView(page: Page, l: Locator): Promise<boolean> {
  const box = await l.boundingBox();
  const vp = page.viewportSize();
  if (!box || !vp) return false;
  const panel = await page.locator('.tabpanel').evaluate((el) => ({
    top: el.getBoundingClientRect().top,
    bottom: el.getBoundingClientRect().bottom,
    scrollTop: el.scrollTop,
  }));
  return panel.scrollTop === 0 && box.y >= panel.top && box.y + box.height <= Math.min(panel.bottom, vp.height);
}

for (const [width, height] of [
  [1280, 720],
  [1920, 1080],
] as const) {
  test(`the SGA at its last step, ${width}×${height}: the totals and the twin's OOM kills in words, visible without scrolling`, async ({
    explorer,
    page,
  }) => {
    test.setTimeout(90_000);
    await page.setViewportSize({ width, height });
    await explorer.openScenario(SGA, 5);
    await explorer.showTab('Accounting');
    const oom = page.getByTestId('twin-oom');
    await expect(oom).toHaveText(
      "Without sharing, only 361 of the 1,500 tasks fit in the machine's 512 GiB: the other 1,139 were killed out of memory (OOM). " +
        'Their page tables would need 880.6 GiB (1,500 × 601.2 MiB); the 361 that fit hold 211.9 GiB. With mshare-v1, all page tables take 601.2 MiB.',
      { timeout: 30_000 },
    );
    await expect(page.getByTestId('total-with')).toHaveText('601.2 MiB');
    await expect(page.getByTestId('total-without')).toHaveText('880.6 GiB');
    await expect(page.getByTestId('total-fit')).toHaveText('211.9 GiB');
    for (const l of [page.getByTestId('acct-totals').locator('dl'), oom]) expect(await inView(page, l)).toBe(true);
    // The chart shows what was needed, not only what fit, and who was killed.
    const chart = page.getByTestId('compare-chart');
    await expect(chart.locator('.bar-needed').first()).toBeVisible();
    await expect(chart.getByRole('img')).toHaveAccessibleName(
      /total \(all mms\) 601\.2 MiB, without sharing 880\.6 GiB needed \(211\.9 GiB fit\)/,
    );
    await expect(chart.getByRole('img')).toHaveAccessibleName(
      /db362–db1500 \(1,139 tasks, each\) 0 B, without sharing 601\.2 MiB needed \(killed out of memory\)/,
    );
    await expect(chart.getByRole('img')).toHaveAccessibleName(
      /db1–db361 \(361 tasks, each\) 0 B, without sharing 601\.2 MiB;/,
    );
    // 1,500 rows of "0 B" are one.
    const rows = explorer.accounting.locator('table.acct-table tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toHaveAttribute('data-tasks', 'db1–db1500');
    await expect(rows.first()).toContainText('1,500 tasks, each');
    await expect(page.getByTestId('vmpte-db1–db1500')).toHaveText('0 B');
  });
}

test('the SGA at an early step: no kill yet and nothing said about one; a step on, the kills; a step back, none', async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SGA, 4);
  await explorer.showTab('Accounting');
  await expect(page.getByTestId('total-without')).toHaveText('0 B');
  await expect(page.getByTestId('total-with')).toHaveText('0 B');
  await expect(page.getByTestId('twin-oom')).toHaveCount(0);
  await expect(page.getByTestId('total-fit')).toHaveCount(0);
  // Then forward: the twin runs the one statement more and the kills appear.
  await explorer.nextStep.click();
  await expect(page.getByTestId('twin-oom')).toContainText('1,139 were killed out of memory', { timeout: 30_000 });
  // And back: known already.
  await explorer.previousStep.click();
  await expect(page.getByTestId('twin-oom')).toHaveCount(0);
  await expect(page.getByTestId('total-without')).toHaveText('0 B');
});

test("issue 13's hostile hugetlb lines with mshare-v1: the Accounting tab at step 0 compares step 0, and nothing more runs", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await explorer.openScenario(HOSTILE, 0);
  await explorer.showTab('Accounting');
  await expect(page.getByTestId('total-without')).toHaveText('0 B');
  await expect(page.getByTestId('compare-running')).toHaveCount(0);
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 1 of 3');
  await expect(page.getByTestId('total-without')).toHaveText('0 B');
  await expect(page.getByTestId('compare-running')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

test('a comparison past its time budget stops with a clear message and Keep trying', async ({ explorer, page }) => {
  // A worker that never answers stands for a statement that runs for ever.
  await page.route(/compare\.worker[^/]*\.js/, (route) =>
    route.fulfill({ contentType: 'text/javascript', body: 'self.onmessage = () => {};' }),
  );
  await page.clock.install();
  await explorer.openScenario(SGA, 1);
  await explorer.showTab('Accounting');
  await expect(page.getByTestId('compare-running')).toContainText('up to step 1');
  await page.clock.fastForward(15_000);
  const stopped = page.getByTestId('compare-stopped');
  await expect(stopped).toContainText(
    'Stopped: running the scenario without sharing up to step 1 took longer than 15 s',
  );
  // The page goes on; the totals with sharing are still there.
  await expect(page.getByTestId('total-with')).toHaveText('0 B');
  await stopped.getByRole('button', { name: 'Keep trying' }).click();
  await expect(page.getByTestId('compare-running')).toBeVisible();
  await page.clock.fastForward(15_000);
  await expect(page.getByTestId('compare-running')).toBeVisible();
  await page.clock.fastForward(45_000);
  await expect(stopped).toContainText('took longer than 60 s');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`the OOM sentence, the totals and the chart pass axe (${scheme})`, async ({ explorer, page }) => {
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme: scheme });
    await explorer.openScenario(SGA, 5);
    await explorer.showTab('Accounting');
    await expect(page.getByTestId('twin-oom')).toBeVisible({ timeout: 30_000 });
    const r = await new AxeBuilder({ page }).include('[data-testid="accounting"]').analyze();
    expect(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  });
}
