// What signing costs a page, in Debian's Chromium: the WebCrypto calls a page makes for one
// message it sends (Ed25519 sign, AES-256-GCM encrypt) and for one it receives (AES-256-GCM
// decrypt, Ed25519 verify; and SHA-256 of a signer's key for its tag, which a page does once per
// member, timed here per message all the same), each timed over many
// messages of 100 characters, without and with the CPU throttled 4× (a phone) through the
// DevTools protocol. The page's WebAssembly makes exactly these calls (app/src/crypto.rs);
// what it adds around them (copying bytes) is not counted here.
//
//   node end2end/perf/signing.mjs http://127.0.0.1:3000 [messages]
//
// Prints a table and one JSON line. Used by `scripts/bench signing` (docs/PERFORMANCE.md).
import { chromium } from '@playwright/test';

const url = process.argv[2] ?? 'http://127.0.0.1:3000';
const count = Number(process.argv[3] ?? 500);

/** Runs in the page: µs per message for each step, timed one message after another. */
async function measure(count) {
  const subtle = crypto.subtle;
  const text = new TextEncoder().encode('a'.repeat(100));
  const { privateKey, publicKey } = await subtle.generateKey('Ed25519', false, ['sign', 'verify']);
  const aes = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const raw = new Uint8Array(await subtle.exportKey('raw', publicKey));
  const aad = new Uint8Array(34);
  // What a page signs: context, AAD, key, counter, time, text (docs/PROTOCOL.md §5).
  const signed = new Uint8Array(17 + 34 + 32 + 16 + text.length);
  const head = (signature) => {
    const plain = new Uint8Array(112 + text.length);
    plain.set(raw, 0);
    plain.set(new Uint8Array(signature), 48);
    plain.set(text, 112);
    return plain;
  };
  const steps = { sign: 0, encrypt: 0, decrypt: 0, verify: 0, fingerprint: 0 };
  const time = async (step, work) => {
    const start = performance.now();
    const result = await work();
    steps[step] += performance.now() - start;
    return result;
  };
  for (let i = 0; i < count; i++) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const params = { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 };
    const signature = await time('sign', () => subtle.sign('Ed25519', privateKey, signed));
    const sealed = await time('encrypt', () => subtle.encrypt(params, aes, head(signature)));
    const plain = await time('decrypt', () => subtle.decrypt(params, aes, sealed));
    const key = await subtle.importKey('raw', new Uint8Array(plain, 0, 32), 'Ed25519', false, ['verify']);
    const ok = await time('verify', () => subtle.verify('Ed25519', key, new Uint8Array(plain, 48, 64), signed));
    if (!ok) throw new Error('a signature did not hold');
    await time('fingerprint', () => subtle.digest('SHA-256', new Uint8Array(plain, 0, 32)));
  }
  const micros = {};
  for (const [step, ms] of Object.entries(steps)) micros[step] = Math.round((ms * 1000) / count);
  return micros;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const results = {};
try {
  for (const throttle of [1, 4]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
    // A first round warms WebCrypto up; the second is the one reported.
    await page.evaluate(measure, Math.min(count, 50));
    results[`cpu_${throttle}x`] = await page.evaluate(measure, count);
    await context.close();
  }
} finally {
  await browser.close();
}

console.log(`Signing in the browser (Chromium, ${count} messages of 100 characters, µs per message)`);
console.log('| CPU | sign | encrypt | send total | decrypt | verify | receive total | fingerprint (once per member) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [cpu, m] of Object.entries(results)) {
  const send = m.sign + m.encrypt;
  const receive = m.decrypt + m.verify;
  console.log(`| ${cpu.replace('cpu_', '')} | ${m.sign} | ${m.encrypt} | ${send} | ${m.decrypt} | ${m.verify} | ${receive} | ${m.fingerprint} |`);
}
console.log(JSON.stringify({ signing: results, messages: count }));
