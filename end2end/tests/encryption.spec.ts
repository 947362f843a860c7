import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Browser, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, openHydrated, person, say } from './helpers';
import { LinkKeys, Signer, tamper } from './protocol';

// Two instances sharing Redis (started by playwright.config.ts), as a deployment runs them.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const instanceA = `http://127.0.0.1:${port + 1}`;
const instanceB = `http://127.0.0.1:${port + 2}`;
const redisUrl = process.env.BURNER_E2E_REDIS_URL ?? '';
const prefix = process.env.BURNER_E2E_PREFIX ?? '';

function redis(...args: string[]): string {
  return execFileSync('redis-cli', ['-u', redisUrl, '--no-raw', ...args], { encoding: 'utf8' });
}

/** Everything Redis holds of a room: every key, with every value in it. */
function roomDump(roomId: string): string {
  const keys = redis('--scan', '--pattern', `${prefix}:{${roomId}}:*`)
    .split('\n')
    .map((k) => k.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
  let dump = '';
  for (const key of keys) {
    const type = redis('TYPE', key).trim();
    const read: Record<string, string[]> = {
      hash: ['HGETALL', key],
      list: ['LRANGE', key, '0', '-1'],
      string: ['GET', key],
      set: ['SMEMBERS', key],
      zset: ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
    };
    dump += `${key} (${type})\n${redis(...(read[type] ?? ['DUMP', key]))}\n`;
  }
  return dump;
}

test('chat across two instances is end-to-end encrypted: Redis, pub/sub and the page hold no text or name', async ({ browser }) => {
  test.setTimeout(90_000);
  // Everything published on any room channel while the two chat.
  // (A plain RESP connection: everything published arrives on it, byte for byte.)
  const published: string[] = [];
  const { hostname, port: redisPort } = new URL(redisUrl);
  const listener = connect(Number(redisPort || 6379), hostname);
  listener.on('data', (chunk: Buffer) => published.push(chunk.toString()));
  listener.write(`PSUBSCRIBE ${prefix}:*\r\n`);
  await expect.poll(() => published.join('')).toContain('psubscribe');

  const alice = await person(browser);
  const bob = await person(browser);
  const secrets = ['Alice Liddell', 'Bob Marley', 'the vault code is 4711', 'meet at the old mill'];
  const link = await createRoom(alice.page, 'Alice Liddell', instanceA);
  const roomId = link.split('/room/')[1].split('#')[0];
  await joinRoom(bob.page, `${instanceB}${link}`, 'Bob Marley');
  await expect(alice.page.getByTestId('peer')).toHaveText(/Bob Marley\s*online/);
  await say(alice.page, 'the vault code is 4711');
  await say(bob.page, 'meet at the old mill');
  for (const page of [alice.page, bob.page]) {
    await expect(messageTexts(page)).toHaveText(['the vault code is 4711', 'meet at the old mill']);
  }
  await bob.page.getByLabel('Message', { exact: true }).pressSequentially('typing');
  await expect(alice.page.getByText('Bob Marley is typing…')).toBeVisible();

  // The server's own rendering of the room, for a seated visitor: no text, no name.
  const html = await (await bob.page.request.get(`${instanceB}/room/${roomId}`)).text();
  const dump = roomDump(roomId);
  listener.destroy();
  const wire = published.join('');
  // The scans saw the conversation (sealed): they could have caught plaintext.
  expect(dump).toContain(':log');
  expect(dump).toContain(':seats');
  // Payloads as server/src/event/wire.rs frames them (docs/STORAGE.md).
  expect(wire).toContain('message:');
  expect(wire).toContain('typing:');
  for (const secret of secrets) {
    expect(dump, 'Redis keys').not.toContain(secret);
    expect(wire, 'pub/sub').not.toContain(secret);
    expect(html, 'server-rendered page').not.toContain(secret);
  }
});

test('a link without its key shows why and takes no seat; the invitee still gets in', async ({ browser }) => {
  const alice = await person(browser);
  const stranger = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice');
  const [path, fragment] = link.split('#');
  for (const [broken, problem] of [
    [path, 'This link is missing its key. Ask for the full link.'],
    [`${path}#`, 'This link is missing its key. Ask for the full link.'],
    // A key cut short or changed is there, but does not open the room.
    [`${path}#k=not-a-key`, 'This key does not open this room'],
    [`${path}#k=${fragment.slice(2, 20)}`, 'This key does not open this room'],
  ]) {
    // A fresh load each time (a change of fragment alone does not load the page again).
    await stranger.page.goto('about:blank');
    await stranger.page.goto(broken);
    await expect(stranger.page.getByTestId('key-problem')).toHaveText(problem);
    await expect(stranger.page.getByRole('button', { name: 'Join', exact: true })).toHaveCount(0);
    // Nothing offers to pass on a link that does not work.
    await expect(stranger.page.getByRole('button', { name: 'Copy link' })).toHaveCount(0);
  }
  // The whole link pasted into that tab's address bar changes only its fragment: read at once.
  await stranger.page.goto('about:blank');
  await stranger.page.goto(path);
  await expect(stranger.page.getByTestId('key-problem')).toBeVisible();
  await stranger.page.evaluate((hash) => { location.hash = hash; }, `#${fragment}`);
  await expect(stranger.page.getByRole('button', { name: 'Join', exact: true })).toBeEnabled();
  await joinRoom(bob.page, `${path}#${fragment}`, 'bob');
  await say(bob.page, 'I am in');
  await expect(messageTexts(alice.page)).toHaveText(['I am in']);
});

test('a member who opens the room without its key is told why, and the page keeps working', async ({ browser }) => {
  const alice = await person(browser);
  const link = await createRoom(alice.page, 'alice');
  await say(alice.page, 'sealed history');
  await expect(messageTexts(alice.page)).toHaveText(['sealed history']);
  // A bookmark without the fragment, opened in a new tab: the seat is there (the cookie), the
  // key is not (the room's tab keeps it for itself).
  const tab = await alice.context.newPage();
  const failures: string[] = [];
  tab.on('pageerror', (err) => failures.push(err.message));
  tab.on('console', (m) => /panicked|disposed/.test(m.text()) && failures.push(m.text()));
  await tab.goto(link.split('#')[0]);
  await expect(tab.getByTestId('key-problem')).toHaveText(
    'This link is missing its key. Ask for the full link.',
  );
  await tab.waitForTimeout(1_000);
  expect(failures, 'no panic in the page').toEqual([]);
  await tab.getByRole('button', { name: 'Leave room' }).click();
  await expect(tab).toHaveURL(/\?left=1$/);
});

test('a wrong key is explained once, instead of every message failing', async ({ browser }) => {
  const alice = await person(browser);
  const mallory = await person(browser);
  const link = await createRoom(alice.page, 'alice');
  await say(alice.page, 'secret');
  const [path] = link.split('#');
  await mallory.page.goto(`${path}#k=${'A'.repeat(43)}`);
  await expect(mallory.page.getByTestId('key-problem')).toHaveText('This key does not open this room');
  await expect(mallory.page.getByText('secret')).toHaveCount(0);
});

test('a link scanner that opens the room and waits takes no seat', async ({ browser }) => {
  const alice = await person(browser);
  const scanner = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice');
  // A "safe links" sandbox runs the page's JavaScript, looks around, and leaves.
  await scanner.page.goto(link);
  await expect(scanner.page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(scanner.page.getByTestId('room-facts')).toContainText('1 of 2 seats taken');
  await scanner.page.waitForTimeout(5_000);
  await scanner.context.close();
  await joinRoom(bob.page, link, 'bob');
  await expect(alice.page.getByTestId('peer')).toHaveText(/bob\s*online/);
});

test('two people with the same name are told apart', async ({ browser }) => {
  const first = await person(browser);
  const second = await person(browser);
  const link = await createRoom(first.page, 'sam');
  await joinRoom(second.page, link, 'sam');
  await say(second.page, 'which sam am I?');
  const sender = first.page.getByTestId('message').locator('header span').first();
  await expect(sender).toHaveText(/^sam #[A-Za-z0-9_-]{4}$/);
});

test('a member who picks a seat id starting like another\'s, under the same name, is still told apart: tags come from each one\'s signing key', async ({ browser }) => {
  const alice = await person(browser);
  const received: string[] = [];
  alice.page.on('websocket', (ws) => ws.on('framereceived', (frame) => received.push(String(frame.payload))));
  const link = await createRoom(alice.page, 'alice', '', { seats: 3 });
  const room = link.split('/room/')[1].split('#')[0];
  const keys = new LinkKeys(link.split('#k=')[1]);
  const aliceId: string = received.map((f) => JSON.parse(f)).find((f) => f.type === 'welcome').you.id;
  // Alice's page keeps its key for the room's life (docs/PROTOCOL.md §5): her tag comes from it.
  const kept = await alice.page.evaluate((id) => localStorage.getItem(`burner.signer.${id}`), room);
  const aliceTag = Signer.fromKept(kept ?? '').fingerprint();
  // Mallory holds the link, joins with a seat id whose first four characters are alice's and
  // the name "alice", signs with a key of her own (she cannot sign with alice's), and speaks.
  const seat = `${aliceId.slice(0, 4)}${/[xX]/.test(aliceId[4]) ? 'q' : 'x'}ZZZZZZZ`;
  const her = Signer.generate();
  const malloryTag = her.fingerprint();
  const mallory = await person(browser);
  await openHydrated(mallory.page, '/');
  const said = await joinAndSend(mallory.page, {
    room_id: room,
    seat_id: seat,
    name: keys.seal({ kind: 'n', seat }, room, 'alice', her, 0),
    proof: keys.proof(),
  }, 'm1', keys.seal({ kind: 'm', seat, clientId: 'm1' }, room, 'I am alice', her, 1));
  expect(said).toBe('said');
  await say(alice.page, 'the real one');
  // Four characters of each key's fingerprint (more only if those four looked alike): on
  // alice's page (her own message says "You"), and on the page of bob, who joins after.
  const [a, m] = [aliceTag.slice(0, 4), malloryTag.slice(0, 4)];
  expect(a, 'two random keys with one short tag: run again').not.toBe(m);
  const senders = (page: import('@playwright/test').Page) => page.getByTestId('sender');
  await expect(senders(alice.page)).toHaveText([`alice #${m}`, 'You']);
  const bob = await person(browser);
  await joinRoom(bob.page, link, 'bob');
  await expect(senders(bob.page)).toHaveText([`alice #${m}`, `alice #${a}`]);
});

test('a name that hides or reverses text is refused before it is sealed', async ({ page }) => {
  await openHydrated(page, '/');
  await page.getByLabel('Your identity').fill('eve\u202Eevil');
  await expect(page.getByText(/invisible or direction-changing characters/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create secure room' })).toBeDisabled();
});

test('what a page seals opens as docs/PROTOCOL.md says, and what a member seals for another seat, client id, room or key, or tampers with, shows as unreadable', async ({ browser }) => {
  const alice = await person(browser);
  // What alice's page sends and receives, and the verifier it registers.
  const sent: string[] = [];
  const received: string[] = [];
  alice.page.on('websocket', (ws) => {
    ws.on('framesent', (frame) => sent.push(String(frame.payload)));
    ws.on('framereceived', (frame) => received.push(String(frame.payload)));
  });
  const created = alice.page.waitForRequest((r) => r.url().endsWith('/api/create_room'));
  const link = await createRoom(alice.page, 'alice');
  const room = link.split('/room/')[1].split('#')[0];
  const secret = link.split('#k=')[1];
  const keys = new LinkKeys(secret);
  // The verifier is SHA-256 of the membership secret; the key never leaves the page.
  const registered = (await created).postDataJSON();
  expect(registered.verifier).toBe(keys.verifier());
  expect(JSON.stringify(registered)).not.toContain(secret);

  await say(alice.page, 'héllo 🔥');
  await say(alice.page, 'héllo 🔥');
  await expect(messageTexts(alice.page)).toHaveText(['héllo 🔥', 'héllo 🔥']);
  const you = received.map((f) => JSON.parse(f)).find((f) => f.type === 'welcome').you;
  const sends = sent.map((f) => JSON.parse(f)).filter((f) => f.type === 'send');
  const mine = (clientId: string) => ({ kind: 'm' as const, seat: you.id, clientId });
  expect(keys.open({ kind: 'n', seat: you.id }, room, you.name)).toBe('alice');
  expect(sends.map((f) => keys.open(mine(f.client_id), room, f.body))).toEqual(['héllo 🔥', 'héllo 🔥']);
  expect(sends[0].body, 'a fresh IV for every value').not.toBe(sends[1].body);
  const bytes = Buffer.from(sends[0].body, 'base64url');
  // version 3, a 12-byte IV, the signer's 32-byte key, counter, time, 64-byte signature, 11
  // bytes of text, a 16-byte tag
  expect([bytes[0], bytes.length]).toEqual([3, 1 + 12 + 32 + 8 + 8 + 64 + 11 + 16]);
  // Every value is signed by the key the name carries, which is the key the page keeps; the
  // counter grows and the time is the server's, as the page knows it.
  const named = keys.openSigned({ kind: 'n', seat: you.id }, room, you.name)?.signed;
  const signed = sends.map((f) => keys.openSigned(mine(f.client_id), room, f.body)?.signed);
  const kept = await alice.page.evaluate((id) => localStorage.getItem(`burner.signer.${id}`), room);
  const aliceKey = Signer.fromKept(kept ?? '').publicKey;
  for (const s of [named, ...signed]) {
    expect(s?.holds).toBe(true);
    expect(s?.publicKey.equals(aliceKey)).toBe(true);
  }
  expect(signed[1]!.counter).toBeGreaterThan(signed[0]!.counter);
  expect(Math.abs(signed[0]!.time - Date.now())).toBeLessThan(60_000);
  const first = sends[0];
  expect(keys.open({ kind: 'm', seat: 'seatBBBBBBBB', clientId: first.client_id }, room, first.body)).toBeNull();
  expect(keys.open(mine('another'), room, first.body)).toBeNull();
  expect(keys.open(mine(first.client_id), 'moormoormoormoor', first.body)).toBeNull();
  expect(keys.open({ kind: 'n', seat: you.id }, room, first.body)).toBeNull();
  expect(new LinkKeys(`${'C'.repeat(42)}A`).open(mine(first.client_id), room, first.body)).toBeNull();

  // Mallory holds the link and a seat, and sends over her own socket what she sealed herself.
  const mallory = await person(browser);
  const herFrames: string[] = [];
  mallory.page.on('websocket', (ws) => ws.on('framereceived', (frame) => herFrames.push(String(frame.payload))));
  await joinRoom(mallory.page, link, 'mallory');
  const her = herFrames.map((f) => JSON.parse(f)).find((f) => f.type === 'welcome').you.id;
  const hers = (clientId: string) => ({ kind: 'm' as const, seat: her, clientId });
  const other = new LinkKeys(`${'C'.repeat(42)}A`);
  // Her page's key (it signed her name), and one that is nobody's.
  const herKept = await mallory.page.evaluate((id) => localStorage.getItem(`burner.signer.${id}`), room);
  const herKey = Signer.fromKept(herKept ?? '');
  const stranger = Signer.generate();
  const forged: [string, string][] = [
    ['f1', keys.seal(hers('f1'), room, 'honest', herKey, 1)],
    // As if alice had sealed it: it still comes from mallory's seat, and opens under no other.
    ['f2', keys.seal(mine('f2'), room, 'I am alice', herKey, 2)],
    ['f3', keys.seal(hers('another'), room, 'wrong client id', herKey, 3)],
    ['f4', keys.seal(hers('f4'), 'moormoormoormoor', 'wrong room', herKey, 4)],
    ['f5', other.seal(hers('f5'), room, 'wrong key', herKey, 5)],
    ['f6', tamper(keys.seal(hers('f6'), room, 'tampered iv', herKey, 6), 5)],
    ['f7', tamper(keys.seal(hers('f7'), room, 'tampered ciphertext', herKey, 7), 15)],
    ['f8', tamper(keys.seal(hers('f8'), room, 'tampered tag', herKey, 8), -1)],
    // It opens, but her seat's key did not sign it, or nobody did: never shown as hers.
    ['f9', keys.seal(hers('f9'), room, 'signed by a stranger', stranger, 9)],
    ['f10', keys.seal(hers('f10'), room, 'not signed at all')],
  ];
  await mallory.page.evaluate(async ({ room, forged }) => {
    const ws = new WebSocket(`ws://${location.host}/ws/${room}`);
    await new Promise((opened) => { ws.onopen = opened; });
    for (const [client_id, body] of forged) ws.send(JSON.stringify({ type: 'send', client_id, body }));
    await new Promise((acked) => setTimeout(acked, 500));
    ws.close();
  }, { room, forged });
  // Alice's page shows the honest one as mallory's words, those that do not open as
  // unreadable, and those that open but that her key did not sign as "Unverified".
  await expect(alice.page.getByTestId('message')).toHaveCount(2 + forged.length);
  await expect(messageTexts(alice.page)).toHaveText(['héllo 🔥', 'héllo 🔥', 'honest', 'signed by a stranger', 'not signed at all']);
  await expect(alice.page.getByTestId('unreadable')).toHaveCount(7);
  await expect(alice.page.getByText('I am alice')).toHaveCount(0);
  const senders = alice.page.getByTestId('sender');
  await expect(senders).toHaveText(['You', 'You', ...Array(8).fill('mallory'), 'Unverified', 'Unverified']);
  await expect(alice.page.locator('[data-unverified="true"]')).toHaveCount(2);
});

test('a passphrase is stretched as docs/PROTOCOL.md says: the page joins rooms whose verifier Node made, the test vector\'s among them', async ({ browser }) => {
  test.setTimeout(90_000);
  // The recipe in Node's own crypto gives the test vector in docs/PROTOCOL.md §5
  // (S = 32 bytes of 0x07).
  const vectorSecret = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc';
  const vector = new LinkKeys(vectorSecret, 'correct horse battery staple');
  expect([vector.proof(), vector.verifier()]).toEqual(['0mxq9o4g6MS3h72j4M1phXYxi1KMtEevDUHu9FLKZSw', 'HRqcqFl2I5l0os_MN1X7Pn-XT1LqINK_qF3nt8IOI2A']);
  const composed = 'crème brûlée pour deux';
  const random = `${'B'.repeat(42)}A`;
  const cases = [
    // The vector's own room: the page must bring exactly the documented proof.
    { secret: vectorSecret, keys: vector, typed: 'correct horse battery staple' },
    // Typed in another normal form, with white space around it: NFC, trimmed.
    { secret: random, keys: new LinkKeys(random, composed), typed: `  ${composed.normalize('NFD')}\t` },
  ];
  const { page } = await person(browser);
  await openHydrated(page, '/');
  for (const { secret, keys, typed } of cases) {
    // A room registered with the verifier Node derived (the server never sees the key).
    const room = await page.evaluate(async (verifier) => {
      const response = await fetch('/api/create_room', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifier }),
      });
      return (await response.json()).room_id as string;
    }, keys.verifier());
    const joined = page.waitForRequest((r) => r.url().endsWith('/api/join_room'));
    await joinRoom(page, `/room/${room}#k=${secret}&p=1`, 'tester', typed);
    expect((await joined).postDataJSON().proof).toBe(keys.proof());
  }
});

/**
 * A client of its own, run in `page` (for its origin and its cookie jar): takes a seat with
 * `join_room` as `join` says, and sends one message; 'said', or why not.
 */
async function joinAndSend(
  page: Page,
  join: { room_id: string; seat_id: string; name: string; proof: string; key_check?: string },
  clientId: string,
  body: string,
): Promise<string> {
  return page.evaluate(async ({ join, clientId, body }) => {
    const response = await fetch('/api/join_room', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(join),
    });
    if (!response.ok) return `join_room: ${response.status}`;
    const ws = new WebSocket(`ws://${location.host}/ws/${join.room_id}`);
    await new Promise((opened) => { ws.onopen = opened; });
    ws.send(JSON.stringify({ type: 'send', client_id: clientId, body }));
    await new Promise((acked) => setTimeout(acked, 500));
    ws.close();
    return 'said';
  }, { join, clientId, body });
}

/** Alice makes a room on instance A, Bob joins it on instance B (they share Redis). */
async function twoOnTwoInstances(browser: Browser) {
  const alice = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice', instanceA);
  const roomId = link.split('/room/')[1].split('#')[0];
  await joinRoom(bob.page, `${instanceB}${link}`, 'bob');
  return { alice, bob, roomId };
}

/** The seat records of a room, as Redis holds them (docs/STORAGE.md). */
function seatRecords(roomId: string): string[] {
  return redis('--raw', 'HVALS', `${prefix}:{${roomId}}:seats`).split('\n').filter((l) => l.startsWith('{'));
}

test('a message moved to another seat in Redis shows as unreadable, never as that seat\'s words', async ({ browser }) => {
  test.setTimeout(90_000);
  const { alice, bob, roomId } = await twoOnTwoInstances(browser);
  await say(alice.page, 'I owe bob nothing');
  await expect(messageTexts(bob.page)).toHaveText(['I owe bob nothing']);

  // Whoever can write to Redis rewrites alice's message so that it claims to be bob's.
  const log = `${prefix}:{${roomId}}:log`;
  const entry = redis('--raw', 'LINDEX', log, '0').replace(/\n$/, '');
  const [head, content] = [entry.slice(0, entry.indexOf('\n')), entry.slice(entry.indexOf('\n') + 1)];
  const aliceRecord = head.slice(head.indexOf('{'));
  const bobRecord = seatRecords(roomId).find((r) => r !== aliceRecord);
  expect(bobRecord, 'bob\'s seat record').toBeTruthy();
  redis('LSET', log, '0', `${head.replace(aliceRecord, bobRecord ?? '')}\n${content}`);

  for (const page of [alice.page, bob.page]) {
    await page.reload();
    await expect(page.getByTestId('link-status')).toHaveText('connected');
    const message = page.getByTestId('message');
    await expect(message).toHaveCount(1);
    await expect(message.getByTestId('unreadable')).toHaveText('Unreadable message');
    await expect(page.getByText('I owe bob nothing')).toHaveCount(0);
  }
});

test('a name moved to another seat in Redis is refused, never shown as that seat\'s', async ({ browser }) => {
  test.setTimeout(90_000);
  const { alice, bob, roomId } = await twoOnTwoInstances(browser);
  await expect(alice.page.getByTestId('peer')).toHaveText(/bob\s*online/);

  // Alice's seat record is the one her message carries; the other is bob's.
  await say(alice.page, 'hi');
  await expect(messageTexts(bob.page)).toHaveText(['hi']);
  const entry = redis('--raw', 'LINDEX', `${prefix}:{${roomId}}:log`, '0');
  const aliceSeat = JSON.parse(entry.slice(entry.indexOf('{'), entry.indexOf('\n')));
  // Bob's seat keeps its id but is given alice's sealed name.
  const seats = `${prefix}:{${roomId}}:seats`;
  const fields = redis('--raw', 'HGETALL', seats).split('\n').filter(Boolean);
  let moved = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const seat = JSON.parse(fields[i + 1]);
    if (seat.id !== aliceSeat.id) {
      redis('HSET', seats, fields[i], JSON.stringify({ id: seat.id, name: aliceSeat.name }));
      moved += 1;
    }
  }
  expect(moved).toBe(1);

  // Bob comes back (his seat now carries the forged record) and writes: his message is shown
  // under "Unreadable name", never as alice's.
  await bob.page.reload();
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
  await say(bob.page, 'after the switch');
  const forged = alice.page.getByTestId('message').filter({ hasText: 'after the switch' });
  await expect(forged.locator('header span').first()).toHaveText('Unreadable name');
  await expect(forged.locator('header span').first()).not.toHaveText(/alice/);
});

test('a message moved to another sequence number in Redis is marked out of place, not shown as normal', async ({ browser }) => {
  test.setTimeout(90_000);
  const { alice, bob, roomId } = await twoOnTwoInstances(browser);
  await say(alice.page, 'transfer approved');
  await say(alice.page, 'never mind, cancel it');
  await expect(messageTexts(bob.page)).toHaveText(['transfer approved', 'never mind, cancel it']);

  // Whoever can write to Redis swaps the two: "transfer approved" now comes after the cancel.
  const log = `${prefix}:{${roomId}}:log`;
  const entries = [0, 1].map((i) => redis('--raw', 'LINDEX', log, String(i)).replace(/\n$/, ''));
  const split = (entry: string) => [entry.slice(0, entry.indexOf('\n')), entry.slice(entry.indexOf('\n') + 1)];
  const [[head1, first], [head2, second]] = entries.map(split);
  redis('LSET', log, '0', `${head1}\n${second}`);
  redis('LSET', log, '1', `${head2}\n${first}`);

  for (const page of [bob.page, alice.page]) {
    await page.reload();
    await expect(page.getByTestId('link-status')).toHaveText('connected');
    await expect(messageTexts(page)).toHaveText(['never mind, cancel it', 'transfer approved']);
    const moved = page.getByTestId('message').filter({ hasText: 'transfer approved' });
    await expect(moved.getByTestId('out-of-place')).toBeVisible();
    const kept = page.getByTestId('message').filter({ hasText: 'never mind' });
    await expect(kept.getByTestId('out-of-place')).toHaveCount(0);
  }
  // Still alice's words, and said so: signed by her key, in the wrong place.
  await expect(bob.page.getByTestId('sender').nth(1)).toHaveText('alice');
});

test('a room made before members signed reads as before: its unsigned messages and new signed ones side by side', async ({ browser }) => {
  // A client of the last release made the room: its key check, name and message unsigned.
  const secret = randomBytes(32).toString('base64url');
  const keys = new LinkKeys(secret);
  const old = await person(browser);
  await openHydrated(old.page, '/');
  const seat = 'seatOOOOOOOO';
  const room = await old.page.evaluate(async (verifier) => {
    const response = await fetch('/api/create_room', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verifier, capacity: 3 }),
    });
    return (await response.json()).room_id as string;
  }, keys.verifier());
  const joined = await joinAndSend(old.page, {
    room_id: room,
    seat_id: seat,
    name: keys.seal({ kind: 'n', seat }, room, 'old timer'),
    key_check: keys.seal({ kind: 'k' }, room, 'burner key check'),
    proof: keys.proof(),
  }, 'old1', keys.seal({ kind: 'm', seat, clientId: 'old1' }, room, 'from before'));
  expect(joined).toBe('said');

  // A page of this release joins, reads it as the old timer's, and writes signed.
  const now = await person(browser);
  await joinRoom(now.page, `/room/${room}#k=${secret}`, 'newcomer');
  await say(now.page, 'from now');
  await expect(messageTexts(now.page)).toHaveText(['from before', 'from now']);
  await expect(now.page.getByTestId('sender')).toHaveText(['old timer', 'You']);
  await expect(now.page.locator('[data-unverified="true"]')).toHaveCount(0);
  await expect(now.page.getByTestId('out-of-place')).toHaveCount(0);
});

test('a forged name and message put under a member\'s seat in Redis never pass for that member, before or after a reload', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice', instanceA, { seats: 3 });
  const roomId = link.split('/room/')[1].split('#')[0];
  const keys = new LinkKeys(link.split('#k=')[1]);
  await joinRoom(bob.page, `${instanceB}${link}`, 'bob');
  await say(bob.page, 'genuine bob');
  await say(bob.page, 'second genuine line');
  await expect(messageTexts(alice.page)).toHaveText(['genuine bob', 'second genuine line']);
  await expect(alice.page.getByTestId('sender')).toHaveText(['bob', 'bob']);

  // Someone with the link and Redis rewrites bob's second message: a name for his seat and a
  // body, both signed by a key of their own (they cannot sign with bob's).
  const log = `${prefix}:{${roomId}}:log`;
  const entry = redis('--raw', 'LINDEX', log, '1').replace(/\n$/, '');
  const [head, content] = [entry.slice(0, entry.indexOf('\n')), entry.slice(entry.indexOf('\n') + 1)];
  const bobSeat = JSON.parse(head.slice(head.indexOf('{')));
  const message = JSON.parse(content);
  const mallory = Signer.generate();
  const forgedName = keys.seal({ kind: 'n', seat: bobSeat.id }, roomId, 'bob', mallory, 0);
  message.body = keys.seal({ kind: 'm', seat: bobSeat.id, clientId: message.client_id }, roomId, 'please approve the transfer', mallory, 2);
  redis('LSET', log, '1', `message:2:${JSON.stringify({ id: bobSeat.id, name: forgedName })}\n${JSON.stringify(message)}`);

  // Alice's browser learnt bob's key before, and keeps it over a reload; carol, new, sees two
  // keys claim bob's seat. Neither shows the forged message, or anything under that seat now,
  // as bob's.
  const carol = await person(browser);
  await joinRoom(carol.page, `${instanceB}${link}`, 'carol');
  await alice.page.reload();
  for (const page of [alice.page, carol.page]) {
    await expect(page.getByTestId('link-status')).toHaveText('connected');
    await expect(messageTexts(page)).toHaveText(['genuine bob', 'please approve the transfer']);
    await expect(page.getByTestId('message').getByTestId('sender')).toHaveText(['Unverified', 'Unverified']);
  }
});
