import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { test, expect } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import { createRoom, joinRoom, person, say } from './helpers';

/**
 * Screenshots `page` as `name` among the test's results, and into BURNER_SCREENSHOTS too when
 * set (scripts/screenshots keeps them in docs/screenshots).
 */
async function shot(page: Page, info: TestInfo, name: string, fullPage = false) {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage });
  const kept = process.env.BURNER_SCREENSHOTS;
  if (kept) {
    mkdirSync(resolve(kept), { recursive: true });
    copyFileSync(path, resolve(kept, `${name}.png`));
  }
}

const sizes = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, isMobile: false },
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true },
] as const;

async function seriousViolations(page: import('@playwright/test').Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const scheme of ['dark', 'light'] as const) {
  for (const size of sizes) {
    test(`home and room at ${size.name} size, ${scheme} scheme: accessible, and screenshotted`, async ({ browser }, info) => {
      // Five pages, each checked by axe: the first run also warms the browser up (1.2–1.7 min
      // seen on 2 busy cores).
      test.setTimeout(180_000);
      const options = { viewport: size.viewport, isMobile: size.isMobile, hasTouch: size.isMobile, colorScheme: scheme };
      const aliceContext = await browser.newContext(options);
      const alice = await aliceContext.newPage();
      await alice.goto('/?expired=1');
      await expect(alice.locator('main[data-hydrated="true"]')).toBeVisible();
      expect(await seriousViolations(alice)).toEqual([]);
      await shot(alice, info, `home-${size.name}-${scheme}`, true);

      // Every option chosen, the passphrase typed and shown: still one design.
      await alice.getByRole('group', { name: 'Seats' }).getByText('3', { exact: true }).click();
      await alice.getByRole('group', { name: 'Who can destroy it' }).getByText('Only me', { exact: true }).click();
      await alice.getByRole('group', { name: 'Messages disappear' }).getByText('5 min', { exact: true }).click();
      await alice.getByRole('group', { name: 'Passphrase' }).getByText('Add one', { exact: true }).click();
      await alice.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple');
      await alice.getByRole('button', { name: 'Show' }).click();
      expect(await seriousViolations(alice)).toEqual([]);
      await shot(alice, info, `home-options-${size.name}-${scheme}`, true);

      // Three seats, so a third visitor still gets the room's own page below.
      const path = await createRoom(alice, 'alice', '', { seats: 3 });
      const bob = await person(browser);
      await joinRoom(bob.page, path, 'bob');
      await say(alice, 'Hello! This room burns in ten minutes.');
      await say(bob.page, 'Then let us be quick.\nTwo lines, even.');
      await expect(alice.getByTestId('message')).toHaveCount(2);
      expect(await seriousViolations(alice)).toEqual([]);
      // The input is on screen, not pushed below the fold.
      const box = await alice.getByLabel('Message', { exact: true }).boundingBox();
      expect(box && box.y + box.height).toBeLessThanOrEqual(size.viewport.height);
      await shot(alice, info, `room-${size.name}-${scheme}`);

      // The question before destroying fits the screen too: on a phone it wraps, no button is
      // cut off at the edge.
      await alice.getByRole('button', { name: 'Destroy now' }).click();
      const confirm = alice.getByRole('group', { name: 'Confirm destroying the room' });
      for (const name of ['Yes, destroy', 'Cancel']) {
        const button = await confirm.getByRole('button', { name }).boundingBox();
        expect(button && button.x + button.width, name).toBeLessThanOrEqual(size.viewport.width);
      }
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await expect(alice.getByRole('button', { name: 'Destroy now' })).toBeVisible();

      // What a link that needs its passphrase opens to.
      const carol = await browser.newContext(options);
      const asked = await carol.newPage();
      await asked.goto(`${path}&p=1`);
      await expect(asked.getByTestId('passphrase-needed')).toBeVisible();
      expect(await seriousViolations(asked)).toEqual([]);
      await shot(asked, info, `unlock-${size.name}-${scheme}`);
      await carol.close();
      await aliceContext.close();
    });
  }
}
