/**
 * The client side of SASL SCRAM-SHA-256 (without channel binding: the load
 * generator talks plaintext TCP) and SASL PLAIN, on node:crypto.
 *
 * The salted password is cached per (password, salt, iterations), as RFC 5802
 * §5.1 allows clients to do, so repeated logins of one account measure the
 * server rather than the generator's PBKDF2.
 *
 * References: RFC 5802 §3 (algorithm), §5 (messages), §7 (grammar);
 * RFC 7677 (SCRAM-SHA-256); RFC 4616 (PLAIN).
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** GS2 header for "no channel binding, no authzid". */
const GS2_HEADER = 'n,,';

interface ScramKeys {
  clientKey: Buffer;
  serverKey: Buffer;
}

const keyCache = new Map<string, Promise<ScramKeys>>();

const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 5802 §5.1: `=` and `,` in a username are escaped. */
function saslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function deriveKeys(password: string, salt: Buffer, iterations: number): Promise<ScramKeys> {
  const key = `${password}\0${salt.toString('base64')}\0${iterations}`;
  let keys = keyCache.get(key);
  if (!keys) {
    keys = pbkdf2Async(password, salt, iterations, 32, 'sha256').then((salted) => ({
      clientKey: hmac(salted, 'Client Key'),
      serverKey: hmac(salted, 'Server Key'),
    }));
    keyCache.set(key, keys);
  }
  return keys;
}

/** `k=v` attributes of a SCRAM message. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** One SCRAM-SHA-256 exchange: `first()`, then `final(challenge)`, then `verify(success)`. */
export class ScramSha256Client {
  private readonly clientNonce = randomBytes(18).toString('base64');
  private readonly firstBare: string;
  private serverSignature?: Buffer;

  constructor(
    username: string,
    private readonly password: string,
  ) {
    this.firstBare = `n=${saslName(username)},r=${this.clientNonce}`;
  }

  /** The client-first-message, base64 for `<auth/>`. */
  first(): string {
    return Buffer.from(GS2_HEADER + this.firstBare).toString('base64');
  }

  /** Answers the server-first-message (base64) with client-final (base64). */
  async final(challengeBase64: string): Promise<string> {
    const serverFirst = Buffer.from(challengeBase64, 'base64').toString('utf8');
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce?.startsWith(this.clientNonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error(`bad SCRAM server-first-message: ${serverFirst}`);
    }
    const keys = await deriveKeys(this.password, Buffer.from(salt, 'base64'), iterations);
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.firstBare},${serverFirst},${withoutProof}`;
    const storedKey = createHash('sha256').update(keys.clientKey).digest();
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(signature.length);
    for (let i = 0; i < proof.length; i++) proof[i] = keys.clientKey[i]! ^ signature[i]!;
    this.serverSignature = hmac(keys.serverKey, authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64');
  }

  /** Checks the server-final-message carried by `<success/>` (RFC 5802 §3: mutual auth). */
  verify(successBase64: string): void {
    const verifier = attributes(Buffer.from(successBase64, 'base64').toString('utf8')).get('v');
    if (!this.serverSignature || !verifier) throw new Error('SCRAM success without server signature');
    const given = Buffer.from(verifier, 'base64');
    if (given.length !== this.serverSignature.length || !timingSafeEqual(given, this.serverSignature)) {
      throw new Error('SCRAM server signature mismatch');
    }
  }
}

/** RFC 4616 message, base64: empty authzid, then authcid and password. */
export function plainMessage(username: string, password: string): string {
  return Buffer.from(`\0${username}\0${password}`).toString('base64');
}
