/**
 * Issue 14, "Inside a fault, event by event": on the seed's guest read
 * (B: read 1T+0x1000), the tables after each event, read from the view.
 * B's PGD[2] is none while handle_mm_fault and find_shared_vma run, holds
 * the host's PGD[2] value once set_pgd ran (mshare v1 patch 08/14:
 * set_pgd(guest_pgd, *pgd)), and the walk through the host's tables is lit
 * only after VM_FAULT_NOPAGE (the access retries and walks).
 */
import { readFileSync } from 'node:fs';
import { encodeLink } from '../src/scenario/link';
import { expect, test } from './fixtures';
import type { ExplorerPage } from './pages/ExplorerPage';
import { SEED_SCENARIO, SEED_STEPS } from './scenarios';

test.use({ reducedMotion: 'reduce' });

const FILE = readFileSync('scenarios/mshare-v1-guest-fault.ptx', 'utf8');
/** The file's guest read is its seventh statement (spawn, spawn, mmap, mshare, write, mshare, read). */
const FILE_READ = 7;
const FNS = ['handle_mm_fault', 'find_shared_vma', 'set_pgd', 'VM_FAULT_NOPAGE'];

async function checkGuestRead(
  explorer: ExplorerPage,
  page: import('@playwright/test').Page,
  read: number,
  total: number,
): Promise<void> {
  // From the step before the read, Shift+→ goes to the read's first event.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Shift+ArrowRight');
  await explorer.settled();
  await expect(explorer.stepCount).toHaveText(`Step ${read} of ${total}`);

  const host = await explorer.pgdOf('mshare:sga');
  const b = await explorer.pgdOf('B');
  for (const [k, fn] of FNS.entries()) {
    const done = k + 1;
    if (done > 1) {
      await page.keyboard.press('Shift+ArrowRight');
      await explorer.settled();
    }
    await expect(explorer.eventCount()).toHaveText(done < FNS.length ? `· event ${done} of 4 (${fn})` : '· 4 events');
    await expect(explorer.stepCount).toHaveText(`Step ${read} of ${total}`);
    const hostValue = await explorer.entryValue(host, 2);
    // The host's PGD[2] points at the PUD page A's write allocated: present (0x…067) all along.
    expect(hostValue, `host PGD[2] at event ${done}`).toMatch(/^0x0{6}[0-9a-f]{7}067$/);
    const guest = await explorer.entryValue(b, 2);
    const walk = await explorer.walkMarks();
    if (fn === 'handle_mm_fault' || fn === 'find_shared_vma') {
      expect(guest, `B's PGD[2] after ${fn}`).toBeNull();
      expect(walk, `no walk after ${fn}`).toEqual([]);
    } else if (fn === 'set_pgd') {
      expect(guest, "B's PGD[2] after set_pgd").toBe(hostValue);
      expect(walk, 'no walk before the retry').toEqual([]);
      // B's entry now leads to the host's PUD page: one node, both edges.
      const pud = await explorer.edgesFrom(b).getAttribute('data-to');
      expect(
        await explorer.edgesTo(pud as string).evaluateAll((es) => es.map((e) => e.getAttribute('data-from'))),
      ).toContain(host);
    } else {
      // VM_FAULT_NOPAGE: the step's end; the retried access walks B's PGD, then the host's PUD, PMD and PTE pages.
      expect(guest).toBe(hostValue);
      const pud = (await explorer.edgesFrom(b).getAttribute('data-to')) as string;
      expect(walk).toContain(b);
      expect(walk).toContain(pud);
      expect(walk.length).toBeGreaterThanOrEqual(4);
    }
  }
}

test("the seed's guest read, event by event: B's PGD[2] none, then the host's; the walk only after VM_FAULT_NOPAGE", async ({
  explorer,
  page,
  pageErrors,
}) => {
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestAttach);
  await checkGuestRead(explorer, page, SEED_STEPS.guestFirstFault, SEED_STEPS.last);
  expect(pageErrors).toEqual([]);
});

test('the same in scenarios/mshare-v1-guest-fault.ptx', async ({ explorer, page, pageErrors }) => {
  await explorer.openScenario(FILE, FILE_READ - 1);
  const total = (await explorer.step()).m;
  await checkGuestRead(explorer, page, FILE_READ, total);
  expect(pageErrors).toEqual([]);
});

test('the buttons by name, the trace and the changes follow the event; plain arrows still move by statement', async ({
  explorer,
  page,
  pageErrors,
}) => {
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await expect(explorer.eventCount()).toHaveText('· 4 events');
  // From the step's end, "Previous event" is the moment before the last event: after set_pgd.
  await explorer.eventButton('Previous event').click();
  await explorer.settled();
  await expect(explorer.eventCount()).toHaveText('· event 3 of 4 (set_pgd)');
  // The trace: set_pgd current, with its patch lines open; VM_FAULT_NOPAGE still to come.
  const now = explorer.trace.locator('li.event[aria-current="step"]');
  await expect(now).toHaveCount(1);
  await expect(now).toHaveAttribute('data-fn', 'set_pgd');
  await expect(now.locator('details.patch')).toHaveAttribute('open', '');
  await expect(now.locator('pre')).toContainText('set_pgd(guest_pgd, *pgd);');
  await expect(explorer.trace.locator('li.event.ev-later')).toHaveCount(1);
  await expect(explorer.trace.locator('li.event.ev-later')).toHaveAttribute('data-fn', 'VM_FAULT_NOPAGE');
  // The step's one change (B's PGD[2] set) is the one this event made.
  await expect(explorer.changeItems).toHaveCount(1);
  await expect(explorer.changeItems.first()).toHaveAttribute('data-when', 'now');

  await explorer.eventButton('Previous event').click();
  await explorer.settled();
  await expect(explorer.eventCount()).toHaveText('· event 2 of 4 (find_shared_vma)');
  await expect(explorer.changeItems.first()).toHaveAttribute('data-when', 'later');
  await explorer.eventButton('Next event').click();
  await explorer.eventButton('Next event').click();
  await explorer.settled();
  await expect(explorer.eventCount()).toHaveText('· 4 events');
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestFirstFault} of ${SEED_STEPS.last}`);

  // Plain ← from inside a step goes to the statement before, whole.
  await page.keyboard.press('Shift+ArrowLeft');
  await explorer.settled();
  await expect(explorer.eventCount()).toHaveText('· event 3 of 4 (set_pgd)');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowLeft');
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestAttach} of ${SEED_STEPS.last}`);
  await expect(explorer.trace.locator('li.event[aria-current="step"]')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestFirstFault} of ${SEED_STEPS.last}`);
  await expect(explorer.eventCount()).toHaveText('· 4 events');
  expect(pageErrors).toEqual([]);
});

test('Shift+arrows in the editor select text there; they do not step', async ({ explorer, page }) => {
  await explorer.openScenario(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await explorer.editorLine(3).click();
  await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await expect(explorer.eventCount()).toHaveText('· 4 events');
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestFirstFault} of ${SEED_STEPS.last}`);
  const selected = await page.evaluate(() => window.getSelection()?.toString() ?? '');
  expect(selected.length).toBe(1);
});

test('a link holds the moment: &event=2 reopens after find_shared_vma; an old link without it opens the whole step', async ({
  explorer,
  page,
  pageErrors,
}) => {
  const link = encodeLink(SEED_SCENARIO, SEED_STEPS.guestFirstFault);
  await page.goto('/' + link + '&event=2');
  await explorer.settled();
  await expect(explorer.stepCount).toHaveText(`Step ${SEED_STEPS.guestFirstFault} of ${SEED_STEPS.last}`);
  await expect(explorer.eventCount()).toHaveText('· event 2 of 4 (find_shared_vma)');
  expect(await explorer.entryValue(await explorer.pgdOf('B'), 2)).toBeNull();
  expect(await explorer.walkMarks()).toEqual([]);

  // Stepping writes the moment into the address bar and the share link.
  await explorer.eventButton('Next event').click();
  await explorer.settled();
  await expect(page).toHaveURL(/&step=7&event=3$/);
  expect(await explorer.copyLink()).toMatch(/&step=7&event=3$/);
  await page.keyboard.press('Escape');

  // A link made before events (no &event): the step whole, as it always opened.
  await page.goto('/about:blank');
  await page.goto('/' + link);
  await explorer.settled();
  await expect(explorer.eventCount()).toHaveText('· 4 events');
  const b = await explorer.pgdOf('B');
  expect(await explorer.entryValue(b, 2)).toBe(await explorer.entryValue(await explorer.pgdOf('mshare:sga'), 2));
  expect((await explorer.walkMarks()).length).toBeGreaterThanOrEqual(4);
  expect(pageErrors).toEqual([]);
});

test('Present mode shows the event too', async ({ explorer, page }) => {
  await page.goto('/' + encodeLink(SEED_SCENARIO, SEED_STEPS.guestFirstFault) + '&event=3');
  await explorer.settled();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('p');
  expect(await explorer.isPresent()).toBe(true);
  await expect(explorer.eventCount()).toBeVisible();
  await expect(explorer.eventCount()).toHaveText('· event 3 of 4 (set_pgd)');
});

test('a bulk step (a touch populating runs of entries) says plainly that it shows the whole step', async ({
  explorer,
  page,
}) => {
  const fork = readFileSync('scenarios/fork-shared-vs-private.ptx', 'utf8');
  // Step 5: A touches its private mapping; its PTEs are a Run, one bulk change (src/core/changes.ts BlockFields).
  await page.goto('/' + encodeLink(fork, 5) + '&event=2');
  await explorer.settled();
  await expect(explorer.eventCount()).toContainText('event 2 of');
  await expect(explorer.eventCount()).toContainText('whole step');
  await expect(page.getByTestId('event-whole')).toContainText('not split by event');
  // The seed's read is not such a step.
  await page.goto('/' + encodeLink(SEED_SCENARIO, SEED_STEPS.guestFirstFault) + '&event=2');
  await explorer.settled();
  await expect(explorer.eventCount()).not.toContainText('whole step');
  await expect(page.getByTestId('event-whole')).toHaveCount(0);
});

test("Accounting inside a step is of the tree's moment: A's write in the host, 0 B at mmap_read_lock, 4 KiB after pud_alloc", async ({
  explorer,
  page,
}) => {
  // Step 5 of the file: A's first write, in the host mm. Its events: handle_mm_fault, find_shared_vma,
  // mmap_read_lock, find_vma, __handle_mm_fault, pud_alloc, …
  await page.goto('/' + encodeLink(FILE, 5) + '&event=3');
  await explorer.settled();
  await explorer.showTab('Accounting');
  const when = page.getByTestId('acct-when');
  await expect(when).toHaveText(/^Page tables after event 3 of \d+ of step 5$/);
  // The host has only its PGD page then (VmPTE never counts it): the tree shows no PUD yet, and neither do these.
  await expect(page.getByTestId('total-with')).toHaveText('0 B');
  await expect(page.getByTestId('acct-inside')).toContainText('the whole step');
  await page.getByRole('button', { name: 'Next event', exact: true }).click(); // find_vma
  await page.getByRole('button', { name: 'Next event', exact: true }).click(); // __handle_mm_fault
  await page.getByRole('button', { name: 'Next event', exact: true }).click(); // pud_alloc
  await explorer.settled();
  await expect(when).toHaveText(/^Page tables after event 6 of \d+ of step 5$/);
  await expect(page.getByTestId('total-with')).toHaveText('4 KiB');
  // The step's end: the PUD, PMD and PTE pages, 12 KiB, as before this change.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await explorer.settled();
  await expect(when).toHaveText('Page tables after step 5');
  await expect(page.getByTestId('total-with')).toHaveText('12 KiB');
  await expect(page.getByTestId('acct-inside')).toHaveCount(0);
});

test("the inspector's calls that touched an entry, inside a step: those done so far, and it says up to which event", async ({
  explorer,
  page,
}) => {
  // The seed's guest read at event 3: handle_mm_fault, find_shared_vma, set_pgd done.
  await page.goto('/' + encodeLink(SEED_SCENARIO, SEED_STEPS.guestFirstFault) + '&event=3');
  await explorer.settled();
  await explorer.nodes({ root: 'B', level: 'pgd' }).locator('g.row[data-index="2"]').click();
  const touched = page.getByTestId('touched-by');
  await expect(touched).toContainText('set_pgd');
  await expect(page.getByRole('heading', { name: 'At this step, up to event 3' })).toBeVisible();
  // One event back, set_pgd has not run: B's PGD[2] is none, and the host's entry was touched by no call yet.
  await page.getByRole('button', { name: 'Previous event', exact: true }).click();
  await explorer.settled();
  await explorer.nodes({ root: 'mshare:sga', level: 'pgd' }).locator('g.row[data-index="2"]').click();
  await expect(page.getByRole('heading', { name: 'At this step, up to event 2' })).toBeVisible();
  await expect(touched).toHaveText('No call of this step changed it.');
});
