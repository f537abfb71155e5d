/**
 * Client state indication with real clients: an inactive phone does not get
 * a contact's presence updates until it goes active, and then only the
 * latest; chat states wait too; a message with a body and a subscription
 * request arrive at once, after what was held, in order; the held queue is
 * bounded. The account's active desktop session is unaffected throughout.
 *
 * References: XEP-0352 §3 (feature, active/inactive), §5.1 (in-order
 * processing); XEP-0085 (chat states); RFC 6121 §3.1 (subscription request).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { RawClient } from './harness/raw-client.js';
import { befriend, isPresence } from './harness/contacts.js';

const CSI = 'urn:xmpp:csi:0';
const CHAT_STATES = 'http://jabber.org/protocol/chatstates';
const ROSTER = 'jabber:iq:roster';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** A logged-in client that also keeps every stanza it receives, in order. */
async function online(username: string, resource: string): Promise<TestClient & { log: XmlElement[] }> {
  const client = await connect(server, { username, password: `${username}-secret`, resource });
  const log: XmlElement[] = [];
  client.xmpp.on('stanza', (el: XmlElement) => log.push(el));
  await client.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
  return Object.assign(client, { log });
}

const withStatus = (from: string, status: string) => (el: XmlElement) =>
  isPresence(from)(el) && el.getChildText('status') === status;

/** Sends a CSI nonza; the ping after it returns once the server has handled it (in-order processing). */
async function indicate(client: TestClient, state: 'active' | 'inactive'): Promise<void> {
  await client.send(xml(state, { xmlns: CSI }));
  await client.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

const status = (text: string) => xml('presence', {}, xml('status', {}, text));
const chatState = (to: string, state: string) => xml('message', { to, type: 'chat' }, xml(state, { xmlns: CHAT_STATES }));

/** Alice's phone and desk, and Bob, subscribed to each other. */
async function scene() {
  const [a, b] = await server.createFreshUsers('alice', 'bob');
  const phone = await online(a!, 'phone');
  const bob = await online(b!, 'desk');
  await befriend(phone, bob);
  const desk = await online(a!, 'desk');
  await desk.waitFor(isPresence(bob.jid));
  return { phone, desk, bob };
}

/** Asserts that nothing matching arrived since `before` (an index into the log), after a pause. */
async function nothingSince(client: { log: XmlElement[] }, before: number, match: (el: XmlElement) => boolean): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  expect(client.log.slice(before).filter(match).map(String)).toEqual([]);
}

async function stopAll(...clients: TestClient[]): Promise<void> {
  for (const client of clients) await client.stop();
}

describe('client state indication', () => {
  it('advertises csi after authentication', async () => {
    const [a] = await server.createFreshUsers('alice');
    const raw = await RawClient.connect(server);
    await raw.openStream();
    await raw.startTls();
    expect(await raw.authenticate(a!, `${a}-secret`)).toContain(`<csi xmlns='${CSI}'/>`);
    raw.close();
  });

  it('holds presence updates for an inactive session, then sends only the latest', async () => {
    const { phone, desk, bob } = await scene();
    await indicate(phone, 'inactive');
    const before = phone.log.length;
    for (const text of ['one', 'two', 'three']) await bob.send(status(text));

    await desk.waitFor(withStatus(bob.jid, 'three'));
    await nothingSince(phone, before, isPresence(bob.jid));

    await indicate(phone, 'active');
    await phone.waitFor(withStatus(bob.jid, 'three'));
    const fromBob = phone.log.slice(before).filter(isPresence(bob.jid));
    expect(fromBob.map((el) => el.getChildText('status'))).toEqual(['three']);
    // Active again: updates flow at once.
    await bob.send(status('four'));
    await phone.waitFor(withStatus(bob.jid, 'four'), 1000);
    await stopAll(phone, desk, bob);
  });

  it('delivers a message with a body at once, after what was held, in order', async () => {
    const { phone, desk, bob } = await scene();
    await indicate(phone, 'inactive');
    const before = phone.log.length;
    await bob.send(chatState(phone.jid, 'composing'));
    await bob.send(status('typing'));
    await nothingSince(phone, before, (el) => el.attrs.from === bob.jid);

    await bob.send(xml('message', { to: phone.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'hello')));
    await phone.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'hello', 1000);
    const arrived = phone.log.slice(before).filter((el) => el.attrs.from === bob.jid);
    expect(arrived.map((el) => (el.name === 'presence' ? 'presence' : el.getChild('composing', CHAT_STATES) ? 'composing' : 'body'))).toEqual([
      'composing',
      'presence',
      'body',
    ]);
    await stopAll(phone, desk, bob);
  });

  it('delivers a subscription request at once', async () => {
    const { phone, desk, bob } = await scene();
    const [c] = await server.createFreshUsers('carol');
    const carol = await online(c!, 'desk');
    await indicate(phone, 'inactive');
    await carol.send(xml('presence', { to: phone.bareJid, type: 'subscribe' }));
    await phone.waitFor(isPresence(carol.bareJid, 'subscribe'), 1000);
    await stopAll(phone, desk, bob, carol);
  });

  it('releases everything once more than 100 stanzas are held', async () => {
    const { phone, desk, bob } = await scene();
    await indicate(phone, 'inactive');
    const before = phone.log.length;
    const states = ['composing', 'paused'];
    for (let i = 0; i < 100; i++) await bob.send(chatState(phone.jid, states[i % 2]!));
    await nothingSince(phone, before, (el) => el.name === 'message');
    await bob.send(chatState(phone.jid, 'active'));
    await phone.waitFor((el) => el.name === 'message' && el.getChild('active', CHAT_STATES) !== undefined, 2000);
    expect(phone.log.filter((el) => el.name === 'message' && el.attrs.from === bob.jid)).toHaveLength(101);
    await stopAll(phone, desk, bob);
  });
});
