import { expect, test } from './fixtures';
import { WIDE } from './scenarios';

test.use({ reducedMotion: 'reduce' });

test('a big forest draws what is in view, draws more as the view moves, and exports all of it', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(WIDE, 11); // after the fork: 32 tasks × (PGD, PUD, 8 PMD, 8 PTE) + 8 pages
  const svg = explorer.tree;
  const laidOut = Number(await svg.getAttribute('data-layout-nodes'));
  expect(laidOut).toBe(32 * 18 + 8);
  const drawn = Number(await svg.getAttribute('data-drawn-nodes'));
  expect(drawn).toBeLessThan(laidOut);
  await expect(svg.locator('g.node')).toHaveCount(drawn);
  // The first task is in view; the last is not drawn until the view gets there.
  await expect(svg.locator('g.node[data-root="t1"]')).toHaveCount(1);
  await expect(svg.locator('g.node[data-root="t32"]')).toHaveCount(0);

  // Zoom out (the fit keeps text readable, so a forest this tall is many views high), then drag
  // the view up until the last task's PGD is drawn.
  test.setTimeout(60_000);
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Zoom out' }).click();
  const box = (await svg.boundingBox())!;
  const x = box.x + box.width / 2;
  for (let i = 0; i < 60 && (await svg.locator('g.node[data-root="t32"]').count()) === 0; i++) {
    await page.mouse.move(x, box.y + box.height - 20);
    await page.mouse.down();
    await page.mouse.move(x, box.y + 20, { steps: 4 });
    await page.mouse.up();
  }
  await expect(svg.locator('g.node[data-root="t32"]')).toHaveCount(1);
  await expect(svg.locator('g.node[data-root="t1"]')).toHaveCount(0);

  // Export: every node, not only the drawn ones; and the view is as it was after.
  const before = await svg.locator('g.node').count();
  const { text } = await explorer.exportSvg();
  expect(text.match(/<g class="node[ "]/g)?.length).toBe(laidOut);
  await expect(svg.locator('g.node')).toHaveCount(before);
});

test('stepping in a big forest keeps the walk lit and the view drawn', async ({ explorer }) => {
  await explorer.openScenario(WIDE, 11);
  await explorer.nextStep.click(); // every task writes: copy-on-write
  await expect(explorer.stepCount).toHaveText('Step 12 of 12');
  const svg = explorer.tree;
  await expect(svg.locator('g.node.walk-static')).not.toHaveCount(0);
  expect(Number(await svg.getAttribute('data-drawn-nodes'))).toBeLessThan(
    Number(await svg.getAttribute('data-layout-nodes')),
  );
});
