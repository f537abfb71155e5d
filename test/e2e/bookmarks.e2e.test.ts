/**
 * Bookmarks across client generations on one account: two XEP-0402
 * sessions (@xmpp/client), a session of an older client that uses the
 * legacy `storage:bookmarks` PEP node, and a legacy XEP-0048 client on
 * private XML storage (slixmpp). Whatever one of them changes, the others
 * see; a contact sees nothing; bad bookmarks are refused and change nothing.
 *
 * References: XEP-0402 §3 (workflow), §5.3 (compatibility), §6 (#compat,
 * #compat-pep); XEP-0048 §3; XEP-0049 §2; XEP-0223.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient, type XmlElement } from './harness/client.js';
import { connectWithCaps, DISCO_INFO, type CapsClient } from './harness/caps-client.js';
import { dumpRun, runDriver } from './harness/slixmpp.js';
import { PUBSUB, PUBSUB_EVENT as EVENT, publishOptions, rejection } from './harness/pubsub.js';
import type { Element } from '../../src/core/xml/element.js';
import type { RosterApi } from '../../src/modules/roster/index.js';
import type { BookmarksApi, BookmarksChangedEvent } from '../../src/modules/bookmarks/index.js';
import type { Host } from '../../src/core/host.js';

const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const LEGACY = 'storage:bookmarks';
const PRIVATE = 'jabber:iq:private';

let server: TestServer;
let host: Host;
let phone: CapsClient; // XEP-0402 client
let laptop: CapsClient; // XEP-0402 client, the account's second session
let oldPep: CapsClient; // a client of the legacy PEP node
let romeo: CapsClient; // a contact who would like juliet's bookmarks
const changes: BookmarksChangedEvent[] = [];
let ids = 0;
const id = () => `bm-${++ids}`;

beforeAll(async () => {
  server = await startTestServer();
  host = server.running.server.hosts.get('localhost')!;
  host.bus.on('bookmarks-changed', (event) => void changes.push(event));
  for (const name of ['juliet', 'romeo', 'nurse']) await server.createUser(name);
  const roster = host.modules.get('roster') as RosterApi;
  await roster.update('juliet', 'romeo@localhost', () => ({ subscription: 'both', groups: [] }));
  await roster.update('romeo', 'juliet@localhost', () => ({ subscription: 'both', groups: [] }));
  const login = (username: string, resource: string, features: string[]) =>
    connectWithCaps(server, { username, password: `${username}-secret`, resource, features });
  phone = await login('juliet', 'phone', [`${BOOKMARKS}+notify`]);
  laptop = await login('juliet', 'laptop', [`${BOOKMARKS}+notify`]);
  oldPep = await login('juliet', 'old', [`${LEGACY}+notify`]);
  romeo = await login('romeo', 'orchard', [`${BOOKMARKS}+notify`, `${LEGACY}+notify`]);
});
afterAll(async () => {
  for (const client of [phone, laptop, oldPep, romeo]) await client?.stop();
  await server?.stop();
});

const BOOKMARK_OPTIONS = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};

function conference(name: string, nick: string, autojoin = 'true', ...extra: XmlElement[]) {
  return xml('conference', { xmlns: BOOKMARKS, name, autojoin }, xml('nick', {}, nick), ...extra);
}

function publishBookmark(client: TestClient, room: string, payload: XmlElement, options: Record<string, string> = BOOKMARK_OPTIONS) {
  const publish = xml('publish', { node: BOOKMARKS }, xml('item', { id: room }, payload));
  return client.iq(xml('iq', { type: 'set', id: id() }, xml('pubsub', { xmlns: PUBSUB }, publish, publishOptions(options))));
}

async function items(client: TestClient, node: string, to?: string): Promise<XmlElement[]> {
  const result = await client.iq(xml('iq', { type: 'get', id: id(), to }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node }))));
  return result.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
}

const roomsOf = async (client: TestClient) => (await items(client, BOOKMARKS)).map((i) => i.attrs.id).sort();

/** A notification on `node` whose items satisfy `check`. */
function event(node: string, check: (items: XmlElement) => boolean) {
  return (el: XmlElement) => {
    const items = el.name === 'message' ? el.getChild('event', EVENT)?.getChild('items') : undefined;
    return el.attrs.from === 'juliet@localhost' && items?.attrs.node === node && check(items);
  };
}
const publishes = (room: string) => (items: XmlElement) => items.getChildren('item').some((i) => i.attrs.id === room);
const retracts = (room: string) => (items: XmlElement) => items.getChildren('retract').some((r) => r.attrs.id === room);
const legacyListing = (room: string, present = true) => (items: XmlElement) => {
  const storage = items.getChild('item')?.getChild('storage', LEGACY);
  return storage !== undefined && storage.getChildren('conference').some((c) => c.attrs.jid === room) === present;
};

/** The legacy client: one slixmpp login running private storage requests. */
async function legacyClient(...steps: { iq: string }[]) {
  const result = await runDriver(server, { username: 'juliet', password: 'juliet-secret', resource: 'legacy', scenario: steps });
  expect(result.code, dumpRun(result)).toBe(0);
  return result;
}
const privateGet = (iqId: string) => ({ iq: `<iq type='get' id='${iqId}'><query xmlns='${PRIVATE}'><storage xmlns='${LEGACY}'/></query></iq>` });
const privateSet = (iqId: string, storage: string) => ({ iq: `<iq type='set' id='${iqId}'><query xmlns='${PRIVATE}'>${storage}</query></iq>` });
const legacyConferences = (reply: Element) => reply.getChild('query', PRIVATE)!.getChild('storage', LEGACY)!.getChildren('conference');

describe('discovery', () => {
  it('advertises both compatibility paths on the account', async () => {
    const info = (await phone.iq(xml('iq', { type: 'get', id: id(), to: 'juliet@localhost' }, xml('query', { xmlns: DISCO_INFO })))).getChild('query')!;
    const features = info.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([`${BOOKMARKS}#compat`, `${BOOKMARKS}#compat-pep`, `${PUBSUB}#publish-options`, `${PUBSUB}#config-node-max`]));
  });
});

describe('XEP-0402 first', () => {
  it("reaches the account's other session, the legacy PEP client and the legacy private-storage client", async () => {
    const extensions = xml('extensions', {}, xml('state', { xmlns: 'urn:example:ext' }));
    await publishBookmark(phone, 'theplay@conference.localhost', conference('The Play', 'JC', 'true', xml('password', {}, 'Gl0b3'), extensions));

    // The publishing session is notified too (XEP-0163 §4: all the owner's interested resources).
    await phone.waitFor(event(BOOKMARKS, publishes('theplay@conference.localhost')));
    const pushed = await laptop.waitFor(event(BOOKMARKS, publishes('theplay@conference.localhost')));
    const c = pushed.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('conference', BOOKMARKS)!;
    expect(c.attrs.name).toBe('The Play');
    expect(c.getChildText('nick')).toBe('JC');
    await oldPep.waitFor(event(LEGACY, legacyListing('theplay@conference.localhost')));
    await romeo.expectNothing(event(BOOKMARKS, () => true));
    await romeo.expectNothing(event(LEGACY, () => true), 0);

    const result = await legacyClient(privateGet('get1'));
    const [legacy] = legacyConferences(result.reply('get1'));
    expect(legacy.attrs).toMatchObject({ jid: 'theplay@conference.localhost', name: 'The Play', autojoin: 'true' });
    expect(legacy.getChildText('nick')).toBe('JC');
    expect(legacy.getChildText('password')).toBe('Gl0b3');
    expect(changes.at(-1)?.bookmarks.map((b) => b.jid)).toEqual(['theplay@conference.localhost']);
  });
});

describe('legacy private storage first (#compat)', () => {
  it('a legacy set replaces the XEP-0402 items, notifying only what changed, and keeps URLs for legacy clients', async () => {
    const storage =
      `<storage xmlns='${LEGACY}'>` +
      `<conference jid='theplay@conference.localhost' name='The Play' autojoin='true'><nick>JC</nick><password>Gl0b3</password></conference>` +
      `<conference jid='orchard@conference.localhost' name='The Orchard' autojoin='false'><nick>Juliet</nick></conference>` +
      `<url name='Site' url='https://capulet.example'/></storage>`;
    const result = await legacyClient(privateSet('set1', storage), privateGet('get2'));
    expect(result.reply('set1').attrs.type).toBe('result');
    expect(legacyConferences(result.reply('get2')).map((c) => c.attrs.jid).sort()).toEqual(['orchard@conference.localhost', 'theplay@conference.localhost']);
    expect(result.reply('get2').getChild('query', PRIVATE)!.getChild('storage', LEGACY)!.getChild('url')?.attrs.url).toBe('https://capulet.example');

    const pushed = await phone.waitFor(event(BOOKMARKS, publishes('orchard@conference.localhost')));
    expect(pushed.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('conference', BOOKMARKS)!.getChildText('nick')).toBe('Juliet');
    await laptop.waitFor(event(BOOKMARKS, publishes('orchard@conference.localhost')));
    await oldPep.waitFor(event(LEGACY, legacyListing('orchard@conference.localhost')));
    // The unchanged bookmark is not announced again, and keeps its XEP-0402 extensions.
    await phone.expectNothing(event(BOOKMARKS, publishes('theplay@conference.localhost')));
    expect(await roomsOf(phone)).toEqual(['orchard@conference.localhost', 'theplay@conference.localhost']);
    const theplay = (await items(phone, BOOKMARKS)).find((i) => i.attrs.id === 'theplay@conference.localhost')!;
    expect(theplay.getChild('conference', BOOKMARKS)!.getChild('extensions')!.getChild('state', 'urn:example:ext')).toBeDefined();
  });

  it('a legacy set without a bookmark retracts it for XEP-0402 clients', async () => {
    const storage = `<storage xmlns='${LEGACY}'><conference jid='orchard@conference.localhost' name='The Orchard'><nick>Juliet</nick></conference></storage>`;
    await legacyClient(privateSet('set2', storage));
    await laptop.waitFor(event(BOOKMARKS, retracts('theplay@conference.localhost')));
    await oldPep.waitFor(event(LEGACY, legacyListing('theplay@conference.localhost', false)));
    expect(await roomsOf(laptop)).toEqual(['orchard@conference.localhost']);
  });
});

describe('legacy PEP node (#compat-pep)', () => {
  it('a legacy PEP publish rewrites the XEP-0402 items', async () => {
    const storage = xml(
      'storage',
      { xmlns: LEGACY },
      xml('conference', { jid: 'orchard@conference.localhost', name: 'The Orchard' }, xml('nick', {}, 'Juliet')),
      xml('conference', { jid: 'tomb@conference.localhost', name: 'The Tomb', autojoin: '1' }, xml('nick', {}, 'J')),
    );
    const options = publishOptions({ 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' });
    await oldPep.iq(xml('iq', { type: 'set', id: id() }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: LEGACY }, xml('item', { id: 'current' }, storage)), options)));

    const pushed = await phone.waitFor(event(BOOKMARKS, publishes('tomb@conference.localhost')));
    expect(pushed.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('conference', BOOKMARKS)!.attrs.autojoin).toBe('true');
    expect(await roomsOf(laptop)).toEqual(['orchard@conference.localhost', 'tomb@conference.localhost']);
    const result = await legacyClient(privateGet('get3'));
    expect(legacyConferences(result.reply('get3')).map((c) => c.attrs.jid).sort()).toEqual(['orchard@conference.localhost', 'tomb@conference.localhost']);
  });

  it('an XEP-0402 retraction reaches the legacy PEP node', async () => {
    await phone.iq(xml('iq', { type: 'set', id: id() }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: BOOKMARKS, notify: 'true' }, xml('item', { id: 'tomb@conference.localhost' })))));
    await laptop.waitFor(event(BOOKMARKS, retracts('tomb@conference.localhost')));
    await oldPep.waitFor(event(LEGACY, legacyListing('tomb@conference.localhost', false)));
    const legacy = (await items(oldPep, LEGACY))[0].getChild('storage', LEGACY)!;
    expect(legacy.getChildren('conference').map((c) => c.attrs.jid)).toEqual(['orchard@conference.localhost']);
    const api = host.modules.get('bookmarks') as BookmarksApi;
    expect((await api.list('juliet')).map((b) => b.jid)).toEqual(['orchard@conference.localhost']);
  });
});

describe('bad input', () => {
  it('refuses payloads that are not bookmarks and ids that are not room JIDs, changing nothing', async () => {
    const notConference = await rejection(publishBookmark(phone, 'x@conference.localhost', xml('note', { xmlns: 'urn:example:note' })));
    expect(notConference.condition).toBe('bad-request');
    expect(notConference.application?.name).toBe('invalid-payload');
    const badId = await rejection(publishBookmark(phone, 'not a room', conference('Bad', 'B')));
    expect(badId.application?.name).toBe('invalid-payload');
    const badLegacy = await rejection(
      oldPep.iq(xml('iq', { type: 'set', id: id() }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: LEGACY }, xml('item', { id: 'current' }, xml('bookmarks', { xmlns: 'urn:example' })))))),
    );
    expect(badLegacy.application?.name).toBe('invalid-payload');
    expect(await roomsOf(phone)).toEqual(['orchard@conference.localhost']);
  });

  it('refuses publish-options that would make the node readable by others', async () => {
    const refused = await rejection(publishBookmark(phone, 'open@conference.localhost', conference('Open', 'O'), { ...BOOKMARK_OPTIONS, 'pubsub#access_model': 'open' }));
    expect(refused.condition).toBe('conflict');
    expect(refused.application?.name).toBe('precondition-not-met');
    expect(await roomsOf(phone)).toEqual(['orchard@conference.localhost']);
  });

  it("keeps a contact out of the account's bookmarks", async () => {
    const read = await rejection(items(romeo, BOOKMARKS, 'juliet@localhost'));
    expect(read.condition).toBe('not-allowed');
    const write = await rejection(
      romeo.iq(xml('iq', { type: 'set', id: id(), to: 'juliet@localhost' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: BOOKMARKS }, xml('item', { id: 'evil@conference.localhost' }, conference('Evil', 'E')))))),
    );
    expect(write.condition).toBe('forbidden');
    expect(await roomsOf(phone)).toEqual(['orchard@conference.localhost']);
  });
});

describe('adopting bookmarks stored before', () => {
  it('turns an account’s old private-storage bookmarks into XEP-0402 items at its first login', async () => {
    const fragments = server.running.server.storage.map<string>('localhost', 'fragments');
    await fragments.set('nurse', `storage|${LEGACY}`, `<storage xmlns='${LEGACY}'><conference jid='kitchen@conference.localhost' autojoin='true' name='Kitchen'/></storage>`);
    const nurse = await connectWithCaps(server, { username: 'nurse', password: 'nurse-secret', resource: 'r', features: [] });
    try {
      expect(await roomsOf(nurse)).toEqual(['kitchen@conference.localhost']);
      expect(await fragments.get('nurse', `storage|${LEGACY}`)).toBeUndefined();
    } finally {
      await nurse.stop();
    }
  });
});
