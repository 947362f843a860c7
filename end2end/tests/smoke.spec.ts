import { test, expect } from '@playwright/test';
import { createRoom, joinRoom, messageTexts, person, say } from './helpers';

test('two people chat', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page, 'alice');
  await joinRoom(bob.page, path, 'bob');
  await say(alice.page, 'hello bob');
  await expect(messageTexts(bob.page)).toHaveText(['hello bob']);
  await say(bob.page, 'hi alice');
  await expect(messageTexts(alice.page)).toHaveText(['hello bob', 'hi alice']);
  await alice.page.screenshot({ path: 'test-results/smoke-alice.png' });
  await bob.page.screenshot({ path: 'test-results/smoke-bob.png' });
});
