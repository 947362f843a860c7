import { execFileSync } from 'node:child_process';
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, openHydrated, person, say, unlock } from './helpers';
import { LinkKeys } from './protocol';

// Two instances sharing Redis (started by playwright.config.ts), as a deployment runs them.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const instanceA = `http://127.0.0.1:${port + 1}`;
const instanceB = `http://127.0.0.1:${port + 2}`;
const redisUrl = process.env.BURNER_E2E_REDIS_URL ?? '';
const prefix = process.env.BURNER_E2E_PREFIX ?? '';

const PASSPHRASE = 'correct horse battery staple';

/** Every value Redis holds for a room, as one string. */
function roomDump(roomId: string): string {
  const redis = (...args: string[]) => execFileSync('redis-cli', ['-u', redisUrl, ...args], { encoding: 'utf8' });
  const keys = redis('--scan', '--pattern', `${prefix}:{${roomId}}:*`).split('\n').map((k) => k.trim()).filter(Boolean);
  return keys.map((key) => redis('DUMP', key)).join('\n');
}

/** Everything a browser context sends: each request's address and body, each WebSocket frame. */
function recordWhatLeaves(context: BrowserContext): string[] {
  const sent: string[] = [];
  context.on('request', (request) => sent.push(`${request.url()} ${request.postData() ?? ''}`));
  context.on('page', (page) => watchSockets(page, sent));
  for (const page of context.pages()) watchSockets(page, sent);
  return sent;
}

function watchSockets(page: Page, sent: string[]) {
  page.on('websocket', (socket) => socket.on('framesent', (frame) => sent.push(String(frame.payload))));
}

/** How many seats the room has taken, as the server says (asked from `page`'s origin). */
async function seated(page: Page, roomId: string): Promise<number> {
  return page.evaluate(async (room) => {
    const response = await fetch('/api/room_view', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room_id: room }),
    });
    return (await response.json()).seated;
  }, roomId);
}

test('the home page offers a passphrase, off by default, and refuses one too short to create', async ({ page }) => {
  await openHydrated(page, '/');
  const group = page.getByRole('group', { name: 'Passphrase' });
  await expect(group.getByRole('radio', { name: 'Off' })).toBeChecked();
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveCount(0);
  await group.getByText('Add one', { exact: true }).click();
  const field = page.getByLabel('Passphrase', { exact: true });
  await expect(field).toHaveAttribute('type', 'password');
  await expect(page.locator('#passphrase-help')).toContainText('never leaves this browser');
  const create = page.getByRole('button', { name: 'Create secure room' });
  await expect(create).toBeDisabled();
  await field.fill('short');
  await expect(page.locator('#passphrase-help')).toHaveText(/at least 8 characters/);
  await expect(create).toBeDisabled();
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(field).toHaveAttribute('type', 'text');
  await field.fill(PASSPHRASE);
  await expect(create).toBeEnabled();
  // Switched off again, the room is made without one.
  await group.getByText('Off', { exact: true }).click();
  await expect(create).toBeEnabled();
});

test('a room with a passphrase: the link alone asks for it and takes no seat, a wrong one is told before joining, and it never leaves the page', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await person(browser);
  const bob = await person(browser);
  const alicesSent = recordWhatLeaves(alice.context);
  const bobsSent = recordWhatLeaves(bob.context);

  // Alice makes the room on instance A; the link says a passphrase is needed, and holds none.
  const link = await createRoom(alice.page, 'alice', instanceA, { passphrase: `  ${PASSPHRASE} ` });
  expect(link).toMatch(/#k=[A-Za-z0-9_-]{43}&p=1$/);
  const roomId = link.split('/room/')[1].split('#')[0];
  await say(alice.page, 'the password is in another envelope');
  await expect(messageTexts(alice.page)).toHaveText(['the password is in another envelope']);

  // Bob opens the link alone on instance B: asked for the passphrase, no Join, no seat.
  await bob.page.goto(`${instanceB}${link}`);
  await expect(bob.page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(bob.page.getByTestId('passphrase-needed')).toHaveText('This room needs its passphrase');
  await expect(bob.page.getByRole('button', { name: 'Join', exact: true })).toHaveCount(0);
  // The link can be passed on from here: the passphrase is not in it.
  await expect(bob.page.getByRole('button', { name: 'Copy link' })).toBeVisible();
  expect(await seated(bob.page, roomId)).toBe(1);

  // A wrong passphrase is told once, here, and takes no seat either.
  await bob.page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery stapler');
  await bob.page.getByRole('button', { name: 'Unlock' }).click();
  await expect(bob.page.getByRole('alert')).toHaveText(/That passphrase does not open this room/);
  await expect(bob.page.getByTestId('passphrase-needed')).toBeVisible();
  expect(await seated(bob.page, roomId)).toBe(1);
  // The cursor is back in the field, the wrong passphrase selected: typing replaces it.
  const field = bob.page.getByLabel('Passphrase', { exact: true });
  await expect(field).toBeFocused();
  expect(await field.evaluate((f: HTMLInputElement) => [f.selectionStart, f.selectionEnd])).toEqual([0, 29]);
  // Typing again puts the refusal away.
  await bob.page.getByLabel('Passphrase', { exact: true }).fill('correct horse');
  await expect(bob.page.getByRole('alert')).toHaveText('');

  // The link's own proof, without the passphrase, does not take a seat at the server either.
  const linkKeys = new LinkKeys(link.split('#k=')[1].split('&')[0]);
  const linkOnly = await bob.page.evaluate(async ({ room, proof, name }) => {
    const response = await fetch('/api/join_room', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room_id: room, seat_id: 'seatMMMMMMMM', name, proof }),
    });
    return { status: response.status, body: await response.json() };
  }, {
    room: roomId,
    proof: linkKeys.proof(),
    name: linkKeys.seal({ kind: 'n', seat: 'seatMMMMMMMM' }, roomId, 'mallory'),
  });
  expect(linkOnly).toEqual({ status: 403, body: { error: 'wrong_key' } });
  expect(await seated(bob.page, roomId)).toBe(1);

  // The right one opens it; Bob joins and they chat across the instances.
  await unlock(bob.page, PASSPHRASE);
  await expect(bob.page.getByText(/encrypted with the key in your link and the room's passphrase/)).toBeVisible();
  await bob.page.getByLabel('Your name in this room').fill('bob');
  await bob.page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
  await expect(messageTexts(bob.page)).toHaveText(['the password is in another envelope']);
  await say(bob.page, 'got it');
  await expect(messageTexts(alice.page)).toHaveText(['the password is in another envelope', 'got it']);
  await expect(alice.page.getByTestId('peer')).toHaveText(/bob\s*online/);

  // Nothing keeps it: reloading asks again (the seat is still Alice's), and then all is there.
  await alice.page.reload();
  await expect(alice.page.getByTestId('passphrase-needed')).toBeVisible();
  await expect(alice.page.getByText(/Enter it again to read this room/)).toBeVisible();
  await expect(alice.page.getByTestId('link-status')).toHaveText('locked');
  await unlock(alice.page, PASSPHRASE);
  await expect(alice.page.getByTestId('link-status')).toHaveText('connected');
  await expect(messageTexts(alice.page)).toHaveText(['the password is in another envelope', 'got it']);

  // It never left either page: in no request, no frame, no storage, nothing in Redis.
  for (const [who, sent] of [['alice', alicesSent], ['bob', bobsSent]] as const) {
    expect(sent.length, `${who} sent requests`).toBeGreaterThan(5);
    for (const word of ['staple', 'horse battery']) {
      expect(sent.filter((s) => s.includes(word)), `${who} sent "${word}"`).toEqual([]);
      expect(sent.filter((s) => decodeURIComponent(s).includes(word)), `${who} sent "${word}"`).toEqual([]);
    }
  }
  for (const page of [alice.page, bob.page]) {
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toContain('staple');
    expect(page.url()).not.toContain('staple');
  }
  expect(roomDump(roomId)).not.toContain('staple');
});

test('a creator-only, three-seat room with a passphrase and disappearing messages keeps every choice', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice', instanceA, {
    passphrase: PASSPHRASE,
    seats: 3,
    onlyMeDestroys: true,
    messageTimer: '30 s',
  });
  await joinRoom(bob.page, `${instanceB}${link}`, 'bob', PASSPHRASE);
  await expect(bob.page.getByTestId('creator-destroys')).toHaveText('Only its creator can destroy it');
  await expect(bob.page.getByTestId('message-timer')).toHaveText('Messages disappear after 30 s');
  await expect(bob.page.getByTestId('seats')).toHaveText('2 of 3 seats taken');
  await say(bob.page, 'all at once');
  await expect(messageTexts(alice.page)).toHaveText(['all at once']);
  await expect(alice.page.getByTestId('disappears')).toHaveText(/vanishes in 0:(2\d|30)/);
});
