import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, say } from './helpers';
import type { Browser } from '@playwright/test';

const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
/** Burner serving HTTPS and WSS itself, with a certificate the test setup made. */
const native = `https://127.0.0.1:${port + 5}`;
/** nginx terminating TLS in front of two instances that share Redis (docs/nginx.conf). */
const proxied = `https://127.0.0.1:${port + 43}`;

/** Someone whose browser was told to accept the test's self-signed certificate. */
async function visitor(browser: Browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  return { context, page: await context.newPage() };
}

for (const [where, origin] of [['served by Burner itself', native], ['behind nginx, load-balanced over two instances', proxied]]) {
  test(`the chat works over HTTPS and WSS, ${where}`, async ({ browser }) => {
    const alice = await visitor(browser);
    const bob = await visitor(browser);
    const home = await alice.page.request.get(`${origin}/`);
    expect(home.headers()['strict-transport-security']).toBe('max-age=31536000');
    const link = await createRoom(alice.page, 'alice', origin);
    await joinRoom(bob.page, `${origin}${link}`, 'bob');
    expect(new URL(bob.page.url()).protocol).toBe('https:');
    await say(alice.page, 'over TLS');
    await say(bob.page, 'both ways');
    for (const page of [alice.page, bob.page]) {
      await expect(messageTexts(page)).toHaveText(['over TLS', 'both ways']);
    }
    // The seat is a Secure, host-only cookie.
    const cookies = await bob.context.cookies(origin);
    const seat = cookies.find((c) => c.name.startsWith('__Host-burner_seat_'));
    expect(seat?.secure).toBe(true);
    expect(seat?.httpOnly).toBe(true);
    expect(seat?.sameSite).toBe('Strict');
  });
}
