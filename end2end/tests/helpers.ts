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

/** Creates a room from the home page as a person would; returns its path. */
export async function createRoom(page: Page, name?: string): Promise<string> {
  await openHydrated(page, '/');
  if (name) {
    await page.getByLabel('Your identity').fill(name);
  }
  await page.getByRole('button', { name: 'Create secure room' }).click();
  await page.waitForURL(/\/room\/[A-Za-z0-9_-]{16}$/);
  await expect(page.getByTestId('link-status')).toHaveText('connected');
  return new URL(page.url()).pathname;
}

/** Opens a room link as a person would and waits until connected. */
export async function joinRoom(page: Page, path: string, name?: string): Promise<void> {
  if (name) {
    await page.addInitScript((n) => localStorage.setItem('burner.username', n), name);
  }
  await page.goto(path);
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('link-status')).toHaveText('connected');
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
