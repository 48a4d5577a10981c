import { test as base, expect, type ConsoleMessage } from '@playwright/test';
import { ExplorerPage } from './pages/ExplorerPage';

// Shared fixtures: every spec imports `test`/`expect` from here, not from
// @playwright/test, so it gets the page object and the error collection.
type Fixtures = {
  /** Console errors and uncaught page errors seen so far, as readable strings. */
  pageErrors: string[];
  explorer: ExplorerPage;
};

export const test = base.extend<Fixtures>({
  pageErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await use(errors);
  },
  // Depends on pageErrors so listeners are attached before the first navigation.
  explorer: async ({ page, pageErrors: _pageErrors }, use) => {
    await use(new ExplorerPage(page));
  },
});

export { expect };
