/**
 * PEP through real clients: Juliet publishes on her account's pubsub
 * service; her other session and her contact Romeo get notifications only
 * when their caps ask for them (the server learns caps by asking the
 * clients), Romeo reads what the access model lets him, Tybalt (a stranger)
 * does not; nodes are configured, purged and deleted; private nodes stay
 * private; avatars and nicknames work as plain PEP; bad requests change
 * nothing.
 *
 * References: XEP-0163 §3–§6; XEP-0060 §6.5, §7.1, §7.2, §8.2, §8.4, §8.5;
 * XEP-0223; XEP-0084 §4; XEP-0172 §4; XEP-0115.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { connectWithCaps, DISCO_INFO, type CapsClient } from './harness/caps-client.js';
import { form, NODE_CONFIG, PUBSUB, PUBSUB_EVENT as EVENT, PUBSUB_OWNER as OWNER, publishOptions, rejection } from './harness/pubsub.js';
import type { RosterApi } from '../../src/modules/roster/index.js';

const ERRORS = 'http://jabber.org/protocol/pubsub#errors';
const TUNE = 'http://jabber.org/protocol/tune';
const NICK = 'http://jabber.org/protocol/nick';
const AVATAR_DATA = 'urn:xmpp:avatar:data';
const AVATAR_META = 'urn:xmpp:avatar:metadata';

let server: TestServer;
let juliet: CapsClient; // wants tune and nick notifications
let julietQuiet: CapsClient; // Juliet's second session: caps without +notify
let romeo: CapsClient; // contact with "both": wants avatar metadata, nick and tune
let nurse: CapsClient; // contact with "both", caps without any +notify
let tybalt: TestClient; // no subscription
let ids = 0;
const id = () => `pep-${++ids}`;

beforeAll(async () => {
  server = await startTestServer();
  for (const name of ['juliet', 'romeo', 'nurse', 'tybalt']) await server.createUser(name);
  const roster = server.running.server.hosts.get('localhost')!.modules.get('roster') as RosterApi;
  for (const [a, b] of [['juliet', 'romeo'], ['juliet', 'nurse']]) {
    await roster.update(a, `${b}@localhost`, () => ({ subscription: 'both', groups: ['Friends'] }));
    await roster.update(b, `${a}@localhost`, () => ({ subscription: 'both', groups: [] }));
  }
  const login = (username: string, resource: string, features: string[]) =>
    connectWithCaps(server, { username, password: `${username}-secret`, resource, features });
  juliet = await login('juliet', 'balcony', [`${TUNE}+notify`, `${NICK}+notify`, 'urn:example:private+notify', 'urn:example:config+notify']);
  julietQuiet = await login('juliet', 'chamber', [TUNE]);
  romeo = await login('romeo', 'orchard', [`${AVATAR_META}+notify`, `${NICK}+notify`, `${TUNE}+notify`, 'urn:example:private+notify']);
  nurse = await login('nurse', 'kitchen', [AVATAR_META, NICK, TUNE]);
  tybalt = await connect(server, { username: 'tybalt', password: 'tybalt-secret' });
});
afterAll(async () => {
  for (const client of [juliet, julietQuiet, romeo, nurse, tybalt]) await client?.stop();
  await server?.stop();
});

const iq = (type: 'get' | 'set', attrs: Record<string, string>, payload: XmlElement) => xml('iq', { type, id: id(), ...attrs }, payload);
const pubsub = (...children: (XmlElement | undefined)[]) => xml('pubsub', { xmlns: PUBSUB }, ...children);
const owner = (...children: XmlElement[]) => xml('pubsub', { xmlns: OWNER }, ...children);

function publish(client: TestClient, node: string, itemId: string | undefined, payload: XmlElement, options?: XmlElement, to?: string) {
  const item = xml('item', itemId === undefined ? {} : { id: itemId }, payload);
  return client.iq(iq('set', to ? { to } : {}, pubsub(xml('publish', { node }, item), options)));
}

async function items(client: TestClient, node: string, to = 'juliet@localhost', extra: Record<string, string> = {}, ...ask: XmlElement[]) {
  const result = await client.iq(iq('get', { to }, pubsub(xml('items', { node, ...extra }, ...ask))));
  return result.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
}

/** A PEP notification for `node` from Juliet's bare JID, optionally about one item id. */
function eventFor(node: string, check: (items: XmlElement) => boolean = () => true) {
  return (el: XmlElement) => {
    const items = el.name === 'message' ? el.getChild('event', EVENT)?.getChild('items') : undefined;
    return el.attrs.from === 'juliet@localhost' && el.attrs.type === 'headline' && items?.attrs.node === node && check(items);
  };
}
const hasItem = (itemId: string) => (items: XmlElement) => items.getChildren('item').some((i) => i.attrs.id === itemId);

describe('discovery', () => {
  it('shows the account as a PEP service with publish-options', async () => {
    const info = (await juliet.iq(iq('get', { to: 'juliet@localhost' }, xml('query', { xmlns: DISCO_INFO })))).getChild('query')!;
    expect(info.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toEqual(
      expect.arrayContaining(['account/registered', 'pubsub/pep']),
    );
    const features = info.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([`${PUBSUB}#publish-options`, `${PUBSUB}#auto-create`, `${PUBSUB}#access-whitelist`]));
  });
});

describe('publishing and notifications', () => {
  it('publishes, notifies interested sessions (own and contacts) and no one else', async () => {
    const tune = xml('tune', { xmlns: TUNE }, xml('title', {}, 'Introduction'));
    const result = await publish(juliet, TUNE, 'tune-1', tune);
    expect(result.getChild('pubsub', PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id).toBe('tune-1');

    const own = await juliet.waitFor(eventFor(TUNE, hasItem('tune-1')));
    expect(own.attrs.to).toBe(juliet.jid);
    const seen = await romeo.waitFor(eventFor(TUNE, hasItem('tune-1')));
    expect(seen.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('tune', TUNE)!.getChildText('title')).toBe('Introduction');
    await julietQuiet.expectNothing(eventFor(TUNE));
    await nurse.expectNothing(eventFor(TUNE));
    await tybalt.expectNothing(eventFor(TUNE));
    // Each client was asked for its caps, and once only.
    expect(romeo.capsQueries.length).toBe(1);
    expect(romeo.capsQueries[0].getChild('query', DISCO_INFO)!.attrs.node).toBe(`https://perch.test/client#${romeo.ver}`);
  });

  it('keeps items in order with ids, answers max_items and item ids, and retracts with notification', async () => {
    const node = 'urn:example:list';
    await publish(juliet, node, 'a', xml('entry', { xmlns: node }, 'A'), publishOptions({ 'pubsub#max_items': '10' }));
    await publish(juliet, node, 'b', xml('entry', { xmlns: node }, 'B'));
    const generated = await publish(juliet, node, undefined, xml('entry', { xmlns: node }, 'C'));
    const cId = generated.getChild('pubsub', PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id;
    expect(cId).toBeTruthy();
    expect((await items(juliet, node)).map((i) => i.attrs.id)).toEqual(['a', 'b', cId]);
    expect((await items(juliet, node, undefined, { max_items: '1' })).map((i) => i.attrs.id)).toEqual([cId]);
    expect((await items(juliet, node, undefined, {}, xml('item', { id: 'a' }))).map((i) => i.getChild('entry')!.text())).toEqual(['A']);
    // Republishing an id replaces the item and makes it the newest.
    await publish(juliet, node, 'a', xml('entry', { xmlns: node }, 'A2'));
    expect((await items(juliet, node)).map((i) => i.attrs.id)).toEqual(['b', cId, 'a']);

    await juliet.iq(iq('set', {}, pubsub(xml('retract', { node, notify: 'true' }, xml('item', { id: 'b' })))));
    expect((await items(juliet, node)).map((i) => i.attrs.id)).toEqual([cId, 'a']);
    const missing = await rejection(juliet.iq(iq('set', {}, pubsub(xml('retract', { node }, xml('item', { id: 'b' }))))));
    expect(missing.condition).toBe('item-not-found');
  });
});

describe('access models', () => {
  it('presence: a subscribed contact reads, a stranger gets presence-subscription-required', async () => {
    expect((await items(romeo, TUNE)).map((i) => i.attrs.id)).toEqual(['tune-1']);
    const refused = await rejection(items(tybalt, TUNE));
    expect(refused.condition).toBe('not-authorized');
    expect(refused.application?.name).toBe('presence-subscription-required');
  });

  it('whitelist: only the owner', async () => {
    const node = 'urn:example:secret';
    await publish(juliet, node, 'x', xml('secret', { xmlns: node }), publishOptions({ 'pubsub#access_model': 'whitelist' }));
    expect(await items(juliet, node)).toHaveLength(1);
    const refused = await rejection(items(romeo, node));
    expect(refused.condition).toBe('not-allowed');
    expect(refused.application?.name).toBe('closed-node');
  });

  it('open: anyone, and a roster-group node only the allowed group', async () => {
    await publish(juliet, 'urn:example:open', 'o', xml('o', { xmlns: 'urn:example:open' }), publishOptions({ 'pubsub#access_model': 'open' }));
    expect(await items(tybalt, 'urn:example:open')).toHaveLength(1);
  });
});

describe('node discovery', () => {
  const nodesSeenBy = async (client: TestClient) => {
    const result = await client.iq(iq('get', { to: 'juliet@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    return result.getChild('query')!.getChildren('item').map((i) => i.attrs.node);
  };

  it('lists the nodes each requester may read (XEP-0163 §6.2)', async () => {
    const own = await nodesSeenBy(juliet);
    expect(own).toEqual(expect.arrayContaining([TUNE, 'urn:example:secret', 'urn:example:open']));
    const contact = await nodesSeenBy(romeo);
    expect(contact).toEqual(expect.arrayContaining([TUNE, 'urn:example:open']));
    expect(contact).not.toContain('urn:example:secret');
  });
});

describe('publish-options and private PEP (XEP-0223)', () => {
  it('refuses a publish whose options the node does not meet, and stores nothing', async () => {
    const node = 'urn:example:private';
    const options = publishOptions({ 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' });
    await publish(juliet, node, 'p1', xml('data', { xmlns: node }, 'one'), options);
    await juliet.waitFor(eventFor(node, hasItem('p1')));
    // Romeo asked for +notify, but a whitelist node is the owner's alone.
    await romeo.expectNothing(eventFor(node));
    expect((await rejection(items(romeo, node))).condition).toBe('not-allowed');

    const conflict = await rejection(publish(juliet, node, 'p2', xml('data', { xmlns: node }, 'two'), publishOptions({ 'pubsub#access_model': 'presence' })));
    expect(conflict.condition).toBe('conflict');
    expect(conflict.application?.name).toBe('precondition-not-met');
    expect((await items(juliet, node)).map((i) => i.attrs.id)).toEqual(['p1']);
  });
});

describe('node configuration, purge and delete', () => {
  const node = 'urn:example:config';

  it('returns the configuration form and applies a submitted one', async () => {
    for (const n of ['1', '2', '3']) await publish(juliet, node, n, xml('c', { xmlns: node }, n), publishOptions({ 'pubsub#max_items': 'max' }));
    const result = await juliet.iq(iq('get', {}, owner(xml('configure', { node }))));
    const fields = result.getChild('pubsub', OWNER)!.getChild('configure')!.getChild('x', 'jabber:x:data')!.getChildren('field');
    const value = (name: string) => fields.find((f) => f.attrs.var === name)?.getChildText('value');
    expect(value('pubsub#access_model')).toBe('presence');
    expect(value('pubsub#max_items')).toBe('max');

    await juliet.iq(iq('set', {}, owner(xml('configure', { node }, form(NODE_CONFIG, { 'pubsub#max_items': '2' })))));
    expect((await items(juliet, node)).map((i) => i.attrs.id)).toEqual(['2', '3']);
  });

  it('refuses malformed forms, unknown fields and unknown nodes, changing nothing', async () => {
    const noForm = await rejection(juliet.iq(iq('set', {}, owner(xml('configure', { node })))));
    expect(noForm.condition).toBe('bad-request');
    const unknown = await rejection(
      juliet.iq(iq('set', {}, owner(xml('configure', { node }, form(NODE_CONFIG, { 'pubsub#colour': 'red' }))))),
    );
    expect(unknown.condition).toBe('not-acceptable');
    const badValue = await rejection(
      juliet.iq(iq('set', {}, owner(xml('configure', { node }, form(NODE_CONFIG, { 'pubsub#max_items': '-4' }))))),
    );
    expect(badValue.condition).toBe('not-acceptable');
    const wrongType = await rejection(
      juliet.iq(iq('set', {}, owner(xml('configure', { node }, form('urn:example:other-form', { 'pubsub#max_items': '1' }))))),
    );
    expect(wrongType.condition).toBe('bad-request');
    expect((await items(juliet, node)).map((i) => i.attrs.id)).toEqual(['2', '3']);
    expect((await rejection(juliet.iq(iq('get', {}, owner(xml('configure', { node: 'urn:example:none' })))))).condition).toBe('item-not-found');
    expect((await rejection(items(juliet, 'urn:example:none'))).condition).toBe('item-not-found');
  });

  it('purges with a purge notification, then deletes with a delete notification', async () => {
    await juliet.iq(iq('set', {}, owner(xml('purge', { node }))));
    await juliet.waitFor((el) => el.getChild('event', EVENT)?.getChild('purge')?.attrs.node === node);
    expect(await items(juliet, node)).toHaveLength(0);

    await juliet.iq(iq('set', {}, owner(xml('delete', { node }))));
    await juliet.waitFor((el) => el.getChild('event', EVENT)?.getChild('delete')?.attrs.node === node);
    expect((await rejection(items(juliet, node))).condition).toBe('item-not-found');
    expect((await rejection(juliet.iq(iq('set', {}, owner(xml('delete', { node })))))).condition).toBe('item-not-found');
  });
});

describe('avatars (XEP-0084) and nicknames (XEP-0172)', () => {
  it('notifies a contact whose caps ask for avatar metadata, not for the data', async () => {
    const hash = '111f4b3c50d7b0df729d299bc6f8e9ef9066971f';
    await publish(juliet, AVATAR_DATA, hash, xml('data', { xmlns: AVATAR_DATA }, 'aGVsbG8='));
    await publish(juliet, AVATAR_META, hash, xml('metadata', { xmlns: AVATAR_META }, xml('info', { bytes: '5', id: hash, type: 'image/png' })));
    const notification = await romeo.waitFor(eventFor(AVATAR_META, hasItem(hash)));
    const info = notification.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('metadata', AVATAR_META)!.getChild('info')!;
    expect(info.attrs.id).toBe(hash);
    await romeo.expectNothing(eventFor(AVATAR_DATA));
    await nurse.expectNothing(eventFor(AVATAR_META));
    // The contact then fetches the data by id.
    const data = await items(romeo, AVATAR_DATA, undefined, {}, xml('item', { id: hash }));
    expect(data[0].getChildText('data', AVATAR_DATA)).toBe('aGVsbG8=');
  });

  it('sends the last nickname to a contact resource that comes online, with a delay stamp', async () => {
    await publish(juliet, NICK, 'current', xml('nick', { xmlns: NICK }, 'Jules'));
    await romeo.waitFor(eventFor(NICK, hasItem('current')));
    const later = await connectWithCaps(server, { username: 'romeo', password: 'romeo-secret', resource: 'garden', features: [`${NICK}+notify`] });
    try {
      const last = await later.waitFor(eventFor(NICK, hasItem('current')));
      expect(last.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChildText('nick', NICK)).toBe('Jules');
      expect(last.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
      // The avatar metadata is not sent to a client that did not ask for it.
      await later.expectNothing(eventFor(AVATAR_META));
    } finally {
      await later.stop();
    }
  });

  it('sends the last items to an own session that comes online', async () => {
    const second = await connectWithCaps(server, { username: 'juliet', password: 'juliet-secret', resource: 'tomb', features: [`${TUNE}+notify`] });
    try {
      await second.waitFor(eventFor(TUNE, hasItem('tune-1')));
    } finally {
      await second.stop();
    }
  });
});

describe('bad input', () => {
  it("refuses publishing to another account's PEP service, and its owner operations", async () => {
    const forged = await rejection(publish(romeo, TUNE, 'evil', xml('tune', { xmlns: TUNE }), undefined, 'juliet@localhost'));
    expect(forged.condition).toBe('forbidden');
    const purge = await rejection(romeo.iq(iq('set', { to: 'juliet@localhost' }, owner(xml('purge', { node: TUNE })))));
    expect(purge.condition).toBe('forbidden');
    expect((await items(juliet, TUNE)).map((i) => i.attrs.id)).toEqual(['tune-1']);
  });

  it('refuses an oversized item with payload-too-big and stores nothing', async () => {
    const big = xml('tune', { xmlns: TUNE }, xml('title', {}, 'A'.repeat(70 * 1024)));
    const refused = await rejection(publish(juliet, TUNE, 'big', big));
    expect(refused.condition).toBe('not-acceptable');
    expect(refused.application?.name).toBe('payload-too-big');
    expect(refused.application?.attrs.xmlns).toBe(ERRORS);
    expect((await items(juliet, TUNE)).map((i) => i.attrs.id)).toEqual(['tune-1']);
  });

  it('refuses publishes without an item, payload or node', async () => {
    const noItem = await rejection(juliet.iq(iq('set', {}, pubsub(xml('publish', { node: TUNE })))));
    expect(noItem.application?.name).toBe('item-required');
    const noPayload = await rejection(juliet.iq(iq('set', {}, pubsub(xml('publish', { node: TUNE }, xml('item', { id: 'e' }))))));
    expect(noPayload.application?.name).toBe('payload-required');
    const noNode = await rejection(juliet.iq(iq('set', {}, pubsub(xml('publish', {}, xml('item', {}, xml('t', { xmlns: TUNE })))))));
    expect(noNode.application?.name).toBe('nodeid-required');
    const badOptions = await rejection(publish(juliet, TUNE, 'x', xml('tune', { xmlns: TUNE }), xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'bogus' }))));
    expect(badOptions.condition).toBe('bad-request');
    expect((await items(juliet, TUNE)).map((i) => i.attrs.id)).toEqual(['tune-1']);
  });

  it('answers item-not-found for a node that does not exist and conflict when creating one that does', async () => {
    expect((await rejection(items(romeo, 'urn:example:missing'))).condition).toBe('item-not-found');
    const exists = await rejection(juliet.iq(iq('set', {}, pubsub(xml('create', { node: TUNE })))));
    expect(exists.condition).toBe('conflict');
  });

  it('answers service-unavailable for an account that does not exist', async () => {
    expect((await rejection(items(romeo, TUNE, 'nobody@localhost'))).condition).toBe('service-unavailable');
  });

  it('sends nothing to a contact the account blocked (XEP-0163 §4.3.3)', async () => {
    await juliet.iq(iq('set', {}, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'romeo@localhost' }))));
    await publish(juliet, TUNE, 'tune-2', xml('tune', { xmlns: TUNE }, xml('title', {}, 'Unheard')));
    await juliet.waitFor(eventFor(TUNE, hasItem('tune-2')));
    await romeo.expectNothing(eventFor(TUNE, hasItem('tune-2')));
  });
});
