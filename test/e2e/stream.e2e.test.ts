/**
 * Bad input at the stream level: each case ends with the RFC 6120 stream
 * error a client can act on, and the server keeps serving other clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { RawClient } from './harness/raw-client.js';
import { connect, xml } from './harness/client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    auth: { allow_plain_without_tls: true },
    limits: { max_stanza_size: 8192, rate_bytes_per_second: 4096, rate_burst_bytes: 32768, handshake_timeout: 1.5, idle_timeout: 1 },
  });
  await server.createUser('romeo', 'pw');
  await server.createUser('juliet', 'pw');
});
afterAll(() => server.stop());

/** After every bad-input case, a real client still logs in and chats. */
async function serverStillServes(): Promise<void> {
  const romeo = await connect(server, { username: 'romeo', password: 'pw', resource: 'check' });
  const pong = await romeo.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  expect(pong.attrs.type).toBe('result');
  await romeo.stop();
}

async function expectStreamError(input: string[], condition: string): Promise<void> {
  const raw = await RawClient.connect(server);
  for (const part of input) raw.send(part);
  expect(await raw.streamError()).toBe(condition);
  raw.close();
}

describe('restricted and malformed XML', () => {
  const header = () => RawClient.header(server.domain);

  it('closes on malformed XML with not-well-formed', async () => {
    await expectStreamError([header(), '<message><body>hi</message>'], 'not-well-formed');
    await serverStillServes();
  });

  it('refuses a DTD with restricted-xml', async () => {
    await expectStreamError(
      [`<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol 'lol'>]>`, header().replace("<?xml version='1.0'?>", '')],
      'restricted-xml',
    );
    await serverStillServes();
  });

  it('refuses comments and processing instructions with restricted-xml', async () => {
    await expectStreamError([header(), '<!-- hello -->'], 'restricted-xml');
    await expectStreamError([header(), "<?php echo 'x' ?>"], 'restricted-xml');
  });

  it('refuses undefined entities with not-well-formed', async () => {
    await expectStreamError([header(), '<message><body>&xxe;</body></message>'], 'not-well-formed');
  });

  it('closes on an oversized stanza with policy-violation', async () => {
    await expectStreamError([header(), `<message><body>${'a'.repeat(9000)}</body></message>`], 'policy-violation');
    await serverStillServes();
  });

  it('closes on a stanza that never ends with policy-violation', async () => {
    const raw = await RawClient.connect(server);
    raw.send(header() + "<message><body xml:lang='");
    for (let i = 0; i < 5; i++) raw.send('b'.repeat(4000));
    expect(await raw.streamError()).toBe('policy-violation');
  });
});

describe('stream headers', () => {
  it('answers an unknown host with host-unknown', async () => {
    await expectStreamError([RawClient.header('nowhere.example')], 'host-unknown');
  });

  it('answers a wrong namespace with invalid-namespace', async () => {
    await expectStreamError(
      [`<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='${server.domain}' version='1.0'>`],
      'invalid-namespace',
    );
  });

  it('answers a missing version with unsupported-version', async () => {
    await expectStreamError(
      [`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${server.domain}'>`],
      'unsupported-version',
    );
  });

  it('offers STARTTLS and SCRAM mechanisms before authentication', async () => {
    const raw = await RawClient.connect(server);
    const features = await raw.openStream();
    expect(features).toContain("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    expect(features).toContain('<mechanism>SCRAM-SHA-256</mechanism>');
    expect(features).toContain('<mechanism>SCRAM-SHA-1</mechanism>');
    raw.close();
  });
});

describe('stanzas out of place', () => {
  it('closes with not-authorized for a stanza before authentication', async () => {
    await expectStreamError([RawClient.header(server.domain), "<message to='juliet@localhost'><body>x</body></message>"], 'not-authorized');
  });

  it('closes with unsupported-stanza-type for an unknown top-level element', async () => {
    const raw = await RawClient.connect(server);
    await raw.login('romeo', 'pw');
    raw.send("<foo xmlns='urn:example:unknown'/>");
    expect(await raw.streamError()).toBe('unsupported-stanza-type');
  });

  it('closes with invalid-from when a client claims another address', async () => {
    const raw = await RawClient.connect(server);
    await raw.login('romeo', 'pw');
    raw.send("<message from='juliet@localhost/x' to='juliet@localhost'><body>forged</body></message>");
    expect(await raw.streamError()).toBe('invalid-from');
  });

  it('answers an IQ with two payloads with bad-request', async () => {
    const raw = await RawClient.connect(server);
    await raw.login('romeo', 'pw');
    raw.send("<iq type='get' id='two'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>");
    await raw.waitFor(/<iq[^>]*type='error'[^>]*>.*<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/>/);
    raw.close();
  });

  it('answers a malformed to address with jid-malformed', async () => {
    const raw = await RawClient.connect(server);
    await raw.login('romeo', 'pw');
    raw.send("<message to='a@b@c' id='bad-to'><body>x</body></message>");
    await raw.waitFor(/<message[^>]*type='error'[^>]*>.*<jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/>/);
    raw.close();
  });
});

describe('limits and timeouts', () => {
  it('closes a flood with policy-violation', async () => {
    const raw = await RawClient.connect(server);
    await raw.openStream();
    for (let i = 0; i < 20; i++) raw.send(' '.repeat(4000));
    expect(await raw.streamError()).toBe('policy-violation');
    await serverStillServes();
  });

  it('closes a connection that does not finish negotiating with connection-timeout', async () => {
    const raw = await RawClient.connect(server);
    raw.send(RawClient.header(server.domain));
    expect(await raw.streamError(4000)).toBe('connection-timeout');
  });

  it('pings a silent client, and drops it when it stays silent', async () => {
    const raw = await RawClient.connect(server);
    await raw.login('romeo', 'pw', 'silent');
    await raw.waitFor(/<ping xmlns='urn:xmpp:ping'\/>/, 3000);
    expect(await raw.streamError(4000)).toBe('connection-timeout');
  });
});

describe('resource conflicts', () => {
  it('replaces a session that binds the same resource, telling the old one conflict', async () => {
    const first = await connect(server, { username: 'juliet', password: 'pw', resource: 'phone' });
    const conflict = new Promise<string>((resolve) => first.xmpp.on('error', (err: { condition?: string }) => resolve(err.condition ?? '')));
    const second = await connect(server, { username: 'juliet', password: 'pw', resource: 'phone' });
    expect(await conflict).toBe('conflict');
    expect(second.jid).toBe('juliet@localhost/phone');
    const romeo = await connect(server, { username: 'romeo', password: 'pw' });
    await romeo.send(xml('message', { to: 'juliet@localhost/phone', type: 'chat' }, xml('body', {}, 'to the new one')));
    const got = await second.waitFor((el) => el.name === 'message');
    expect(got.getChildText('body')).toBe('to the new one');
    await Promise.all([second.stop(), romeo.stop(), first.stop()]);
  });
});
