import { defineConfig, devices } from '@playwright/test';

// Burner's browser tests run in Debian's Chromium against a server started here with the
// built site (`cargo leptos build --release` first; scripts/test does it). Paths are
// relative to the repository root.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const server = process.env.BURNER_SERVER_BIN ?? 'target/release/server';

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // One worker: each test already drives two or three browsers, and some assert timings
  // ("home within a second") that a starved 2-core machine would make flaky.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], channel: undefined } }],
  webServer: {
    command: server,
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      BURNER_REDIS_URL: '',
      // A 4-second lifetime lets a test watch a room end by itself; the UI offers the usual four.
      BURNER_LIFETIMES_SECS: '4,300,600,3600,86400',
      // Tests create many rooms from one address.
      BURNER_ROOMS_PER_MINUTE: '1000',
      BURNER_LOG: 'warn',
    },
  },
});
