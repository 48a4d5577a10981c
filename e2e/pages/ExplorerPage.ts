import type { Locator, Page } from '@playwright/test';

// Page object for the explorer: specs talk to it, not to raw selectors, so the
// UI can change in one place. Grows with the app (src/app, src/views).
export class ExplorerPage {
  readonly heading: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Page Table Explorer' });
  }

  async goto(path = '/'): Promise<void> {
    await this.page.goto(path);
  }
}
