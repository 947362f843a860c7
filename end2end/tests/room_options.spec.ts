import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, openHydrated, person, say } from './helpers';

// Two instances sharing Redis (started by playwright.config.ts), as a deployment runs them.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const instanceA = `http://127.0.0.1:${port + 1}`;
const instanceB = `http://127.0.0.1:${port + 2}`;

test('the home page offers who may destroy a room, anyone in it by default', async ({ page }) => {
  await openHydrated(page, '/');
  const group = page.getByRole('group', { name: 'Who can destroy it' });
  await expect(group.getByRole('radio', { name: 'Anyone in it' })).toBeChecked();
  await expect(group.getByRole('radio', { name: 'Only me' })).not.toBeChecked();
});

test('in a room only its creator may destroy, the others have no Destroy and the server refuses them', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  // Alice makes the room on instance A, Bob joins on instance B: they share Redis.
  const link = await createRoom(alice.page, 'alice', instanceA, { onlyMeDestroys: true });
  const roomId = link.split('/room/')[1].split('#')[0];
  await bob.page.goto(`${instanceB}${link}`);
  await expect(bob.page.getByTestId('room-facts')).toContainText('only its creator can destroy it');
  await joinRoom(bob.page, `${instanceB}${link}`, 'bob');
  await say(bob.page, 'can I end this?');
  await expect(messageTexts(alice.page)).toHaveText(['can I end this?']);

  await expect(bob.page.getByRole('button', { name: 'Destroy now' })).toHaveCount(0);
  await expect(bob.page.getByTestId('creator-destroys')).toHaveText('Only its creator can destroy it');
  await expect(alice.page.getByRole('button', { name: 'Destroy now' })).toBeVisible();
  await expect(alice.page.getByTestId('creator-destroys')).toHaveText('Only you can destroy it');

  // Bob's browser asks anyway, with his seat cookie: refused with a clear error.
  const refused = await bob.page.evaluate(async (room) => {
    const response = await fetch('/api/destroy_room', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room_id: room }),
    });
    return { status: response.status, body: await response.json() };
  }, roomId);
  expect(refused.status).toBe(403);
  expect(refused.body.error).toBe('only_creator');
  await say(bob.page, 'still here');
  await expect(messageTexts(alice.page)).toHaveText(['can I end this?', 'still here']);

  // Its creator may.
  await alice.page.getByRole('button', { name: 'Destroy now' }).click();
  await alice.page.getByRole('button', { name: 'Yes, destroy' }).click();
  for (const p of [alice.page, bob.page]) {
    await expect(p).toHaveURL(/\/\?destroyed=1$/);
    await expect(p.getByRole('heading', { name: 'Room destroyed' })).toBeVisible();
  }
});
