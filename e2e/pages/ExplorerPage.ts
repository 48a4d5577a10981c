import { readFileSync } from 'node:fs';
import type { Download, Locator, Page } from '@playwright/test';
import { encodeLink } from '../../src/scenario/link';

/** What a spec compares to decide that two views are the same. */
export interface TreePicture {
  nodes: string[];
  edges: string[];
  walk: string[];
}

// Page object for the explorer: specs talk to it, not to raw selectors, so the
// UI can change in one place.
export class ExplorerPage {
  readonly heading: Locator;
  readonly editor: Locator;
  readonly editorContent: Locator;
  readonly errors: Locator;
  readonly firstStep: Locator;
  readonly previousStep: Locator;
  readonly nextStep: Locator;
  readonly lastStep: Locator;
  readonly play: Locator;
  readonly pause: Locator;
  readonly slider: Locator;
  readonly stepCount: Locator;
  readonly caption: Locator;
  readonly statement: Locator;
  readonly outcome: Locator;
  readonly announcer: Locator;
  readonly trace: Locator;
  readonly accounting: Locator;
  readonly inspector: Locator;
  readonly tree: Locator;
  readonly address: Locator;
  readonly notices: Locator;
  readonly copyLinkButton: Locator;
  readonly shareLink: Locator;
  readonly galleryButton: Locator;
  readonly gallery: Locator;
  readonly presentButton: Locator;
  readonly sideOverlay: Locator;
  readonly changes: Locator;
  readonly changeItems: Locator;
  readonly captionMore: Locator;
  readonly currentLine: Locator;
  readonly staleBanner: Locator;
  readonly treeWrap: Locator;
  readonly treeStage: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Page Table Explorer' });
    this.editor = page.getByTestId('editor');
    this.editorContent = page.locator('.cm-content');
    this.errors = page.getByTestId('errors');
    this.firstStep = page.getByRole('button', { name: 'First step', exact: true });
    this.previousStep = page.getByRole('button', { name: 'Previous step', exact: true });
    this.nextStep = page.getByRole('button', { name: 'Next step', exact: true });
    this.lastStep = page.getByRole('button', { name: 'Last step', exact: true });
    this.play = page.getByRole('button', { name: 'Play', exact: true });
    this.pause = page.getByRole('button', { name: 'Pause', exact: true });
    this.slider = page.getByRole('slider', { name: 'Step' });
    this.stepCount = page.getByTestId('step-count');
    this.caption = page.getByTestId('caption');
    this.statement = page.getByTestId('statement');
    this.outcome = page.getByTestId('outcome');
    this.announcer = page.getByTestId('announcer');
    this.trace = page.getByTestId('trace');
    this.accounting = page.getByTestId('accounting');
    this.inspector = page.getByTestId('inspector');
    this.tree = page.getByTestId('tree');
    this.address = page.getByTestId('address');
    this.notices = page.getByTestId('notices');
    this.copyLinkButton = page.getByRole('button', { name: 'Copy link', exact: true });
    this.shareLink = page.getByTestId('share-link');
    this.galleryButton = page.getByRole('button', { name: 'Gallery', exact: true });
    this.gallery = page.getByTestId('gallery');
    this.presentButton = page.getByRole('button', { name: 'Present', exact: true });
    this.sideOverlay = page.getByTestId('side-overlay');
    this.changes = page.getByTestId('changes');
    this.changeItems = page.getByTestId('change');
    this.captionMore = page.getByTestId('caption-more');
    this.currentLine = page.locator('.cm-content .cm-line[aria-current="step"]');
    this.staleBanner = page.getByTestId('stale-banner');
    this.treeWrap = page.getByTestId('tree-wrap');
    this.treeStage = page.getByTestId('tree-stage');
  }

  /** The page is in Present mode (the app marks its root). */
  async isPresent(): Promise<boolean> {
    return (await this.page.locator('.app').getAttribute('data-present')) === 'true';
  }

  /** Open a side panel (Trace, Inspector, Accounting) as an overlay, in Present mode. */
  async openOverlay(name: 'Trace' | 'Inspector' | 'Accounting'): Promise<void> {
    await this.page.locator(`#open-${name.toLowerCase()}`).click();
  }

  /** The editor line (1-based) as a locator. */
  editorLine(n: number): Locator {
    return this.page.locator('.cm-content .cm-line').nth(n - 1);
  }

  /** The step gutter's markers, one per statement line in view (CodeMirror renders only the lines in view). */
  stepMarkers(): Locator {
    // visible: CodeMirror also renders a hidden spacer marker to size the gutter.
    return this.page.locator('.cm-ptx-stepGutter .cm-ptx-stepMarker').filter({ visible: true });
  }

  async goto(path = '/'): Promise<void> {
    await this.page.goto(path);
  }

  /** Open a scenario the way users do: through a share link (and wait until its step is computed). */
  async openScenario(text: string, step?: number, opts: { embed?: boolean } = {}): Promise<void> {
    await this.page.goto((opts.embed ? '/?embed=1' : '/') + encodeLink(text, step));
    await this.settled();
  }

  /** Wait until the view shows the cursor's step (the replay runs in a worker). */
  async settled(): Promise<void> {
    await this.page.locator('[data-testid="tree-stage"][data-pending="false"]').waitFor({ timeout: 20_000 });
  }

  /** Replace the editor's whole text by typing it (as a paste would). */
  async setEditorText(text: string): Promise<void> {
    await this.editorContent.click();
    await this.page.keyboard.press('ControlOrMeta+a');
    await this.page.keyboard.insertText(text);
  }

  async editorText(): Promise<string> {
    return this.page.evaluate(() => {
      const lines = [...document.querySelectorAll('.cm-content .cm-line')].map((l) => l.textContent ?? '');
      return lines.join('\n');
    });
  }

  tab(name: 'Trace' | 'Inspector' | 'Accounting' | 'TLB'): Locator {
    return this.page.getByRole('tab', { name, exact: true });
  }

  async showTab(name: 'Trace' | 'Inspector' | 'Accounting' | 'TLB'): Promise<void> {
    await this.tab(name).click();
  }

  /** The text "Step N of M" as numbers. */
  async step(): Promise<{ n: number; m: number }> {
    const t = (await this.stepCount.textContent()) ?? '';
    const m = /Step (\d+) of (\d+)/.exec(t);
    if (!m) throw new Error(`no step count in "${t}"`);
    return { n: Number(m[1]), m: Number(m[2]) };
  }

  node(id: string): Locator {
    return this.tree.locator(`g.node[data-node-id="${id}"]`);
  }

  nodes(filter: { level?: string; kind?: string; shared?: boolean; root?: string } = {}): Locator {
    let sel = 'g.node';
    if (filter.level) sel += `[data-level="${filter.level}"]`;
    if (filter.kind) sel += `[data-kind="${filter.kind}"]`;
    if (filter.shared !== undefined) sel += `[data-shared="${filter.shared}"]`;
    if (filter.root) sel += `[data-root="${filter.root}"]`;
    return this.tree.locator(sel);
  }

  edgesTo(id: string): Locator {
    return this.tree.locator(`path.edge[data-to="${id}"]`);
  }

  edgesFrom(id: string): Locator {
    return this.tree.locator(`path.edge[data-from="${id}"]`);
  }

  /** The entry row `index` of table node `id`. */
  row(id: string, index: number): Locator {
    return this.node(id).locator(`g.row[data-index="${index}"]`);
  }

  /** Everything the tree shows, as comparable strings (positions included; use with reduced motion). */
  /** Click "Export SVG": the download and the SVG's text. */
  async exportSvg(): Promise<{ download: Download; text: string }> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByRole('button', { name: 'Export SVG' }).click(),
    ]);
    return { download, text: readFileSync((await download.path())!, 'utf8') };
  }

  async treePicture(): Promise<TreePicture> {
    await this.settled();
    return this.tree.evaluate((svg) => {
      // Transitions rewrite attributes in their own number format (an identity transform even as
      // nothing): compare geometry, not spelling.
      const geo = (s: string | null) =>
        (s ?? '')
          .replace(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g, (n) => String(Math.round(Number(n) * 10) / 10))
          .replace(/[\s,]+/g, ' ');
      const nodes = [...svg.querySelectorAll('g.node')].map((n) => {
        const rows = [...n.querySelectorAll('g.row')]
          .map((r) => `${r.getAttribute('data-index')}:${r.textContent}`)
          .join(',');
        return [
          n.getAttribute('data-node-id'),
          n.getAttribute('data-level'),
          n.getAttribute('data-shared'),
          geo(n.getAttribute('transform') || 'translate(0,0)'),
          n.textContent,
          rows,
        ].join('|');
      });
      const edges = [...svg.querySelectorAll('path.edge')].map(
        (e) => `${e.getAttribute('data-edge-id')}->${e.getAttribute('data-to')} ${geo(e.getAttribute('d'))}`,
      );
      const walk = [...svg.querySelectorAll('.walk, .walk-static')].map(
        (e) =>
          e.getAttribute('data-node-id') ??
          e.getAttribute('data-edge-id') ??
          `row ${e.closest('g.node')?.getAttribute('data-node-id')}:${e.getAttribute('data-index')}`,
      );
      return { nodes: nodes.sort(), edges: edges.sort(), walk: walk.sort() };
    });
  }

  /* ----- Predict mode (issue 16) ----- */

  get predictToggle(): Locator {
    return this.page.getByTestId('predict-toggle');
  }
  get predictPanel(): Locator {
    return this.page.getByTestId('predict-panel');
  }
  get predictPrompt(): Locator {
    return this.page.getByTestId('predict-prompt');
  }
  get predictChoices(): Locator {
    return this.page.getByTestId('predict-choice');
  }
  get predictFeedback(): Locator {
    return this.page.getByTestId('predict-feedback');
  }
  get predictGo(): Locator {
    return this.page.getByTestId('predict-go');
  }
  get predictScore(): Locator {
    return this.page.getByTestId('predict-score');
  }

  /** Open a scenario through a quiz link (`predict=1`), at a step. */
  async openQuiz(text: string, step?: number): Promise<void> {
    await this.page.goto('/' + encodeLink(text, step) + '&predict=1');
    await this.settled();
  }

  /** The choices' texts, in the order shown (each without its key and mark). */
  async predictChoiceTexts(): Promise<string[]> {
    return this.predictChoices.locator('.predict-choice-text').allTextContents();
  }

  /** "Previous event" / "Next event": inside a step, event by event (issue 14). */
  eventButton(name: 'Previous event' | 'Next event'): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** Beside "Step N of M": " · event k of n (fn)" inside a step, " · n events" at its end. */
  eventCount(): Locator {
    return this.page.getByTestId('event-count');
  }

  /** The node id of an mm's PGD page (a task's name, or a host's label such as "mshare:sga"). */
  async pgdOf(mm: string): Promise<string> {
    const n = this.nodes({ root: mm, level: 'pgd' });
    return (await n.getAttribute('data-node-id')) as string;
  }

  /**
   * The value (16 hex digits with 0x) the tree draws for entry `index` of table `id`, as its row reads it out; null
   * when no such row is drawn.
   */
  async entryValue(id: string, index: number): Promise<string | null> {
    const row = this.node(id).locator(`g.row:not(.cleared)[data-index="${index}"]`);
    if ((await row.count()) === 0) return null;
    const label = (await row.getAttribute('aria-label')) ?? '';
    return /entry \d+: (0x[0-9a-f]{16})/.exec(label)?.[1] ?? null;
  }

  /** Ids of the nodes, edges and rows the walk lights. */
  async walkMarks(): Promise<string[]> {
    return (await this.treePicture()).walk;
  }

  /** The share link the app gives for the current scenario and step. */
  async copyLink(): Promise<string> {
    await this.copyLinkButton.click();
    return (await this.shareLink.inputValue()).trim();
  }
}
