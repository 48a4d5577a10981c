/**
 * Nothing vanishes (issue 12): after scenario switches (the gallery, a second
 * link in the same tab) and rapid stepping (held ←/→, Home/End, Play/Pause),
 * every node in view is fully opaque and every edge has both its ends.
 *
 * Runs with motion on: the bug lived in the transitions (a node fading out
 * matched as an update by a key reused across loads; d3's transition.remove()
 * skipped while another transition was pending; an edge's draw-in cut short
 * leaving a dashed stub).
 *
 * The random sequences use a fixed seed (PTX_VANISH_SEED overrides it, for
 * hunting); a seed that ever failed is pinned below as a named test.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { encodeLink } from '../src/scenario/link';
import { expect, test } from './fixtures';
import { ExplorerPage } from './pages/ExplorerPage';
import { FORK, SEED_SCENARIO } from './scenarios';

test.use({ reducedMotion: 'no-preference', viewport: { width: 1280, height: 720 } });

const file = (name: string): string => readFileSync(`scenarios/${name}`, 'utf8');

/** Gallery entries used (small enough to step fast on a 2-core machine). */
const GALLERY = [
  'zero-page-cow-fork.ptx',
  'five-level-paging.ptx',
  'munmap-frees-tables.ptx',
  'mshare-v1-guest-fault.ptx',
  'fork-shared-vs-private.ptx',
  'mainline-first-fault.ptx',
];
const LINKS = [FORK, SEED_SCENARIO, file('five-level-paging.ptx'), file('zero-page-cow-fork.ptx')];

interface Whole {
  problems: string[];
  nodes: string[];
}

/** What is wrong with the tree as drawn now (empty: nothing), and the ids of the nodes drawn. */
function inspectTree(page: Page): Promise<Whole> {
  return page.getByTestId('tree').evaluate((svg) => {
    const problems: string[] = [];
    const layer = svg.querySelector('g.nodes');
    const drawn = new Map<string, Element>();
    for (const n of layer ? [...layer.children] : []) {
      const id = n.getAttribute('data-node-id') ?? '?';
      // The next step's new nodes, drawn ahead (src/views/treeDraw.ts, prepare()): hidden until that step shows them.
      if (n.classList.contains('node-ahead')) {
        if (getComputedStyle(n).visibility !== 'hidden') problems.push(`node ${id}, drawn ahead, is visible`);
        // Drawn ahead: what the next step adds, never a node on screen now (same id, kind, level and tree) ...
        const same = (el: Element) =>
          ['data-node-id', 'data-kind', 'data-level', 'data-root'].map((a) => el.getAttribute(a)).join('|');
        const twin = [...layer!.querySelectorAll(`:scope > g.node[data-node-id="${id}"]`)].find(
          (el) => same(el) === same(n),
        );
        // Or the next self of one that is (data-replaces: what the next step changes inside it).
        if (twin && !n.hasAttribute('data-replaces')) problems.push(`node ${id} drawn ahead though it is drawn`);
        if (!twin && n.hasAttribute('data-replaces')) problems.push(`node ${id} drawn ahead to replace none`);
        continue;
      }
      if (!n.classList.contains('node')) problems.push(`a leftover ${n.getAttribute('class')} element for ${id}`);
      const op = Number(getComputedStyle(n).opacity);
      if (op < 1) problems.push(`node ${id} at opacity ${op}`);
      if (drawn.has(id)) problems.push(`node ${id} drawn twice`);
      drawn.set(id, n);
    }
    const culled = svg.getAttribute('data-drawn-nodes') !== svg.getAttribute('data-layout-nodes');
    if (String(drawn.size) !== svg.getAttribute('data-drawn-nodes'))
      problems.push(`${drawn.size} nodes in the page, ${svg.getAttribute('data-drawn-nodes')} drawn by the view`);
    for (const e of [...(svg.querySelector('g.edges')?.children ?? [])]) {
      const id = e.getAttribute('data-edge-id') ?? '?';
      if (!e.classList.contains('edge')) problems.push(`a leftover ${e.getAttribute('class')} element for edge ${id}`);
      const op = Number(getComputedStyle(e).opacity);
      if (op < 1) problems.push(`edge ${id} at opacity ${op}`);
      if (e.getAttribute('stroke-dasharray') !== null)
        problems.push(`edge ${id} half drawn (dash ${e.getAttribute('stroke-dashoffset')})`);
      const from = e.getAttribute('data-from') ?? '';
      const to = e.getAttribute('data-to') ?? '';
      if (!drawn.has(from)) problems.push(`edge ${id} without its start ${from}`);
      if (!culled && !drawn.has(to)) problems.push(`edge ${id} without its end ${to}`);
    }
    return { problems, nodes: [...drawn.keys()].sort() };
  });
}

/** Wait for the step to be computed and for the animations to end, then say what is wrong. */
async function expectWhole(explorer: ExplorerPage, what: string): Promise<Whole> {
  await explorer.settled();
  let last: Whole = { problems: ['not read'], nodes: [] };
  // Animations last at most ~3 s (the copy's travel and the walk after it).
  await expect
    .poll(async () => (last = await inspectTree(explorer.page)).problems, {
      message: what,
      timeout: 5000,
      intervals: [250, 500, 500, 1000],
    })
    .toEqual([]);
  return last;
}

/** The nodes a fresh page shows at the same scenario and step: what "nothing vanished" is compared to. */
async function freshNodes(page: Page, text: string, step: number): Promise<string[]> {
  const other = await page.context().newPage();
  const fresh = new ExplorerPage(other);
  await fresh.openScenario(text, step);
  const { nodes } = await expectWhole(fresh, 'a fresh page');
  await other.close();
  return nodes;
}

async function fromGallery(explorer: ExplorerPage, name: string): Promise<void> {
  await explorer.galleryButton.click();
  await explorer.gallery.locator(`[data-gallery-id="file:${name}"]`).click();
}

/** A second link opened in the same tab: only the fragment changes (hashchange). */
async function openLinkInTab(page: Page, text: string, step: number): Promise<void> {
  await page.evaluate(
    (h) => {
      location.hash = h;
    },
    encodeLink(text, step),
  );
}

/** A key held down: the browser repeats it every ~33 ms. */
async function hold(page: Page, key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await page.keyboard.press(key, { delay: 5 });
}

/** Focus somewhere the step keys work (not the editor, not a button). */
async function focusPage(page: Page): Promise<void> {
  await page.locator('body').evaluate((b) => {
    (document.activeElement as HTMLElement | null)?.blur?.();
    b.focus();
  });
}

test('a scenario switch then End at once leaves every node of the last step in view (zero-page-cow-fork)', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(file('five-level-paging.ptx'), 12);
  await fromGallery(explorer, 'zero-page-cow-fork.ptx');
  await focusPage(page);
  await page.keyboard.press('End');
  const { m } = await explorer.step();
  await expect(explorer.stepCount).toHaveText(`Step ${m} of ${m}`);
  const whole = await expectWhole(explorer, 'after the switch and End');
  expect(whole.nodes).toEqual(await freshNodes(page, file('zero-page-cow-fork.ptx'), m));
  // A's tree and B's: both roots there.
  await expect(explorer.nodes({ root: 'A', level: 'pgd' })).toHaveCount(1);
  await expect(explorer.nodes({ root: 'B', level: 'pgd' })).toHaveCount(1);
});

test('back to five-level paging from another scenario, stepping within a second: its PGD stays and no edge is left as a stub', async ({
  explorer,
  page,
}) => {
  await explorer.openScenario(file('zero-page-cow-fork.ptx'), 9);
  await openLinkInTab(page, file('five-level-paging.ptx'), 4);
  await expect(explorer.stepCount).toHaveText(/^Step 4 of/);
  await focusPage(page);
  await hold(page, 'ArrowRight', 4);
  await hold(page, 'ArrowLeft', 2);
  await page.keyboard.press('End');
  const { m } = await explorer.step();
  await expect(explorer.stepCount).toHaveText(`Step ${m} of ${m}`);
  const whole = await expectWhole(explorer, 'after the link and the keys');
  expect(whole.nodes).toEqual(await freshNodes(page, file('five-level-paging.ptx'), m));
  await expect(explorer.nodes({ root: 'A', level: 'pgd' })).toHaveCount(1);
});

test('holding → through a whole scenario and ← back leaves every data page in view', async ({ explorer, page }) => {
  await explorer.openScenario(file('zero-page-cow-fork.ptx'), 0);
  await focusPage(page);
  await hold(page, 'ArrowRight', 14);
  await hold(page, 'ArrowLeft', 5);
  await hold(page, 'ArrowRight', 5);
  const { n } = await explorer.step();
  const whole = await expectWhole(explorer, 'after holding the keys');
  expect(whole.nodes).toEqual(await freshNodes(page, file('zero-page-cow-fork.ptx'), n));
});

/** mulberry32: a small seeded generator (Tommy Ettinger's), so a failing sequence can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random sequence of what a lecturer does in a hurry, then the check. */
async function randomRun(explorer: ExplorerPage, seed: number, actions: number): Promise<void> {
  const { page } = explorer;
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const log: string[] = [];
  await explorer.openScenario(pick(LINKS), 1);
  for (let i = 0; i < actions; i++) {
    const kind = pick(['gallery', 'link', 'hold', 'hold', 'home', 'end', 'play', 'wait'] as const);
    if (kind === 'gallery') {
      const name = pick(GALLERY);
      log.push(`gallery ${name}`);
      await fromGallery(explorer, name);
    } else if (kind === 'link') {
      const k = Math.floor(r() * 8);
      log.push(`link ${k}`);
      await openLinkInTab(page, pick(LINKS), k);
    } else {
      await focusPage(page);
      if (kind === 'hold') {
        const key = pick(['ArrowRight', 'ArrowLeft']);
        const times = 1 + Math.floor(r() * 8);
        log.push(`hold ${key} ×${times}`);
        await hold(page, key, times);
      } else if (kind === 'home' || kind === 'end') {
        log.push(kind);
        await page.keyboard.press(kind === 'home' ? 'Home' : 'End');
      } else if (kind === 'play') {
        const ms = Math.floor(r() * 1500);
        log.push(`play ${ms} ms`);
        await page.keyboard.press(' ');
        await page.waitForTimeout(ms);
        await focusPage(page);
        await page.keyboard.press(' ');
      } else {
        const ms = Math.floor(r() * 700);
        log.push(`wait ${ms} ms`);
        await page.waitForTimeout(ms);
      }
    }
  }
  // Stop a play still running, so the step stays put while it is checked.
  if (await explorer.pause.isVisible()) await explorer.pause.click();
  await expectWhole(explorer, `seed ${seed}: ${log.join(', ')}`);
}

const SEED = Number(process.env.PTX_VANISH_SEED ?? 20261203);

test(`random switches and stepping leave nothing invisible (seed ${SEED})`, async ({ explorer }) => {
  test.setTimeout(120_000);
  for (let run = 0; run < 3; run++) await randomRun(explorer, SEED + run, 12);
});

// Seeds that failed once, kept as they were found (the first run of this spec, on the code before the fix).
test('pinned seed 20261204: Home after Play left two PGD edges of the old step at opacity 0, without their ends', async ({
  explorer,
}) => {
  test.setTimeout(60_000);
  await randomRun(explorer, 20261204, 12);
});
