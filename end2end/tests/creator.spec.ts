import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, person, say } from './helpers';
import type { Locator } from '@playwright/test';

// Two instances sharing Redis (started by playwright.config.ts): the creator on one, the others
// on the other, as a deployment behind a load balancer would place them.
const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const instanceA = `http://127.0.0.1:${port + 1}`;
const instanceB = `http://127.0.0.1:${port + 2}`;

test('the creator locks the room, a third visitor is refused, a removed member is out for good, and the creator keeps the right after leaving and coming back', async ({ browser }) => {
  const alice = await person(browser);
  const link = await createRoom(alice.page, 'alice', instanceA, { seats: 3, onlyMeDestroys: true });
  const bob = await person(browser);
  await joinRoom(bob.page, instanceB + link, 'bob');
  await say(bob.page, 'hello from bob');
  await expect(messageTexts(alice.page)).toHaveText(['hello from bob']);

  // Only the creator's page offers Lock and Remove.
  await expect(alice.page.getByTestId('lock-toggle')).toHaveText('Lock room');
  await expect(bob.page.getByTestId('lock-toggle')).toHaveCount(0);
  await expect(bob.page.getByTestId('remove')).toHaveCount(0);

  // On a phone: the button stays where it was pressed, whatever its label says.
  await alice.page.setViewportSize({ width: 390, height: 844 });
  const lock = alice.page.getByTestId('lock-toggle');
  const unlocked = await lock.boundingBox();
  await lock.click();
  await expect(lock).toHaveText('Unlock room');
  await expectInPlace(lock, unlocked);
  for (const page of [alice.page, bob.page]) {
    await expect(page.getByTestId('room-locked')).toHaveText('Locked: nobody new can join');
  }

  // A third visitor with the whole link sees the room is locked and cannot join.
  const carol = await person(browser);
  await carol.page.goto(instanceB + link);
  await expect(carol.page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(carol.page.getByTestId('room-facts')).toContainText('locked: nobody new can join');
  await expect(carol.page.getByRole('alert').filter({ hasText: 'locked this room' })).toBeVisible();
  await expect(carol.page.getByRole('button', { name: 'Join', exact: true })).toBeDisabled();

  // Alice removes bob: his page says so at once, hers says he was removed.
  const bobRow = alice.page.getByTestId('peer').filter({ hasText: 'bob' });
  await bobRow.getByTestId('remove').click();
  // The question takes a line of its own: nothing in the bar moves.
  await expect(alice.page.getByText('Remove bob? The room is locked: they cannot come back.')).toBeVisible();
  await expectInPlace(lock, unlocked);
  await alice.page.getByTestId('confirm-remove').click();
  await bob.page.waitForURL(/\/\?removed=1/);
  await expect(bob.page.getByRole('heading', { name: 'You were removed from this room' })).toBeVisible();
  await expect(alice.page.getByTestId('movement').last()).toHaveText('bob was removed by the room\'s creator');
  await expect(alice.page.getByTestId('peer')).toHaveCount(0);

  // With the room locked, the link alone does not bring bob back.
  await bob.page.goto(instanceB + link);
  await expect(bob.page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(bob.page.getByRole('button', { name: 'Join', exact: true })).toBeDisabled();
  await expect(bob.page.getByRole('alert').filter({ hasText: 'locked this room' })).toBeVisible();
  // His browser offers the name he had here (kept, like his key, while the room lives).
  await expect(bob.page.getByLabel('Your name in this room')).toHaveValue('bob');

  // The creator leaves the locked room. Her key still proves her: the join page offers her
  // Unlock, then Join, to a new seat; and Destroy, in a room only she may destroy, still works.
  await alice.page.getByRole('button', { name: 'Leave room' }).click();
  await alice.page.waitForURL(/\/\?left=1/);
  await alice.page.goto(instanceA + link);
  await expect(alice.page.locator('main[data-hydrated="true"]')).toBeVisible();
  await expect(alice.page.getByRole('alert').filter({ hasText: 'You locked this room' })).toBeVisible();
  await expect(carol.page.getByTestId('unlock-room')).toHaveCount(0);
  await expect(alice.page.getByTestId('room-facts')).toContainText('only you, its creator, can destroy it');
  await expect(carol.page.getByTestId('room-facts')).toContainText('only its creator can destroy it');
  await alice.page.getByTestId('unlock-room').click();
  // Carol's join page, open all along, learns of it without a reload.
  await expect(carol.page.getByRole('button', { name: 'Join', exact: true })).toBeEnabled({ timeout: 10_000 });
  const join = alice.page.getByRole('button', { name: 'Join', exact: true });
  await expect(join).toBeEnabled();
  await expect(alice.page.getByLabel('Your name in this room')).toHaveValue('alice');
  await join.click();
  await expect(alice.page.getByTestId('link-status')).toHaveText('connected');
  await expect(alice.page.getByTestId('lock-toggle')).toHaveText('Lock room');
  await expect(alice.page.getByTestId('creator-destroys')).toHaveText('Only you can destroy it');
  // A double click on Destroy asks once, and moves nothing under the pointer (Leave stays put).
  await alice.page.setViewportSize({ width: 1280, height: 800 });
  const leave = alice.page.getByRole('button', { name: 'Leave room' });
  const leaveWas = await leave.boundingBox();
  await alice.page.getByRole('button', { name: 'Destroy now' }).dblclick();
  await expect(alice.page.getByRole('group', { name: 'Confirm destroying the room' })).toBeVisible();
  await expectInPlace(leave, leaveWas);
  await expect(alice.page).toHaveURL(/\/room\//);
  // Escape puts the question away, wherever the double click left the focus.
  await alice.page.keyboard.press('Escape');
  await expect(alice.page.getByRole('group', { name: 'Confirm destroying the room' })).toHaveCount(0);
  await alice.page.getByRole('button', { name: 'Destroy now' }).click();
  await alice.page.getByRole('button', { name: 'Yes, destroy' }).click();
  await alice.page.waitForURL(/\/\?destroyed=1/);
  await carol.page.reload();
  await carol.page.waitForURL(/\/\?error=room-not-found/);
});

/** That `locator` is where `was` says it was (within a pixel: text widths are fractional). */
async function expectInPlace(locator: Locator, was: { x: number; y: number } | null) {
  const now = await locator.boundingBox();
  expect(now && was && Math.abs(now.x - was.x) < 1 && Math.abs(now.y - was.y) < 1, JSON.stringify({ was, now })).toBe(true);
}
