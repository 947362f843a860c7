import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { test, expect } from './fixtures';
import { createRoom, joinRoom, messageTexts, person, say } from './helpers';

const port = Number(process.env.BURNER_E2E_PORT ?? 3100);
const binary = resolve('..', process.env.BURNER_SERVER_BIN ?? 'target/release/server');

/** A Burner instance of this test's own, on `at`, sharing the suite's Redis. */
async function instance(at: number, prefix: string): Promise<ChildProcess> {
  const child = spawn(binary, [], {
    cwd: resolve('..'),
    stdio: 'ignore',
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${at}`,
      LEPTOS_SITE_ROOT: 'target/site',
      BURNER_REDIS_URL: process.env.BURNER_E2E_REDIS_URL ?? '',
      BURNER_ADDRESS_SECRET: 'the failover test\'s address secret, shared',
      BURNER_KEY_PREFIX: prefix,
      BURNER_METRICS_ADDR: '',
      BURNER_ROOMS_PER_MINUTE: '1000',
      BURNER_ROOMS_ALIVE_PER_ADDRESS: '100000',
      BURNER_VIEWS_PER_MINUTE: '10000',
      BURNER_ACTIONS_PER_MINUTE: '10000',
      BURNER_UPGRADES_PER_MINUTE: '10000',
      BURNER_LOG: 'warn',
    },
  });
  await expect.poll(async () => (await fetch(`http://127.0.0.1:${at}/readyz`).catch(() => null))?.status, {
    timeout: 20_000,
  }).toBe(200);
  return child;
}

/**
 * The test's load balancer: each connection goes to the first backend that accepts it, so
 * everyone lands on the first instance while it lives, and on the second once it is gone.
 */
function balancer(at: number, backends: number[]): Promise<Server> {
  const server = createServer((client: Socket) => {
    const attempt = (i: number) => {
      if (i >= backends.length) return client.destroy();
      const upstream = connect(backends[i], '127.0.0.1');
      upstream.once('error', () => attempt(i + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
      });
    };
    attempt(0);
  });
  return new Promise((done) => server.listen(at, '127.0.0.1', () => done(server)));
}

test('when the instance a page is connected to dies, the page reconnects elsewhere and shows every message once', async ({ browser }) => {
  test.setTimeout(90_000);
  const prefix = `failover-${Date.now().toString(36)}`;
  const [first, second, front] = [port + 60, port + 61, port + 62];
  const a = await instance(first, prefix);
  const b = await instance(second, prefix);
  const lb = await balancer(front, [first, second]);
  try {
    const origin = `http://127.0.0.1:${front}`;
    const alice = await person(browser);
    const bob = await person(browser);
    const link = await createRoom(alice.page, 'alice', origin);
    await joinRoom(bob.page, `${origin}${link}`, 'bob');
    await say(alice.page, 'before');
    await say(bob.page, 'still before');
    await expect(messageTexts(bob.page)).toHaveText(['before', 'still before']);

    a.kill('SIGKILL');
    for (const page of [alice.page, bob.page]) {
      await expect(page.getByTestId('link-status')).toHaveText(/reconnecting|offline/);
    }
    // Both come back through the balancer, now on the second instance.
    for (const page of [alice.page, bob.page]) {
      await expect(page.getByTestId('link-status')).toHaveText('connected', { timeout: 20_000 });
    }
    await say(alice.page, 'after');
    await say(bob.page, 'still after');
    const all = ['before', 'still before', 'after', 'still after'];
    for (const page of [alice.page, bob.page]) {
      await expect(messageTexts(page)).toHaveText(all);
    }
    // A reload shows the same, once each.
    await bob.page.reload();
    await expect(bob.page.getByTestId('link-status')).toHaveText('connected');
    await expect(messageTexts(bob.page)).toHaveText(all);
  } finally {
    lb.close();
    a.kill('SIGKILL');
    b.kill('SIGKILL');
  }
});
