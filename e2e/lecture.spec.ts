import { expect, test } from './fixtures';
import { SEED_SCENARIO, SEED_STEPS } from './scenarios';

// Issue 12's "done when", as a lecturer projects it: 1280×720, Present mode, with motion.

/** The smallest on-screen font size of the tree's text in view, in CSS px. */
function smallestText(svg: SVGSVGElement): number {
  const box = svg.getBoundingClientRect();
  let min = Infinity;
  for (const t of svg.querySelectorAll<SVGTextElement>('g.viewport text')) {
    const r = t.getBoundingClientRect();
    if (r.width === 0 || r.right < box.left || r.left > box.right || r.bottom < box.top || r.top > box.bottom) continue;
    min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1));
  }
  return min;
}

test("Present at 1280×720, the seed's guest fault: text ≥ 12 px, the Changes list, and B's PGD[2] marked changed after the copy", async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await page.keyboard.press('p');
  await expect.poll(() => explorer.isPresent()).toBe(true);
  await explorer.nextStep.click();
  await explorer.previousStep.click();
  await explorer.settled();
  // The copy travels for about 1.8 s; look once it is over.
  await page.waitForTimeout(2500);
  expect(await explorer.tree.evaluate(smallestText)).toBeGreaterThanOrEqual(12);
  // The host's PGD[2] points at its PUD page, pfn 0x1003, P RW US A D (0x067): the value B's entry takes.
  await expect(explorer.changeItems.filter({ hasText: 'B PGD[2]: none → 0x0000000001003067 (set_pgd)' })).toHaveCount(
    1,
  );
  const bPgd = explorer.nodes({ root: 'B', level: 'pgd' });
  const row = bPgd.locator('g.row[data-index="2"]');
  await expect(row).toHaveClass(/\bchanged\b/);
  await expect(row).toBeInViewport({ ratio: 1 });
  await expect(row).toContainText('0x1003067');
  // No token is left travelling.
  await expect(explorer.tree.locator('g.token')).toHaveCount(0);
});

test('the legend folds away and comes back, at 960×540 too', async ({ explorer, page }) => {
  await page.setViewportSize({ width: 960, height: 540 });
  await explorer.openScenario(SEED_SCENARIO, 1);
  const legend = page.getByRole('list', { name: 'Legend' });
  const toggle = page.getByRole('button', { name: /^Legend/ });
  await expect(legend).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await toggle.click();
  await expect(legend).toBeHidden();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.press('Enter');
  await expect(legend).toBeVisible();
  await expect(legend).toBeInViewport({ ratio: 1 });
});
