/**
 * In-band registration over real sockets: account creation before
 * authentication (raw stream, since client libraries log in first), then
 * password change and account removal with @xmpp/client and a raw stream;
 * and a server with registration disabled.
 *
 * References: XEP-0077 §3.1–3.3, §8 (stream feature).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, makeClient, xml } from './harness/client.js';
import { RawClient } from './harness/raw-client.js';

const REGISTER_FEATURE = "<register xmlns='http://jabber.org/features/iq-register'/>";
const query = (body = '') => `<query xmlns='jabber:iq:register'>${body}</query>`;
const registerSet = (id: string, username: string, password: string) =>
  `<iq type='set' id='${id}'>${query(`<username>${username}</username><password>${password}</password>`)}</iq>`;

/** Waits for the reply to IQ `id`; resolves with its type and, for errors, the condition. */
async function reply(raw: RawClient, id: string): Promise<{ type?: string; condition?: string; text: string }> {
  const [text] = await raw.waitFor(new RegExp(`<iq\\b[^>]*\\bid='${id}'[^>]*?(?:/>|>[\\s\\S]*?</iq>)`));
  const type = /^<iq\b[^>]*\btype='([a-z]+)'/.exec(text)?.[1];
  const condition = /<([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/.exec(text)?.[1];
  return { type, condition, text };
}

/** Resolves when login fails, with the error's condition. */
async function loginFails(server: TestServer, username: string, password: string): Promise<string | undefined> {
  const xmpp = makeClient(server, { username, password });
  xmpp.on('error', () => {});
  try {
    await xmpp.start();
    await xmpp.stop();
    return undefined;
  } catch (err) {
    await xmpp.stop().catch(() => {});
    return (err as { condition?: string }).condition;
  }
}

describe('with registration enabled', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ registration: { enabled: true } });
    await server.createUser('romeo', 'r0meo-pass');
  });
  afterAll(() => server?.stop());

  it('offers registration only on an encrypted stream, and creates one account per stream', async () => {
    const raw = await RawClient.connect(server);
    try {
      expect(await raw.openStream()).not.toContain(REGISTER_FEATURE);
      expect(await raw.startTls()).toContain(REGISTER_FEATURE);

      raw.send(`<iq type='get' id='reg1' to='localhost'>${query()}</iq>`);
      const { text: form } = await reply(raw, 'reg1');
      expect(form).toContain('<username/>');
      expect(form).toContain('<password/>');

      raw.send(registerSet('reg2', 'benvolio', 'b3nvolio-pass'));
      expect((await reply(raw, 'reg2')).type).toBe('result');
      raw.send(registerSet('reg3', 'mercutio', 'm3rcutio-pass'));
      expect((await reply(raw, 'reg3')).condition).toBe('not-acceptable');
    } finally {
      raw.close();
    }
    const benvolio = await connect(server, { username: 'benvolio', password: 'b3nvolio-pass' });
    expect(benvolio.bareJid).toBe('benvolio@localhost');
    await benvolio.stop();
  });

  it('refuses a taken username, an invalid one and missing fields', async () => {
    const raw = await RawClient.connect(server);
    try {
      await raw.openStream();
      await raw.startTls();
      raw.send(registerSet('c1', 'romeo', 'another-pass'));
      expect((await reply(raw, 'c1')).condition).toBe('conflict');
      raw.send(registerSet('c2', 'bad@name', 'some-pass'));
      expect((await reply(raw, 'c2')).condition).toBe('jid-malformed');
      raw.send(`<iq type='set' id='c3'>${query('<username>paris</username><password/>')}</iq>`);
      expect((await reply(raw, 'c3')).condition).toBe('not-acceptable');
    } finally {
      raw.close();
    }
  });

  it('closes the stream with not-authorized for any other IQ before authentication', async () => {
    const raw = await RawClient.connect(server);
    try {
      await raw.openStream();
      await raw.startTls();
      raw.send(`<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`);
      await raw.waitFor(/<stream:error><not-authorized/);
      await raw.waitForClose();
    } finally {
      raw.close();
    }
  });

  it('changes the password of the logged-in account', async () => {
    await server.createUser('friar', 'old-pass');
    const friar = await connect(server, { username: 'friar', password: 'old-pass' });
    const change = xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'friar'), xml('password', {}, 'new-pass'));
    const result = await friar.iq(xml('iq', { type: 'set', to: 'localhost', id: 'pw1' }, change));
    expect(result.attrs.type).toBe('result');
    const info = await friar.iq(xml('iq', { type: 'get', to: 'localhost', id: 'pw2' }, xml('query', { xmlns: 'jabber:iq:register' })));
    expect(info.getChild('query', 'jabber:iq:register')!.getChild('registered')).toBeDefined();
    await friar.stop();

    expect(await loginFails(server, 'friar', 'old-pass')).toBe('not-authorized');
    const again = await connect(server, { username: 'friar', password: 'new-pass' });
    await again.stop();
  });

  it('removes the account: result, then not-authorized on every stream of it', async () => {
    await server.createUser('tybalt', 'tyb4lt-pass');
    const other = await RawClient.connect(server);
    const raw = await RawClient.connect(server);
    try {
      await other.login('tybalt', 'tyb4lt-pass', 'street');
      await raw.login('tybalt', 'tyb4lt-pass', 'piazza');
      raw.send(`<iq type='set' id='unreg1'>${query('<remove/>')}</iq>`);
      expect((await reply(raw, 'unreg1')).type).toBe('result');
      await raw.waitFor(/<stream:error><not-authorized/);
      await other.waitFor(/<stream:error><not-authorized/);
      await raw.waitForClose();
    } finally {
      raw.close();
      other.close();
    }
    expect(await server.running.server.accounts.exists('tybalt', 'localhost')).toBe(false);
    expect(await loginFails(server, 'tybalt', 'tyb4lt-pass')).toBe('not-authorized');
  });
});

describe('with registration disabled', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('offers no feature and answers service-unavailable, keeping the stream open', async () => {
    const raw = await RawClient.connect(server);
    try {
      await raw.openStream();
      expect(await raw.startTls()).not.toContain('iq-register');
      raw.send(`<iq type='get' id='d1'>${query()}</iq>`);
      expect((await reply(raw, 'd1')).condition).toBe('service-unavailable');
      raw.send(registerSet('d2', 'paris', 'p4ris-pass'));
      expect((await reply(raw, 'd2')).condition).toBe('service-unavailable');
      expect(raw.isClosed).toBe(false);
    } finally {
      raw.close();
    }
    expect(await server.running.server.accounts.exists('paris', 'localhost')).toBe(false);
  });
});
