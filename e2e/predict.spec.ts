import { mkdirSync, readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { SEED_SCENARIO, SEED_STEPS } from './scenarios';

test.use({ reducedMotion: 'reduce' });

const GUEST_FAULT = readFileSync('scenarios/mshare-v1-guest-fault.ptx', 'utf8');
const SHOTS = '/tmp/shots/predict';
/**
 * The host's PGD[2] after A's write: its PUD page (PFN 0x1003) with _PAGE_TABLE (0x67), checked by hand in
 * questions.test.ts.
 */
const HOST_PGD2 = '0x0000000001003067';

test("Predict mode on the guest-fault scenario: B's PGD entry, then the author's question, keyboard only", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openQuiz(GUEST_FAULT, SEED_STEPS.hostWrite);
  await expect(explorer.predictToggle).toHaveAttribute('aria-pressed', 'true');
  // The value the view shows for the host's PGD[2], in the step that wrote it.
  await expect(explorer.changeItems.filter({ hasText: 'mshare:sga PGD[2]:' })).toHaveText(
    `mshare:sga PGD[2]: none → ${HOST_PGD2} (pud_alloc)`,
  );
  await expect(explorer.predictScore).toHaveText('0/0');

  // B's mshare changes no table and cannot fail here: nothing is asked, the step shows.
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestAttach, m: 11 });
  await expect(explorer.predictPanel).toBeHidden();

  // The guest's first fault is held back for a question about B's PGD entry.
  await page.keyboard.press('ArrowRight');
  await expect(explorer.predictPrompt).toHaveText("What will B's PGD[2] hold after this step?");
  expect(await explorer.step()).toEqual({ n: SEED_STEPS.guestAttach, m: 11 });
  // Another → does not skip the question.
  await page.keyboard.press('ArrowRight');
  await expect(explorer.predictPrompt).toBeVisible();
  expect(await explorer.step()).toEqual({ n: SEED_STEPS.guestAttach, m: 11 });
  const choices = await explorer.predictChoiceTexts();
  expect(choices).toHaveLength(4);
  const right = choices.findIndex((c) => c.startsWith(HOST_PGD2));
  expect(right).toBeGreaterThanOrEqual(0);
  expect(choices[right]).toBe(`${HOST_PGD2} (PFN 0x1003; P RW US A D)`);
  expect(choices).toContain('none (not present)');
  await expect(explorer.predictChoices.first()).toBeFocused();
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/question-1280.png` });

  // A wrong answer, by its number key: explained.
  const wrong = choices.findIndex((c, i) => i !== right && c !== 'none (not present)');
  await page.keyboard.press(String(wrong + 1));
  await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'false');
  await expect(explorer.predictFeedback).toContainText(
    `Not quite: the answer is ${HOST_PGD2} (PFN 0x1003; P RW US A D).`,
  );
  await expect(explorer.predictFeedback).toContainText(`B PGD[2]: none → ${HOST_PGD2} (set_pgd)`);
  await expect(explorer.predictFeedback).toContainText("set_pgd copies the host's entry");
  await expect(explorer.predictChoices.nth(right)).toHaveAttribute('data-state', 'right');
  await expect(explorer.predictChoices.nth(wrong)).toHaveAttribute('data-state', 'wrong');
  await expect(explorer.predictGo).toBeFocused();
  await page.screenshot({ path: `${SHOTS}/feedback-1280.png` });

  // Enter: the author's question, its choices as written.
  await page.keyboard.press('Enter');
  await expect(explorer.predictPrompt).toHaveText("B's first read: what will it cost B in page tables?");
  expect(await explorer.predictChoiceTexts()).toEqual([
    "nothing: B's PGD entry will point at the host's PUD page",
    'one PUD, PMD and PTE page of its own, 12 KiB',
    'one PTE page, 4 KiB: the upper levels are shared',
  ]);
  await page.keyboard.press('1');
  await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'true');
  await expect(explorer.predictGo).toHaveText(/Show the step/);
  await page.keyboard.press('Enter');

  // Revealed: the step the questions were about, and the lesson's score.
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestFirstFault, m: 11 });
  await expect(explorer.predictPanel).toBeHidden();
  await expect(explorer.changeItems.first()).toHaveText(`B PGD[2]: none → ${HOST_PGD2} (set_pgd)`);
  await expect(explorer.predictScore).toHaveText('1/2');

  // The address bar is the quiz link; after a reload the answers are kept and the step is not asked again.
  await expect(page).toHaveURL(/&predict=1/);
  await page.reload();
  await explorer.settled();
  await expect(explorer.predictScore).toHaveText('1/2');
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestAttach, m: 11 });
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestFirstFault, m: 11 });
  await expect(explorer.predictPanel).toBeHidden();
  expect(pageErrors).toEqual([]);
});

test('the built-in seed asks the same about B, with the mouse; the toggle turns Predict off', async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestAttach);
  await expect(explorer.predictToggle).toHaveAttribute('aria-pressed', 'false');
  await explorer.predictToggle.click();
  await expect(explorer.predictToggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page).toHaveURL(/&predict=1/);
  // "Copy link" gives the quiz link a lecturer sends.
  expect(await explorer.copyLink()).toMatch(/&step=6&predict=1$/);
  await explorer.copyLinkButton.click();
  await explorer.nextStep.click();
  await expect(explorer.predictPrompt).toHaveText("What will B's PGD[2] hold after this step?");
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/question-1920.png` });
  await explorer.predictChoices.filter({ hasText: HOST_PGD2 }).click();
  await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'true');
  await expect(explorer.predictFeedback).toContainText('Right.');
  await page.screenshot({ path: `${SHOTS}/feedback-1920.png` });
  // The built-in seed has no ask of its own: the step shows next.
  await explorer.predictGo.click();
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestFirstFault, m: SEED_STEPS.last });
  // Off: Next steps at once.
  await explorer.predictToggle.click();
  await expect(page).not.toHaveURL(/predict=1/);
  await explorer.nextStep.click();
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.last, m: SEED_STEPS.last });
  expect(pageErrors).toEqual([]);
});

test('Present mode with a question up: larger text, Skip shows the step', async ({ explorer, page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(
    '/' +
      (await import('../src/scenario/link')).encodeLink(GUEST_FAULT, SEED_STEPS.guestAttach) +
      '&present=1&predict=1',
  );
  await explorer.settled();
  await page.keyboard.press('ArrowRight');
  await expect(explorer.predictPrompt).toBeVisible();
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/present-1280.png` });
  await page.getByTestId('predict-skip').click();
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestFirstFault, m: 11 });
  await expect(explorer.predictScore).toHaveText('0/0');
});

test('an embedded quiz link asks too, and answers are not saved there', async ({ explorer, page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(
    '/?embed=1' +
      (await import('../src/scenario/link')).encodeLink(SEED_SCENARIO, SEED_STEPS.guestAttach) +
      '&predict=1',
  );
  await explorer.settled();
  await explorer.nextStep.click();
  await expect(explorer.predictPrompt).toHaveText("What will B's PGD[2] hold after this step?");
  await explorer.predictChoices.filter({ hasText: HOST_PGD2 }).click();
  await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'true');
  await explorer.predictGo.click();
  await expect.poll(() => explorer.step()).toEqual({ n: SEED_STEPS.guestFirstFault, m: SEED_STEPS.last });
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ptx:predict:')))).toEqual([]);
});

test('no axe violations with a question up and with its feedback', async ({ explorer, page }) => {
  test.setTimeout(180_000);
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const axe = async () =>
    (await new AxeBuilder({ page }).include('[data-testid="predict-panel"]').analyze()).violations.map(
      (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openQuiz(GUEST_FAULT, SEED_STEPS.guestAttach);
  await page.keyboard.press('ArrowRight');
  await expect(explorer.predictPrompt).toBeVisible();
  expect(await axe()).toEqual([]);
  await page.keyboard.press('1');
  await expect(explorer.predictFeedback).toBeVisible();
  expect(await axe()).toEqual([]);
});

test("event by event (Shift+→): which function runs next, asked before the event shows; B's PGD[2] set only after", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openQuiz(GUEST_FAULT, SEED_STEPS.guestAttach);
  const answer = async (text: string) => {
    const i = (await explorer.predictChoiceTexts()).findIndex((c) => c.startsWith(text));
    expect(i, text).toBeGreaterThanOrEqual(0);
    await page.keyboard.press(String(i + 1));
    await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'true');
    await page.keyboard.press('Enter');
  };

  // Into the guest read by event: what runs first, then the lesson's own question about the step.
  await page.keyboard.press('Shift+ArrowRight');
  await expect(explorer.predictPrompt).toHaveText('B: read begins: which kernel function runs first?');
  expect(await explorer.step()).toEqual({ n: SEED_STEPS.guestAttach, m: 11 });
  await answer('handle_mm_fault');
  await expect(explorer.predictPrompt).toHaveText("B's first read: what will it cost B in page tables?");
  await answer('nothing');
  await expect(explorer.eventCount()).toHaveText('· event 1 of 4 (handle_mm_fault)');
  await page.keyboard.press('Shift+ArrowRight');
  await expect(explorer.predictPrompt).toHaveText('After handle_mm_fault: which kernel function runs next?');
  await answer('find_shared_vma');
  await expect(explorer.eventCount()).toHaveText('· event 2 of 4 (find_shared_vma)');
  await expect(explorer.predictPanel).toBeHidden();
  const b = await explorer.pgdOf('B');
  expect(await explorer.entryValue(b, 2)).toBeNull();
  // What is still to come would answer the question: the trace's later events, the later change, the step's note.
  const traced = (fn: string) => explorer.trace.locator(`li.event[data-fn="${fn}"]`);
  await expect(traced('find_shared_vma')).toBeVisible();
  await expect(traced('set_pgd')).toBeHidden();
  await expect(traced('VM_FAULT_NOPAGE')).toBeHidden();
  await expect(explorer.changeItems.first()).toBeHidden();
  await expect(explorer.caption).toBeHidden();

  // At find_shared_vma, Shift+→ asks before set_pgd shows.
  await page.keyboard.press('Shift+ArrowRight');
  await expect(explorer.predictPrompt).toHaveText('After find_shared_vma: which kernel function runs next?');
  await expect(explorer.predictPanel).toContainText('Predict step 7, event 3 of 4');
  const choices = await explorer.predictChoiceTexts();
  expect([...choices].sort()).toEqual(['VM_FAULT_NOPAGE', 'find_shared_vma', 'handle_mm_fault', 'set_pgd']);
  await expect(explorer.predictChoices.first()).toBeFocused();
  // Another Shift+→ does not skip it; the view still shows the moment after find_shared_vma.
  await page.keyboard.press('Shift+ArrowRight');
  await expect(explorer.predictPrompt).toHaveText('After find_shared_vma: which kernel function runs next?');
  await expect(explorer.eventCount()).toHaveText('· event 2 of 4 (find_shared_vma)');
  expect(await explorer.entryValue(b, 2)).toBeNull();
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/event-question-1280.png` });

  // A wrong answer is explained with the patch's lines; the value is not given away (it is asked next).
  const right = choices.indexOf('set_pgd');
  const wrong = choices.indexOf('VM_FAULT_NOPAGE');
  await page.keyboard.press(String(wrong + 1));
  await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'false');
  await expect(explorer.predictFeedback).toContainText('Not quite: the answer is set_pgd.');
  await expect(explorer.predictFeedback).toContainText('set_pgd(guest_pgd, *pgd);');
  await expect(explorer.predictFeedback).not.toContainText(HOST_PGD2);
  await expect(explorer.predictChoices.nth(right)).toHaveAttribute('data-state', 'right');
  await expect(explorer.predictChoices.nth(wrong)).toHaveAttribute('data-state', 'wrong');
  await page.screenshot({ path: `${SHOTS}/event-feedback-1280.png` });
  expect(await explorer.entryValue(b, 2)).toBeNull();

  // Then what set_pgd writes into B's PGD[2]: the host's value.
  await page.keyboard.press('Enter');
  await expect(explorer.predictPrompt).toHaveText("What will B's PGD[2] hold after set_pgd?");
  expect(await explorer.entryValue(b, 2)).toBeNull();
  await page.keyboard.press(
    String((await explorer.predictChoiceTexts()).indexOf(`${HOST_PGD2} (PFN 0x1003; P RW US A D)`) + 1),
  );
  await expect(explorer.predictFeedback).toHaveAttribute('data-right', 'true');
  await expect(explorer.predictGo).toHaveText(/Show the event/);
  await page.keyboard.press('Enter');

  // Revealed: only now is B's PGD[2] set, to the host's entry.
  await expect(explorer.predictPanel).toBeHidden();
  await expect(explorer.eventCount()).toHaveText('· event 3 of 4 (set_pgd)');
  await expect.poll(() => explorer.entryValue(b, 2)).toBe(HOST_PGD2);
  await expect(traced('set_pgd')).toBeVisible();
  await expect(traced('VM_FAULT_NOPAGE')).toBeHidden();
  await expect(explorer.changeItems.first()).toHaveText(`B PGD[2]: none → ${HOST_PGD2} (set_pgd)`);
  expect(await explorer.step()).toEqual({ n: SEED_STEPS.guestFirstFault, m: 11 });
  // Five answers, one wrong; the event questions count with the step ones.
  await expect(explorer.predictScore).toHaveText('4/5');
  // The step's end shows it all: the last event is asked about first, then the note is back.
  await page.keyboard.press('Shift+ArrowRight');
  await expect(explorer.predictPrompt).toHaveText('After set_pgd: what comes next?');
  await answer('VM_FAULT_NOPAGE');
  await expect(explorer.eventCount()).toHaveText('· 4 events');
  await expect(traced('VM_FAULT_NOPAGE')).toBeVisible();
  await expect(explorer.caption).toBeVisible();
  expect(pageErrors).toEqual([]);
});

test("Predict mode veils the editor's text ahead of the step (the notes and the author's starred answer), and can show it", async ({
  explorer,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await explorer.openQuiz(GUEST_FAULT, SEED_STEPS.guestAttach);
  const veiled = page.locator('.cm-ptx-ahead');
  const note = page.getByTestId('veil-note');
  await expect(note).toContainText('veils the text ahead of the step');
  // The next step's note and the author's question with its starred answer are under the veil, blurred.
  await expect(veiled.filter({ hasText: "B's first read: its PGD entry 2 is none" })).not.toHaveCount(0);
  await expect(veiled.filter({ hasText: '*"nothing: B' })).not.toHaveCount(0);
  expect(await veiled.first().evaluate((e) => getComputedStyle(e).filter)).toBe('blur(4px)');
  // The current statement and what came before are not.
  const current = page.locator('.cm-ptx-current');
  await expect(current).toContainText('B: mshare "sga"');
  await expect(current.locator('.cm-ptx-ahead')).toHaveCount(0);
  await expect(veiled.filter({ hasText: 'B attaches with O_RDWR' })).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('veil-1280.png') });

  // Shown on request; veiled again when Predict mode is turned on again.
  await note.getByRole('button', { name: 'Show it' }).click();
  await expect(veiled).toHaveCount(0);
  await expect(note).toContainText('answers and all');
  await explorer.predictToggle.click();
  await expect(note).toHaveCount(0);
  await explorer.predictToggle.click();
  await expect(veiled).not.toHaveCount(0);

  // Out of Predict mode, nothing is veiled; nor at the last step, where nothing is ahead.
  await explorer.predictToggle.click();
  await expect(veiled).toHaveCount(0);
  await explorer.predictToggle.click();
  await explorer.lastStep.click();
  await explorer.settled();
  await expect(explorer.stepCount).toHaveText(/^Step (\d+) of \1$/);
  await expect(veiled).toHaveCount(0);
});
