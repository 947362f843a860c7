import { test, expect } from './fixtures';
import { createRoom, linkOf, person } from './helpers';
import type { Page } from '@playwright/test';

/**
 * What a person sees first is final: the server renders each page as it looks once the
 * WebAssembly has woken it, so nothing moves when it does (Cumulative Layout Shift 0, as
 * Chromium's layout-shift entries count it), including on a device that remembers a name.
 */

/** Starts counting layout shifts from the page's first paint (before any script of its own). */
async function countShifts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const shifts: { value: number; sources: string[] }[] = [];
    (window as unknown as { __shifts: typeof shifts }).__shifts = shifts;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as unknown as {
        value: number;
        hadRecentInput: boolean;
        sources?: { node?: Node }[];
      }[]) {
        if (entry.hadRecentInput) continue;
        const sources = (entry.sources ?? []).map((s) => {
          const node = s.node as Element | undefined;
          return node ? `${node.nodeName.toLowerCase()}${node.id ? '#' + node.id : ''} "${(node.textContent ?? '').slice(0, 40)}"` : '?';
        });
        shifts.push({ value: entry.value, sources });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

async function shiftsAfterWaking(page: Page): Promise<{ value: number; sources: string[] }[]> {
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  // Whatever the live page changes in its first moments (the countdown's first tick included).
  await page.waitForTimeout(1500);
  return page.evaluate(() => (window as unknown as { __shifts: { value: number; sources: string[] }[] }).__shifts);
}

// Not yet: in 2 of 8 runs in a row (and once in CI) the home page's whole column moved by 0.03–0.06
// as it woke up, with or without a remembered name; the cause is not found yet (issue 30's note).
test.fixme('the home page does not move when it wakes up, with or without a remembered name', async ({ browser }) => {
  for (const remembered of [false, true]) {
    const { context, page } = await person(browser);
    if (remembered) {
      await context.addInitScript(() => localStorage.setItem('burner.username', 'remembered-otter-5150'));
    }
    await countShifts(page);
    await page.goto('/');
    const shifts = await shiftsAfterWaking(page);
    expect(shifts, `layout shifts on the home page (remembered name: ${remembered})`).toEqual([]);
    if (remembered) {
      await expect(page.getByLabel('Your identity')).toHaveValue('remembered-otter-5150');
    }
    await context.close();
  }
});

test('a room link does not move when it wakes up, for the invitee or the creator', async ({ browser }) => {
  const alice = await person(browser);
  await createRoom(alice.page, 'alice');
  const link = await linkOf(alice.page);

  const bob = await person(browser);
  await countShifts(bob.page);
  await bob.page.goto(link);
  expect(await shiftsAfterWaking(bob.page), 'layout shifts on the join panel').toEqual([]);

  await countShifts(alice.page);
  await alice.page.reload();
  expect(await shiftsAfterWaking(alice.page), 'layout shifts on the room, reloaded').toEqual([]);
  await alice.context.close();
  await bob.context.close();
});
