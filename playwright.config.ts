import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Only the npm registry and Debian apt are reachable here, so Playwright's own
// browser download may be impossible: prefer Debian's chromium when it exists
// (scripts/test.mjs and .ci/run install it with apt when missing).
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const executablePath = existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined;

// A port of our own for the preview server, chosen once per run and passed to
// the workers through the environment: a fixed one (vite's 4173) collides with
// any other preview server left running on the machine.
process.env.PTX_E2E_PORT ??= String(20000 + Math.floor(Math.random() * 20000));
const PORT = Number(process.env.PTX_E2E_PORT);
const isCI = !!process.env.CI;

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  forbidOnly: isCI,
  retries: isCI ? 1 : 0,
  workers: 2, // the machines have 2 cores
  // The list reporter for people; the json one feeds scripts/summary.mjs.
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  // Keep artifacts apart from the JSON files in test-results/.
  outputDir: 'test-results/playwright-artifacts',
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // The built site registers a service worker (offline use, issue 16). Specs that fake a
    // worker script with page.route() would not see requests the service worker answers,
    // so it is blocked here; e2e/site.spec.ts allows it to test the offline site.
    serviceWorkers: 'block',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        headless: true,
        launchOptions: {
          executablePath,
          args: [
            '--no-sandbox', // we run as root in CI
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            // No calls home: the network only reaches npm and apt.
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  // Test the production build (what users get), served by `vite preview`.
  webServer: {
    command: `npx vite build && npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !isCI,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
