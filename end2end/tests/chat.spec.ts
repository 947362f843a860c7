import { test, expect } from './fixtures';
import type { Page } from '@playwright/test';
import { createRoom, joinRoom, linkOf, messageTexts, openHydrated, person, roomPage, say } from './helpers';

test('two people chat both ways: in order, on the right sides, with the right names', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page, 'alice');
  await expect(alice.page.getByText('Waiting for someone to join')).toBeVisible();
  await joinRoom(bob.page, path, 'bob');
  await expect(alice.page.getByTestId('peer')).toHaveText(/bob\s*online/);
  await expect(bob.page.getByTestId('peer')).toHaveText(/alice\s*online/);

  await say(alice.page, 'hello bob');
  await say(bob.page, 'hi alice');
  await say(alice.page, 'how are you?');
  for (const p of [alice.page, bob.page]) {
    await expect(messageTexts(p)).toHaveText(['hello bob', 'hi alice', 'how are you?']);
  }
  const mine = alice.page.locator('[data-testid="message"][data-mine="true"]');
  await expect(mine).toHaveCount(2);
  await expect(mine.first().locator('header')).toContainText('You');
  const theirs = alice.page.locator('[data-testid="message"][data-mine="false"]');
  await expect(theirs.locator('header')).toContainText('bob');
  await expect(theirs.locator('time')).toHaveText(/^\d\d:\d\d$/);
  await expect(bob.page.locator('[data-testid="message"][data-mine="true"]')).toHaveText(/hi alice/);

  // Typing shows on the other side.
  await bob.page.getByLabel('Message', { exact: true }).pressSequentially('typing…');
  await expect(alice.page.getByText('bob is typing…')).toBeVisible();
});

test('a third person is sent home with the room-full banner', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const carol = await person(browser);
  const path = await createRoom(alice.page);
  await joinRoom(bob.page, path);
  await carol.page.goto(path);
  await expect(carol.page).toHaveURL(/\/\?error=room-full$/);
  await expect(carol.page.getByRole('heading', { name: 'Room full' })).toBeVisible();
});

test('a room of three: each sees the others\' messages and names, and a fourth is told it is full', async ({ browser }) => {
  const [alice, bob, carol, dave] = [await person(browser), await person(browser), await person(browser), await person(browser)];
  await openHydrated(alice.page, '/');
  await expect(alice.page.getByRole('radio', { name: '2', exact: true })).toBeChecked();
  const path = await createRoom(alice.page, 'alice', '', { seats: 3 });
  await expect(alice.page.getByTestId('seats')).toHaveText('1 of 3 seats taken');
  await bob.page.goto(path);
  await expect(bob.page.getByTestId('room-facts')).toContainText('1 of 3 seats taken');
  await joinRoom(bob.page, path, 'bob');
  await joinRoom(carol.page, path, 'carol');
  const everyone = [alice, bob, carol];
  for (const { page } of everyone) {
    await expect(page.getByTestId('seats')).toHaveText('3 of 3 seats taken');
    await expect(page.getByTestId('peer')).toHaveCount(2);
  }
  const names = ['alice', 'bob', 'carol'];
  for (const [i, { page }] of everyone.entries()) {
    for (const name of names.filter((_, j) => j !== i)) {
      await expect(page.getByTestId('peer').filter({ hasText: name })).toHaveText(new RegExp(`${name}\\s*online`));
    }
  }
  const said = ['alice here', 'bob here', 'carol here'];
  for (const [i, { page }] of everyone.entries()) {
    await say(page, said[i]);
    await expect(messageTexts(alice.page)).toHaveCount(i + 1);
  }
  for (const [i, { page }] of everyone.entries()) {
    await expect(messageTexts(page)).toHaveText(said);
    const theirs = page.locator('[data-testid="message"][data-mine="false"] header');
    const others = names.filter((_, j) => j !== i);
    await expect(theirs).toHaveText(others.map((name) => new RegExp(name)));
  }
  await dave.page.goto(path);
  await expect(dave.page).toHaveURL(/\/\?error=room-full$/);
  await expect(dave.page.getByRole('heading', { name: 'Room full' })).toBeVisible();
  // Bob leaves: the others see him gone and a seat free, which dave then takes.
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  for (const { page } of [alice, carol]) {
    await expect(page.getByTestId('seats')).toHaveText('2 of 3 seats taken');
    await expect(page.getByTestId('peer').filter({ hasText: 'bob' })).toHaveCount(0);
  }
  await joinRoom(dave.page, path, 'dave');
  await expect(alice.page.getByTestId('seats')).toHaveText('3 of 3 seats taken');
  await expect(alice.page.getByTestId('peer')).toHaveCount(2);
});

test('a reload keeps the seat and the history', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page, 'alice');
  await joinRoom(bob.page, path, 'bob');
  await say(alice.page, 'first');
  await say(bob.page, 'second');
  await expect(messageTexts(bob.page)).toHaveText(['first', 'second']);
  // The server cannot render what it cannot read: the page comes with the sealed history only.
  const html = await (await bob.page.request.get(path, { headers: { accept: 'text/html' } })).text();
  expect(html).not.toContain('first');
  expect(html).not.toContain('second');
  await bob.page.reload();
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
  await expect(messageTexts(bob.page)).toHaveText(['first', 'second']);
  await expect(bob.page.locator('[data-testid="message"][data-mine="true"]')).toHaveText(/second/);
  await say(bob.page, 'third');
  await expect(messageTexts(alice.page)).toHaveText(['first', 'second', 'third']);
});

test('Destroy now sends both people home with the destroyed banner within a second', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page);
  await joinRoom(bob.page, path);
  await say(alice.page, 'this will vanish');
  await expect(messageTexts(bob.page)).toHaveText(['this will vanish']);
  await alice.page.getByRole('button', { name: 'Destroy now' }).click();
  await expect(alice.page.getByText('Delete everything for everyone?')).toBeVisible();
  await alice.page.getByRole('button', { name: 'Yes, destroy' }).click();
  for (const p of [alice.page, bob.page]) {
    await expect(p).toHaveURL(/\/\?destroyed=1$/, { timeout: 1_000 });
    await expect(p.getByRole('heading', { name: 'Room destroyed' })).toBeVisible();
  }
  // Nothing of it can be read afterwards, nor is any trace kept: to each browser, as to any
  // other, there is no such room (their seat cookies went with it).
  for (const p of [alice.page, bob.page]) {
    await p.goto(path);
    await expect(p).toHaveURL(/\/\?error=room-not-found$/);
  }
});

test('a room ends by itself at its deadline, for both people', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  // A 4-second lifetime, offered to tests through the server's lifetimes setting.
  await openHydrated(alice.page, '/');
  await alice.page.getByText('4 s', { exact: true }).click();
  await alice.page.getByRole('button', { name: 'Create secure room' }).click();
  await alice.page.waitForURL(roomPage);
  await expect(alice.page.getByTestId('link-status')).toHaveText('connected');
  await joinRoom(bob.page, await linkOf(alice.page));
  await expect(alice.page.getByTestId('countdown')).toHaveText(/^0:0[0-4]$/);
  await expect(alice.page.getByTestId('countdown')).toHaveClass(/text-danger/);
  for (const p of [alice.page, bob.page]) {
    await expect(p).toHaveURL(/\/\?expired=1$/, { timeout: 8_000 });
    await expect(p.getByRole('heading', { name: 'Room expired' })).toBeVisible();
  }
});

test('messages sent while one person is offline arrive exactly once when they are back', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page);
  await joinRoom(bob.page, path);
  await say(alice.page, 'before');
  await expect(messageTexts(bob.page)).toHaveText(['before']);
  await bob.context.setOffline(true);
  await expect(bob.page.getByTestId('link-status')).toHaveText('offline');
  // Offline, bob's page cannot know whether alice is still here: it does not say she is.
  await expect(bob.page.getByTestId('peer')).toHaveText(/unknown while offline/);
  for (let i = 1; i <= 5; i++) {
    await say(alice.page, `while away ${i}`);
  }
  await expect(messageTexts(alice.page)).toHaveCount(6);
  await bob.context.setOffline(false);
  const expected = ['before', ...[1, 2, 3, 4, 5].map((i) => `while away ${i}`)];
  await expect(messageTexts(bob.page)).toHaveText(expected, { timeout: 20_000 });
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
  await expect(bob.page.getByTestId('peer')).toHaveText(/online/);
  // Still exactly once each, a moment later.
  await bob.page.waitForTimeout(500);
  await expect(messageTexts(bob.page)).toHaveText(expected);
});

test('the message limit is enforced, Enter sends and Shift+Enter adds a line', async ({ browser }) => {
  const alice = await person(browser);
  await createRoom(alice.page);
  const box = alice.page.getByLabel('Message', { exact: true });
  const send = alice.page.getByRole('button', { name: 'Send' });
  await box.fill('x'.repeat(1001));
  await expect(alice.page.getByTestId('char-count')).toHaveText('1001/1000');
  await expect(alice.page.getByText('Too long: 1001 of 1000 characters. Shorten it to send.')).toBeVisible();
  await expect(send).toBeDisabled();
  await box.press('Enter');
  await expect(alice.page.getByTestId('message')).toHaveCount(0);
  await box.fill('x'.repeat(1000));
  await expect(alice.page.getByTestId('char-count')).toHaveText('1000/1000');
  await expect(send).toBeEnabled();
  await box.fill('');
  await box.pressSequentially('line one');
  await box.press('Shift+Enter');
  await box.pressSequentially('line two');
  await box.press('Enter');
  await expect(alice.page.getByTestId('message').getByTestId('text')).toHaveText('line one\nline two');
  await expect(box).toHaveValue('');
});

test('leaving gives the seat to someone else', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const carol = await person(browser);
  const path = await createRoom(alice.page, 'alice');
  await joinRoom(bob.page, path, 'bob');
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await expect(bob.page).toHaveURL(/\/\?left=1$/);
  // Bob is gone from the room, not away: his seat is free.
  await expect(alice.page.getByTestId('peer')).toHaveCount(0);
  await expect(alice.page.getByTestId('seats')).toHaveText('1 of 2 seats taken');
  await joinRoom(carol.page, path, 'carol');
  await expect(alice.page.getByTestId('peer')).toHaveText(/carol\s*online/);
  await expect(alice.page.getByTestId('seats')).toHaveText('2 of 2 seats taken');
  await say(carol.page, 'I got the seat');
  await expect(messageTexts(alice.page)).toHaveText(['I got the seat']);
});

test('who joins and who leaves is a line in the log of everyone there, where it happened', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const carol = await person(browser);
  const path = await createRoom(alice.page, 'alice', '', { seats: 3 });
  // Each step is heard before the next, so the order is the one alice's page saw.
  await say(alice.page, 'first');
  await expect(alice.page.getByTestId('message')).toHaveCount(1);
  await joinRoom(bob.page, path, 'bob');
  await expect(alice.page.getByTestId('movement')).toHaveText(['bob joined']);
  await say(bob.page, 'hi, I am bob');
  await expect(alice.page.getByTestId('message')).toHaveCount(2);
  await joinRoom(carol.page, path, 'carol');
  await expect(alice.page.getByTestId('movement')).toHaveCount(2);
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await expect(bob.page).toHaveURL(/\/\?left=1$/);
  // Alice's log, in order: her message, bob joined, his message, carol joined, bob left.
  const lines = alice.page.getByRole('log', { name: 'Messages' }).locator('[data-testid="text"], [data-testid="movement"]');
  await expect(lines).toHaveText(['first', 'bob joined', 'hi, I am bob', 'carol joined', 'bob left']);
  // Carol saw bob leave; her own arrival is no news to her.
  await expect(carol.page.getByTestId('movement')).toHaveText(['bob left']);
});

test('Copy link copies the room link and says so', async ({ browser }) => {
  const alice = await person(browser);
  await alice.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const path = await createRoom(alice.page);
  await alice.page.getByRole('button', { name: 'Copy link' }).click();
  await expect(alice.page.getByRole('button', { name: 'Copied!' })).toBeVisible();
  const copied = await alice.page.evaluate(() => navigator.clipboard.readText());
  const link = new URL(copied);
  expect(link.pathname + link.hash).toBe(path);
  expect(link.hash).toMatch(/^#k=[A-Za-z0-9_-]{43}$/);
  await expect(alice.page.getByRole('button', { name: 'Copy link' })).toBeVisible({ timeout: 3_000 });
});

test('while the tab is hidden, new messages count in its title', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page);
  await joinRoom(bob.page, path);
  const hide = (hidden: boolean) =>
    bob.page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { value: h, configurable: true });
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    }, hidden);
  await hide(true);
  await say(alice.page, 'one');
  await say(alice.page, 'two');
  await expect(bob.page).toHaveTitle('(2) Burner · private room');
  await hide(false);
  await expect(bob.page).toHaveTitle('Burner · private room');
});

test('the whole flow works with the keyboard alone', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const page = alice.page;
  await page.goto('/');
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Your identity')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Pick a new random name' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Remember this name on this device')).toBeFocused();
  await page.keyboard.press('Tab');
  const lifetimes = page.getByRole('group', { name: 'Room lifetime' });
  await expect(lifetimes.getByRole('radio', { name: '10 min' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(lifetimes.getByRole('radio', { name: '1 h' })).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('radio', { name: '2', exact: true })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('radio', { name: 'Anyone in it' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('group', { name: 'Messages disappear' }).getByRole('radio', { name: 'Off' })).toBeFocused();
  await page.keyboard.press('Tab');
  const passphrase = page.getByRole('group', { name: 'Passphrase' });
  await expect(passphrase.getByRole('radio', { name: 'Off' })).toBeFocused();
  // Asked for and dropped again by keyboard: the field comes and goes.
  await page.keyboard.press('ArrowRight');
  await expect(passphrase.getByRole('radio', { name: 'Add one' })).toBeChecked();
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeVisible();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveCount(0);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Create secure room' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/room\//);
  await expect(page.getByTestId('link-status')).toHaveText('connected');
  // The message box has the focus: type and press Enter.
  await page.keyboard.type('typed, not clicked');
  await page.keyboard.press('Enter');
  await expect(messageTexts(page)).toHaveText(['typed, not clicked']);
  await joinRoom(bob.page, await linkOf(page));
  const destroy = page.getByRole('button', { name: 'Destroy now' });
  await destroy.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Yes, destroy' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/\?destroyed=1$/);
});

test('a message that cannot be delivered is marked "Not sent" and can be retried', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page);
  await joinRoom(bob.page, path);
  await bob.context.setOffline(true);
  await expect(bob.page.getByTestId('link-status')).toHaveText('offline');
  await say(bob.page, 'lost in the tunnel');
  const pending = bob.page.getByTestId('pending');
  await expect(pending).toContainText('sending…');
  // No acknowledgement within 10 seconds: failed, with a retry.
  await expect(pending).toContainText('Not sent.', { timeout: 15_000 });
  await bob.context.setOffline(false);
  await expect(bob.page.getByTestId('link-status')).toHaveText('connected', { timeout: 20_000 });
  await pending.getByRole('button', { name: 'Retry' }).click();
  await expect(messageTexts(alice.page)).toHaveText(['lost in the tunnel']);
  await expect(bob.page.getByTestId('pending')).toHaveCount(0);
  await expect(messageTexts(bob.page)).toHaveText(['lost in the tunnel']);
});

test('a reader who scrolled up is offered a "new messages" pill instead of being yanked down', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const path = await createRoom(alice.page);
  await joinRoom(bob.page, path);
  // Ten tall messages (within the sending rate limit) fill more than a screen.
  for (let i = 1; i <= 10; i++) {
    await say(alice.page, `line ${i}\n.\n.\n.\n.`);
  }
  await expect(messageTexts(bob.page)).toHaveCount(10);
  const log = bob.page.getByRole('log', { name: 'Messages' });
  // Following along: the newest message is in view.
  await expect(bob.page.getByText('line 10')).toBeInViewport();
  await log.evaluate((el) => el.scrollTo({ top: 0 }));
  await say(alice.page, 'something new');
  const pill = bob.page.getByRole('button', { name: 'New messages ↓' });
  await expect(pill).toBeVisible();
  await expect(bob.page.getByText(/^line 1\n/)).toBeInViewport();
  await pill.click();
  await expect(bob.page.getByText('something new')).toBeInViewport();
  await expect(pill).toBeHidden();
});

test('a long history opens at its newest page; older messages load on demand', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await person(browser);
  const bob = await person(browser);
  const link = await createRoom(alice.page, 'alice');
  for (let i = 1; i <= 55; i += 1) {
    await say(alice.page, `message ${i}`);
  }
  await expect(messageTexts(alice.page)).toHaveCount(55);
  await expect(alice.page.getByTestId('pending')).toHaveCount(0);
  // Bob arrives after all of it: he gets the newest 50, and a way to the rest.
  await joinRoom(bob.page, link, 'bob');
  await expect(messageTexts(bob.page)).toHaveCount(50);
  await expect(messageTexts(bob.page).first()).toHaveText('message 6');
  const older = bob.page.getByRole('button', { name: 'Load older messages' });
  await older.click();
  await expect(messageTexts(bob.page)).toHaveCount(55);
  await expect(messageTexts(bob.page).first()).toHaveText('message 1');
  await expect(older).toHaveCount(0);
  // "New messages" is for newer ones only: loading older ones above does not raise it.
  await expect(bob.page.getByRole('button', { name: 'New messages ↓' })).toHaveCount(0);
});

test('the same person stays the same person: who leaves and comes back keeps their tag, and a look-alike gets another', async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const other = await person(browser);
  const path = await createRoom(alice.page, 'alice', '', { seats: 3 });
  const room = path.split('/room/')[1].split('#')[0];
  await joinRoom(bob.page, path, 'bob');
  await say(bob.page, 'before I left');
  const bobKept = await bob.page.evaluate((id) => localStorage.getItem(`burner.signer.${id}`), room);
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await expect(bob.page).toHaveURL(/\/\?left=1$/);
  // Leaving is not the room ending: bob's browser keeps his key, and signs with it again.
  await joinRoom(bob.page, path, 'bob');
  await say(bob.page, 'back again');
  const bobAgain = await bob.page.evaluate((id) => localStorage.getItem(`burner.signer.${id}`), room);
  expect(bobAgain?.split(' ')[2]).toBe(bobKept?.split(' ')[2]);
  // On his own page, what he wrote before leaving is still his.
  await expect(bob.page.getByTestId('sender')).toHaveText(['You', 'You']);
  // Two seats, one key: one person, so no tag is needed yet.
  const senders = alice.page.getByTestId('sender');
  await expect(senders).toHaveText(['bob', 'bob']);
  await expect(alice.page.getByTestId('movement')).toHaveText(['bob joined', 'bob left', 'bob joined']);
  // Another "bob" arrives: both bobs are tagged, bob's two seats with one tag.
  await joinRoom(other.page, path, 'bob');
  await say(other.page, 'I am bob too');
  await expect(senders).toHaveText([/^bob #\S{4,}$/, /^bob #\S{4,}$/, /^bob #\S{4,}$/]);
  const tags = await senders.allTextContents();
  expect(tags[0]).toBe(tags[1]);
  expect(tags[2]).not.toBe(tags[0]);
});

test("names Unicode draws alike are told apart on every page, by its confusables table, not a hand list", async ({ browser }) => {
  const alice = await person(browser);
  const bob = await person(browser);
  const carol = await person(browser);
  // "José" with é as one character, and as e and an accent: one look, two people. The short
  // table the page starts with does not know them; Unicode's, fetched once two names are open,
  // does. Carol's name in mathematical bold letters looks like no other: shown as it is.
  const composed = 'Jos\u00e9';
  const decomposed = 'Jose\u0301';
  const bold = '\u{1D41C}\u{1D41A}\u{1D42B}\u{1D428}\u{1D425}';
  const path = await createRoom(alice.page, composed, '', { seats: 3 });
  const table = alice.page.waitForResponse((r) => r.url().includes('/confusables-'));
  await joinRoom(bob.page, path, decomposed);
  expect((await table).status()).toBe(200);
  await joinRoom(carol.page, path, bold);
  const tagged = (name: string) => new RegExp(`^${name} #\\S{4,}`);
  const peers = (page: Page) => page.getByTestId('peer');
  await expect(peers(alice.page).filter({ hasText: decomposed })).toHaveText(tagged(decomposed));
  await expect(peers(bob.page).filter({ hasText: composed })).toHaveText(tagged(composed));
  for (const page of [alice.page, bob.page]) {
    await expect(peers(page).filter({ hasText: bold })).toHaveText(new RegExp(`^${bold}\\s*online`));
  }
  await expect(peers(carol.page)).toHaveCount(2);
  await expect(peers(carol.page).filter({ hasText: composed })).toHaveText(tagged(composed));
  await expect(peers(carol.page).filter({ hasText: decomposed })).toHaveText(tagged(decomposed));
});
