/**
 * The next step's new tables are drawn ahead, hidden, while the user reads the current one (src/views/treeDraw.ts,
 * prepare()): a step that adds a dozen tables then only shows them (docs/PERFORMANCE.md, session 10). What it must
 * never change: what a step shows, what the tests and the user find in the tree, and what an export carries.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';

// Pictures of the tree are compared with positions: nodes that move must be where they go, not on their way.
test.use({ reducedMotion: 'reduce' });

// mshare-v1-guest-fault: step 5 is A's first write, which allocates the host's PUD, PMD and PTE tables and a page.
const FILE = readFileSync('scenarios/mshare-v1-guest-fault.ptx', 'utf8');
// sga-1500-mainline: 1,500 clients, a forest drawn culled to the view.
const SGA = readFileSync('scenarios/sga-1500-mainline.ptx', 'utf8');

/** The hidden nodes drawn ahead, each marked so that the next step can be checked to use those very elements. */
async function markAhead(page: import('@playwright/test').Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<SVGGElement>('svg.ptx-tree g.node-ahead:not([data-replaces])')].map((el) => {
      (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark = true;
      return el.getAttribute('data-node-id') ?? '';
    }),
  );
}

test("the next step's new tables wait hidden, and the step shows those very elements", async ({ explorer, page }) => {
  await explorer.openScenario(FILE, 4);
  const ahead = page.locator('svg.ptx-tree g.node-ahead');
  // Drawn once the step ahead is computed and the page is idle.
  await expect(ahead).not.toHaveCount(0);
  const ids = await markAhead(page);
  // Hidden: not seen, not a node for the tree's own queries, not in the accessibility tree.
  for (const el of await ahead.all()) await expect(el).toBeHidden();
  await expect(explorer.tree.locator('g.node')).toHaveCount(3);
  await expect(explorer.tree.getByRole('button', { name: /^PUD page/ })).toHaveCount(0);

  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 5 of 11');
  await explorer.settled();
  const fresh = explorer.tree.locator('g.node[data-new="true"]');
  const freshIds = await fresh.evaluateAll((els) => els.map((el) => el.getAttribute('data-node-id') ?? ''));
  expect(freshIds.length).toBeGreaterThan(0);
  expect([...freshIds].sort()).toEqual([...ids].sort());
  // The same elements, now shown.
  const reused = await fresh.evaluateAll((els) =>
    els.map((el) => (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark === true),
  );
  expect(reused).toEqual(freshIds.map(() => true));
  for (const el of await fresh.all()) await expect(el).toBeVisible();
  await expect(explorer.tree.getByRole('button', { name: /^PUD page/ })).toHaveCount(1);
});

test('a table the next step changes inside has its next self drawn ahead, which the step shows in its place', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(FILE, 4);
  const next = page.locator('svg.ptx-tree g.node-ahead[data-replaces]');
  await expect(next).not.toHaveCount(0);
  const ids = await next.evaluateAll((els) =>
    els.map((el) => {
      (el as SVGGElement & { __nextMark?: boolean }).__nextMark = true;
      return el.getAttribute('data-node-id') ?? '';
    }),
  );
  // Each beside the one shown, which it will replace; hidden, and no node for the tree's queries.
  for (const id of ids) await expect(explorer.tree.locator(`g.node[data-node-id="${id}"]`)).toHaveCount(1);
  for (const el of await next.all()) await expect(el).toBeHidden();

  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 5 of 11');
  await explorer.settled();
  for (const id of ids) {
    const node = explorer.tree.locator(`g.node[data-node-id="${id}"]`);
    await expect(node).toHaveCount(1);
    await expect(node).toBeVisible();
    // The very element drawn ahead, now the node.
    expect(await node.evaluate((el) => (el as SVGGElement & { __nextMark?: boolean }).__nextMark)).toBe(true);
  }
  // And what it shows is what the step shows opened from a link (the whole tree: 'drawn ahead or not', below).
  const stepped = await explorer.treePicture();
  await explorer.openScenario(FILE, 5);
  expect(await explorer.treePicture()).toEqual(stepped);
});

test('drawn ahead or not, a step draws the same tree', async ({ explorer, page }) => {
  // Stepped to (its new tables drawn ahead at step 4) ...
  await explorer.openScenario(FILE, 4);
  await expect(page.locator('svg.ptx-tree g.node-ahead')).not.toHaveCount(0);
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 5 of 11');
  await explorer.settled();
  const stepped = await explorer.treePicture();
  // ... and opened at it from a link (nothing drawn ahead).
  await explorer.openScenario(FILE, 5);
  const opened = await explorer.treePicture();
  expect(stepped).toEqual(opened);
});

test('what was drawn ahead for a step not taken is removed; an export never carries it', async ({ explorer, page }) => {
  await explorer.openScenario(FILE, 4);
  await expect(page.locator('svg.ptx-tree g.node-ahead')).not.toHaveCount(0);
  await markAhead(page);
  await explorer.previousStep.click();
  await expect(explorer.stepCount).toHaveText('Step 3 of 11');
  await explorer.settled();
  const stale = await page.evaluate(
    () =>
      [...document.querySelectorAll('svg.ptx-tree g')].filter(
        (el) => (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark,
      ).length,
  );
  expect(stale).toBe(0);

  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 4 of 11');
  await explorer.settled();
  await expect(page.locator('svg.ptx-tree g.node-ahead')).not.toHaveCount(0);
  const { text: svg } = await explorer.exportSvg();
  expect(svg).toContain('PGD · host sga');
  expect(svg).not.toMatch(/class="[^"]*node-ahead/);
  expect(svg).not.toContain('PUD · host sga');
});

test('a forest drawn culled to the view has what the view will show drawn ahead, and draws the same', async ({
  explorer,
  page,
}) => {
  // sga-1500-mainline: step 3 forks 1,499 clients; 64 trees are laid out, a dozen nodes drawn in view.
  await explorer.openScenario(SGA, 2);
  await expect(page.locator('svg.ptx-tree g.node-ahead')).not.toHaveCount(0);
  const ids = await markAhead(page);
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 3 of 4');
  await explorer.settled();
  const tree = page.getByTestId('tree');
  expect(Number(await tree.getAttribute('data-layout-nodes'))).toBeGreaterThan(
    Number(await tree.getAttribute('data-drawn-nodes')),
  );
  // What was guessed is what the view shows: every node drawn ahead is drawn, and none is left hidden.
  const drawn = await explorer.tree
    .locator('g.node')
    .evaluateAll((els) =>
      els
        .filter((el) => (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark)
        .map((el) => el.getAttribute('data-node-id')),
    );
  expect([...drawn].sort()).toEqual([...ids].sort());
  const leftHidden = await page
    .locator('svg.ptx-tree g.node-ahead')
    .evaluateAll((els) => els.filter((el) => (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark).length);
  expect(leftHidden).toBe(0);
  const stepped = await explorer.treePicture();
  await explorer.openScenario(SGA, 3);
  expect(await explorer.treePicture()).toEqual(stepped);
});

// Eight tasks, each with a PUD, a PMD and a PTE page under one written page, exit in one step (as in tree.spec.ts).
const EIGHT_EXIT = `spawn T[1..8]
T[1..8]: mmap 0x7f0000000000 4K rw private anon fixed
T[1..8]: write 0x7f0000000000 "x"
T[1..8]: exit
`;

/** The ghosts shown: what each is of, where, and what it says. */
function ghostPicture(page: import('@playwright/test').Page): Promise<string[]> {
  return page
    .locator('svg.ptx-tree g.ghost')
    .evaluateAll((els) =>
      els.map((el) => `${el.getAttribute('data-ghost-of')} ${el.getAttribute('transform')} ${el.textContent}`).sort(),
    );
}

test('the ghosts of the tables the next step frees wait hidden too, and the step shows those very ghosts', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(EIGHT_EXIT, 3);
  const ahead = page.locator('svg.ptx-tree g.ghost-ahead');
  // 8 PGD, PUD, PMD and PTE pages freed: 6 ghosts drawn per level (the rest counted).
  await expect(ahead).toHaveCount(24);
  for (const el of await ahead.all()) await expect(el).toBeHidden();
  await expect(page.locator('svg.ptx-tree g.ghost')).toHaveCount(0);
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('svg.ptx-tree g.ghost-ahead'))
      (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark = true;
  });

  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 4 of 4');
  await explorer.settled();
  const ghosts = page.locator('svg.ptx-tree g.ghost');
  await expect(ghosts).toHaveCount(24);
  expect(
    await ghosts.evaluateAll(
      (els) => els.filter((el) => (el as SVGGElement & { __aheadMark?: boolean }).__aheadMark).length,
    ),
  ).toBe(24);
  for (const el of await ghosts.all()) await expect(el).toBeVisible();
  await expect(ahead).toHaveCount(0);
  await expect(page.locator('text.ghost-more')).toHaveText(Array(4).fill('+2 more freed'));
  const stepped = await ghostPicture(page);
  // The same ghosts as the step opened from a link.
  await explorer.openScenario(EIGHT_EXIT, 4);
  await expect(ghosts).toHaveCount(24);
  expect(await ghostPicture(page)).toEqual(stepped);
});

test('a culled forest draws the ghosts in view, the others where the view goes, and an export carries all', async ({
  explorer,
  page,
}) => {
  // sga-1500-mainline's OOM step frees tables of all four levels: 6 ghosts per column at the column's foot. The PTE
  // column is empty and its ghosts are in view; the others are under 64 trees.
  await explorer.openScenario(SGA, 4);
  const ghosts = page.locator('svg.ptx-tree g.ghost');
  await expect(ghosts).toHaveCount(6);
  expect(await ghosts.evaluateAll((els) => els.map((el) => el.textContent?.slice(0, 3)))).toEqual(Array(6).fill('PTE'));
  const { text: svg } = await explorer.exportSvg();
  expect(svg.match(/<g class="ghost"/g)?.length).toBe(24);
  await expect(ghosts).toHaveCount(6);
});

test("an empty step's view takes the next step's fit ahead, so what is drawn ahead is laid out at its scale", async ({
  explorer,
  page,
}) => {
  // SVG text is laid out for its size on screen: drawn ahead at the empty view's scale 1 and shown at the step's,
  // the first step's nodes were laid out twice (docs/PERFORMANCE.md, session 12).
  await explorer.openScenario(SGA, 0);
  await expect(page.locator('svg.ptx-tree g.node-ahead')).not.toHaveCount(0);
  const viewport = page.locator('svg.ptx-tree g.viewport');
  const ahead = await viewport.getAttribute('transform');
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 1 of 4');
  await explorer.settled();
  const tree = page.getByTestId('tree');
  // What makes this test mean something: the step's fit is not the empty view's scale 1.
  expect(Number(await tree.getAttribute('data-scale'))).not.toBe(1);
  expect(await viewport.getAttribute('transform')).toBe(ahead);
  // And it is the fit the step has when opened from a link.
  await explorer.openScenario(SGA, 1);
  expect(await viewport.getAttribute('transform')).toBe(ahead);
});

test('a keyboard focus inside a table the step changes stays on the same part of it, forward and back', async ({
  explorer,
  page,
}) => {
  /** The node and part (header, or row and its entry index) that has the focus. */
  const focused = () =>
    page.evaluate(() => {
      const f = document.activeElement;
      const node = f?.closest('g.node');
      if (!node) return `not in a node: ${f?.tagName}`;
      const part = f?.classList.contains('header') ? 'header' : `row ${f?.getAttribute('data-index')}`;
      return `${node.getAttribute('data-node-id')} ${part}`;
    });
  const step = async (key: string, n: number) => {
    await page.keyboard.press(key);
    await expect(explorer.stepCount).toHaveText(`Step ${n} of 11`);
    await explorer.settled();
  };
  // Step 10 adds entry 2 to the PTE page t4101, whose entry 1 step 5 set: its next self is drawn ahead at step 9.
  await explorer.openScenario(FILE, 9);
  await expect(page.locator('svg.ptx-tree g.node-ahead[data-replaces][data-node-id="t4101"]')).toHaveCount(1);
  await explorer.tree.locator('g.node[data-node-id="t4101"] > g.row[data-index="1"]').focus();
  expect(await focused()).toBe('t4101 row 1');
  // Forward: the node shown is replaced by its next self; the focus is on the same entry of it.
  await step('ArrowRight', 10);
  expect(await focused()).toBe('t4101 row 1');
  // Back: nothing is drawn ahead backwards, the node's inside is drawn again in place; the same entry again.
  await step('ArrowLeft', 9);
  expect(await focused()).toBe('t4101 row 1');
  // An entry the step takes away: the focus goes to its table's header. Step 5 sets entry 2 of the host mm's PGD
  // page t4098, which has none at step 4.
  await explorer.openScenario(FILE, 5);
  await explorer.tree.locator('g.node[data-node-id="t4098"] > g.row[data-index="2"]').focus();
  await step('ArrowLeft', 4);
  expect(await focused()).toBe('t4098 header');
});
