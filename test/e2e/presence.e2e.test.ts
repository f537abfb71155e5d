/**
 * Presence and subscriptions with real clients, as Romeo/Juliet
 * transcripts: the full handshake in both directions, presence updates and
 * probes, requests to an offline contact, directed presence, unsubscribing
 * and cancelling, an account's own resources, pre-approval, and refused
 * presence types.
 *
 * References: RFC 6121 §3 (subscriptions), §4 (presence), §2.5.2 (roster
 * removal), §3.4 (pre-approval), Appendix A.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, TestClient, xml, type XmlElement } from './harness/client.js';

const ROSTER = 'jabber:iq:roster';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** Logs in, sends initial presence and fetches the roster (which also waits until the presence was handled). */
async function online(username: string, resource?: string): Promise<TestClient> {
  const client = await connect(server, { username, password: `${username}-secret`, resource });
  await client.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
  return client;
}

const bare = (username: string) => `${username}@localhost`;

function presenceFrom(from: string, type?: string, check: (el: XmlElement) => boolean = () => true) {
  return (el: XmlElement) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type && check(el);
}

/** A roster push for `jid` with this subscription (and ask, when given). */
function pushOf(jid: string, subscription: string, extra: Record<string, string | undefined> = {}) {
  return (el: XmlElement) => {
    const item = el.name === 'iq' && el.attrs.type === 'set' ? el.getChild('query', ROSTER)?.getChild('item') : undefined;
    if (!item || item.attrs.jid !== jid || item.attrs.subscription !== subscription) return false;
    return Object.entries(extra).every(([k, v]) => item.attrs[k] === v);
  };
}

const send = (client: TestClient, attrs: Record<string, string>, ...children: XmlElement[]) => client.send(xml('presence', attrs, ...children));

/** Runs the handshake both ways so each account has the other as "both". */
async function befriend(a: TestClient, b: TestClient): Promise<void> {
  for (const [asker, approver] of [
    [a, b],
    [b, a],
  ]) {
    await send(asker, { to: approver.bareJid, type: 'subscribe' });
    await approver.waitFor(presenceFrom(asker.bareJid, 'subscribe'));
    await send(approver, { to: asker.bareJid, type: 'subscribed' });
    await asker.waitFor(presenceFrom(approver.bareJid, 'subscribed'));
  }
  await a.waitFor(pushOf(b.bareJid, 'both'));
  await b.waitFor(pushOf(a.bareJid, 'both'));
}

describe('subscription handshake', () => {
  it('romeo and juliet subscribe to each other and exchange presence', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r, 'garden');
    const juliet = await online(j, 'balcony');

    await send(romeo, { to: bare(j), type: 'subscribe' });
    await romeo.waitFor(pushOf(bare(j), 'none', { ask: 'subscribe' }));
    const request = await juliet.waitFor(presenceFrom(bare(r), 'subscribe'));
    expect(request.attrs.to).toBe(bare(j));

    await send(juliet, { to: bare(r), type: 'subscribed' });
    await juliet.waitFor(pushOf(bare(r), 'from'));
    await romeo.waitFor(pushOf(bare(j), 'to', { ask: undefined }));
    await romeo.waitFor(presenceFrom(bare(j), 'subscribed'));
    await romeo.waitFor(presenceFrom(juliet.jid, undefined));

    await send(juliet, { to: bare(r), type: 'subscribe' });
    await juliet.waitFor(pushOf(bare(r), 'from', { ask: 'subscribe' }));
    await romeo.waitFor(presenceFrom(bare(j), 'subscribe'));
    await send(romeo, { to: bare(j), type: 'subscribed' });
    await romeo.waitFor(pushOf(bare(j), 'both'));
    await juliet.waitFor(pushOf(bare(r), 'both'));
    await juliet.waitFor(presenceFrom(romeo.jid, undefined));

    // Updates reach subscribers with their show and status.
    await send(romeo, {}, xml('show', {}, 'away'), xml('status', {}, 'Under the balcony'));
    const update = await juliet.waitFor(presenceFrom(romeo.jid, undefined, (el) => el.getChildText('show') === 'away'));
    expect(update.getChildText('status')).toBe('Under the balcony');

    // Going offline is announced; logging in again probes juliet, who is online.
    await romeo.stop();
    await juliet.waitFor(presenceFrom(romeo.jid, 'unavailable'));
    const again = await online(r, 'orchard');
    await again.waitFor(presenceFrom(juliet.jid, undefined));
    await juliet.waitFor(presenceFrom(again.jid, undefined));

    await again.stop();
    await juliet.stop();
  });

  it('keeps a request for an offline contact and shows it at each login until answered', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    await send(romeo, { to: bare(j), type: 'subscribe' }, xml('status', {}, 'It is I'));
    await romeo.waitFor(pushOf(bare(j), 'none', { ask: 'subscribe' }));

    const first = await online(j);
    const request = await first.waitFor(presenceFrom(bare(r), 'subscribe'));
    expect(request.getChildText('status')).toBe('It is I');
    await first.stop();

    const second = await online(j);
    await second.waitFor(presenceFrom(bare(r), 'subscribe'));
    await send(second, { to: bare(r), type: 'subscribed' });
    await romeo.waitFor(pushOf(bare(j), 'to'));
    await second.stop();

    const third = await online(j);
    await third.expectNothing(presenceFrom(bare(r), 'subscribe'));
    await third.stop();
    await romeo.stop();
  });

  it('answers a repeated request from a subscriber without asking the contact again', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    const juliet = await online(j);
    await send(romeo, { to: bare(j), type: 'subscribe' });
    await juliet.waitFor(presenceFrom(bare(r), 'subscribe'));
    await send(juliet, { to: bare(r), type: 'subscribed' });
    await romeo.waitFor(pushOf(bare(j), 'to'));
    await romeo.waitFor(presenceFrom(juliet.jid, undefined));

    // RFC 6121 §3.1.3: juliet's server answers for her and resends her presence.
    await send(romeo, { to: bare(j), type: 'subscribe' });
    await romeo.waitFor(presenceFrom(juliet.jid, undefined));
    await juliet.expectNothing(presenceFrom(bare(r), 'subscribe'));
    await romeo.stop();
    await juliet.stop();
  });
});

describe('ending subscriptions', () => {
  it('unsubscribe stops the sender\'s subscription on both rosters', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    const juliet = await online(j);
    await befriend(romeo, juliet);

    await send(romeo, { to: bare(j), type: 'unsubscribe' });
    await romeo.waitFor(pushOf(bare(j), 'from'));
    await juliet.waitFor(pushOf(bare(r), 'to'));
    await juliet.waitFor(presenceFrom(bare(r), 'unsubscribe'));
    // Juliet no longer shares her presence, so romeo is told she is gone.
    await romeo.waitFor(presenceFrom(juliet.jid, 'unavailable'));
    await romeo.stop();
    await juliet.stop();
  });

  it('unsubscribed cancels the contact\'s subscription on both rosters', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    const juliet = await online(j);
    await befriend(romeo, juliet);

    await send(juliet, { to: bare(r), type: 'unsubscribed' });
    await juliet.waitFor(pushOf(bare(r), 'to'));
    await romeo.waitFor(pushOf(bare(j), 'from'));
    await romeo.waitFor(presenceFrom(bare(j), 'unsubscribed'));
    await romeo.waitFor(presenceFrom(juliet.jid, 'unavailable'));

    // Romeo cancels juliet's subscription in turn; then his updates reach nobody.
    await send(romeo, { to: bare(j), type: 'unsubscribed' });
    await romeo.waitFor(pushOf(bare(j), 'none'));
    await juliet.waitFor(pushOf(bare(r), 'none'));
    await send(romeo, {}, xml('status', {}, 'alone'));
    await juliet.expectNothing(presenceFrom(romeo.jid, undefined, (el) => el.getChildText('status') === 'alone'));
    await romeo.stop();
    await juliet.stop();
  });

  it('denying a request leaves the asker with no subscription', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    const juliet = await online(j);
    await send(romeo, { to: bare(j), type: 'subscribe' });
    await juliet.waitFor(presenceFrom(bare(r), 'subscribe'));
    await send(juliet, { to: bare(r), type: 'unsubscribed' });
    await romeo.waitFor(pushOf(bare(j), 'none', { ask: undefined }));
    await romeo.waitFor(presenceFrom(bare(j), 'unsubscribed'));
    await romeo.stop();
    await juliet.stop();
  });

  it('removing a roster item cancels both directions (RFC 6121 §2.5.2)', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    const juliet = await online(j);
    await befriend(romeo, juliet);

    await romeo.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: bare(j), subscription: 'remove' }))));
    await romeo.waitFor(pushOf(bare(j), 'remove'));
    await juliet.waitFor(presenceFrom(romeo.jid, 'unavailable'));
    await juliet.waitFor(presenceFrom(bare(r), 'unsubscribe'));
    await juliet.waitFor(presenceFrom(bare(r), 'unsubscribed'));
    await juliet.waitFor(pushOf(bare(r), 'none'));
    await romeo.stop();
    await juliet.stop();
  });
});

describe('presence without subscriptions', () => {
  it('directed presence reaches a non-contact, who is told when the session ends', async () => {
    const [r, n] = await server.createFreshUsers('romeo', 'nurse');
    const romeo = await online(r);
    const nurse = await online(n);
    await send(romeo, { to: nurse.jid }, xml('status', {}, 'A word, good nurse'));
    const directed = await nurse.waitFor(presenceFrom(romeo.jid, undefined));
    expect(directed.getChildText('status')).toBe('A word, good nurse');
    // Broadcasts are not directed presence: the nurse is no subscriber.
    await send(romeo, {}, xml('status', {}, 'broadcast'));
    await nurse.expectNothing(presenceFrom(romeo.jid, undefined, (el) => el.getChildText('status') === 'broadcast'));
    await romeo.stop();
    await nurse.waitFor(presenceFrom(romeo.jid, 'unavailable'));
    await nurse.stop();
  });

  it('the resources of one account see each other come, change and go', async () => {
    const [r] = await server.createFreshUsers('romeo');
    const garden = await online(r, 'garden');
    const orchard = await online(r, 'orchard');
    await garden.waitFor(presenceFrom(orchard.jid, undefined));
    await orchard.waitFor(presenceFrom(garden.jid, undefined));
    await send(orchard, {}, xml('show', {}, 'dnd'));
    await garden.waitFor(presenceFrom(orchard.jid, undefined, (el) => el.getChildText('show') === 'dnd'));
    await orchard.stop();
    await garden.waitFor(presenceFrom(orchard.jid, 'unavailable'));
    await garden.stop();
  });

  it('a probe from a non-subscriber reveals nothing', async () => {
    const [r, j] = await server.createFreshUsers('romeo', 'juliet');
    const romeo = await online(r);
    const juliet = await online(j);
    await send(romeo, { to: bare(j), type: 'probe' });
    // Juliet's server answers "unsubscribed" (§4.3.2), which romeo's server
    // absorbs because romeo never asked for a subscription (A.3.4).
    await romeo.expectNothing((el) => el.name === 'presence' && el.attrs.from?.startsWith(bare(j)));
    await romeo.stop();
    await juliet.stop();
  });
});

it('pre-approval lets a later request through without asking (RFC 6121 §3.4)', async () => {
  const [r, j] = await server.createFreshUsers('romeo', 'juliet');
  const romeo = await online(r);
  const juliet = await online(j);
  await send(juliet, { to: bare(r), type: 'subscribed' });
  await juliet.waitFor(pushOf(bare(r), 'none', { approved: 'true' }));
  await romeo.expectNothing(presenceFrom(bare(j), 'subscribed'));

  await send(romeo, { to: bare(j), type: 'subscribe' });
  await romeo.waitFor(presenceFrom(bare(j), 'subscribed'));
  await romeo.waitFor(pushOf(bare(j), 'to'));
  await romeo.waitFor(presenceFrom(juliet.jid, undefined));
  await juliet.waitFor(pushOf(bare(r), 'from', { approved: undefined }));
  await juliet.expectNothing(presenceFrom(bare(r), 'subscribe'));
  await romeo.stop();
  await juliet.stop();
});

it('refuses an unknown presence type with bad-request', async () => {
  const [r, j] = await server.createFreshUsers('romeo', 'juliet');
  const romeo = await online(r);
  await send(romeo, { to: bare(j), type: 'hug', id: 'p1' });
  await send(romeo, { type: 'wave', id: 'p2' });
  for (const id of ['p1', 'p2']) {
    const error = await romeo.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.id === id);
    expect(error.getChild('error')!.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  }
  await romeo.stop();
});
