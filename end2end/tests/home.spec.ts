import { test, expect } from './fixtures';
import { openHydrated } from './helpers';

const anonymous = /^anonymous-[a-z]+-[a-z0-9]{5}$/;

test('the home page hydrates: a new random name can be picked, and it is remembered when asked', async ({ page }) => {
  await page.goto('/');
  const name = page.getByLabel('Your identity');
  // Rendered on the server: the page is complete before the WASM loads.
  await expect(name).toHaveValue(anonymous);
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  const before = await name.inputValue();
  // Only the hydrated page reacts to this button.
  await page.getByRole('button', { name: 'Pick a new random name' }).click();
  await expect(name).not.toHaveValue(before);
  await expect(name).toHaveValue(anonymous);
  const picked = await name.inputValue();
  await page.getByLabel('Remember this name on this device').check();
  await page.reload();
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(name).toHaveValue(picked);
});

test('a name must be 1 to 100 characters, and the reason is shown', async ({ page }) => {
  await openHydrated(page, '/');
  const name = page.getByLabel('Your identity');
  const create = page.getByRole('button', { name: 'Create secure room' });
  await name.fill('   ');
  await expect(page.getByText('Choose a name of at least one character.')).toBeVisible();
  await expect(create).toBeDisabled();
  await name.fill('x'.repeat(101));
  await expect(page.getByText('A name is at most 100 characters.')).toBeVisible();
  await expect(create).toBeDisabled();
  await name.fill('night owl');
  await expect(create).toBeEnabled();
});

for (const [query, heading, sentence] of [
  ['?error=room-not-found', 'Room not found', 'may have expired, been destroyed, or never existed'],
  ['?error=room-full', 'Room full', 'already has all the people it can hold'],
  ['?destroyed=1', 'Room destroyed', 'deleted for good'],
  ['?expired=1', 'Room expired', 'time ran out'],
  ['?left=1', 'You left the room', 'seat is free again'],
]) {
  test(`the ${query} banner has a heading and a sentence`, async ({ page }) => {
    await page.goto(`/${query}`);
    const banner = page.getByRole('status').filter({ hasText: heading });
    await expect(banner.getByRole('heading', { name: heading })).toBeVisible();
    await expect(banner).toContainText(sentence);
  });
}

test('the chosen lifetime is the room\'s lifetime', async ({ page }) => {
  await openHydrated(page, '/');
  const lifetimes = page.getByRole('group', { name: 'Room lifetime' });
  await expect(lifetimes.getByRole('radio', { name: '10 min' })).toBeChecked();
  await lifetimes.getByText('1 h', { exact: true }).click();
  await page.getByRole('button', { name: 'Create secure room' }).click();
  await page.waitForURL(/\/room\//);
  // Over an hour the countdown reads H:MM:SS, just under it M:SS.
  await expect(page.getByTestId('countdown')).toHaveText(/^(1:00:00|59:[0-5]\d)$/);
});

test('an unknown room or page sends the visitor somewhere sensible', async ({ page }) => {
  await page.goto('/room/AAAAAAAAAAAAAAAA');
  await expect(page).toHaveURL(/\/\?error=room-not-found$/);
  await expect(page.getByRole('heading', { name: 'Room not found' })).toBeVisible();
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('link', { name: 'Go to the home page' })).toBeVisible();
});

test.describe('the Content-Security-Policy', () => {
  test.use({ allowCspViolations: true });

  test('blocks a script injected into the page, and the guard sees it', async ({ page }) => {
    const reported: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) reported.push(m.text());
    });
    await openHydrated(page, '/');
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.appendChild(script);
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => reported.length).toBeGreaterThan(0);
  });
});
