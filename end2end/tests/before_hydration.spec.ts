import { test, expect } from './fixtures';
import { createRoom, roomPage } from './helpers';
import type { Page, Request } from '@playwright/test';

/**
 * Pages are rendered on the server before the WASM runs. Pressed before it does (or with
 * JavaScript off), no button and no Enter key may send a name, a message or a key to the
 * server: the forms go nowhere (`method="dialog"`), their buttons are disabled until the page
 * is live, and no field has a name a form could submit.
 */

/** Every request the page makes, as text (URL, and body if any). */
function recordRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request: Request) => seen.push(`${request.url()} ${request.postData() ?? ''}`));
  return seen;
}

/** Holds the page's WebAssembly back until the returned function is called: until then the
 * page stays as the server rendered it. */
async function holdWasm(page: Page): Promise<() => void> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

function carrying(requests: string[], secret: string): string[] {
  return requests.filter((r) => r.includes(secret) || r.includes(encodeURIComponent(secret)));
}

test('with JavaScript off, pressing Create or Enter sends no name anywhere', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const requests = recordRequests(page);
  await page.goto('/');
  const name = page.getByLabel('Your identity');
  await name.fill('secret-owl-4242');
  const create = page.getByRole('button', { name: 'Create secure room' });
  await expect(create).toBeDisabled();
  await create.click({ force: true });
  await name.press('Enter');
  await page.waitForTimeout(500);
  expect(carrying(requests, 'secret-owl-4242'), 'no request carries the name').toEqual([]);
  expect(new URL(page.url()).search).toBe('');
  await context.close();
});

test('with the WASM held back, pressing Create sends no name, and the page works once it loads', async ({ page }) => {
  const release = await holdWasm(page);
  const requests = recordRequests(page);
  await page.goto('/');
  const name = page.getByLabel('Your identity');
  await name.fill('secret-lynx-1717');
  await page.getByRole('button', { name: 'Create secure room' }).click({ force: true });
  await name.press('Enter');
  await page.waitForTimeout(500);
  expect(carrying(requests, 'secret-lynx-1717'), 'no request carries the name').toEqual([]);
  expect(new URL(page.url()).pathname).toBe('/');
  release();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await name.fill('secret-lynx-1717');
  await page.getByRole('button', { name: 'Create secure room' }).click();
  await page.waitForURL(roomPage);
  expect(carrying(requests, 'secret-lynx-1717'), 'sealed before it is sent').toEqual([]);
});

test('a name typed and options picked before the page wakes up are kept when it does', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/');
  const name = page.getByLabel('Your identity');
  await name.fill('early-heron-3131');
  const seats = page.getByRole('group', { name: 'Seats' });
  await seats.getByText('3', { exact: true }).click();
  const destroy = page.getByRole('group', { name: 'Who can destroy it' });
  await destroy.getByText('Only me', { exact: true }).click();
  const passphrase = page.getByRole('group', { name: 'Passphrase' });
  await passphrase.getByText('Add one', { exact: true }).click();
  release();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(name).toHaveValue('early-heron-3131');
  await expect(seats.getByRole('radio', { name: '3', exact: true })).toBeChecked();
  await expect(destroy.getByRole('radio', { name: 'Only me' })).toBeChecked();
  await expect(passphrase.getByRole('radio', { name: 'Add one' })).toBeChecked();
  // The passphrase's field, which only the live page shows, is there to type in.
  await page.getByLabel('Passphrase', { exact: true }).fill('three early words');
  // And the room is made as picked.
  await page.getByRole('button', { name: 'Create secure room' }).click();
  await page.waitForURL(roomPage);
  await expect(page.getByTestId('seats')).toHaveText('1 of 3 seats taken');
  await expect(page.getByTestId('creator-destroys')).toHaveText('Only you can destroy it');
});

test('"Remember" ticked before the page wakes up keeps the typed name at once', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/');
  await page.getByLabel('Your identity').fill('early-wren-2424');
  await page.getByLabel('Remember this name on this device').check();
  release();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByLabel('Remember this name on this device')).toBeChecked();
  await page.reload();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByLabel('Your identity')).toHaveValue('early-wren-2424');
  await expect(page.getByLabel('Remember this name on this device')).toBeChecked();
});

test('a name emptied before the page wakes up is told why once it does', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/');
  const name = page.getByLabel('Your identity');
  await expect(page.locator('#username-help')).toHaveText('Others in the room see this name.');
  await name.fill('');
  release();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(name).toHaveValue('');
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#username-help')).toContainText('at least one character');
  await expect(page.getByRole('button', { name: 'Create secure room' })).toBeDisabled();
});

test('Copy link, Leave, Destroy and the creator\'s Lock look disabled until the room page wakes up', async ({ browser }) => {
  const live = await browser.newContext();
  const creator = await live.newPage();
  const link = await createRoom(creator, 'keeper');
  const page = await live.newPage();
  const release = await holdWasm(page);
  await page.goto(link);
  const leave = page.getByRole('button', { name: 'Leave room' });
  const destroy = page.getByRole('button', { name: 'Destroy now' });
  const copy = page.getByRole('button', { name: 'Copy link' });
  // The creator's own page, drawn by the server as the creator's (no layout shift on waking).
  const lock = page.getByTestId('lock-toggle');
  await expect(leave).toBeDisabled();
  await expect(destroy).toBeDisabled();
  await expect(copy).toBeDisabled();
  await expect(lock).toBeDisabled();
  release();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(leave).toBeEnabled();
  await expect(destroy).toBeEnabled();
  await expect(copy).toBeEnabled();
  await expect(lock).toBeEnabled();
  await live.close();
});

test('with JavaScript off, a room page sends no name, no message and keeps its key', async ({ browser }) => {
  // A room, made by a person whose browser runs the page; then the same seat with JavaScript off.
  const live = await browser.newContext();
  const creator = await live.newPage();
  const link = await createRoom(creator, 'keeper');
  const off = await browser.newContext({ javaScriptEnabled: false });
  await off.addCookies(await live.cookies());
  const seated = await off.newPage();
  const requests = recordRequests(seated);
  await seated.goto(link);
  const box = seated.getByLabel('Message', { exact: true });
  await box.fill('secret message 9090');
  await box.press('Enter');
  await seated.getByRole('button', { name: 'Send' }).click({ force: true });
  // And a visitor without a seat, at the join panel.
  const visitor = await off.newPage();
  const visitorRequests = recordRequests(visitor);
  await off.clearCookies();
  await visitor.goto(link);
  const joinName = visitor.getByLabel('Your name in this room');
  await joinName.fill('secret-heron-5151');
  await joinName.press('Enter');
  await visitor.getByRole('button', { name: 'Join', exact: true }).click({ force: true });
  await seated.waitForTimeout(500);
  const all = [...requests, ...visitorRequests];
  expect(carrying(all, 'secret message 9090'), 'no request carries the message').toEqual([]);
  expect(carrying(all, 'secret-heron-5151'), 'no request carries the name').toEqual([]);
  const key = link.split('#')[1];
  expect(all.filter((r) => r.includes(key)), 'no request carries the key').toEqual([]);
  expect(new URL(visitor.url()).hash, 'the link keeps its key').toBe(`#${key}`);
  await live.close();
  await off.close();
});
