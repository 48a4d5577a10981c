/**
 * Lessons (issue 16): the gallery is an ordered path in sections, each
 * lesson with its goal and minutes; `#lesson=NAME&step=N` opens a lesson;
 * every lesson's last step offers the next one. Screenshots at 1280x720 and
 * 1920x1080 go to the test's output folder (and /tmp/shots/lessons/ when it
 * exists, to look at).
 */
import { existsSync, readFileSync } from 'node:fs';
import { BIG_SCENARIO, INTRO_SCENARIO } from '../src/scenario/examples';
import { LESSONS, SECTIONS, type Lesson } from '../src/scenario/lessons';
import { parseScenario } from '../src/scenario/parser';
import { expect, test } from './fixtures';
import { SEED_SCENARIO } from './scenarios';

test.use({ reducedMotion: 'reduce' });

/** A lesson's text, title and number of steps, read the way the app reads them. */
function lessonInfo(l: Lesson): { text: string; title: string; steps: number } {
  const text =
    'file' in l.source
      ? readFileSync(new URL(`../scenarios/${l.source.file}`, import.meta.url), 'utf8')
      : l.source.builtin === 'intro'
        ? INTRO_SCENARIO
        : BIG_SCENARIO;
  const r = parseScenario(text);
  if (!r.ok) throw new Error(`${l.name} does not parse`);
  return { text, title: r.scenario.title ?? l.name, steps: r.scenario.steps.length };
}

async function shot(page: import('@playwright/test').Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`) });
  if (existsSync('/tmp/shots/lessons')) await page.screenshot({ path: `/tmp/shots/lessons/${name}.png` });
}

for (const [w, h] of [
  [1280, 720],
  [1920, 1080],
] as const) {
  test(`the gallery shows the sections in order, each lesson once with its goal and minutes (${w}x${h})`, async ({
    explorer,
    page,
    pageErrors,
  }) => {
    await page.setViewportSize({ width: w, height: h });
    await explorer.goto();
    await explorer.settled();
    await explorer.galleryButton.click();
    await expect(explorer.gallery).toBeVisible();
    await expect(explorer.gallery.getByRole('heading', { level: 3 })).toHaveText(
      SECTIONS.map((s, i) => `${i + 1}. ${s.title}`),
    );
    const items = explorer.gallery.locator('.gallery-item');
    await expect(items).toHaveCount(LESSONS.length);
    // In path order, numbered, no scenario twice.
    expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-lesson')))).toEqual(
      LESSONS.map((l) => l.name),
    );
    const titles = await items.locator('.gallery-title').allTextContents();
    expect(new Set(titles).size).toBe(titles.length);
    expect(titles[0]).toBe('1. First steps: faults build page tables, fork copies them');
    expect(titles.filter((t) => /guest's first fault copies a PGD entry/.test(t))).toHaveLength(1);
    // The seed lesson: its goal, what to know first, minutes.
    const seed = explorer.gallery.locator('[data-lesson="mshare-v1-guest-fault"]');
    const seedLesson = LESSONS.find((l) => l.name === 'mshare-v1-guest-fault')!;
    await expect(seed.locator('.gl-goal')).toHaveText(seedLesson.goal);
    await expect(seed.locator('.gl-know')).toHaveText(`Know first: ${seedLesson.know}`);
    await expect(seed.locator('.gl-minutes')).toHaveText(`${seedLesson.minutes} min`);
    // Where it comes from, and the name a course links it by.
    await expect(seed.locator('.gallery-source')).toHaveText(
      'scenarios/mshare-v1-guest-fault.ptx · link: #lesson=mshare-v1-guest-fault',
    );
    await expect(
      explorer.gallery.getByText(/^\d+ lessons in order, from a first fault to the 1,500-client SGA/),
    ).toBeVisible();
    await shot(page, `gallery-top-${w}x${h}`);
    await explorer.gallery.getByRole('heading', { name: '7. mshare v1 (2022, the seed)' }).scrollIntoViewIfNeeded();
    await shot(page, `gallery-mshare-${w}x${h}`);
    // The minutes, the title and the goal do not overflow their row.
    const box = await seed.boundingBox();
    const minutes = await seed.locator('.gl-minutes').boundingBox();
    expect(minutes!.x + minutes!.width).toBeLessThanOrEqual(box!.x + box!.width);
    expect(pageErrors).toEqual([]);
  });
}

test('#lesson=NAME&step=N opens the lesson at that step; an unknown name says so and changes nothing', async ({
  explorer,
  page,
  pageErrors,
}) => {
  await explorer.goto('/#lesson=fork-shared-vs-private&step=5');
  await explorer.settled();
  await expect(page.getByTestId('scenario-title')).toHaveText(
    'fork copies tables only for private VMAs with an anon_vma',
  );
  await expect(explorer.stepCount).toHaveText(/^Step 5 of \d+$/);
  await expect(explorer.editorContent).toContainText('fork copies tables only for private VMAs');
  // The address bar then holds the usual share link of the same text and step.
  await expect.poll(() => new URL(page.url()).hash).toMatch(/^#v3=.*&step=5$/);

  // A lesson link in the same tab (hashchange), with Present mode.
  await page.evaluate(() => {
    location.hash = '#lesson=madvise-reclaim&step=2&present=1';
  });
  await explorer.settled();
  await expect(page.getByTestId('scenario-title')).toHaveText(
    'MADV_DONTNEED frees PTE pages it empties (CONFIG_PT_RECLAIM)',
  );
  await expect(explorer.stepCount).toHaveText('Step 2 of 8');
  await expect.poll(() => explorer.isPresent()).toBe(true);

  await explorer.goto('/#lesson=no-such-lesson');
  await expect(explorer.notices).toContainText(
    'This link names a lesson "no-such-lesson" that this explorer does not have.',
  );
  await expect(page.getByTestId('scenario-title')).toHaveText(
    'MADV_DONTNEED frees PTE pages it empties (CONFIG_PT_RECLAIM)',
  );
  expect(pageErrors.filter((e) => !/no-such-lesson/.test(e))).toEqual([]);
});

test('old links keep opening: a share link of the built-in seed text', async ({ explorer, page }) => {
  await explorer.openScenario(SEED_SCENARIO, 6);
  await expect(page.getByTestId('scenario-title')).toHaveText("mshare: the guest's first fault copies a PGD entry");
  await expect(explorer.stepCount).toHaveText(/^Step 6 of \d+$/);
  // Not a lesson's text, so no lesson card even at its end.
  await explorer.lastStep.click();
  await expect(page.getByTestId('next-lesson')).toHaveCount(0);
});

test('the last step of a lesson offers the next, which opens at its start; an edited text is no longer the lesson', async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const first = lessonInfo(LESSONS[0]!);
  const second = lessonInfo(LESSONS[1]!);
  await explorer.goto(`/#lesson=${LESSONS[0]!.name}&step=${first.steps - 1}`);
  await explorer.settled();
  const card = page.getByTestId('next-lesson');
  await expect(card).toHaveCount(0); // not yet at the end
  await explorer.nextStep.click();
  await explorer.settled();
  await expect(card).toBeVisible();
  await expect(card).toContainText(`Lesson 1 of ${LESSONS.length} done`);
  const link = card.getByRole('link', { name: /Next lesson/ });
  await expect(link).toContainText(second.title);
  await expect(link).toHaveAttribute('href', `#lesson=${LESSONS[1]!.name}`);
  await shot(page, 'next-lesson-1280x720');
  await link.click();
  await explorer.settled();
  await expect(page.getByTestId('scenario-title')).toHaveText(second.title);
  await expect(explorer.stepCount).toHaveText(`Step 0 of ${second.steps}`);
  await expect(card).toHaveCount(0);

  await explorer.lastStep.click();
  await expect(card).toContainText(`Lesson 2 of ${LESSONS.length} done`);
  // Present mode at 1920x1080: the card is there too, and leaves the step controls alone.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await explorer.presentButton.click();
  await explorer.settled();
  await expect(card).toBeVisible();
  await shot(page, 'next-lesson-present-1920x1080');
  await explorer.presentButton.click();

  // The card can be closed.
  await card.getByRole('button', { name: 'Close the next-lesson card' }).click();
  await expect(card).toHaveCount(0);
  await explorer.previousStep.click();
  await explorer.nextStep.click();
  await expect(card).toHaveCount(0);
  await page.getByRole('button', { name: 'Gallery', exact: true }).click();
  await explorer.gallery.locator(`[data-lesson="${LESSONS[0]!.name}"]`).click();
  await explorer.lastStep.click();
  await expect(card).toBeVisible();

  // Edited, the text is the user's own: no lesson, no card.
  await explorer.editorContent.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type('\n# my note\n');
  await expect(card).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

test("a lesson's step 0 says what it teaches, in full, with a Start button in sight; Start runs step 1", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const i = LESSONS.findIndex((l) => l.name === 'mshare-v1-other-address');
  const l = LESSONS[i]!;
  const info = lessonInfo(l);
  await explorer.goto(`/#lesson=${l.name}`);
  await explorer.settled();
  const card = page.getByTestId('lesson-start');
  await expect(card).toBeVisible();
  await expect(card).toContainText(`Lesson ${i + 1} of ${LESSONS.length} · about ${l.minutes} min`);
  // The title in full (the top bar cuts it at this width), the goal, what to see and to know first.
  await expect(card.getByRole('heading', { level: 2 })).toHaveText(info.title);
  for (const line of [l.goal, l.see, l.know]) await expect(card).toContainText(line);
  const start = card.getByRole('button', { name: 'Start: step 1 →' });
  // Wholly on screen, at 1280x720 with the editor open and in Present mode: a lecturer clicks it.
  const inView = async () => {
    const box = (await start.boundingBox())!;
    const stage = (await explorer.treeStage.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(stage.y);
    expect(box.y + box.height).toBeLessThanOrEqual(Math.min(720, stage.y + stage.height));
  };
  await inView();
  await shot(page, 'lesson-start-1280x720');
  await explorer.presentButton.click();
  await expect(card).toBeVisible();
  await inView();
  // Read from the back row: Present mode's title size.
  expect(await card.getByRole('heading', { level: 2 }).evaluate((e) => parseFloat(getComputedStyle(e).fontSize))).toBe(
    30,
  );
  await shot(page, 'lesson-start-present-1280x720');
  await explorer.presentButton.click();

  await start.click();
  await expect(explorer.stepCount).toHaveText(`Step 1 of ${info.steps}`);
  await expect(card).toHaveCount(0);
  // The keyboard carries on from the step controls.
  await expect(explorer.nextStep).toBeFocused();
  await page.keyboard.press('Home');
  await expect(explorer.stepCount).toHaveText(`Step 0 of ${info.steps}`);
  await expect(card).toBeVisible();

  // Edited, the text is the user's own: a line, no lesson card.
  await explorer.editorContent.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type('\n# my note\n');
  await expect(card).toHaveCount(0);
  await expect(explorer.treeStage).toContainText('Nothing has run yet');
  expect(pageErrors).toEqual([]);
});

test("the next-lesson card is slim: at 1280x720 it leaves the last step's tree in sight", async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const info = lessonInfo(LESSONS.find((l) => l.name === 'mshare-v1-guest-fault')!);
  await explorer.goto(`/#lesson=mshare-v1-guest-fault&step=${info.steps}`);
  await explorer.settled();
  const card = page.getByTestId('next-lesson');
  await expect(card).toBeVisible();
  const box = (await card.boundingBox())!;
  const stage = (await explorer.treeStage.boundingBox())!;
  // Two lines and its border: it was 170 px tall, over half of the tree's 330 px at this size.
  expect(box.height).toBeLessThanOrEqual(90);
  expect(box.height / stage.height).toBeLessThan(0.3);
  // The next lesson's goal is its first page now, and a tooltip here.
  await expect(card.getByRole('link', { name: /Next lesson/ })).toHaveAttribute('title', /See that the v1 code/);
});

test('every lesson but the last offers the next at its last step; the last one says the path is done', async ({
  explorer,
  page,
}) => {
  test.setTimeout(120_000);
  for (let i = 0; i < LESSONS.length; i++) {
    const l = LESSONS[i]!;
    const info = lessonInfo(l);
    // The card needs only the text and the cursor, not the step's simulation.
    await explorer.goto(`/#lesson=${l.name}&step=${info.steps}`);
    const card = page.getByTestId('next-lesson');
    await expect(card, l.name).toContainText(`Lesson ${i + 1} of ${LESSONS.length} done`);
    const next = LESSONS[i + 1];
    if (next)
      await expect(card.getByRole('link', { name: /Next lesson/ }), l.name).toHaveAttribute(
        'href',
        `#lesson=${next.name}`,
      );
    else {
      await expect(card).toContainText('That was the last lesson');
      await card.getByRole('button', { name: 'Open the gallery' }).click();
      await expect(explorer.gallery).toBeVisible();
    }
  }
});

test("issue 18: the lessons' texts are not part of the first load; the gallery says it is loading them, and a lesson link says so when they cannot load", async ({
  explorer,
  page,
}) => {
  // Hold the texts' chunk (the first load must not need it), then let it through.
  const held: (() => Promise<void>)[] = [];
  const requested: string[] = [];
  await page.route(/\/assets\/scenarioFiles-[\w-]+\.js$/, (route) => {
    requested.push(route.request().url());
    held.push(() => route.continue());
  });
  await explorer.goto();
  await explorer.settled();
  await explorer.galleryButton.click();
  await expect(explorer.gallery.getByTestId('gallery-loading')).toHaveText('Loading the lessons…');
  await expect(explorer.gallery.locator('.gallery-item')).toHaveCount(0);
  await expect.poll(() => requested.length).toBe(1); // asked for once (at idle or by the gallery), not twice
  for (const go of held.splice(0)) await go();
  await expect(explorer.gallery.locator('.gallery-item')).toHaveCount(LESSONS.length);
  await expect(explorer.gallery.getByTestId('gallery-loading')).toHaveCount(0);

  // A new page whose texts cannot load: a lesson link says why and leaves the text alone.
  await page.unroute(/\/assets\/scenarioFiles-[\w-]+\.js$/);
  await page.route(/\/assets\/scenarioFiles-[\w-]+\.js$/, (route) => route.abort('internetdisconnected'));
  await page.goto('about:blank'); // else the goto below is a mere hashchange in the page that has the texts
  await explorer.goto('/#lesson=madvise-reclaim&step=2');
  await expect(explorer.notices).toContainText('The lessons could not be loaded');
  await expect(explorer.notices).toContainText("so this link's lesson did not open");
  await expect(page.getByTestId('scenario-title')).toHaveText(
    'First steps: faults build page tables, fork copies them',
  );
  await explorer.galleryButton.click();
  await expect(explorer.gallery.getByTestId('gallery-error')).toContainText('The lessons could not be loaded');
});
