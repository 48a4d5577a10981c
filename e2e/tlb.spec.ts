/**
 * The TLB tab (issue 17): only for scenarios that declare CPUs; one card per
 * CPU with its entries; the flush of a step and the CPUs it reached; the
 * stale hit of the msharefs scenario without the notifier, and none with it.
 * Screenshots of the tab at 1280×720 and 1920×1080 go to /tmp/shots/tlb/.
 */
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';

test.use({ reducedMotion: 'reduce' });

const STALE = readFileSync(new URL('../scenarios/tlb-msharefs-stale.ptx', import.meta.url), 'utf8');
const NOTIFIER = readFileSync(new URL('../scenarios/tlb-msharefs-notifier.ptx', import.meta.url), 'utf8');
const MUNMAP = readFileSync(new URL('../scenarios/tlb-munmap-tables.ptx', import.meta.url), 'utf8');
const PLAIN = readFileSync(new URL('../scenarios/mainline-first-fault.ptx', import.meta.url), 'utf8');

test('a scenario without cpus has no TLB tab', async ({ explorer, page, pageErrors }) => {
  await explorer.openScenario(PLAIN, 2);
  await expect(explorer.tab('Trace')).toBeVisible();
  await expect(page.getByRole('tab', { name: 'TLB', exact: true })).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

test('munmap: the flush reaches CPU 1 and skips the lazy CPU 0, then freed_tables reaches both', async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(MUNMAP, 8);
  await explorer.showTab('TLB');
  const panel = page.getByTestId('tlb-panel');
  await expect(panel.getByTestId('tlb-flush')).toContainText('INVLPG 0x10000000–0x10001000');
  await expect(panel.getByTestId('tlb-flush').locator('li')).toHaveText(['CPU 0: skipped (lazy)', 'CPU 1: ✓ flushed']);
  await expect(panel.getByTestId('tlb-cpu-0')).toContainText('idle, lazy on A’s mm');
  await explorer.nextStep.click();
  await explorer.settled();
  await expect(panel.getByTestId('tlb-flush')).toContainText('freed_tables');
  await expect(panel.getByTestId('tlb-flush').locator('li')).toHaveText([
    'CPU 0: ✓ lazy: left for init_mm',
    'CPU 1: ✓ flushed',
  ]);
  await expect(panel.getByTestId('tlb-cpu-0')).toContainText('idle (init_mm)');
  await expect(panel.getByTestId('tlb-cpu-0')).toContainText('(flushed before use)');
  await page.screenshot({ path: '/tmp/shots/tlb/munmap-1280x720.png' });
  expect(pageErrors).toEqual([]);
});

for (const [width, height] of [
  [1280, 720],
  [1920, 1080],
] as const) {
  test(`the stale hit without the notifier, ${width}×${height}: named, on B's CPU, and the entry marked`, async ({
    explorer,
    page,
    pageErrors,
  }) => {
    await page.setViewportSize({ width, height });
    const last = STALE.split('\n').filter(
      (l) => l.trim() && !l.startsWith('#') && !/^(title|kernel|paging|cpus|note) /.test(l),
    ).length;
    await explorer.openScenario(STALE, last);
    await explorer.showTab('TLB');
    const panel = page.getByTestId('tlb-panel');
    await expect(panel.getByTestId('tlb-stale-hit')).toContainText(
      'Stale TLB hit on CPU 1: 0x20000000000 → pfn 0x1009',
    );
    await expect(panel.getByTestId('tlb-stale-hit')).toContainText('A (its page at 0x10003000)');
    await expect(panel.getByTestId('tlb-summary')).toContainText('0 TLB hits (no walk), 1 stale hit, 0 walks');
    await expect(panel.getByTestId('tlb-cpu-1').locator('.tlb-row-stale')).toHaveCount(1);
    await expect(panel.getByTestId('tlb-cpu-1').locator('.tlb-row-stale')).toContainText('0x20000000000');
    // The banner is on screen without scrolling.
    const box = await panel.getByTestId('tlb-stale-hit').boundingBox();
    expect(box && box.y + box.height <= height).toBe(true);
    await page.screenshot({ path: `/tmp/shots/tlb/stale-${width}x${height}.png` });
    const axe = await new AxeBuilder({ page }).include('[data-testid="tlb-panel"]').analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
}

test('with the notifier: flush_tlb_all reaches every CPU, and no stale hit follows', async ({
  explorer,
  page,
  pageErrors,
}) => {
  const steps = NOTIFIER.split('\n').filter(
    (l) => l.trim() && !l.startsWith('#') && !/^(title|kernel|paging|cpus|notifier|note) /.test(l),
  );
  const unmap = steps.findIndex((l) => l.includes('MSHAREFS_UNMAP')) + 1;
  await explorer.openScenario(NOTIFIER, unmap);
  await explorer.showTab('TLB');
  const panel = page.getByTestId('tlb-panel');
  await expect(panel.getByTestId('tlb-flush')).toHaveCount(2);
  await expect(panel.getByTestId('tlb-flush').nth(1)).toContainText('flush_tlb_all');
  await expect(panel.getByTestId('tlb-flush').nth(1).locator('li')).toHaveText([
    'CPU 0: ✓ flushed',
    'CPU 1: ✓ flushed',
  ]);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: '/tmp/shots/tlb/notifier-1280x720.png' });
  await explorer.openScenario(NOTIFIER, steps.length);
  await explorer.showTab('TLB');
  await expect(panel.getByTestId('tlb-stale-hit')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
