/**
 * Tests for the SCRAM server: RFC test vectors, channel binding, downgrade
 * detection, authzid rules, malformed input and unknown users.
 *
 * References:
 * - RFC 5802 §5 (SCRAM-SHA-1 example), §6 (channel binding)
 * - RFC 7677 §3 (SCRAM-SHA-256 example)
 */

import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  ScramServer,
  deriveScramCredentials,
  verifyScramPassword,
  type ScramCredentials,
  type ScramHash,
  type ScramServerOptions,
} from './scram.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const algo = (hash: ScramHash): string => (hash === 'SHA-1' ? 'sha1' : 'sha256');

/** A minimal SCRAM client, independent of the server code, for computing proofs. */
function clientProof(
  hash: ScramHash,
  password: string,
  clientFirstBare: string,
  serverFirst: string,
  withoutProof: string,
): string {
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const len = hash === 'SHA-1' ? 20 : 32;
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), len, algo(hash));
  const clientKey = createHmac(algo(hash), salted).update('Client Key').digest();
  const storedKey = createHash(algo(hash)).update(clientKey).digest();
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const sig = createHmac(algo(hash), storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((x, i) => x ^ sig[i]!)).toString('base64');
}

function expectedServerSignature(
  hash: ScramHash,
  password: string,
  authMessage: string,
  salt: string,
  iterations: number,
): string {
  const len = hash === 'SHA-1' ? 20 : 32;
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, len, algo(hash));
  const serverKey = createHmac(algo(hash), salted).update('Server Key').digest();
  return createHmac(algo(hash), serverKey).update(authMessage).digest('base64');
}

const credCache = new Map<string, Promise<ScramCredentials>>();
function creds(password: string, hash: ScramHash): Promise<ScramCredentials> {
  const key = `${hash}\0${password}`;
  let p = credCache.get(key);
  if (!p) {
    p = deriveScramCredentials(password, hash, { salt: b('0123456789abcdef') });
    credCache.set(key, p);
  }
  return p;
}

function server(
  hash: ScramHash,
  extra: Partial<ScramServerOptions> = {},
  users: Record<string, string> = { user: 'pencil' },
): ScramServer {
  return new ScramServer({
    hash,
    plus: false,
    serverSupportsPlus: false,
    lookup: async (u) => (users[u] === undefined ? undefined : creds(users[u]!, hash)),
    ...extra,
  });
}

/** Runs a full exchange with the given password and gs2 header. */
async function exchange(
  srv: ScramServer,
  hash: ScramHash,
  opts: {
    username?: string;
    password?: string;
    gs2?: string;
    cbData?: Buffer;
    tamper?: (withoutProof: string) => string;
  } = {},
) {
  const gs2 = opts.gs2 ?? 'n,,';
  const bare = `n=${opts.username ?? 'user'},r=clientnonce123`;
  const first = await srv.clientFirst(b(gs2 + bare));
  if ('failure' in first) return { first };
  const serverFirst = first.challenge.toString();
  const c = Buffer.concat([b(gs2), opts.cbData ?? Buffer.alloc(0)]).toString('base64');
  const nonce = serverFirst.split(',')[0]!.slice(2);
  let withoutProof = `c=${c},r=${nonce}`;
  if (opts.tamper) withoutProof = opts.tamper(withoutProof);
  const proof = clientProof(hash, opts.password ?? 'pencil', bare, serverFirst, withoutProof);
  return { first, serverFirst, final: srv.clientFinal(b(`${withoutProof},p=${proof}`)) };
}

describe('deriveScramCredentials', () => {
  it('matches the RFC 5802 §5 SHA-1 example keys', async () => {
    const c = await deriveScramCredentials('pencil', 'SHA-1', {
      salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'),
      iterations: 4096,
    });
    expect(c.salt).toBe('QSXCR+Q6sek8bf92');
    expect(c.iterations).toBe(4096);
    expect(Buffer.from(c.storedKey, 'base64')).toHaveLength(20);
    expect(Buffer.from(c.serverKey, 'base64')).toHaveLength(20);
  });

  it('uses 16 random salt bytes and 4096 iterations by default', async () => {
    const [x, y] = await Promise.all([
      deriveScramCredentials('pencil', 'SHA-256'),
      deriveScramCredentials('pencil', 'SHA-256'),
    ]);
    expect(Buffer.from(x.salt, 'base64')).toHaveLength(16);
    expect(x.iterations).toBe(4096);
    expect(x.salt).not.toBe(y.salt);
    expect(x.storedKey).not.toBe(y.storedKey);
    expect(Buffer.from(x.storedKey, 'base64')).toHaveLength(32);
  });

  it('SASLpreps the password', async () => {
    const salt = b('saltsaltsaltsalt');
    // U+00A0 NO-BREAK SPACE maps to U+0020; U+00AD SOFT HYPHEN maps to nothing.
    const a = await deriveScramCredentials('pen cil', 'SHA-1', { salt, iterations: 1 });
    const c = await deriveScramCredentials('pen\u00a0ci\u00adl', 'SHA-1', { salt, iterations: 1 });
    expect(c).toEqual(a);
  });

  it('rejects prohibited or empty passwords and bad parameters', async () => {
    await expect(deriveScramCredentials('a\u0007b', 'SHA-1')).rejects.toThrow();
    await expect(deriveScramCredentials('', 'SHA-1')).rejects.toThrow();
    await expect(deriveScramCredentials('x', 'SHA-1', { iterations: 0 })).rejects.toThrow(RangeError);
  });

  it('does not block the event loop', async () => {
    let ticked = false;
    const p = deriveScramCredentials('pencil', 'SHA-256', { iterations: 200_000 });
    setImmediate(() => {
      ticked = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(ticked).toBe(true);
    await p;
  });
});

describe('verifyScramPassword', () => {
  it('accepts the right password and rejects others', async () => {
    const c = await creds('pencil', 'SHA-256');
    expect(await verifyScramPassword('pencil', 'SHA-256', c)).toBe(true);
    expect(await verifyScramPassword('pencil!', 'SHA-256', c)).toBe(false);
    expect(await verifyScramPassword('a\u0007b', 'SHA-256', c)).toBe(false);
    expect(await verifyScramPassword('pencil', 'SHA-1', c)).toBe(false); // wrong key length
  });
});

describe('ScramServer: RFC test vectors', () => {
  it('RFC 5802 §5 SCRAM-SHA-1', async () => {
    const stored = await deriveScramCredentials('pencil', 'SHA-1', {
      salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'),
      iterations: 4096,
    });
    const srv = new ScramServer({
      hash: 'SHA-1',
      plus: false,
      serverSupportsPlus: false,
      serverNonce: '3rfcNHYJY1ZVvWVs7j',
      lookup: async (u) => (u === 'user' ? stored : undefined),
    });
    const first = await srv.clientFirst(b('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    expect(first).toEqual({
      challenge: b('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'),
    });
    const final = srv.clientFinal(
      b('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='),
    );
    expect(final).toEqual({ success: b('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='), username: 'user' });
  });

  it('RFC 7677 §3 SCRAM-SHA-256', async () => {
    const stored = await deriveScramCredentials('pencil', 'SHA-256', {
      salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      iterations: 4096,
    });
    const srv = new ScramServer({
      hash: 'SHA-256',
      plus: false,
      serverSupportsPlus: false,
      serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
      lookup: async (u) => (u === 'user' ? stored : undefined),
    });
    const first = await srv.clientFirst(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(first).toEqual({
      challenge: b(
        'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
      ),
    });
    const final = srv.clientFinal(
      b(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    );
    expect(final).toEqual({
      success: b('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
      username: 'user',
    });
  });
});

describe.each(['SHA-1', 'SHA-256'] as const)('ScramServer %s', (hash) => {
  it('authenticates with the right password and a random nonce', async () => {
    const srv = server(hash);
    const { first, serverFirst, final } = await exchange(srv, hash);
    expect('challenge' in first).toBe(true);
    const attrs = serverFirst!.split(',');
    const serverPart = attrs[0]!.slice('r=clientnonce123'.length);
    expect(Buffer.from(serverPart, 'base64')).toHaveLength(24);
    expect(final).toMatchObject({ username: 'user' });
    const withoutProof = `c=biws,${attrs[0]}`;
    const authMessage = `n=user,r=clientnonce123,${serverFirst},${withoutProof}`;
    const s = (await creds('pencil', hash)).salt;
    expect((final as { success: Buffer }).success.toString()).toBe(
      `v=${expectedServerSignature(hash, 'pencil', authMessage, s, 4096)}`,
    );
  });

  it('rejects a wrong password', async () => {
    const { final } = await exchange(server(hash), hash, { password: 'pen' });
    expect(final).toEqual({ failure: 'not-authorized' });
  });

  it('decodes =2C and =3D and SASLpreps the username', async () => {
    const users = { 'a,b=c': 'pencil', 'x y': 'pencil' };
    const r1 = await exchange(server(hash, {}, users), hash, { username: 'a=2Cb=3Dc' });
    expect(r1.final).toMatchObject({ username: 'a,b=c' });
    const r2 = await exchange(server(hash, {}, users), hash, { username: 'x\u00a0y' });
    expect(r2.final).toMatchObject({ username: 'x y' });
  });

  it('passes the prepared username to lookup', async () => {
    const lookup = vi.fn(async () => undefined);
    await server(hash, { lookup }).clientFirst(b('n,,n=us\u00ader,r=abc'));
    expect(lookup).toHaveBeenCalledWith('user');
  });

  it('fails unknown users only at the end, with stable fake salts', async () => {
    const srv1 = server(hash);
    const r1 = await exchange(srv1, hash, { username: 'ghost' });
    expect('challenge' in r1.first).toBe(true);
    expect(r1.final).toEqual({ failure: 'not-authorized' });
    const r2 = await exchange(server(hash), hash, { username: 'ghost' });
    const salt = (sf: string) => sf.split(',')[1];
    const iters = (sf: string) => sf.split(',')[2];
    expect(salt(r2.serverFirst!)).toBe(salt(r1.serverFirst!));
    expect(iters(r1.serverFirst!)).toBe('i=4096');
    expect(Buffer.from(salt(r1.serverFirst!)!.slice(2), 'base64')).toHaveLength(16);
    const r3 = await exchange(server(hash), hash, { username: 'phantom' });
    expect(salt(r3.serverFirst!)).not.toBe(salt(r1.serverFirst!));
  });

  it('uses a supplied secret for fake salts', async () => {
    const secret = b('persistent secret');
    const a = await server(hash, { fakeCredentialSecret: secret }).clientFirst(b('n,,n=ghost,r=x'));
    const c = await server(hash, { fakeCredentialSecret: secret }).clientFirst(b('n,,n=ghost,r=y'));
    const d = await server(hash).clientFirst(b('n,,n=ghost,r=y'));
    const salt = (r: unknown) => (r as { challenge: Buffer }).challenge.toString().split(',')[1];
    expect(salt(a)).toBe(salt(c));
    expect(salt(a)).not.toBe(salt(d));
  });

  it('maps lookup errors and corrupt credentials to temporary-auth-failure', async () => {
    const throwing = server(hash, {
      lookup: async () => {
        throw new Error('db down');
      },
    });
    expect(await throwing.clientFirst(b('n,,n=user,r=abc'))).toEqual({ failure: 'temporary-auth-failure' });
    const wrongHash = server(hash, {
      lookup: () => creds('pencil', hash === 'SHA-1' ? 'SHA-256' : 'SHA-1'),
    });
    expect(await wrongHash.clientFirst(b('n,,n=user,r=abc'))).toEqual({ failure: 'temporary-auth-failure' });
  });

  describe('channel binding', () => {
    const cbValue = { type: 'tls-exporter', data: b('exporter-bytes-0123456789abcdef') };
    const cb = (type: string) => (type === cbValue.type ? cbValue.data : undefined);

    it('accepts a matching binding with -PLUS', async () => {
      const srv = server(hash, { plus: true, channelBinding: cb });
      const { final } = await exchange(srv, hash, { gs2: 'p=tls-exporter,,', cbData: cbValue.data });
      expect(final).toMatchObject({ username: 'user' });
    });

    it('rejects mismatching binding data', async () => {
      const srv = server(hash, { plus: true, channelBinding: cb });
      const { final } = await exchange(srv, hash, { gs2: 'p=tls-exporter,,', cbData: b('other') });
      expect(final).toEqual({ failure: 'not-authorized' });
    });

    it('rejects c= without the binding data under -PLUS', async () => {
      const srv = server(hash, { plus: true, channelBinding: cb });
      const { final } = await exchange(srv, hash, { gs2: 'p=tls-exporter,,' });
      expect(final).toEqual({ failure: 'not-authorized' });
    });

    it('rejects a binding type we did not offer', async () => {
      const srv = server(hash, { plus: true, channelBinding: cb });
      const { first } = await exchange(srv, hash, { gs2: 'p=tls-unique,,', cbData: cbValue.data });
      expect(first).toEqual({ failure: 'not-authorized' });
    });

    it('rejects -PLUS without p=, and p= without -PLUS', async () => {
      const plus = server(hash, { plus: true, channelBinding: cb });
      expect((await exchange(plus, hash, { gs2: 'n,,' })).first).toEqual({ failure: 'malformed-request' });
      const plain = server(hash, { channelBinding: cb, serverSupportsPlus: true });
      const r = await exchange(plain, hash, { gs2: 'p=tls-exporter,,', cbData: cbValue.data });
      expect(r.first).toEqual({ failure: 'malformed-request' });
    });

    it('rejects -PLUS when the server has no binding data', async () => {
      const srv = server(hash, { plus: true });
      const { first } = await exchange(srv, hash, { gs2: 'p=tls-exporter,,', cbData: cbValue.data });
      expect(first).toEqual({ failure: 'not-authorized' });
    });

    it('detects a downgrade: "y" while we offer -PLUS', async () => {
      const srv = server(hash, { serverSupportsPlus: true });
      const { first } = await exchange(srv, hash, { gs2: 'y,,' });
      expect(first).toEqual({ failure: 'not-authorized' });
      // Default: offering is inferred from available binding data.
      const inferred = new ScramServer({
        hash,
        plus: false,
        channelBinding: cb,
        lookup: async () => creds('pencil', hash),
      });
      expect((await exchange(inferred, hash, { gs2: 'y,,' })).first).toEqual({ failure: 'not-authorized' });
    });

    it('accepts "y" when we offer no -PLUS, and checks c= covers it', async () => {
      const ok = await exchange(server(hash), hash, { gs2: 'y,,' });
      expect(ok.final).toMatchObject({ username: 'user' });
      // Client claims "y" in the header but "n" in c=.
      const bad = await exchange(server(hash), hash, {
        gs2: 'y,,',
        tamper: (w) => w.replace(/^c=[^,]*/, 'c=biws'),
      });
      expect(bad.final).toEqual({ failure: 'not-authorized' });
    });
  });

  describe('authzid', () => {
    it('accepts the username itself or its bare JID', async () => {
      for (const a of ['user', 'user@example.com', 'USER@Example.COM']) {
        const srv = server(hash, { domain: 'example.com' });
        const { final } = await exchange(srv, hash, { gs2: `n,a=${a},` });
        expect(final, a).toMatchObject({ username: 'user' });
      }
    });

    it('rejects anyone else', async () => {
      for (const a of ['admin', 'admin@example.com', 'user@example.org', 'user@example.com/res', '@@']) {
        const srv = server(hash, { domain: 'example.com' });
        const { first } = await exchange(srv, hash, { gs2: `n,a=${a},` });
        expect(first, a).toEqual({ failure: 'invalid-authzid' });
      }
      // Without a domain only the plain username is acceptable.
      const { first } = await exchange(server(hash), hash, { gs2: 'n,a=user@example.com,' });
      expect(first).toEqual({ failure: 'invalid-authzid' });
    });
  });

  describe('malformed input', () => {
    const badFirst = [
      '',
      'n',
      'n,',
      'x,,n=user,r=abc',
      'n,,',
      'n,,n=user',
      'n,,r=abc,n=user',
      'n,,n=,r=abc',
      'n,,n=user,r=',
      'n,,n=us=er,r=abc',
      'n,,n=us=2cer,r=abc',
      'n,,m=ext,n=user,r=abc',
      'n,,n=user,r=a,bc',
      'n,b=x,n=user,r=abc',
      'n,a=,n=user,r=abc',
      'p=,,n=user,r=abc',
      'p=tls unique,,n=user,r=abc',
      'n,,n=user,r=abc,',
      'n,,n=user,r=abc,1=x',
      'n,,n=us\u0000er,r=abc',
      'n,,n=\u0007,r=abc',
      'n,,n=\u00ad,r=abc',
    ];

    it.each(badFirst)('client-first %j', async (msg) => {
      expect(await server(hash).clientFirst(b(msg))).toEqual({ failure: 'malformed-request' });
    });

    it('rejects invalid UTF-8', async () => {
      const msg = Buffer.concat([b('n,,n='), Buffer.from([0xc3, 0x28]), b(',r=abc')]);
      expect(await server(hash).clientFirst(msg)).toEqual({ failure: 'malformed-request' });
    });

    it('accepts and ignores extensions', async () => {
      const srv = server(hash);
      expect('challenge' in (await srv.clientFirst(b('n,,n=user,r=abc,x=ext')))).toBe(true);
    });

    const badFinal = (nonce: string, proof: string): string[] => [
      '',
      'c=biws',
      `c=biws,r=${nonce}`,
      `r=${nonce},c=biws,p=${proof}`,
      `c=biws,p=${proof},r=${nonce}`,
      `c=bi@s,r=${nonce},p=${proof}`,
      `c=biws,r=${nonce},p=${proof.slice(4)}`,
      `c=biws,r=${nonce},p=!!!!`,
      `c=biws,r=${nonce},p=`,
      `c=biws,r=${nonce},=x,p=${proof}`,
      `c=biws,r=${nonce},p=${proof},`,
    ];

    it('client-final', async () => {
      const proof = Buffer.alloc(hash === 'SHA-1' ? 20 : 32).toString('base64');
      const probe = await server(hash).clientFirst(b('n,,n=user,r=abc'));
      const nonce = (probe as { challenge: Buffer }).challenge.toString().split(',')[0]!.slice(2);
      for (const msg of badFinal(nonce, proof)) {
        const srv = server(hash, { serverNonce: nonce.slice(3) });
        await srv.clientFirst(b('n,,n=user,r=abc'));
        expect(srv.clientFinal(b(msg)), msg).toEqual({ failure: 'malformed-request' });
      }
    });

    it('rejects a wrong nonce', async () => {
      const { final } = await exchange(server(hash), hash, {
        tamper: (w) => w.replace(/,r=.*/, ',r=clientnonce123forged'),
      });
      expect(final).toEqual({ failure: 'not-authorized' });
    });

    it('enforces step order and single use', async () => {
      const srv = server(hash);
      expect(srv.clientFinal(b('c=biws,r=x,p=AAAA'))).toEqual({ failure: 'malformed-request' });
      expect(await srv.clientFirst(b('n,,n=user,r=abc'))).toEqual({ failure: 'malformed-request' });

      const srv2 = server(hash);
      const { final } = await exchange(srv2, hash);
      expect(final).toMatchObject({ username: 'user' });
      expect(await srv2.clientFirst(b('n,,n=user,r=abc'))).toEqual({ failure: 'malformed-request' });

      const srv3 = server(hash);
      expect(await srv3.clientFirst(b('garbage'))).toEqual({ failure: 'malformed-request' });
      expect(await srv3.clientFirst(b('n,,n=user,r=abc'))).toEqual({ failure: 'malformed-request' });
    });

    it('never throws on random input', async () => {
      for (let i = 0; i < 200; i++) {
        const srv = server(hash);
        const junk = Buffer.from(Array.from({ length: i % 40 }, (_, j) => (i * 31 + j * 17) % 256));
        await expect(srv.clientFirst(junk)).resolves.toHaveProperty('failure');
        const srv2 = server(hash);
        await srv2.clientFirst(b('n,,n=user,r=abc'));
        expect(() => srv2.clientFinal(junk)).not.toThrow();
      }
    });
  });
});

describe('ScramServer constructor', () => {
  it('rejects an invalid injected server nonce', () => {
    expect(() => server('SHA-1', { serverNonce: 'a,b' })).toThrow(TypeError);
  });
});
