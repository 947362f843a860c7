/**
 * A client's side of docs/PROTOCOL.md §5 in Node's own crypto — not the browser's WebCrypto,
 * not the page's WebAssembly: what the browser tests hold the page against, from outside it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';

/** What a sealed value is for, and whose it is (all of it is authenticated). */
export type Purpose =
  | { kind: 'm'; seat: string; clientId: string }
  | { kind: 'n'; seat: string }
  | { kind: 'k' };

const VERSION = 2;

/** The additional authenticated data: version ‖ purpose ‖ room ‖ 0 ‖ seat ‖ 0 ‖ client id. */
function aad(purpose: Purpose, room: string): Buffer {
  const seat = purpose.kind === 'k' ? '' : purpose.seat;
  const clientId = purpose.kind === 'm' ? purpose.clientId : '';
  return Buffer.concat([
    Buffer.from([VERSION, purpose.kind.charCodeAt(0)]),
    Buffer.from(room), Buffer.from([0]), Buffer.from(seat), Buffer.from([0]), Buffer.from(clientId),
  ]);
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

  seal(purpose: Purpose, room: string, text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealing, iv);
    cipher.setAAD(aad(purpose, room));
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** What `sealed` opens to, or null when it does not open for this purpose in this room. */
  open(purpose: Purpose, room: string, sealed: string): string | null {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < 1 + 12 + 16 || bytes[0] !== VERSION) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealing, bytes.subarray(1, 13));
      decipher.setAAD(aad(purpose, room));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(13, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** `sealed` with one bit of its byte at `at` flipped (negative: from the end). */
export function tamper(sealed: string, at: number): string {
  const bytes = Buffer.from(sealed, 'base64url');
  bytes[at < 0 ? bytes.length + at : at] ^= 1;
  return bytes.toString('base64url');
}
