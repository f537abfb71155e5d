/**
 * Logging in over every transport and SASL mechanism, and the failures a
 * client must be told about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, makeClient, xml, type Transport } from './harness/client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.createUser('romeo', 'r0meo-pass');
  await server.createUser('juliet', 'jul1et-pass');
});
afterAll(() => server.stop());

describe.each<Transport>(['starttls', 'tls', 'ws'])('over %s', (transport) => {
  const mechanisms = transport === 'ws' ? (['SCRAM-SHA-1'] as const) : (['SCRAM-SHA-1', 'PLAIN'] as const);
  it.each(mechanisms)('logs in with %s and binds the requested resource', async (mechanism) => {
    const romeo = await connect(server, { username: 'romeo', password: 'r0meo-pass', transport, mechanism, resource: 'balcony' });
    expect(romeo.jid).toBe('romeo@localhost/balcony');
    await romeo.stop();
  });

  it('rejects a wrong password with not-authorized', async () => {
    const xmpp = makeClient(server, { username: 'romeo', password: 'wrong', transport });
    xmpp.on('error', () => {});
    await expect(xmpp.start()).rejects.toMatchObject({ condition: 'not-authorized' });
    await xmpp.stop().catch(() => {});
  });
});

it('refuses PLAIN without TLS with encryption-required', async () => {
  const xmpp = makeClient(server, { username: 'romeo', password: 'r0meo-pass', transport: 'ws', mechanism: 'PLAIN' });
  xmpp.on('error', () => {});
  await expect(xmpp.start()).rejects.toMatchObject({ condition: 'encryption-required' });
  await xmpp.stop().catch(() => {});
});

it('delivers a message to a full JID', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'r0meo-pass' });
  const juliet = await connect(server, { username: 'juliet', password: 'jul1et-pass', transport: 'ws' });
  await romeo.send(xml('message', { to: juliet.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'Wherefore art thou?')));
  const got = await juliet.waitFor((el) => el.name === 'message');
  expect(got.attrs.from).toBe(romeo.jid);
  expect(got.getChildText('body')).toBe('Wherefore art thou?');
  await romeo.stop();
  await juliet.stop();
});
