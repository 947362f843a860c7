import { execFileSync } from 'node:child_process';
import { createHash, hkdfSync, pbkdf2Sync } from 'node:crypto';
import { connect } from 'node:net';
import type { Browser } from '@playwright/test';
import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, openHydrated, person, say } from './helpers';

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
  for (const broken of [path, `${path}#k=not-a-key`, `${path}#`]) {
    await stranger.page.goto(broken);
    await expect(stranger.page.getByTestId('key-problem')).toHaveText(
      'This link is missing its key. Ask for the full link.',
    );
    await expect(stranger.page.getByRole('button', { name: 'Join', exact: true })).toHaveCount(0);
    // Nothing offers to pass on a link that does not work.
    await expect(stranger.page.getByRole('button', { name: 'Copy link' })).toHaveCount(0);
  }
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
  await expect(scanner.page.getByTestId('room-facts')).toContainText('1 of 2 seats free');
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

test('a name that hides or reverses text is refused before it is sealed', async ({ page }) => {
  await openHydrated(page, '/');
  await page.getByLabel('Your identity').fill('eve\u202Eevil');
  await expect(page.getByText(/invisible or direction-changing characters/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create secure room' })).toBeDisabled();
});

test('the envelope, in the browser build: round trip, wrong key, seat, client id, tampering, wrong room', async ({ page }) => {
  await openHydrated(page, '/');
  const results = await page.evaluate(async () => {
    // The build's JavaScript, by the content-hashed name the page preloads.
    const script = document.querySelector('link[rel="modulepreload"]')?.getAttribute('href');
    const burner = await import(script ?? '/pkg/burner.js');
    // 43 base64url characters are 32 bytes (the last character's low bits must be zero).
    const key = `${'B'.repeat(42)}A`;
    const other = `${'C'.repeat(42)}A`;
    const room = 'roomroomroomroom';
    const mine = ['seatAAAAAAAA', 'c1'];
    const sealed: string = await burner.seal(key, room, 'm', mine, 'héllo 🔥');
    const attempt = async (...args: [string, string, string, string[], string]) => {
      try {
        return await burner.open(...args);
      } catch (e) {
        return `error: ${e}`;
      }
    };
    const bytesOf = (text: string) =>
      Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    // Flips one bit of the envelope's byte at `at`.
    const tamper = (text: string, at: number) => {
      const bytes = bytesOf(text);
      bytes[at] ^= 1;
      return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    };
    const again: string = await burner.seal(key, room, 'm', mine, 'héllo 🔥');
    const name: string = await burner.seal(key, room, 'n', ['seatAAAAAAAA'], 'alice');
    // The membership proof and verifier: the verifier is SHA-256 of the proof, neither is the key.
    const [proof, verifier]: string[] = await burner.membership(key, room);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(proof)));
    const encode = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    // What the derivation costs: HKDF twice (sealing key, membership secret) and SHA-256.
    const rounds = 50;
    const t0 = performance.now();
    for (let i = 0; i < rounds; i += 1) {
      await burner.membership(key, room);
    }
    const deriveMs = (performance.now() - t0) / rounds;
    return {
      deriveMs,
      roundTrip: await attempt(key, room, 'm', mine, sealed),
      freshIv: sealed !== again,
      // version 2, a 12-byte IV, 11 bytes of text, a 16-byte tag
      shape: [bytesOf(sealed)[0], bytesOf(sealed).length],
      nameOpens: await attempt(key, room, 'n', ['seatAAAAAAAA'], name),
      verifierIsDigest: encode(digest) === verifier,
      proofIsNotKey: proof !== key && proof.length === 43,
      otherProof: (await burner.membership(other, room))[0] !== proof,
      wrongKey: await attempt(other, room, 'm', mine, sealed),
      wrongRoom: await attempt(key, 'moormoormoormoor', 'm', mine, sealed),
      wrongPurpose: await attempt(key, room, 'n', ['seatAAAAAAAA'], sealed),
      wrongSeat: await attempt(key, room, 'm', ['seatBBBBBBBB', 'c1'], sealed),
      wrongClientId: await attempt(key, room, 'm', ['seatAAAAAAAA', 'c2'], sealed),
      nameOnAnotherSeat: await attempt(key, room, 'n', ['seatBBBBBBBB'], name),
      tamperedVersion: await attempt(key, room, 'm', mine, tamper(sealed, 0)),
      tamperedIv: await attempt(key, room, 'm', mine, tamper(sealed, 5)),
      tamperedCiphertext: await attempt(key, room, 'm', mine, tamper(sealed, 15)),
      tamperedTag: await attempt(key, room, 'm', mine, tamper(sealed, 30)),
    };
  });
  console.log(`key derivation (HKDF ×2 + SHA-256) in Chromium: ${results.deriveMs.toFixed(2)} ms`);
  expect(results.roundTrip).toBe('héllo 🔥');
  expect(results.nameOpens).toBe('alice');
  expect(results.freshIv).toBe(true);
  expect(results.shape).toEqual([2, 1 + 12 + 11 + 16]);
  expect(results.verifierIsDigest).toBe(true);
  expect(results.proofIsNotKey).toBe(true);
  expect(results.otherProof).toBe(true);
  for (const failure of ['wrongKey', 'wrongRoom', 'wrongPurpose', 'wrongSeat', 'wrongClientId', 'nameOnAnotherSeat', 'tamperedVersion', 'tamperedIv', 'tamperedCiphertext', 'tamperedTag'] as const) {
    expect(results[failure], failure).toMatch(/^error: /);
  }
});

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

test('a passphrase is stretched as docs/PROTOCOL.md says: NFC, PBKDF2-SHA-256 × 600,000 salted with the link, then HKDF', async ({ page }) => {
  await openHydrated(page, '/');
  const key = `${'B'.repeat(42)}A`;
  const room = 'roomroomroomroom';
  const composed = 'crème brûlée pour deux';
  const got = await page.evaluate(async ({ key, room, composed }) => {
    const script = document.querySelector('link[rel="modulepreload"]')?.getAttribute('href');
    const burner = await import(script ?? '/pkg/burner.js');
    const t0 = performance.now();
    const [proof, verifier]: string[] = await burner.membership(key, room, composed);
    const stretchMs = performance.now() - t0;
    return {
      proof,
      verifier,
      stretchMs,
      decomposed: (await burner.membership(key, room, composed.normalize('NFD')))[0],
      linkAlone: (await burner.membership(key, room))[0],
      another: (await burner.membership(key, room, `${composed}!`))[0],
      // The test vector in docs/PROTOCOL.md §5: S = 32 bytes of 0x07.
      vector: await burner.membership('BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc', room, 'correct horse battery staple'),
    };
  }, { key, room, composed });
  console.log(`passphrase stretching (PBKDF2-SHA-256 × 600,000) and HKDF in Chromium: ${got.stretchMs.toFixed(0)} ms`);

  // The same recipe in Node's own crypto, written from the protocol document.
  const secret = Buffer.from(key, 'base64url');
  const salt = Buffer.concat([Buffer.from('burner v2 passphrase'), secret]);
  const stretched = pbkdf2Sync(Buffer.from(composed.normalize('NFC'), 'utf8'), salt, 600_000, 32, 'sha256');
  const material = Buffer.concat([secret, stretched]);
  const member = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), Buffer.from('burner v2 member'), 32));
  expect(got.proof).toBe(member.toString('base64url'));
  expect(got.verifier).toBe(createHash('sha256').update(member).digest('base64url'));
  expect(got.decomposed, 'the same passphrase typed in another normal form').toBe(got.proof);
  expect(got.linkAlone, 'the link alone proves nothing').not.toBe(got.proof);
  expect(got.another).not.toBe(got.proof);
  expect(got.vector).toEqual(['0mxq9o4g6MS3h72j4M1phXYxi1KMtEevDUHu9FLKZSw', 'HRqcqFl2I5l0os_MN1X7Pn-XT1LqINK_qF3nt8IOI2A']);
});

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
