import { test, expect } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import { createRoom, joinRoom, person, say } from './helpers';

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
      const options = { viewport: size.viewport, isMobile: size.isMobile, hasTouch: size.isMobile, colorScheme: scheme };
      const aliceContext = await browser.newContext(options);
      const alice = await aliceContext.newPage();
      await alice.goto('/?expired=1');
      await expect(alice.locator('main[data-hydrated="true"]')).toBeVisible();
      expect(await seriousViolations(alice)).toEqual([]);
      await alice.screenshot({ path: info.outputPath(`home-${size.name}-${scheme}.png`), fullPage: true });

      const path = await createRoom(alice, 'alice');
      const bob = await person(browser);
      await joinRoom(bob.page, path, 'bob');
      await say(alice, 'Hello! This room burns in ten minutes.');
      await say(bob.page, 'Then let us be quick.\nTwo lines, even.');
      await expect(alice.getByTestId('message')).toHaveCount(2);
      expect(await seriousViolations(alice)).toEqual([]);
      // The input is on screen, not pushed below the fold.
      const box = await alice.getByLabel('Message', { exact: true }).boundingBox();
      expect(box && box.y + box.height).toBeLessThanOrEqual(size.viewport.height);
      await alice.screenshot({ path: info.outputPath(`room-${size.name}-${scheme}.png`) });
      await aliceContext.close();
    });
  }
}
