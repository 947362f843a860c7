/**
 * A client's side of docs/PROTOCOL.md §5 in Node's own crypto — not the browser's WebCrypto,
 * not the page's WebAssembly: what the browser tests hold the page against, from outside it.
 */
import {
  createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync,
  type KeyObject, pbkdf2Sync, randomBytes, sign, verify,
} from 'node:crypto';

/** What a sealed value is for, and whose it is (all of it is authenticated). */
export type Purpose =
  | { kind: 'm'; seat: string; clientId: string }
  | { kind: 'n'; seat: string }
  | { kind: 'k' };

/** Unsigned (rooms made before members signed), and signed. */
const VERSION = 2;
const SIGNED = 3;

/** The additional authenticated data: version ‖ purpose ‖ room ‖ 0 ‖ seat ‖ 0 ‖ client id. */
function aad(purpose: Purpose, room: string, version = VERSION): Buffer {
  const seat = purpose.kind === 'k' ? '' : purpose.seat;
  const clientId = purpose.kind === 'm' ? purpose.clientId : '';
  return Buffer.concat([
    Buffer.from([version, purpose.kind.charCodeAt(0)]),
    Buffer.from(room), Buffer.from([0]), Buffer.from(seat), Buffer.from([0]), Buffer.from(clientId),
  ]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** What a member signs: "burner v3 signed" ‖ 0 ‖ AAD (version 3) ‖ public key ‖ counter ‖ time ‖ text. */
function signedBytes(purpose: Purpose, room: string, publicKey: Buffer, counter: number, time: number, text: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('burner v3 signed'), Buffer.from([0]), aad(purpose, room, SIGNED), publicKey, u64(counter), u64(time), text,
  ]);
}

/** A member's Ed25519 key, as a page makes one (or as a page keeps it: its PKCS #8). */
export class Signer {
  constructor(private readonly privateKey: KeyObject, readonly publicKey: Buffer) {}

  static generate(): Signer {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return new Signer(privateKey, rawPublic(publicKey));
  }

  /** The key a page keeps in localStorage (`burner.signer.<room>`: deadline counter public pkcs8). */
  static fromKept(kept: string): Signer {
    const [, , , pkcs8] = kept.split(' ');
    const privateKey = createPrivateKey({ key: Buffer.from(pkcs8, 'base64url'), format: 'der', type: 'pkcs8' });
    return new Signer(privateKey, rawPublic(createPublicKey(privateKey)));
  }

  sign(bytes: Buffer): Buffer {
    return sign(null, bytes, this.privateKey);
  }

  /** The tag a page shows: the start of SHA-256 of the public key, base64url. */
  fingerprint(): string {
    return fingerprintOf(this.publicKey);
  }
}

function rawPublic(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
}

export function fingerprintOf(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest('base64url');
}

/** What a signed value opened to. */
export interface Opened {
  text: string;
  /** Absent for an unsigned (version 2) value. */
  signed?: { publicKey: Buffer; counter: number; time: number; holds: boolean };
}

/** The keys of a link's secret (base64url, what follows `#k=`) and the room's passphrase. */
export class LinkKeys {
  private readonly sealing: Buffer;
  private readonly member: Buffer;

  constructor(secret: string, passphrase?: string) {
    const s = Buffer.from(secret, 'base64url');
    let ikm = s;
    if (passphrase !== undefined) {
      const p = Buffer.from(passphrase.trim().normalize('NFC'), 'utf8');
      const salt = Buffer.concat([Buffer.from('burner v2 passphrase'), s]);
      ikm = Buffer.concat([s, pbkdf2Sync(p, salt, 600_000, 32, 'sha256')]);
    }
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.from(info), 32));
    this.sealing = derive('burner v2 seal');
    this.member = derive('burner v2 member');
  }

  /** What a join brings: the membership secret. */
  proof(): string {
    return this.member.toString('base64url');
  }

  /** What a creator registers: SHA-256 of the membership secret. */
  verifier(): string {
    return createHash('sha256').update(this.member).digest('base64url');
  }

  /** `text` sealed for `purpose` in `room`: signed by `signer` (version 3) when given, else unsigned (version 2). */
  seal(purpose: Purpose, room: string, text: string, signer?: Signer, counter = 1, time = Date.now()): string {
    const version = signer ? SIGNED : VERSION;
    let plain = Buffer.from(text, 'utf8');
    if (signer) {
      const signature = signer.sign(signedBytes(purpose, room, signer.publicKey, counter, time, plain));
      plain = Buffer.concat([signer.publicKey, u64(counter), u64(time), signature, plain]);
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealing, iv);
    cipher.setAAD(aad(purpose, room, version));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([version]), iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** What `sealed` opens to and who signed it, or null when it does not open for this purpose in this room. */
  openSigned(purpose: Purpose, room: string, sealed: string): Opened | null {
    const bytes = Buffer.from(sealed, 'base64url');
    const version = bytes[0];
    if (bytes.length < 1 + 12 + 16 || (version !== VERSION && version !== SIGNED)) return null;
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealing, bytes.subarray(1, 13));
      decipher.setAAD(aad(purpose, room, version));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      plain = Buffer.concat([decipher.update(bytes.subarray(13, bytes.length - 16)), decipher.final()]);
    } catch {
      return null;
    }
    if (version === VERSION) return { text: plain.toString('utf8') };
    if (plain.length < 112) return null;
    const publicKey = plain.subarray(0, 32);
    const counter = Number(plain.readBigUInt64BE(32));
    const time = Number(plain.readBigUInt64BE(40));
    const signature = plain.subarray(48, 112);
    const text = plain.subarray(112);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
    const holds = verify(null, signedBytes(purpose, room, publicKey, counter, time, text), key, signature);
    return { text: text.toString('utf8'), signed: { publicKey: Buffer.from(publicKey), counter, time, holds } };
  }

  /** What `sealed` opens to, or null when it does not open for this purpose in this room (or its signature does not hold). */
  open(purpose: Purpose, room: string, sealed: string): string | null {
    const opened = this.openSigned(purpose, room, sealed);
    if (!opened || (opened.signed && !opened.signed.holds)) return null;
    return opened.text;
  }
}

/** `sealed` with one bit of its byte at `at` flipped (negative: from the end). */
export function tamper(sealed: string, at: number): string {
  const bytes = Buffer.from(sealed, 'base64url');
  bytes[at < 0 ? bytes.length + at : at] ^= 1;
  return bytes.toString('base64url');
}
