import { execFileSync } from 'node:child_process';
import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, openHydrated, person, say } from './helpers';

// Two instances sharing Redis (started by playwright.config.ts), as a deployment runs them.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const instanceA = `http://127.0.0.1:${port + 1}`;
const instanceB = `http://127.0.0.1:${port + 2}`;
const redisUrl = process.env.BURNER_E2E_REDIS_URL ?? '';
const prefix = process.env.BURNER_E2E_PREFIX ?? '';

/** The keys Redis holds for a room. */
function redisKeys(roomId: string): string[] {
  const out = execFileSync('redis-cli', ['-u', redisUrl, '--scan', '--pattern', `${prefix}:{${roomId}}:*`], { encoding: 'utf8' });
  return out.split('\n').map((k) => k.trim()).filter(Boolean);
}

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

test('disappearing messages leave both pages and Redis on time, and do not come back', async ({ browser }) => {
  test.setTimeout(60_000);
  const alice = await person(browser);
  const bob = await person(browser);
  // Alice on instance A with a 2-second timer (offered to tests), Bob on instance B.
  await openHydrated(alice.page, `${instanceA}/`);
  await expect(alice.page.getByRole('group', { name: 'Messages disappear' }).getByRole('radio', { name: 'Off' })).toBeChecked();
  const link = await createRoom(alice.page, 'alice', instanceA, { messageTimer: '2 s' });
  const roomId = link.split('/room/')[1].split('#')[0];
  await joinRoom(bob.page, `${instanceB}${link}`, 'bob');
  await say(alice.page, 'this will self-destruct');
  for (const p of [alice.page, bob.page]) {
    await expect(messageTexts(p)).toHaveText(['this will self-destruct']);
    await expect(p.getByTestId('disappears')).toHaveText(/vanishes in 0:0[0-2]/);
    await expect(p.getByTestId('message-timer')).toHaveText('Messages disappear after 2 s');
  }
  // Gone from both pages on time (2 s, then a second's fade).
  for (const p of [alice.page, bob.page]) {
    await expect(messageTexts(p)).toHaveCount(0, { timeout: 5_000 });
  }
  // And from Redis: the room's log is gone (the sweep runs every second).
  await expect.poll(() => redisKeys(roomId).filter((k) => k.endsWith(':log')), { timeout: 5_000 }).toEqual([]);
  // A page that comes back later does not get it back.
  await bob.page.reload();
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
  await expect(messageTexts(bob.page)).toHaveCount(0);
  await say(bob.page, 'after');
  await expect(messageTexts(alice.page)).toHaveText(['after']);
});
