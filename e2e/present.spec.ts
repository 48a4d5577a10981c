import { readFileSync } from 'node:fs';
import { decodeLink, encodeLink } from '../src/scenario/link';
import { expect, test } from './fixtures';
import { SEED_SCENARIO, SEED_STEPS, SMALL } from './scenarios';

test.use({ reducedMotion: 'reduce' });

const GUEST_FAULT = readFileSync('scenarios/mshare-v1-guest-fault.ptx', 'utf8');
const SGA = readFileSync('scenarios/sga-1500-mshare.ptx', 'utf8');

test('Present mode: the button, P and Escape; no editor; the side panels as overlays', async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await expect(explorer.presentButton).toHaveAttribute('aria-pressed', 'false');
  await expect(explorer.editor).toBeVisible();

  await explorer.presentButton.click();
  await expect(explorer.presentButton).toHaveAttribute('aria-pressed', 'true');
  await expect(explorer.editor).toBeHidden();
  // The tree keeps its own styles across the switch (its boxes are not left black, unstyled).
  const fills = await explorer.tree
    .locator('g.node rect.box')
    .evaluateAll((els) => els.map((el) => getComputedStyle(el).fill));
  expect(fills.length).toBeGreaterThan(0);
  for (const f of fills) expect(f).not.toBe('rgb(0, 0, 0)');
  // The side panels are closed overlays: the tree has the width.
  await expect(explorer.trace).toBeHidden();
  const stage = await explorer.treeStage.boundingBox();
  expect(stage!.width).toBeGreaterThan(1200);

  // Opened over the tree (which does not move), closed with ✕ or Escape.
  await explorer.openOverlay('Trace');
  await expect(explorer.sideOverlay).toBeVisible();
  await expect(explorer.trace).toBeVisible();
  await expect(explorer.tab('Trace')).toBeFocused();
  expect(await explorer.treeStage.boundingBox()).toEqual(stage);
  await explorer.openOverlay('Accounting');
  await expect(explorer.accounting).toBeVisible();
  await page.getByTestId('close-overlay').click();
  await expect(explorer.sideOverlay).toBeHidden();
  await explorer.openOverlay('Inspector');
  await expect(explorer.inspector).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(explorer.sideOverlay).toBeHidden();
  expect(await explorer.isPresent()).toBe(true);

  // A second Escape leaves Present mode; P comes back to it (not while typing).
  await page.keyboard.press('Escape');
  expect(await explorer.isPresent()).toBe(false);
  await expect(explorer.editor).toBeVisible();
  await page.keyboard.press('p');
  expect(await explorer.isPresent()).toBe(true);
  await page.keyboard.press('P');
  expect(await explorer.isPresent()).toBe(false);
  await explorer.editorContent.click();
  await page.keyboard.press('p');
  expect(await explorer.isPresent()).toBe(false);
  await expect(explorer.editorContent).toContainText('p');
  expect(pageErrors).toEqual([]);
});

test('Present mode travels in the link, survives a reload, and old links open without it', async ({
  explorer,
  page,
  context,
}) => {
  await explorer.openScenario(SMALL, 2);
  await page.keyboard.press('p');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('&present=1');
  const link = await explorer.copyLink();
  expect(link).toContain('present=1');
  expect(decodeLink(link)).toMatchObject({ ok: true, text: SMALL, step: 2 });

  await page.reload();
  await expect(explorer.stepCount).toHaveText('Step 2 of 3');
  expect(await explorer.isPresent()).toBe(true);

  const other = await context.newPage();
  await other.goto('/' + encodeLink(SMALL, 1));
  await expect(other.getByTestId('step-count')).toHaveText('Step 1 of 3');
  expect(await other.locator('.app').getAttribute('data-present')).toBe('false');
  // The embed takes present=1 too.
  await other.goto('/?embed=1' + encodeLink(SMALL, 1) + '&present=1');
  await expect(other.getByTestId('step-count')).toHaveText('Step 1 of 3');
  expect(await other.locator('.app').getAttribute('data-present')).toBe('true');
  await other.close();
});

test('Present mode at 1280×720: step controls of 44 px or more, text of 16 px or more', async ({ explorer, page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(GUEST_FAULT + '', SEED_STEPS.guestFirstFault);
  await page.keyboard.press('p');
  for (const b of [
    explorer.firstStep,
    explorer.previousStep,
    explorer.play,
    explorer.nextStep,
    explorer.lastStep,
    explorer.presentButton,
  ]) {
    const box = await b.boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    expect(box!.width).toBeGreaterThanOrEqual(44);
  }
  const sizes = await page.evaluate(() =>
    [
      '[data-testid="step-count"]',
      '[data-testid="caption"]',
      '[data-testid="statement"]',
      '[data-testid="changes"] p, [data-testid="change"]',
    ].map((sel) => {
      const el = document.querySelector(sel);
      return el ? parseFloat(getComputedStyle(el).fontSize) : 0;
    }),
  );
  for (const px of sizes) expect(px).toBeGreaterThanOrEqual(16);
});

test('the tree does not move with the caption, and a long caption unfolds over it', async ({ explorer, page }) => {
  for (const present of [false, true]) {
    await page.setViewportSize({ width: 1280, height: 720 });
    await explorer.openScenario(SGA, 1);
    if (present) await page.keyboard.press('p');
    const tops: number[] = [];
    // Step 1's caption is one line; step 5's is eight lines at this width.
    for (let n = 1; n <= 5; n++) {
      await explorer.slider.fill(String(n));
      await explorer.settled();
      tops.push((await explorer.treeStage.boundingBox())!.y);
    }
    expect(new Set(tops).size, `present=${present}: ${tops.join(', ')}`).toBe(1);
    await expect(explorer.captionMore).toBeVisible();
    await expect(explorer.captionMore).toHaveText('more');
    await explorer.captionMore.click();
    await expect(explorer.captionMore).toHaveAttribute('aria-expanded', 'true');
    // All of it is readable now, and still the tree stays.
    await expect(explorer.caption).toContainText('not 1,500 times.');
    const caption = await explorer.caption.boundingBox();
    const last = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="caption"]')!;
      const r = document.createRange();
      r.selectNodeContents(el);
      return r.getBoundingClientRect().bottom;
    });
    expect(last).toBeLessThanOrEqual(caption!.y + caption!.height + 1);
    expect((await explorer.treeStage.boundingBox())!.y).toBe(tops[0]);
    // Esc folds it (and, in Present mode, stays in Present mode).
    await explorer.captionMore.focus();
    await page.keyboard.press('Escape');
    await expect(explorer.captionMore).toHaveAttribute('aria-expanded', 'false');
    expect(await explorer.isPresent()).toBe(present);
  }
});

/** Hand-built changes (the shape of src/core/changes.ts), put into the worker's report of one step. */
const HAND_CHANGES = [
  {
    kind: 'entry-set',
    event: 2,
    fn: 'set_pgd',
    mm: 'B',
    level: 'pgd',
    table: 4097,
    index: 2,
    old: null,
    new: '0000000001003067',
  },
  {
    kind: 'entry-set',
    event: 5,
    fn: 'copy_present_pte',
    mm: 'A',
    level: 'pte',
    table: 9,
    index: 1,
    old: '8000000000123867',
    new: '8000000000123865',
    flags: [{ name: 'RW', from: 1, to: 0 }],
  },
  { kind: 'table-free', event: 6, fn: 'free_pgd_range', mm: 'A', level: 'pmd', pfn: 42 },
  { kind: 'pgtables', event: 6, fn: 'free_pgd_range', mm: 'A', from: 12288, to: 8192 },
  { kind: 'data-alloc', event: 3, fn: 'do_anonymous_page', pfn: 4102, what: 'anonymous page' },
];

test("the Changes list words the report's changes and is what the live region reads; its height never moves the tree", async ({
  explorer,
  page,
}) => {
  // Wrap the simulator worker's messages: step 7's report gets the hand-built changes.
  await page.addInitScript((changes) => {
    const Base = window.Worker;
    window.Worker = class extends Base {
      override set onmessage(fn: ((ev: MessageEvent) => void) | null) {
        super.onmessage = fn
          ? (ev: MessageEvent) => {
              const d = ev.data as { n?: number; report?: Record<string, unknown> };
              if (d?.n === 7 && d.report) d.report.changes = changes;
              fn.call(this, ev);
            }
          : null;
      }
      override get onmessage() {
        return super.onmessage;
      }
    };
  }, HAND_CHANGES);
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(GUEST_FAULT, 6);
  await expect(explorer.changes).toContainText('No page-table changes');
  const top = (await explorer.treeStage.boundingBox())!.y;
  await explorer.nextStep.click();
  await explorer.settled();
  await expect(explorer.changes).toContainText('Changes (5)');
  await expect(explorer.changeItems).toHaveText([
    'B PGD[2]: none → 0x0000000001003067 (set_pgd)',
    'A PTE[1]: 0x8000000000123867 → 0x8000000000123865 [RW 1→0] (copy_present_pte)',
    'A: PMD page PFN 0x2a freed (free_pgd_range)',
    'A VmPTE: 12 KiB → 8 KiB (free_pgd_range)',
    'anonymous page PFN 0x1006 allocated (do_anonymous_page)',
  ]);
  await expect(explorer.announcer).toContainText('Changes: B PGD[2]: none → 0x0000000001003067 (set_pgd); A PTE[1]');
  expect((await explorer.treeStage.boundingBox())!.y).toBe(top);
  // Five lines in a two-line box: it scrolls, from the keyboard too.
  const list = page.locator('.changes-list');
  expect(await list.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  await list.focus();
  await page.keyboard.press('End');
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  await page.keyboard.press('p');
  await expect.poll(() => explorer.isPresent()).toBe(true);
  await expect(list).toBeInViewport();
  expect(
    parseFloat(await explorer.changeItems.first().evaluate((el) => getComputedStyle(el).fontSize)),
  ).toBeGreaterThanOrEqual(16);
});

test('the Changes list says what the guest fault changed: B PGD[2] from none to the host entry (needs the core diff, issue 12)', async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(GUEST_FAULT, 7);
  await page.keyboard.press('p');
  await expect(explorer.statement).toHaveText('B: read 1T+0x1000 23');
  // The host's PGD[2] points at its PUD page, PFN 0x1003, with P RW US A D (0x067, as the tree's row shows).
  await expect(explorer.changeItems.filter({ hasText: 'B PGD[2]: none → 0x0000000001003067 (set_pgd)' })).toHaveCount(
    1,
  );
  await expect(explorer.changes).toBeInViewport();
  await expect(explorer.announcer).toContainText('Changes: ');
  await expect(explorer.announcer).toContainText('B PGD[2]: none → 0x0000000001003067 (set_pgd)');
  // A step with no page-table change says so.
  await explorer.previousStep.click();
  await explorer.settled();
  await expect(explorer.changes).toContainText('No page-table changes');
});

test('no axe violations in Present mode, with an overlay open and the caption unfolded', async ({ explorer, page }) => {
  test.setTimeout(120_000);
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const axe = async () =>
    (await new AxeBuilder({ page }).analyze()).violations.map(
      (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openScenario(SGA, 5);
  await page.keyboard.press('p');
  await explorer.openOverlay('Trace');
  await expect(explorer.trace).toBeVisible();
  expect(await axe()).toEqual([]);
  await page.keyboard.press('Escape');
  await explorer.captionMore.click();
  expect(await axe()).toEqual([]);
});

test('a 960×540 embed has the legend; a clipped title gives its full text on hover and focus; the keys are listed', async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 960, height: 540 });
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault, { embed: true });
  const legend = page.getByRole('list', { name: 'Legend' });
  await expect(legend).toBeVisible();
  await expect(legend).toBeInViewport({ ratio: 1 });

  await page.setViewportSize({ width: 1280, height: 720 });
  const long =
    'A title long enough that the header cannot hold it at 1280 pixels: mshare sga (host) and its guests, step by step';
  await explorer.openScenario(`title "${long}"\n` + SMALL.replace('title "Small"\n', ''), 1);
  const title = page.getByTestId('scenario-title').locator('.abbr');
  await expect(title).toHaveAttribute('data-clipped', 'true');
  await expect(title).toHaveAttribute('title', long);
  await title.focus();
  await expect(title).toBeFocused();
  // Focused, it unfolds: every character is drawn.
  expect(
    await title.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1),
  ).toBe(true);
  await expect(title).toHaveText(long);

  await page.getByText('Keys', { exact: true }).click();
  const keys = page.getByTestId('keys-help');
  await expect(keys).toBeVisible();
  await expect(keys).toContainText('Present mode on / off');
  await expect(keys).toContainText('leave Present mode');
});
