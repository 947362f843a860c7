// The home page as a first-time visitor gets it, in Debian's Chromium: bytes over the wire by
// kind, and the time until the page is interactive (hydrated) with the CPU throttled 4× through
// the DevTools protocol; then a repeat visit, to show what the cache keeps.
//
//   node end2end/perf/page-weight.mjs https://127.0.0.1:3443 [runs]
//
// Prints a table and one JSON line. Used by `scripts/bench page` (docs/PERFORMANCE.md).
import { chromium } from '@playwright/test';

const url = process.argv[2] ?? 'http://127.0.0.1:3000';
const runs = Number(process.argv[3] ?? 5);
const throttle = 4;

/** One visit: bytes per kind (as transferred), and ms from navigation to hydration. */
async function visit(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  const kinds = new Map();
  const bytes = {};
  let encodings = {};
  cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
    const name = new URL(response.url).pathname;
    const kind = name.endsWith('.wasm') ? 'wasm' : type.toLowerCase();
    kinds.set(requestId, kind);
    const encoding = response.headers['content-encoding'] ?? response.headers['Content-Encoding'];
    if (encoding) encodings[kind] = encoding;
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    const kind = kinds.get(requestId) ?? 'other';
    bytes[kind] = (bytes[kind] ?? 0) + encodedDataLength;
  });
  // Recorded by the page itself, the moment hydration marks <main>.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('main[data-hydrated="true"]')) {
        window.__interactiveAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, childList: true });
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__interactiveAt !== undefined, null, { timeout: 60_000 });
  const interactive = await page.evaluate(() => window.__interactiveAt);
  await page.close();
  const total = Object.values(bytes).reduce((a, b) => a + b, 0);
  return { bytes, total, interactive, encodings };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
const first = [];
let repeat;
for (let i = 0; i < runs; i++) {
  // A new context has an empty cache: a first visit.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  first.push(await visit(context));
  if (i === 0) repeat = await visit(context);
  await context.close();
}
await browser.close();

const last = first[first.length - 1];
const kb = (n) => (n / 1024).toFixed(1);
console.log(`page ${url} (Chromium, CPU throttled ${throttle}×, ${runs} first visits)`);
for (const [kind, n] of Object.entries(last.bytes).sort((a, b) => b[1] - a[1])) {
  const encoding = last.encodings[kind] ? ` (${last.encodings[kind]})` : '';
  console.log(`  ${kind.padEnd(12)} ${kb(n).padStart(8)} KB${encoding}`);
}
console.log(`  ${'total'.padEnd(12)} ${kb(last.total).padStart(8)} KB over the wire, first visit`);
console.log(`  ${'repeat'.padEnd(12)} ${kb(repeat.total).padStart(8)} KB over the wire, second visit`);
const times = first.map((r) => r.interactive);
console.log(`  interactive  median ${median(times).toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
console.log(
  JSON.stringify({
    scenario: 'page',
    url,
    cpu_throttle: throttle,
    first_visit_bytes: last.total,
    first_visit_by_kind: last.bytes,
    encodings: last.encodings,
    repeat_visit_bytes: repeat.total,
    interactive_ms_median: Math.round(median(times)),
    interactive_ms_runs: times.map(Math.round),
  }),
);
