/**
 * What users see of each other across two Perch servers, Florence and
 * Siena (dialback): a blocklist on Florence holds against a Siena user
 * (messages and IQs bounce, presence stops both ways); a Siena user's PEP
 * publish reaches a Florence contact whose caps ask for it (Siena learns
 * those caps by asking the Florence client across servers); a message from
 * Siena waits offline on Florence; and one to a Florence session is copied
 * to the account's other carbons-enabled session.
 *
 * References: XEP-0191 §3.3; XEP-0163 §4 (notifications to contacts'
 * resources by caps); XEP-0115 §5.4 (asking an entity for its caps);
 * XEP-0160 (offline messages); XEP-0280 §5 (received carbons); XEP-0203.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { befriend, isPresence } from './harness/contacts.js';
import { connectWithCaps } from './harness/caps-client.js';
import { PUBSUB, PUBSUB_EVENT } from './harness/pubsub.js';
import { startFederation } from './harness/s2s.js';
import type { RosterApi } from '../../src/modules/roster/index.js';
import type { TestServer } from './harness/start-server.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const BLOCKING = 'urn:xmpp:blocking';
const BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';
const CARBONS = 'urn:xmpp:carbons:2';
const FORWARD = 'urn:xmpp:forward:0';
const NICK = 'http://jabber.org/protocol/nick';
let florence: TestServer;
let siena: TestServer;

beforeAll(async () => {
  [florence, siena] = await startFederation([
    { domain: 'florence.test', s2s: { secure: false } },
    { domain: 'siena.test', s2s: { secure: false } },
  ]);
});
afterAll(async () => {
  await florence?.stop();
  await siena?.stop();
});

/** A fresh Lorenzo on Florence and Caterina on Siena (usernames only; password `<name>-secret`). */
async function strangers(): Promise<[string, string]> {
  const [lorenzo] = await florence.createFreshUsers('lorenzo');
  const [caterina] = await siena.createFreshUsers('caterina');
  return [lorenzo, caterina];
}

const login = (server: TestServer, username: string, resource?: string) => connect(server, { username, password: `${username}-secret`, resource });
const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body));
const withBody = (body: string) => (el: XmlElement) => el.name === 'message' && el.attrs.type !== 'error' && el.getChildText('body') === body;
const errorFor = (id: string) => (el: XmlElement) => el.attrs.id === id && el.attrs.type === 'error';
const condition = (el: XmlElement) =>
  el.getChild('error')?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === STANZAS)?.name;
const blockCommand = (name: 'block' | 'unblock', jid: string) => xml('iq', { type: 'set' }, xml(name, { xmlns: BLOCKING }, xml('item', { jid })));

describe('blocking a user of another server', () => {
  let lorenzo: TestClient;
  let caterina: TestClient;

  beforeAll(async () => {
    const [l, c] = await strangers();
    [lorenzo, caterina] = await Promise.all([login(florence, l, 'palazzo'), login(siena, c, 'campo')]);
    await befriend(lorenzo, caterina);
    await lorenzo.iq(blockCommand('block', caterina.bareJid));
  });
  afterAll(async () => {
    await lorenzo?.stop();
    await caterina?.stop();
  });

  it("bounces her messages and IQs (bare and full JID) with service-unavailable; he receives nothing", async () => {
    await caterina.send(chat(lorenzo.bareJid, 'to-bare'));
    await caterina.send(chat(lorenzo.jid, 'to-full'));
    for (const id of ['to-bare', 'to-full']) expect(condition(await caterina.waitFor(errorFor(id)))).toBe('service-unavailable');
    // vcard-temp answers IQs to a bare JID before the generic iq/bare event: the arrival check must come first.
    const vcard = caterina.iq(xml('iq', { type: 'get', to: lorenzo.bareJid }, xml('vCard', { xmlns: 'vcard-temp' })));
    await expect(vcard).rejects.toMatchObject({ condition: 'service-unavailable' });
    const pubsub = caterina.iq(xml('iq', { type: 'get', to: lorenzo.bareJid }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: NICK }))));
    await expect(pubsub).rejects.toMatchObject({ condition: 'service-unavailable' });
    const ping = caterina.iq(xml('iq', { type: 'get', to: lorenzo.jid }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await expect(ping).rejects.toMatchObject({ condition: 'service-unavailable' });
    await lorenzo.expectNothing((el) => el.name === 'message' || (el.name === 'iq' && el.attrs.from === caterina.jid));
  });

  it('stops presence both ways, and refuses his messages to her with <blocked/>', async () => {
    await caterina.send(xml('presence', {}, xml('show', {}, 'away')));
    await lorenzo.send(xml('presence', {}, xml('show', {}, 'dnd')));
    await lorenzo.send(chat(caterina.jid, 'from-blocker'));
    const refused = await lorenzo.waitFor(errorFor('from-blocker'));
    expect(condition(refused)).toBe('not-acceptable');
    expect(refused.getChild('error')?.getChild('blocked', BLOCKING_ERRORS)).toBeDefined();
    await Promise.all([
      lorenzo.expectNothing((el) => isPresence(caterina.jid)(el) && el.getChildText('show') === 'away'),
      caterina.expectNothing((el) => (isPresence(lorenzo.jid)(el) && el.getChildText('show') === 'dnd') || withBody('from-blocker')(el)),
    ]);
  });

  it('lets her through again once unblocked', async () => {
    await lorenzo.iq(blockCommand('unblock', caterina.bareJid));
    await caterina.send(chat(lorenzo.bareJid, 'after-unblock'));
    expect((await lorenzo.waitFor(withBody('after-unblock'))).attrs.from).toBe(caterina.jid);
  });
});

it("delivers a Siena user's PEP items to a Florence contact whose caps ask for them: the last one at login, then live", async () => {
  const [l, c] = await strangers();
  const roster = (server: TestServer) => server.running.server.hosts.get(server.domain)!.modules.get('roster') as RosterApi;
  await roster(florence).update(l, `${c}@siena.test`, () => ({ subscription: 'both', groups: [] }));
  await roster(siena).update(c, `${l}@florence.test`, () => ({ subscription: 'both', groups: [] }));
  const caterina = await connectWithCaps(siena, { username: c, password: `${c}-secret`, resource: 'campo', features: [] });
  const publishNick = (nick: string) => {
    const item = xml('item', { id: 'current' }, xml('nick', { xmlns: NICK }, nick));
    return caterina.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: NICK }, item))));
  };
  const nickEvent = (nick: string) => (el: XmlElement) =>
    el.name === 'message' &&
    el.attrs.from === caterina.bareJid &&
    el.getChild('event', PUBSUB_EVENT)?.getChild('items')?.getChild('item')?.getChildText('nick', NICK) === nick;
  await publishNick('La Tigre');

  const lorenzo = await connectWithCaps(florence, { username: l, password: `${l}-secret`, resource: 'palazzo', features: [`${NICK}+notify`] });
  // His presence reaches Siena, which asks his client for its caps across servers (XEP-0115 §5.4) and sends the last item.
  expect((await lorenzo.waitFor(nickEvent('La Tigre'))).attrs.to).toBe(lorenzo.jid);
  expect(lorenzo.capsQueries.map((q) => q.attrs.from)).toContain('siena.test');
  await publishNick('Madonna di Forlì');
  expect((await lorenzo.waitFor(nickEvent('Madonna di Forlì'))).attrs.to).toBe(lorenzo.jid);
  await Promise.all([caterina.stop(), lorenzo.stop()]);
});

it('keeps a message from Siena for an offline Florence account and delivers it at login', async () => {
  const [l, c] = await strangers();
  const caterina = await login(siena, c);
  await caterina.send(chat(`${l}@florence.test`, 'while-you-slept'));
  await caterina.expectNothing(errorFor('while-you-slept'));
  const lorenzo = await login(florence, l);
  const stored = await lorenzo.waitFor(withBody('while-you-slept'));
  expect(stored.attrs.from).toBe(caterina.jid);
  expect(stored.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
  await Promise.all([caterina.stop(), lorenzo.stop()]);
});

it("copies a Siena user's message to a Florence session to the account's other carbons-enabled session", async () => {
  const [l, c] = await strangers();
  const caterina = await login(siena, c);
  const [palazzo, villa] = await Promise.all([login(florence, l, 'palazzo'), login(florence, l, 'villa')]);
  for (const session of [palazzo, villa]) await session.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })));
  await caterina.send(chat(palazzo.jid, 'for-the-palazzo'));
  expect((await palazzo.waitFor(withBody('for-the-palazzo'))).attrs.from).toBe(caterina.jid);
  const copy = await villa.waitFor((el) => el.getChild('received', CARBONS) !== undefined);
  expect(copy.attrs.from).toBe(villa.bareJid);
  const inner = copy.getChild('received', CARBONS)?.getChild('forwarded', FORWARD)?.getChild('message');
  expect(inner?.attrs).toMatchObject({ from: caterina.jid, to: palazzo.jid });
  expect(inner?.getChildText('body')).toBe('for-the-palazzo');
  await Promise.all([caterina.stop(), palazzo.stop(), villa.stop()]);
});
