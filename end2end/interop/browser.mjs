// The browser's half of the interoperability test (server/tests/api/interop.rs): in Debian's
// Chromium, create a room on the Burner at argv[2], send a message, print the room's link, then
// wait until the other client's message shows, decrypted, and print it.
//
//   node interop/browser.mjs http://127.0.0.1:PORT
import { chromium } from '@playwright/test';

const base = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  await page.goto(`${base}/`);
  await page.locator('main[data-hydrated="true"]').waitFor();
  await page.getByLabel('Your identity').fill('Ada (browser)');
  await page.getByRole('button', { name: 'Create secure room' }).click();
  await page.waitForURL(/\/room\//);
  await page.getByTestId('link-status').filter({ hasText: /^connected$/ }).waitFor();
  const box = page.getByLabel('Message', { exact: true });
  await box.fill('hello from the browser');
  await box.press('Enter');
  await page.getByTestId('message').filter({ hasText: 'hello from the browser' }).waitFor();
  // The page took the key out of the address once read; the tab keeps it (docs/PROTOCOL.md §3).
  const url = new URL(page.url());
  const room = url.pathname.split('/room/')[1];
  const kept = await page.evaluate((id) => sessionStorage.getItem(`burner.link.${id}`), room);
  console.log(`LINK ${url.pathname}${(kept ?? '').split(' ')[1] ?? ''}`);
  const theirs = page.locator('[data-testid="message"][data-mine="false"]');
  await theirs.first().waitFor({ timeout: 30_000 });
  const name = await theirs.first().locator('header span').first().textContent();
  const text = await theirs.first().getByTestId('text').textContent();
  console.log(`SEEN ${text} FROM ${name}`);
} finally {
  await browser.close();
}
