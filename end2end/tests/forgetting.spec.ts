import { test, expect } from './fixtures';
import { createRoom, joinRoom, linkOf, messageTexts, openHydrated, person, say } from './helpers';
import type { BrowserContext, Page } from '@playwright/test';

// What the device keeps of a room, and for how long (docs/SECURITY.md, "Gone means gone").

/** Keeps a handle on the page's WebAssembly memory, to look for what it still holds. */
async function watchWasmMemory(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const keep = (instantiate: (...args: any[]) => Promise<any>) =>
      async function (this: unknown, ...args: any[]) {
        const made = await instantiate.apply(this, args);
        const instance = made.instance ?? made;
        if (instance?.exports?.memory) (globalThis as any).__wasmMemory = instance.exports.memory;
        return made;
      };
    WebAssembly.instantiateStreaming = keep(WebAssembly.instantiateStreaming) as any;
    WebAssembly.instantiate = keep(WebAssembly.instantiate) as any;
  });
}

/**
 * How many times `text` (UTF-8) appears in the page's WebAssembly memory. The text travels as
 * bytes, so the search itself leaves no copy of it in the page.
 */
async function inWasmMemory(page: Page, text: string): Promise<number> {
  const wanted = Array.from(new TextEncoder().encode(text));
  return page.evaluate((wanted) => {
    const memory = (globalThis as any).__wasmMemory as WebAssembly.Memory | undefined;
    if (!memory) throw new Error('the page has no WebAssembly memory');
    const bytes = new Uint8Array(memory.buffer);
    let found = 0;
    outer: for (let i = 0; i + wanted.length <= bytes.length; i++) {
      for (let j = 0; j < wanted.length; j++) {
        if (bytes[i + j] !== wanted[j]) continue outer;
      }
      found++;
    }
    return found;
  }, wanted);
}

test('a visitor turned away from a full room keeps no key in the address, with JavaScript off too', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice');
  await joinRoom(bob.page, link, 'bob');
  for (const javaScriptEnabled of [false, true]) {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(link);
    // The server's redirect names an empty fragment, so the browser does not carry the key over.
    await expect(page).toHaveURL(/\/\?error=room-full#?$/);
    expect(page.url(), `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`).not.toContain('#k=');
    if (javaScriptEnabled) {
      await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
      await expect(page).toHaveURL(/\/\?error=room-full$/);
    }
    await context.close();
  }
});

test('the key leaves the address once read; a reload and Copy link still have it, and it goes with the room', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  await alice.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const link = await createRoom(alice.page, 'alice');
  // Out of the address bar and this tab's history entry.
  expect(new URL(alice.page.url()).hash).toBe('');
  expect(await alice.page.evaluate(() => location.href)).not.toContain('#');
  // A reload keeps the room readable: the tab kept the key.
  await say(alice.page, 'still readable after a reload');
  await alice.page.reload();
  await expect(alice.page.getByTestId('link-status')).toHaveText('connected');
  await expect(messageTexts(alice.page)).toHaveText(['still readable after a reload']);
  // "Copy link" copies the whole link, key included, and it opens the room for Bob.
  await alice.page.getByRole('button', { name: 'Copy link' }).click();
  const copied = await alice.page.evaluate(() => navigator.clipboard.readText());
  expect(new URL(copied).pathname + new URL(copied).hash).toBe(link);
  await joinRoom(bob.page, copied, 'bob');
  expect(new URL(bob.page.url()).hash, 'the invitee\'s address lost it too').toBe('');
  await expect(messageTexts(bob.page)).toHaveText(['still readable after a reload']);
  // Back and forward do not bring it back.
  await bob.page.goto('/');
  await bob.page.goBack();
  expect(bob.page.url()).not.toContain('#k=');
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
  await expect(messageTexts(bob.page)).toHaveText(['still readable after a reload']);
  // Each browser keeps its signing key for the room while the room lives...
  const signers = () => Promise.all([alice.page, bob.page].map((page) =>
    page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('burner.signer.')).length)));
  expect(await signers()).toEqual([1, 1]);
  // ...and when the room ends, the tab forgets its link, and the browser its signing key.
  await alice.page.getByRole('button', { name: 'Destroy now' }).click();
  await alice.page.getByRole('button', { name: 'Yes, destroy' }).click();
  for (const page of [alice.page, bob.page]) {
    await expect(page).toHaveURL(/\/\?destroyed=1$/);
    const kept = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + location.href);
    expect(kept).not.toContain('#k=');
  }
  expect(await signers()).toEqual([0, 0]);
});

test('the name is remembered on this device only when the person chooses it', async ({ browser }) => {
  const visitor = await person(browser);
  const page = visitor.page;
  await openHydrated(page, '/');
  const remember = page.getByLabel('Remember this name on this device');
  await expect(remember).not.toBeChecked();
  await page.getByLabel('Your identity').fill('quiet-otter');
  await createRoom(page, 'quiet-otter');
  expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain('quiet-otter');
  // A new visit: a fresh name, still not remembered.
  await openHydrated(page, '/');
  await expect(page.getByLabel('Your identity')).not.toHaveValue('quiet-otter');
  // Chosen: kept for the next visit, and said so.
  await page.getByLabel('Your identity').fill('loud-heron');
  await remember.check();
  await openHydrated(page, '/');
  await expect(page.getByLabel('Your identity')).toHaveValue('loud-heron');
  await expect(remember).toBeChecked();
  // Unchosen: forgotten at once.
  await remember.uncheck();
  expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain('loud-heron');
  await openHydrated(page, '/');
  await expect(page.getByLabel('Your identity')).not.toHaveValue('loud-heron');
  await expect(remember).not.toBeChecked();
});

test('a message past its timer is gone from the page\'s memory, not only from its screen', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  await watchWasmMemory(bob.context);
  const link = await createRoom(alice.page, 'alice', '', { messageTimer: '2 s' });
  await joinRoom(bob.page, link, 'bob');
  const secret = `gone-for-good-${Math.random().toString(36).slice(2, 12)}`;
  await say(alice.page, secret);
  // Compared here, not in the page, so the page gets no copy of the text from the test.
  await expect(messageTexts(bob.page)).toHaveCount(1);
  expect(await messageTexts(bob.page).innerText()).toBe(secret);
  // While it lives, the search finds it: the page holds its text.
  expect(await inWasmMemory(bob.page, secret)).toBeGreaterThan(0);
  await expect(messageTexts(bob.page)).toHaveCount(0, { timeout: 5_000 });
  // A tick of the page's clock (every 250 ms) drops it from the page's state.
  await bob.page.waitForTimeout(1_000);
  expect(await inWasmMemory(bob.page, secret), 'no copy left in the page\'s WebAssembly memory').toBe(0);
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
});
