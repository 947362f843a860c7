import { defineConfig, devices } from '@playwright/test';

// Burner's browser tests run in Debian's Chromium against a server started here with the
// built site (`cargo leptos build --release --precompress` first; scripts/test does it). Paths
// are relative to the repository root.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const binary = process.env.BURNER_SERVER_BIN ?? 'target/release/server';

// The Redis the two shared instances use: REDIS_URL, else one started here (and stopped after).
const redisPort = port + 79;
const startRedis = !process.env.REDIS_URL;
const redisUrl = process.env.REDIS_URL ?? `redis://127.0.0.1:${redisPort}`;
// Every run gets keys of its own, so runs never see each other's rooms.
const redisPrefix = process.env.BURNER_E2E_PREFIX ?? `e2e-${Date.now().toString(36)}`;
process.env.BURNER_E2E_REDIS_URL = redisUrl;
process.env.BURNER_E2E_PREFIX = redisPrefix;

/** The settings of the two instances that share Redis (and sit behind nginx). */
const shared = {
  BURNER_REDIS_URL: redisUrl,
  BURNER_ADDRESS_SECRET: 'the browser tests\' address secret, shared',
  BURNER_KEY_PREFIX: redisPrefix,
  BURNER_TRUST_PROXY: 'true',
  BURNER_PROXY_HOPS: '1',
};

/** One Burner instance on `at`, with the test settings and these overrides. */
function server(at: number, env: Record<string, string>) {
  return {
    command: binary,
    cwd: '..',
    url: `http://127.0.0.1:${at}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      BURNER_SERVER_BIN: binary,
      LEPTOS_SITE_ADDR: `127.0.0.1:${at}`,
      LEPTOS_SITE_ROOT: 'target/site',
      // A 4-second lifetime lets a test watch a room end by itself.
      BURNER_LIFETIMES_SECS: '4,300,600,3600,86400',
      // A 2-second message timer lets a test watch messages disappear.
      BURNER_MESSAGE_TIMERS_SECS: '2,30,300,3600',
      // Tests create many rooms and open many pages from one address.
      BURNER_ROOMS_PER_MINUTE: '1000',
      BURNER_ROOMS_ALIVE_PER_ADDRESS: '100000',
      BURNER_VIEWS_PER_MINUTE: '10000',
      BURNER_ACTIONS_PER_MINUTE: '10000',
      BURNER_UPGRADES_PER_MINUTE: '10000',
      // A test fills a room with more than a page of history through the composer.
      BURNER_MESSAGES_BURST: '200',
      BURNER_MESSAGES_PER_SECOND: '100',
      BURNER_LOG: 'warn',
      // Several instances on one machine: none serves metrics (each would need its own port).
      BURNER_METRICS_ADDR: '',
      ...env,
    },
  };
}

function redisServer() {
  return {
    command: `redis-server --port ${redisPort} --bind 127.0.0.1 --save '' --appendonly no`,
    port: redisPort,
    reuseExistingServer: false,
    timeout: 30_000,
  };
}

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
    // A failed test keeps its trace (every action with the page's DOM) and a screenshot. The
    // trace takes no screenshots: their screencast made the browser paint and JPEG-encode
    // frames all the time, half of the suite's CPU (380 s with them, 220 s without).
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true, sources: false },
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
  webServer: [
    server(port, { BURNER_REDIS_URL: '' }),
    // Two instances sharing one Redis, as a deployment behind a load balancer runs them.
    ...(startRedis ? [redisServer()] : []),
    server(port + 1, shared),
    server(port + 2, shared),
    // nginx terminating TLS in front of those two (docs/nginx.conf).
    {
      command: `end2end/servers/nginx.sh ${port + 43} ${port + 1} ${port + 2}`,
      cwd: '..',
      url: `https://127.0.0.1:${port + 43}/healthz`,
      ignoreHTTPSErrors: true,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    // Burner serving HTTPS and WSS itself.
    {
      ...server(port + 5, { BURNER_REDIS_URL: '' }),
      command: `end2end/servers/burner-tls.sh ${port + 5}`,
      url: `https://127.0.0.1:${port + 5}/healthz`,
      ignoreHTTPSErrors: true,
    },
  ],
});
