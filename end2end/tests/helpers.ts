import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

/** Opens a page and waits until the WASM has hydrated it. */
export async function openHydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
}

/** A fresh browser context (its own cookies and storage: another person). */
export async function person(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  return { context, page };
}

/**
 * A room page's address. Only its path: the page takes the key out of the address as soon as
 * it has read it, often before a test could see it there.
 */
export const roomPage = /\/room\/[A-Za-z0-9_-]{16}/;

/** What a room is made with, beyond the home page's defaults. */
export interface RoomChoices {
  seats?: number;
  onlyMeDestroys?: boolean;
  /** The label of a "Messages disappear" choice, e.g. '2 s'. */
  messageTimer?: string;
  /** A passphrase the room's keys need besides the link. */
  passphrase?: string;
}

/**
 * Creates a room from the home page (of the instance at `origin`, else the default one) as a
 * person would, with these choices; returns its link (path and key).
 */
export async function createRoom(page: Page, name?: string, origin = '', choices: RoomChoices = {}): Promise<string> {
  await openHydrated(page, `${origin}/`);
  if (name) {
    await page.getByLabel('Your identity').fill(name);
  }
  if (choices.seats) {
    await page.getByRole('group', { name: 'Seats' }).getByText(String(choices.seats), { exact: true }).click();
  }
  if (choices.messageTimer) {
    await page.getByRole('group', { name: 'Messages disappear' }).getByText(choices.messageTimer, { exact: true }).click();
  }
  if (choices.passphrase) {
    await page.getByRole('group', { name: 'Passphrase' }).getByText('Add one', { exact: true }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill(choices.passphrase);
  }
  if (choices.onlyMeDestroys) {
    await page.getByRole('group', { name: 'Who can destroy it' }).getByText('Only me', { exact: true }).click();
  }
  await page.getByRole('button', { name: 'Create secure room' }).click();
  await page.waitForURL(roomPage);
  await expect(page.getByTestId('link-status')).toHaveText('connected');
  return linkOf(page);
}

/**
 * The whole link of the room open in `page`: its path and the key the tab keeps (the page takes
 * the key out of the address once it has read it, and keeps it in the tab's sessionStorage).
 */
export async function linkOf(page: Page): Promise<string> {
  const url = new URL(page.url());
  const room = url.pathname.split('/room/')[1];
  const kept = await page.evaluate((id) => sessionStorage.getItem(`burner.link.${id}`), room);
  expect(kept, 'the tab keeps the room link').toMatch(/^\d+ #k=/);
  return url.pathname + (kept ?? '').split(' ')[1];
}

/**
 * Opens a room link as a person would (giving the room's passphrase when it asks), presses
 * Join, and waits until connected.
 */
export async function joinRoom(page: Page, link: string, name?: string, passphrase?: string): Promise<void> {
  await page.goto(link);
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  if (passphrase) {
    await unlock(page, passphrase);
  }
  const join = page.getByRole('button', { name: 'Join', exact: true });
  await expect(join).toBeEnabled();
  if (name) {
    await page.getByLabel('Your name in this room').fill(name);
  }
  await join.click();
  await expect(page.getByTestId('link-status')).toHaveText('connected');
}

/** Gives a room's passphrase where the page asks for it, and presses Unlock. */
export async function unlock(page: Page, passphrase: string): Promise<void> {
  await expect(page.getByTestId('passphrase-needed')).toHaveText('This room needs its passphrase');
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** Types a message and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** The texts of the messages shown, in order. */
export function messageTexts(page: Page) {
  return page.getByTestId('message').getByTestId('text');
}
