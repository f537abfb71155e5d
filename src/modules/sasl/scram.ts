/**
 * SCRAM server side (SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants):
 * credential derivation and a per-exchange state machine. Pure logic: no
 * I/O beyond the injected credential lookup, and it never throws for client
 * input — every problem becomes an RFC 6120 SASL failure condition.
 *
 * References:
 * - RFC 5802 §3 (algorithm), §5 (exchange), §6 (channel binding), §7 (ABNF)
 * - RFC 7677 §3 (SCRAM-SHA-256, test vector)
 * - RFC 5056 / RFC 5929 / RFC 9266 (channel binding types)
 * - RFC 4013 (SASLprep)
 * - RFC 6120 §6.3.8 (authzid), §6.5 (SASL failure conditions)
 */

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { saslprep } from '@mongodb-js/saslprep';
import { tryParseJid } from '../../core/jid/jid.js';
import { NONCE, decodeBase64, parseClientFinal, parseClientFirst } from './scram-messages.js';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'SHA-1' | 'SHA-256';

/** Stored SCRAM credentials; all binary values are base64. */
export interface ScramCredentials {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

/** RFC 6120 §6.5 SASL failure conditions. */
export type SaslFailure =
  | 'aborted'
  | 'account-disabled'
  | 'credentials-expired'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'mechanism-too-weak'
  | 'not-authorized'
  | 'temporary-auth-failure';

/** RFC 7677 §4 recommends at least 4096 iterations. */
export const DEFAULT_ITERATIONS = 4096;
const SALT_BYTES = 16;
/** RFC 5802 §5.1 leaves the nonce length open; 24 bytes is ample entropy. */
const SERVER_NONCE_BYTES = 24;

const HASHES: Record<ScramHash, { digest: 'sha1' | 'sha256'; length: number }> = {
  'SHA-1': { digest: 'sha1', length: 20 },
  'SHA-256': { digest: 'sha256', length: 32 },
};

// --- primitives (RFC 5802 §2.2, §3) -------------------------------------------

function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(HASHES[hash].digest, key).update(data).digest();
}

function h(hash: ScramHash, data: Buffer): Buffer {
  return createHash(HASHES[hash].digest).update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Strict RFC 4648 base64 (Buffer.from is lenient and skips junk). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(message: Buffer): string | undefined {
  try {
    return utf8.decode(message);
  } catch {
    return undefined;
  }
}

/**
 * Derives stored credentials from a password (RFC 5802 §3). The password is
 * SASLprepped as a stored string, so this rejects (the promise) for an empty
 * password or one with characters SASLprep prohibits or leaves unassigned.
 * PBKDF2 runs on the libuv thread pool so it never blocks the event loop.
 */
export async function deriveScramCredentials(
  password: string,
  hash: ScramHash,
  opts: { salt?: Buffer; iterations?: number } = {},
): Promise<ScramCredentials> {
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`invalid SCRAM iteration count ${iterations}`);
  }
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  const prepared = saslprep(password);
  if (prepared.length === 0) throw new RangeError('password must not be empty');
  const { digest, length } = HASHES[hash];
  const salted = await pbkdf2Async(prepared, salt, iterations, length, digest);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: h(hash, clientKey).toString('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}

/**
 * Checks a plaintext password (e.g. from SASL PLAIN) against stored SCRAM
 * credentials in constant time. Resolves false rather than rejecting for
 * passwords SASLprep refuses.
 */
export async function verifyScramPassword(
  password: string,
  hash: ScramHash,
  creds: ScramCredentials,
): Promise<boolean> {
  const stored = decodeBase64(creds.storedKey);
  if (stored === undefined || stored.length !== HASHES[hash].length) return false;
  let derived: ScramCredentials;
  try {
    derived = await deriveScramCredentials(password, hash, {
      salt: Buffer.from(creds.salt, 'base64'),
      iterations: creds.iterations,
    });
  } catch {
    return false;
  }
  return timingSafeEqual(Buffer.from(derived.storedKey, 'base64'), stored);
}

// --- unknown users ------------------------------------------------------------

/**
 * Default secret for fake credentials. Per process, so fake salts are stable
 * for the process lifetime; pass `fakeCredentialSecret` to make them stable
 * across restarts too (otherwise a changing salt reveals a missing user).
 */
const PROCESS_FAKE_SECRET = randomBytes(32);

function fakeCredentials(
  hash: ScramHash,
  username: string,
  secret: Buffer,
  iterations: number,
): { salt: Buffer; iterations: number; storedKey: Buffer; serverKey: Buffer } {
  const derive = (label: string, length: number): Buffer =>
    createHmac('sha256', secret).update(`${label}\0${username}`).digest().subarray(0, length);
  // The salt is independent of the hash so it looks like a store that keeps
  // one salt per user; the keys are never derivable from any password.
  const { length } = HASHES[hash];
  return {
    salt: derive('salt', SALT_BYTES),
    iterations,
    storedKey: derive(`stored\0${hash}`, length),
    serverKey: derive(`server\0${hash}`, length),
  };
}

// --- the exchange ---------------------------------------------------------------

export interface ScramServerOptions {
  hash: ScramHash;
  /** Whether this exchange is the -PLUS (channel binding) mechanism. */
  plus: boolean;
  /**
   * Whether the server advertised any -PLUS mechanism on this stream; a
   * client that could bind but sees none says "y", which is a downgrade if
   * we did advertise one (RFC 5802 §6). Defaults to whether channelBinding
   * data is available.
   */
  serverSupportsPlus?: boolean;
  /**
   * The binding data of this connection for a type the client names in
   * `p=<type>`; undefined when the server cannot supply that type.
   */
  channelBinding?: ((type: string) => Buffer | undefined) | undefined;
  /** Resolves the SASLprepped username's credentials for `hash`. */
  lookup: (username: string) => Promise<ScramCredentials | undefined>;
  /** Our domain, so an authzid of "user@domain" is accepted (RFC 6120 §6.3.8). */
  domain?: string;
  /** Fixed server nonce part; for test vectors only. */
  serverNonce?: string;
  /** Persistent secret for unknown-user fake salts (see fakeCredentials). */
  fakeCredentialSecret?: Buffer;
  /** Iteration count advertised for unknown users; match the real default. */
  fakeIterations?: number;
}

export type ScramFirstResult = { challenge: Buffer } | { failure: SaslFailure };
export type ScramFinalResult = { success: Buffer; username: string } | { failure: SaslFailure };

/**
 * One SCRAM exchange, server side: clientFirst() answers the
 * client-first-message with the server-first-message; clientFinal() checks
 * the proof and yields the server-final-message. Each step may be called
 * once, in order; anything else fails.
 */
export class ScramServer {
  readonly #opts: ScramServerOptions;
  #state: 'initial' | 'first' | 'done' = 'initial';
  #gs2Header = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';
  #username = '';
  #userExists = false;
  #storedKey: Buffer = Buffer.alloc(0);
  #serverKey: Buffer = Buffer.alloc(0);
  #cbData: Buffer | undefined;

  constructor(opts: ScramServerOptions) {
    if (opts.serverNonce !== undefined && !NONCE.test(opts.serverNonce)) {
      throw new TypeError('serverNonce must be printable ASCII without commas');
    }
    this.#opts = opts;
  }

  async clientFirst(message: Buffer): Promise<ScramFirstResult> {
    if (this.#state !== 'initial') return this.#fail('malformed-request');
    this.#state = 'done'; // until we succeed, a retry is not allowed

    const text = decodeUtf8(message);
    if (text === undefined || text.includes('\0')) return { failure: 'malformed-request' };
    const first = parseClientFirst(text);
    if (first === undefined) return { failure: 'malformed-request' };

    // Channel binding negotiation (RFC 5802 §6).
    const opts = this.#opts;
    const supportsPlus = opts.serverSupportsPlus ?? opts.channelBinding !== undefined;
    if (opts.plus) {
      if (first.flag.kind !== 'p') return { failure: 'malformed-request' };
      this.#cbData = opts.channelBinding?.(first.flag.cbName);
      if (this.#cbData === undefined) return { failure: 'not-authorized' };
    } else if (first.flag.kind === 'p') {
      // Asking for channel binding on a non-PLUS mechanism is contradictory.
      return { failure: 'malformed-request' };
    } else if (first.flag.kind === 'y' && supportsPlus) {
      // The client thinks we offer no -PLUS mechanism, but we did: someone
      // stripped it from our feature list.
      return { failure: 'not-authorized' };
    }

    let username: string;
    try {
      // RFC 5802 §5.1: the username is prepared as a query string.
      username = saslprep(first.username, { allowUnassigned: true });
    } catch {
      return { failure: 'malformed-request' };
    }
    if (username.length === 0) return { failure: 'malformed-request' };

    if (first.authzid !== undefined && !this.#authzidAllowed(first.authzid, username)) {
      return { failure: 'invalid-authzid' };
    }

    let stored: ScramCredentials | undefined;
    try {
      stored = await opts.lookup(username);
    } catch {
      return { failure: 'temporary-auth-failure' };
    }

    // Unknown users get deterministic fake credentials and go through the
    // same steps, so neither timing nor salt reveals whether they exist.
    const length = HASHES[opts.hash].length;
    let salt: Buffer;
    let iterations: number;
    if (stored === undefined) {
      const fake = fakeCredentials(
        opts.hash,
        username,
        opts.fakeCredentialSecret ?? PROCESS_FAKE_SECRET,
        opts.fakeIterations ?? DEFAULT_ITERATIONS,
      );
      ({ salt, iterations } = fake);
      this.#storedKey = fake.storedKey;
      this.#serverKey = fake.serverKey;
      this.#userExists = false;
    } else {
      const storedKey = decodeBase64(stored.storedKey);
      const serverKey = decodeBase64(stored.serverKey);
      const storedSalt = decodeBase64(stored.salt);
      if (
        storedKey?.length !== length ||
        serverKey?.length !== length ||
        storedSalt === undefined ||
        storedSalt.length === 0 ||
        !Number.isInteger(stored.iterations) ||
        stored.iterations < 1
      ) {
        // Corrupt or wrong-hash credentials: a server-side problem.
        return { failure: 'temporary-auth-failure' };
      }
      salt = storedSalt;
      iterations = stored.iterations;
      this.#storedKey = storedKey;
      this.#serverKey = serverKey;
      this.#userExists = true;
    }

    this.#nonce = first.nonce + (opts.serverNonce ?? randomBytes(SERVER_NONCE_BYTES).toString('base64'));
    this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.#gs2Header = first.gs2Header;
    this.#clientFirstBare = first.bare;
    this.#username = username;
    this.#state = 'first';
    return { challenge: Buffer.from(this.#serverFirst, 'utf8') };
  }

  clientFinal(message: Buffer): ScramFinalResult {
    if (this.#state !== 'first') return this.#fail('malformed-request');
    this.#state = 'done';

    const text = decodeUtf8(message);
    if (text === undefined || text.includes('\0')) return { failure: 'malformed-request' };
    const final = parseClientFinal(text);
    if (final === undefined) return { failure: 'malformed-request' };
    const { hash } = this.#opts;
    if (final.proof.length !== HASHES[hash].length) return { failure: 'malformed-request' };
    if (final.nonce !== this.#nonce) return { failure: 'not-authorized' };

    // c= must repeat the gs2-header, plus the binding data for -PLUS
    // (RFC 5802 §6); otherwise the binding proves nothing.
    const header = Buffer.from(this.#gs2Header, 'utf8');
    const cbData = this.#opts.plus ? this.#cbData : undefined;
    const expected = cbData === undefined ? header : Buffer.concat([header, cbData]);
    if (final.channelBinding.length !== expected.length || !timingSafeEqual(final.channelBinding, expected)) {
      return { failure: 'not-authorized' };
    }

    // RFC 5802 §3: recover ClientKey from the proof and compare its hash to
    // StoredKey in constant time.
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${final.withoutProof}`;
    const clientSignature = hmac(hash, this.#storedKey, authMessage);
    const clientKey = xor(final.proof, clientSignature);
    const valid = timingSafeEqual(h(hash, clientKey), this.#storedKey);
    const serverSignature = hmac(hash, this.#serverKey, authMessage);
    if (!valid || !this.#userExists) return { failure: 'not-authorized' };
    return {
      success: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
      username: this.#username,
    };
  }

  /**
   * RFC 6120 §6.3.8: we only let users act as themselves, named either by
   * the plain username or by their bare JID.
   */
  #authzidAllowed(authzid: string, username: string): boolean {
    if (authzid === username) return true;
    const domain = this.#opts.domain;
    if (domain === undefined) return false;
    const requested = tryParseJid(authzid);
    const own = tryParseJid(`${username}@${domain}`);
    return requested !== undefined && own !== undefined && requested.isBare && own.isBare && requested.equals(own);
  }

  #fail(failure: SaslFailure): { failure: SaslFailure } {
    this.#state = 'done';
    return { failure };
  }
}
