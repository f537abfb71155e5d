/**
 * How a hibernating session ends, with real clients: its timeout runs out
 * (contacts see unavailable, messages it was sent wait offline, a queued IQ
 * is answered with recipient-unavailable), a new login takes its resource
 * (its queue goes offline to the new session), its account is deleted (its
 * queued messages bounce), and a graceful close that never hibernates.
 *
 * References: XEP-0198 §4 (unacknowledged stanzas when a session ends), §5
 * (hibernation timeout), §7 (stream closure); RFC 6120 §7.7.2.2 (conflict);
 * XEP-0077 §3.2 (account removal); XEP-0160 (offline storage).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml } from './harness/client.js';
import { befriend, chat, isMessage, isPresence, smHarness, until } from './harness/stream-management.js';

/** Short, so the expiry test is quick. */
const HIBERNATION_SECONDS = 1.5;

let server: TestServer;
const { accounts, serverSession, online, drained, cut, rawWithSm } = smHarness(() => server);

beforeAll(async () => {
  server = await startTestServer({ stream_management: { hibernation_timeout: HIBERNATION_SECONDS } });
});
afterAll(() => server.stop());

describe('the end of hibernation', () => {
  it('ends the session when hibernation runs out: unavailable to contacts, messages kept offline', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const alice = await online(a!, 'phone');
    const bob = await online(b!, 'desk');
    await befriend(alice, bob);
    await drained(alice);
    // Received by the client but cut before it could be acknowledged.
    await bob.send(chat(alice.jid, 'unacked'));
    await alice.waitFor(isMessage('unacked'));
    await cut(alice);
    await bob.send(chat(alice.jid, 'queued'));
    const question = bob.iq(xml('iq', { type: 'get', to: alice.jid }, xml('query', { xmlns: 'jabber:iq:version' })));
    await bob.expectNothing(isPresence(alice.jid, 'unavailable'), 500);
    await bob.waitFor(isPresence(alice.jid, 'unavailable'), 3000);
    // The IQ waited in the queue; when the session ended it was answered for it.
    await expect(question).rejects.toMatchObject({ condition: 'recipient-unavailable' });

    const later = await online(a!, 'laptop');
    const unacked = await later.waitFor(isMessage('unacked'));
    await later.waitFor(isMessage('queued'));
    expect(unacked.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
    await later.stop();
    await bob.stop();
  });

  it('ends a hibernating session replaced by a new login on its resource; its queue goes offline', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const { raw } = await rawWithSm(a!, 'phone');
    const bob = await online(b!, 'desk');
    // The raw client never acknowledges, so this stays queued.
    await bob.send(chat(`${a}@localhost/phone`, 'unacked'));
    await raw.waitFor(/<body>unacked<\/body>/);
    raw.close();
    await until(() => serverSession(`${a}@localhost/phone`)?.detached === true, 'hibernating');
    const hibernating = serverSession(`${a}@localhost/phone`);
    const again = await online(a!, 'phone');
    expect(hibernating?.closed).toBe(true);
    expect(serverSession(again.jid)).not.toBe(hibernating);
    await again.waitFor(isMessage('unacked'));
    await again.stop();
    await bob.stop();
  });

  it('ends hibernating sessions of a deleted account and bounces their queued messages', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const { raw } = await rawWithSm(a!, 'phone');
    const bob = await online(b!, 'desk');
    raw.close();
    await until(() => serverSession(`${a}@localhost/phone`)?.detached === true, 'hibernating');
    await bob.send(chat(`${a}@localhost/phone`, 'too-late'));
    const desk = await online(a!, 'desk');
    await desk.send(xml('iq', { type: 'set', id: 'bye' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    const bounce = await bob.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'too-late');
    expect(bounce.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(serverSession(`${a}@localhost/phone`)).toBeUndefined();
    await bob.stop();
  });

  it('ends the session at once on a graceful close', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const alice = await online(a!, 'phone');
    const bob = await online(b!, 'desk');
    await befriend(alice, bob);
    await alice.stop();
    await bob.waitFor(isPresence(alice.jid, 'unavailable'), 500);
    expect(serverSession(alice.jid)).toBeUndefined();
    await bob.stop();
  });
});
