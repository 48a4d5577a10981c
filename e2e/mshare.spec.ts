import { expect, test } from './fixtures';
import type { ExplorerPage, TreePicture } from './pages/ExplorerPage';
import { INTRO_SCENARIO, SEED_SCENARIO, SEED_STEPS } from './scenarios';

test.use({ reducedMotion: 'reduce' });

test("the seed's link at the guest's first fault: B's PGD entry points at the host's PUD page, drawn once", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestFirstFault} of ${SEED_STEPS.last}`);
  await expect(explorer.statement).toHaveText('B: read 1T+0x1000 23');
  // The core has mshare-v1: an ENOSYS here is a failure, not a reason to skip.
  await expect(explorer.outcome).not.toContainText('ENOSYS');

  const bRoot = explorer.nodes({ root: 'B', level: 'pgd' });
  await expect(bRoot).toHaveCount(1);
  const bId = (await bRoot.getAttribute('data-node-id')) as string;
  const bEdges = explorer.edgesFrom(bId);
  await expect(bEdges).toHaveCount(1);
  const pudId = (await bEdges.getAttribute('data-to')) as string;

  // One node...
  const pud = explorer.node(pudId);
  await expect(pud).toHaveCount(1);
  await expect(pud).toHaveAttribute('data-level', 'pud');
  await expect(pud).toHaveAttribute('data-shared', 'true');
  await expect(pud).not.toHaveAttribute('data-owner', 'B');
  await expect(pud.locator('.badge')).toContainText('shared');
  // ...with an edge from each entry pointing to it: B's, and the host's (and A's).
  const incoming = explorer.edgesTo(pudId);
  expect(await incoming.count()).toBeGreaterThanOrEqual(2);
  const from = await incoming.evaluateAll((es) => es.map((e) => e.getAttribute('data-from')));
  expect(from).toContain(bId);
  expect(from.some((f) => f !== bId)).toBe(true);

  // The trace names the patch's path, in order.
  const fns = await explorer.trace.locator('li.event').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-fn')));
  const order = ['find_shared_vma', 'set_pgd', 'VM_FAULT_NOPAGE'].map((f) => fns.indexOf(f));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  // mshare steps quote the patch lines that ran.
  const setPgd = explorer.trace.locator('li.event[data-fn="set_pgd"]');
  await setPgd.getByText('Patch lines that ran').click();
  await expect(setPgd.locator('pre')).toContainText('set_pgd(guest_pgd, *pgd);');
  await expect(setPgd.locator('.source')).toContainText('PATCH v1 08/14');

  // The guest pays no page-table bytes.
  await explorer.showTab('Accounting');
  await expect(page.getByTestId('vmpte-B')).toHaveText('0 B');
  await expect(page.getByTestId('compare-chart')).toBeVisible();
  expect(pageErrors).toEqual([]);
});

test('the copied entry travels from the host slot to the guest slot (with motion)', async ({ browser }) => {
  const page = await browser.newPage({ reducedMotion: 'no-preference' });
  const { ExplorerPage } = await import('./pages/ExplorerPage');
  const explorer = new ExplorerPage(page);
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestAttach);
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestAttach} of ${SEED_STEPS.last}`);
  // The core has mshare-v1: an ENOSYS here is a failure, not a reason to skip.
  await expect(explorer.outcome).not.toContainText('ENOSYS');
  await explorer.nextStep.click();
  const token = explorer.tree.locator('g.anim g.token');
  await expect(token).toHaveCount(1);
  await expect(token).toContainText('set_pgd');
  // The walk lights up, and the token goes away when it has arrived.
  await expect(explorer.tree.locator('.walk').first()).toBeVisible();
  await expect(token).toHaveCount(0, { timeout: 5000 });
  await page.close();
});

/** Read the tree until two reads agree (transitions, even of zero length, end on a timer). */
async function stablePicture(explorer: ExplorerPage): Promise<TreePicture> {
  let last = await explorer.treePicture();
  for (let i = 0; i < 20; i++) {
    await explorer.page.waitForTimeout(40);
    const now = await explorer.treePicture();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

for (const [name, text] of [
  ['intro', INTRO_SCENARIO],
  ['seed', SEED_SCENARIO],
] as const) {
  test(`stepping back and forward gives the same view as arriving from the start (${name})`, async ({ explorer }) => {
    test.setTimeout(60_000);
    await explorer.openScenario(text);
    const { m } = await explorer.step();
    // Arriving from the start: step by step from step 0.
    const arrived: TreePicture[] = [await stablePicture(explorer)];
    for (let k = 1; k <= m; k++) {
      await explorer.nextStep.click();
      await expect(explorer.stepCount).toHaveText(`Step ${k} of ${m}`);
      arrived.push(await stablePicture(explorer));
    }
    for (let k = m - 1; k >= 0; k--) {
      await explorer.previousStep.click();
      await expect(explorer.stepCount).toHaveText(`Step ${k} of ${m}`);
      expect(await stablePicture(explorer), `back to step ${k}`).toEqual(arrived[k]);
    }
    for (let k = 1; k <= m; k++) {
      await explorer.nextStep.click();
      expect(await stablePicture(explorer), `forward again to step ${k}`).toEqual(arrived[k]);
    }
    // Jumps, and fresh page loads straight at a step (a share link), land on the same views.
    for (const k of [Math.floor(m / 2), 1, m - 1]) {
      await explorer.slider.fill(String(k));
      await expect(explorer.stepCount).toHaveText(`Step ${k} of ${m}`);
      expect(await stablePicture(explorer), `jump to step ${k}`).toEqual(arrived[k]);
    }
    for (const k of [m - 1, Math.floor(m / 2)]) {
      await explorer.page.goto('about:blank');
      await explorer.openScenario(text, k);
      await expect(explorer.stepCount).toHaveText(`Step ${k} of ${m}`);
      expect(await stablePicture(explorer), `link to step ${k}`).toEqual(arrived[k]);
    }
  });
}
