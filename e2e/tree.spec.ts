import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { BIG_SCENARIO, FORK, INTRO_SCENARIO, SEED_SCENARIO, SEED_STEPS } from './scenarios';

// Room to show every tree whole at a readable scale (at 1280×720 the view follows the walk instead; tested below).
test.use({ reducedMotion: 'reduce', viewport: { width: 1920, height: 1080 } });

const FIVE_LEVEL = `paging 5
spawn A
A: mmap 0x80000000000000 4M rw private anon fixed
A: write 0x80000000001000 "five"
`;

const MANY_PAGES = `spawn A
A: mmap 0x7f0000000000 1M rw private anon fixed
A: touch 0x7f0000000000 48K write
A: translate 0x7f0000000000
`;

test('each task has its tree PGD → PUD → PMD → PTE → pages, with entry indices', async ({ explorer }) => {
  await explorer.openScenario(INTRO_SCENARIO, 5);
  for (const task of ['A', 'B']) {
    const root = explorer.nodes({ root: task, level: 'pgd' });
    await expect(root).toHaveCount(1);
    await expect(root.locator('g.row[data-index="254"]')).toHaveCount(1);
  }
  for (const level of ['pud', 'pmd', 'pte']) await expect(explorer.nodes({ level })).toHaveCount(2);
  // fork: both PTE pages point at the same anonymous pages, drawn once each and marked shared.
  const shared = explorer.nodes({ kind: 'data', shared: true });
  await expect(shared).toHaveCount(2);
  const id = (await shared.first().getAttribute('data-node-id')) as string;
  await expect(explorer.edgesTo(id)).toHaveCount(2);
});

test('a huge populated range is one summary node that opens on demand', async ({ explorer, page }) => {
  await explorer.openScenario(BIG_SCENARIO, 2);
  const summary = explorer.nodes({ kind: 'summary' });
  await expect(summary).toHaveCount(1);
  await expect(summary).toContainText('PMD pages');
  const header = summary.getByRole('button');
  await expect(header).toHaveAccessibleName(/153,600 PTE pages, fully populated/);
  await header.click();
  await expect(explorer.nodes({ kind: 'summary', level: 'pmd' })).toHaveCount(0);
  await expect(explorer.nodes({ level: 'pmd', kind: 'table' }).first()).toBeVisible();
  const collapse = page.getByRole('button', { name: /Collapse opened ranges/ });
  await collapse.click();
  await expect(explorer.nodes({ kind: 'summary' })).toHaveCount(1);
});

test('a table with many entries lists a few and "+N more" opens the rest', async ({ explorer }) => {
  // At the touch (step 3) all 12 PTEs are new: a step's changed entries are listed, two rows high, up to 8
  // (MARKED_ROWS); the others are counted, and opening the table lists them, still marked.
  await explorer.openScenario(MANY_PAGES, 3);
  const pte = explorer.nodes({ level: 'pte' });
  await expect(pte.locator('g.row.changed')).toHaveCount(8);
  await expect(pte.locator('text.change')).toHaveCount(8);
  await expect(pte.locator('g.more')).toContainText('+4 more');
  await pte.getByRole('button', { name: /Show all entries/ }).click();
  await expect(pte.locator('g.row.changed')).toHaveCount(12);
  await pte.getByRole('button', { name: /Show fewer/ }).click();
  // A step on, nothing in the table changes: it lists the first 8.
  await explorer.openScenario(MANY_PAGES, 4);
  await expect(pte.locator('g.row.changed')).toHaveCount(0);
  await expect(pte.locator('g.row')).toHaveCount(8);
  const more = pte.getByRole('button', { name: /Show all entries/ });
  await expect(pte.locator('g.more')).toContainText('+4 more');
  await more.click();
  await expect(pte.locator('g.row')).toHaveCount(12);
  await pte.getByRole('button', { name: /Show fewer/ }).click();
  await expect(pte.locator('g.row')).toHaveCount(8);
});

// munmap-frees-tables' X [1T, 1T+5M) written, Y [1T+5M, 1T+6M) read: X's third PTE page maps X's last MiB (256
// entries) and Y's (256).
const MUNMAP = readFileSync(new URL('../scenarios/munmap-frees-tables.ptx', import.meta.url), 'utf8');
// Eight tasks, each with a PUD, a PMD and a PTE page under one written page, exit in one step.
const EIGHT_EXIT = `spawn T[1..8]
T[1..8]: mmap 0x7f0000000000 4K rw private anon fixed
T[1..8]: write 0x7f0000000000 "x"
T[1..8]: exit
`;

test('a step over whole tables draws a few of their rows and ghosts, and counts the rest', async ({
  explorer,
  page,
}) => {
  // Step 5 writes all of X: the third PTE page's 256 new entries, 8 of them drawn two rows high.
  await explorer.openScenario(MUNMAP, 5);
  const pte = explorer.nodes({ level: 'pte', kind: 'table' });
  await expect(pte).toHaveCount(1);
  await expect(pte.locator('g.row.changed')).toHaveCount(8);
  await expect(pte.locator('g.more')).toContainText('+248 more');
  // Step 9 unmaps X's last MiB: its 256 entries are cleared, 8 drawn struck out, and Y's 256 stay.
  await explorer.openScenario(MUNMAP, 9);
  await expect(pte.locator('g.row.cleared')).toHaveCount(8);
  await expect(pte.locator('g.cleared-more')).toHaveText('+248 more cleared at this step');
  // Eight exits free 8 PGD, 8 PUD, 8 PMD and 8 PTE pages: 6 ghosts per level, and "+2 more freed" under each.
  await explorer.openScenario(EIGHT_EXIT, 4);
  await expect(page.locator('g.ghost')).toHaveCount(24);
  await expect(page.locator('text.ghost-more')).toHaveText(Array(4).fill('+2 more freed'));
});

test("the walk of the step's address lights up level by level", async ({ explorer }) => {
  await explorer.openScenario(INTRO_SCENARIO, 6); // B: read
  const bRoot = explorer.nodes({ root: 'B' });
  await expect(bRoot.locator('g.row[data-index="254"]')).toHaveClass(/walk/);
  // One lit row per level, one lit edge between levels, and the page at the end.
  await expect(explorer.tree.locator('g.row.walk-static')).toHaveCount(4);
  await expect(explorer.tree.locator('path.edge.walk-static')).toHaveCount(4);
  await expect(explorer.tree.locator('g.node[data-kind="data"].walk-static')).toHaveCount(1);
  // A step without an address lights nothing.
  await explorer.nextStep.click();
  await explorer.nextStep.click();
  await explorer.nextStep.click(); // B: exit
  await expect(explorer.tree.locator('.walk-static')).toHaveCount(0);
});

test('pan and zoom', async ({ explorer, page }) => {
  await explorer.openScenario(INTRO_SCENARIO, 5);
  const viewport = explorer.tree.locator('g.viewport');
  const before = await viewport.getAttribute('transform');
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect.poll(() => viewport.getAttribute('transform')).not.toBe(before);
  const zoomed = await viewport.getAttribute('transform');
  const box = (await explorer.tree.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height - 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height - 40, { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => viewport.getAttribute('transform')).not.toBe(zoomed);
  await page.getByRole('button', { name: 'Fit' }).click();
  await expect.poll(() => viewport.getAttribute('transform')).toBe(before);
});

test('the address split into bit fields; hovering a field highlights that level', async ({ explorer }) => {
  await explorer.openScenario(INTRO_SCENARIO, 3);
  const f = (name: string) => explorer.address.locator(`[data-field="${name}"]`);
  await expect(explorer.address).toContainText('0x7f0000001000');
  await expect(f('sign')).toContainText('canonical');
  await expect(f('pgd')).toContainText('[254]');
  await expect(f('pgd')).toContainText('011111110');
  await expect(f('pud')).toContainText('[0]');
  await expect(f('pmd')).toContainText('[0]');
  await expect(f('pte')).toContainText('[1]');
  await expect(f('offset')).toContainText('0x0');
  await expect(f('p4d')).toHaveCount(0);
  await f('pmd').hover();
  await expect(explorer.nodes({ level: 'pmd' }).first()).toHaveClass(/level-hover/);
  await expect(explorer.nodes({ level: 'pgd' }).first()).not.toHaveClass(/level-hover/);
  await f('pgd').focus();
  await expect(explorer.nodes({ level: 'pgd' }).first()).toHaveClass(/level-hover/);
});

test('5-level paging shows the P4D field and level', async ({ explorer }) => {
  await explorer.openScenario(FIVE_LEVEL, 3);
  await expect(explorer.address.locator('[data-field="p4d"]')).toContainText('P4D');
  await expect(explorer.address.locator('[data-field="sign"]')).toContainText('63–57');
  await expect(explorer.nodes({ level: 'p4d' })).toHaveCount(1);
});

test('the inspector: an entry shows its raw value, every flag, its PFN and target; a table page its parents and entries', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(FORK, 5);
  const aRoot = explorer.nodes({ root: 'A' });
  await aRoot.locator('g.row[data-index="254"]').click();
  await expect(explorer.tab('Inspector')).toHaveAttribute('aria-selected', 'true');
  await expect(explorer.inspector).toContainText('PGD entry 254');
  await expect(page.getByTestId('entry-value')).toHaveText(/^0x[0-9a-f]{16}$/);
  const flags = page.getByTestId('flags').locator('tbody tr');
  await expect(flags).toHaveCount(10);
  expect(await flags.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-flag')))).toEqual([
    'P',
    'RW',
    'US',
    'PWT',
    'PCD',
    'A',
    'D',
    'PS',
    'G',
    'NX',
  ]);
  await expect(flags.filter({ has: page.locator('th', { hasText: /^P$/ }) })).toHaveAttribute('data-set', 'true');
  await expect(flags.filter({ has: page.locator('th', { hasText: /^PS$/ }) })).toHaveAttribute('data-set', 'false');
  await expect(aRoot.locator('g.row[data-index="254"]')).toHaveClass(/selected/);
  // Choosing another entry moves the mark: one selected row in the whole tree.
  const bRoot = explorer.nodes({ root: 'B' });
  await bRoot.locator('g.row[data-index="254"]').click();
  await expect(bRoot.locator('g.row[data-index="254"]')).toHaveClass(/selected/);
  await expect(explorer.tree.locator('g.row.selected')).toHaveCount(1);
  await aRoot.locator('g.row[data-index="254"]').click();
  await expect(explorer.tree.locator('g.row.selected')).toHaveCount(1);

  // Follow it to the PUD page.
  await explorer.inspector.getByRole('button', { name: /PUD page/ }).click();
  await expect(explorer.inspector).toContainText('Level');
  await expect(explorer.inspector).toContainText('PUD');
  await expect(page.getByTestId('pointed-by').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('present-entries').locator('li')).toHaveCount(1);

  // A shared data page: pointed to by two entries (zoomed out to have both trees in view).
  await page.getByRole('button', { name: 'Zoom out' }).click();
  await page.getByRole('button', { name: 'Zoom out' }).click();
  const shared = explorer.nodes({ kind: 'data', shared: true }).first();
  await shared.getByRole('button').click();
  await expect(page.getByTestId('pointed-by').locator('li')).toHaveCount(2);
  await expect(explorer.inspector).toContainText('(shared)');
});

test('the inspector is keyboard-reachable: tree nodes are buttons', async ({ explorer, page }) => {
  await explorer.openScenario(FORK, 2);
  const header = explorer.nodes({ root: 'A' }).getByRole('button').first();
  await header.focus();
  await page.keyboard.press('Enter');
  await expect(explorer.inspector).toContainText('PGD page');
});

test('each step replays the walk animation, also on the levels it shares with the last walk (with motion)', async ({
  browser,
}) => {
  const page = await browser.newPage({ reducedMotion: 'no-preference' });
  const { ExplorerPage } = await import('./pages/ExplorerPage');
  const explorer = new ExplorerPage(page);
  await explorer.openScenario(INTRO_SCENARIO, 2);
  /** The walk animations running on A's PGD row 254 (in both writes' walks): their keyframes' names. */
  const running = () =>
    explorer
      .nodes({ root: 'A' })
      .locator('g.row[data-index="254"] rect')
      .evaluate((r) => r.getAnimations().map((a) => (a as CSSAnimation).animationName));
  await explorer.nextStep.click(); // A's first write
  await expect(explorer.stepCount).toHaveText(/^Step 3 of/);
  await expect.poll(running).toHaveLength(1);
  const [first] = await running();
  expect(['ptx-walk-row', 'ptx-walk-row-alt']).toContain(first);
  await explorer.nextStep.click(); // A's second write, through the same PGD, PUD and PMD entries
  await expect(explorer.stepCount).toHaveText(/^Step 4 of/);
  // The other name: the browser starts the animation over (the same name would just keep the finished one).
  await expect.poll(running).toEqual([first === 'ptx-walk-row' ? 'ptx-walk-row-alt' : 'ptx-walk-row']);
  await page.close();
});

/** The smallest text of the tree in view, in CSS px on screen (font size × the drawing's scale). */
function smallestText(svg: SVGSVGElement): { px: number; text: string } {
  const box = svg.getBoundingClientRect();
  let min = { px: Infinity, text: '' };
  for (const t of svg.querySelectorAll<SVGTextElement>('g.viewport text')) {
    const r = t.getBoundingClientRect();
    if (r.width === 0 || r.right < box.left || r.left > box.right || r.bottom < box.top || r.top > box.bottom) continue;
    const px = parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1);
    if (px < min.px) min = { px, text: t.textContent ?? '' };
  }
  return min;
}

test("at 1280×720 the tree's smallest text is at least 9 CSS px, with the editor open, and the view follows the step", async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  const min = await explorer.tree.evaluate(smallestText);
  expect(min.px, `"${min.text}"`).toBeGreaterThanOrEqual(9);
  // The guest's PGD, whose entry the step copies, is in view (the forest is wider than the view at that size).
  const b = explorer.nodes({ root: 'B', level: 'pgd' });
  await expect(b).toBeInViewport();
  // The copy's label is readable: at least 12 px.
  const token = explorer.tree.locator('g.token text').first();
  const tokenPx = await token.evaluate(
    (t) => parseFloat(getComputedStyle(t).fontSize) * ((t as SVGTextElement).getScreenCTM()?.a ?? 1),
  );
  expect(tokenPx).toBeGreaterThanOrEqual(12);
});

test("the tree's box does not move when the caption's length changes", async ({ explorer, page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SEED_SCENARIO, 1);
  const boxes: string[] = [];
  for (let k = 1; k <= SEED_STEPS.last; k++) {
    if (k > 1) await explorer.nextStep.click();
    await expect(explorer.stepCount).toHaveText(`Step ${k} of ${SEED_STEPS.last}`);
    const b = await explorer.tree.boundingBox();
    boxes.push(JSON.stringify(b));
  }
  expect(new Set(boxes).size, boxes.join('\n')).toBe(1);
});

test('entry rows are reached by keyboard: ↓ from a table header, ↑/↓ between rows, Enter selects', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(FORK, 5);
  const header = explorer.nodes({ root: 'A', level: 'pgd' }).locator('g.header');
  await header.focus();
  await page.keyboard.press('ArrowDown');
  const row = explorer.nodes({ root: 'A', level: 'pgd' }).locator('g.row').first();
  await expect(row).toBeFocused();
  await expect(row).toHaveAccessibleName(/PGD entry 254: 0x/);
  await page.keyboard.press('ArrowUp');
  await expect(header).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(explorer.inspector).toContainText('PGD entry 254');
});

test('trees are labelled by role in an mshare scenario: host mm, creator, guest', async ({ explorer }) => {
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  const labels = await explorer.tree.locator('g.node text.role-label').allTextContents();
  expect(labels.sort()).toEqual(['A (creator)', 'B (guest)', 'host mm (sga)']);
});

test('trace ↔ tree: hovering set_pgd marks both PGD entries; the guest entry lists the call in the inspector', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await explorer.showTab('Trace');
  await explorer.trace.locator('li.event[data-fn="set_pgd"] .event-head').hover();
  const hit = explorer.tree.locator('g.row.trace-hit');
  await expect(hit).toHaveCount(2);
  const owners = await hit.evaluateAll((rs) =>
    rs.map((r) => `${r.closest('g.node')?.getAttribute('data-root')}[${r.getAttribute('data-index')}]`),
  );
  expect(owners.sort()).toEqual(['B[2]', 'mshare:sga[2]']);
  await page.mouse.move(5, 5);
  await expect(hit).toHaveCount(0);
  // Picked (clicked) it stays.
  await explorer.trace.locator('li.event[data-fn="set_pgd"] .event-head').click();
  await page.mouse.move(5, 5);
  await expect(hit).toHaveCount(2);

  await explorer.nodes({ root: 'B', level: 'pgd' }).locator('g.row[data-index="2"]').click();
  await expect(page.getByTestId('touched-by')).toContainText('set_pgd');
});

test('the copy travels from the host slot, down a lane left of every tree, then leaves its path (with motion)', async ({
  browser,
}) => {
  const page = await browser.newPage({ reducedMotion: 'no-preference', viewport: { width: 1280, height: 720 } });
  const { ExplorerPage } = await import('./pages/ExplorerPage');
  const explorer = new ExplorerPage(page);
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestAttach);
  await explorer.nextStep.click();
  const token = explorer.tree.locator('g.anim g.token');
  await expect(token).toHaveCount(1);
  // It starts at the host's PGD entry 2 (the copy's source), not A's.
  await expect(token).toHaveAttribute('data-copy', /->t\d+:2$/);
  const host = await explorer.nodes({ root: 'mshare:sga', level: 'pgd' }).getAttribute('data-node-id');
  expect(await token.getAttribute('data-copy')).toMatch(new RegExp(`^${host}:2->`));
  // It moves (its duration, COPY_MS, is not timed here: a loaded machine would make that flaky).
  const start = await token.getAttribute('transform');
  await expect
    .poll(async () => (await token.count()) === 0 || (await token.getAttribute('transform')) !== start)
    .toBe(true);
  // The lane: every point of the path left of the PGD column (x < 0 in the drawing), but its ends.
  const d = (await explorer.tree.locator('g.anim path.token-path').getAttribute('d')) ?? '';
  const xs = [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => Number(m[1]));
  expect(xs.slice(1, -1).every((x) => x < 0)).toBe(true);
  await expect(token).toHaveCount(0, { timeout: 5000 });
  await expect(explorer.tree.locator('g.anim path.token-path')).toHaveCount(1);
  // Replay runs it again.
  await page.getByRole('button', { name: /Replay the copy/ }).click();
  await expect(token).toHaveCount(1);
  await page.close();
});

test("the tree's box stays put from step 0 through a copy lesson's steps, at 1440×900 and 1280×720", async ({
  explorer,
  page,
}) => {
  // mshare-v1-guest-fault: step 0 says "before the first step" (no event count under "Step 0 of 11"), step 5 and later
  // copy an entry with set_pgd (the "Replay copy" button). Either one made a row taller at that step only: the tree
  // jumped by 1.6 or 29 px, and its view was fitted again (a second layout and paint in that step).
  const text = readFileSync('scenarios/mshare-v1-guest-fault.ptx', 'utf8');
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width, height });
    await explorer.openScenario(text, 0);
    const { m } = await explorer.step();
    const boxes: string[] = [];
    let copied = false;
    for (let k = 0; k <= m; k++) {
      if (k > 0) await explorer.nextStep.click();
      await expect(explorer.stepCount).toHaveText(`Step ${k} of ${m}`);
      await explorer.settled();
      copied ||= await page.getByRole('button', { name: /Replay the copy/ }).isVisible();
      boxes.push(`step ${k}: ${JSON.stringify(await explorer.tree.boundingBox())}`);
    }
    expect(copied, 'the lesson has a copy step').toBe(true);
    expect(new Set(boxes.map((b) => b.replace(/^step \d+: /, ''))).size, boxes.join('\n')).toBe(1);
  }
});

test('"Showing 64 of 1,500 trees" sits over the tree and moves nothing when it appears (1440×900)', async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  // sga-1500-mainline: step 2 has one task, step 3 forks 1,499 more (only 64 trees are drawn).
  await explorer.openScenario(readFileSync('scenarios/sga-1500-mainline.ptx', 'utf8'), 2);
  await explorer.settled();
  const note = page.getByRole('note').filter({ hasText: /^Showing [\d,]+ of [\d,]+ trees$/ });
  await expect(note).toHaveCount(0);
  const before = await explorer.tree.boundingBox();
  await explorer.nextStep.click();
  await expect(explorer.stepCount).toHaveText('Step 3 of 4');
  await explorer.settled();
  await expect(note).toHaveText('Showing 64 of 1,500 trees');
  expect(await explorer.tree.boundingBox()).toEqual(before);
  // Inside the tree's box, and readable.
  const box = (await note.boundingBox())!;
  expect(box.y + box.height).toBeLessThanOrEqual(before!.y + before!.height);
  expect(box.y).toBeGreaterThanOrEqual(before!.y);
  expect(await note.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(12);
});
