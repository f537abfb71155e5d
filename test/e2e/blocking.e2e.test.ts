/**
 * The blocking command through real clients: Juliet (two sessions) blocks
 * Romeo; his messages and IQs bounce as if she were offline, hers to him are
 * refused, the change is pushed to her session that asked for the list, and
 * unblocking restores delivery.
 *
 * References: XEP-0191 §3.2–3.5.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';

const BLOCKING = 'urn:xmpp:blocking';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

let server: TestServer;
let romeo: TestClient;
let balcony: TestClient;
let chamber: TestClient;
let ids = 0;
const id = () => `b-${++ids}`;

beforeAll(async () => {
  server = await startTestServer();
  await server.createUser('romeo', 'r0meo-pass');
  await server.createUser('juliet', 'jul1et-pass');
  romeo = await connect(server, { username: 'romeo', password: 'r0meo-pass', resource: 'orchard' });
  balcony = await connect(server, { username: 'juliet', password: 'jul1et-pass', resource: 'balcony' });
  chamber = await connect(server, { username: 'juliet', password: 'jul1et-pass', resource: 'chamber', transport: 'ws' });
  // Only the chamber session asks for the blocklist, so only it gets pushes.
  const list = await chamber.iq(xml('iq', { type: 'get', id: id() }, xml('blocklist', { xmlns: BLOCKING })));
  expect(list.getChild('blocklist', BLOCKING)!.getChildren('item')).toHaveLength(0);
});
afterAll(async () => {
  for (const client of [romeo, balcony, chamber]) await client?.stop();
  await server?.stop();
});
beforeEach(() => {
  for (const client of [romeo, balcony, chamber]) client.received.length = 0;
});

const command = (name: 'block' | 'unblock', ...jids: string[]) =>
  xml('iq', { type: 'set', id: id() }, xml(name, { xmlns: BLOCKING }, ...jids.map((jid) => xml('item', { jid }))));
const isPush = (name: string) => (el: XmlElement) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild(name, BLOCKING) !== undefined;
const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: id() }, xml('body', {}, body));
const isErrorFor = (body: string) => (el: XmlElement) => el.name === 'message' && el.attrs.type === 'error' && el.getChildText('body') === body;
const isMessage = (body: string) => (el: XmlElement) => el.name === 'message' && el.attrs.type !== 'error' && el.getChildText('body') === body;

describe('blocking Romeo', () => {
  it('answers the block and pushes it to the session that requested the list', async () => {
    const result = await balcony.iq(command('block', 'romeo@localhost'));
    expect(result.attrs.type).toBe('result');
    const push = await chamber.waitFor(isPush('block'), 5000, 'block push');
    expect(push.getChild('block', BLOCKING)!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['romeo@localhost']);
    await balcony.expectNothing(isPush('block'));

    const list = await balcony.iq(xml('iq', { type: 'get', id: id() }, xml('blocklist', { xmlns: BLOCKING })));
    expect(list.getChild('blocklist', BLOCKING)!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['romeo@localhost']);
  });

  it("bounces Romeo's messages with service-unavailable and Juliet receives nothing", async () => {
    await romeo.send(chat('juliet@localhost/balcony', 'To the full JID'));
    await romeo.send(chat('juliet@localhost', 'To the bare JID'));
    for (const body of ['To the full JID', 'To the bare JID']) {
      const error = await romeo.waitFor(isErrorFor(body), 5000, `bounce of "${body}"`);
      expect(error.getChild('error')!.getChild('service-unavailable', STANZAS)).toBeDefined();
    }
    await balcony.expectNothing((el) => el.name === 'message');
    await chamber.expectNothing((el) => el.name === 'message');
  });

  it("bounces Romeo's IQs to Juliet's bare and full JID with service-unavailable", async () => {
    const vcard = romeo.iq(xml('iq', { type: 'get', to: 'juliet@localhost', id: id() }, xml('vCard', { xmlns: 'vcard-temp' })));
    await expect(vcard).rejects.toMatchObject({ condition: 'service-unavailable' });
    const ping = romeo.iq(xml('iq', { type: 'get', to: 'juliet@localhost/balcony', id: id() }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await expect(ping).rejects.toMatchObject({ condition: 'service-unavailable' });
    await balcony.expectNothing((el) => el.name === 'iq' && el.getChild('ping') !== undefined);
  });

  it("refuses Juliet's messages to Romeo with not-acceptable and <blocked/>", async () => {
    await balcony.send(chat('romeo@localhost/orchard', 'Deny thy father'));
    const error = await balcony.waitFor(isErrorFor('Deny thy father'), 5000, 'blocked error');
    const condition = error.getChild('error')!;
    expect(condition.getChild('not-acceptable', STANZAS)).toBeDefined();
    expect(condition.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined();
    await romeo.expectNothing((el) => el.name === 'message');
  });
});

describe('unblocking', () => {
  it('pushes the unblock and restores delivery both ways', async () => {
    await balcony.iq(command('unblock', 'romeo@localhost'));
    const push = await chamber.waitFor(isPush('unblock'), 5000, 'unblock push');
    expect(push.getChild('unblock', BLOCKING)!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['romeo@localhost']);

    await romeo.send(chat('juliet@localhost/balcony', 'It is my lady'));
    await balcony.waitFor(isMessage('It is my lady'), 5000, 'message from Romeo');
    await balcony.send(chat('romeo@localhost/orchard', 'Ay me'));
    await romeo.waitFor(isMessage('Ay me'), 5000, 'message from Juliet');
  });

  it('unblocks everything with an empty unblock', async () => {
    await balcony.iq(command('block', 'tybalt@localhost', 'capulet.example'));
    await balcony.iq(command('unblock'));
    const push = await chamber.waitFor((el) => isPush('unblock')(el) && el.getChild('unblock', BLOCKING)!.children.length === 0);
    expect(push).toBeDefined();
    const list = await balcony.iq(xml('iq', { type: 'get', id: id() }, xml('blocklist', { xmlns: BLOCKING })));
    expect(list.getChild('blocklist', BLOCKING)!.getChildren('item')).toHaveLength(0);
  });

  it('refuses a block without items and a malformed JID', async () => {
    await expect(balcony.iq(command('block'))).rejects.toMatchObject({ condition: 'bad-request' });
    await expect(balcony.iq(command('block', 'a@b@c'))).rejects.toMatchObject({ condition: 'jid-malformed' });
  });
});

describe('presence towards a subscribed contact', () => {
  it('sends unavailable presence on block and the current presence on unblock', async () => {
    // Juliet's roster says Romeo receives her presence; his says he sees hers.
    const rosters = server.running.server.storage.keyval(server.domain, 'roster');
    await rosters.set('juliet', { version: 1, items: { 'romeo@localhost': { subscription: 'from', groups: [] } } });
    await rosters.set('romeo', { version: 1, items: { 'juliet@localhost': { subscription: 'to', groups: [] } } });
    const fromJuliet = (type: string | undefined) => (el: XmlElement) =>
      el.name === 'presence' && el.attrs.from === 'juliet@localhost/balcony' && el.attrs.type === type;

    await balcony.iq(command('block', 'romeo@localhost'));
    await romeo.waitFor(fromJuliet('unavailable'), 5000, 'unavailable presence from Juliet');

    await balcony.iq(command('unblock', 'romeo@localhost'));
    await romeo.waitFor(fromJuliet(undefined), 5000, 'available presence from Juliet');
  });
});
