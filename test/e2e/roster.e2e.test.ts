/**
 * Roster management with real clients: versioned roster get, set with
 * pushes to every interested resource, the cached-roster shortcut, removal,
 * the roster set error cases, and the stream features announcing roster
 * versioning and pre-approval.
 *
 * References: RFC 6121 §2.1.6 (push), §2.3–2.5 (add, update, delete and
 * their errors), §2.6 and XEP-0237 (versioning), §3.4 (pre-approval feature).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, makeClient, TestClient, xml, type XmlElement } from './harness/client.js';

const ROSTER = 'jabber:iq:roster';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function login(username: string, resource?: string): Promise<TestClient> {
  return connect(server, { username, password: `${username}-secret`, resource });
}

function rosterGet(client: TestClient, ver?: string): Promise<XmlElement> {
  const attrs: Record<string, string> = { xmlns: ROSTER };
  if (ver !== undefined) attrs.ver = ver;
  return client.iq(xml('iq', { type: 'get' }, xml('query', attrs)));
}

function rosterSet(client: TestClient, item: XmlElement): Promise<XmlElement> {
  return client.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, item)));
}

const isPush = (el: XmlElement) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('query', ROSTER) !== undefined;
const pushedItem = (el: XmlElement) => el.getChild('query', ROSTER)!.getChild('item')!;

async function conditionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { condition: string }).condition;
  }
  throw new Error('expected an error reply');
}

describe('roster get, set and remove', () => {
  it('versions the roster and pushes changes to every interested resource', async () => {
    const { jid: romeoJid } = await server.createUser('romeo');
    const orchard = await login('romeo', 'orchard');
    const balcony = await login('romeo', 'balcony');

    const empty = await rosterGet(orchard, '');
    const emptyQuery = empty.getChild('query', ROSTER)!;
    expect(emptyQuery.getChildren('item')).toHaveLength(0);
    const emptyVer = emptyQuery.attrs.ver;
    expect(emptyVer).toBeTruthy();
    await rosterGet(balcony);

    await rosterSet(
      orchard,
      xml('item', { jid: 'juliet@localhost', name: 'Juliet' }, xml('group', {}, 'Friends'), xml('group', {}, 'Capulets')),
    );
    const pushes = await Promise.all([orchard.waitFor(isPush), balcony.waitFor(isPush)]);
    for (const [client, push] of [
      [orchard, pushes[0]],
      [balcony, pushes[1]],
    ] as const) {
      expect(push.attrs.from).toBe(romeoJid);
      expect(push.attrs.to).toBe(client.jid);
      const item = pushedItem(push);
      expect(item.attrs).toMatchObject({ jid: 'juliet@localhost', name: 'Juliet', subscription: 'none' });
      expect(item.getChildren('group').map((g) => g.text())).toEqual(['Friends', 'Capulets']);
    }
    const pushedVer = pushes[0].getChild('query', ROSTER)!.attrs.ver;
    expect(pushedVer).toBeTruthy();
    expect(pushedVer).not.toBe(emptyVer);

    const full = (await rosterGet(orchard, emptyVer)).getChild('query', ROSTER)!;
    expect(full.attrs.ver).toBe(pushedVer);
    expect(full.getChildren('item').map((i) => i.attrs.name)).toEqual(['Juliet']);

    // XEP-0237 §3: a client whose cache is current gets an empty result.
    const cached = await rosterGet(balcony, pushedVer);
    expect(cached.attrs.type).toBe('result');
    expect(cached.getChildElements()).toHaveLength(0);

    await rosterSet(orchard, xml('item', { jid: 'juliet@localhost', subscription: 'remove' }));
    const removals = await Promise.all([orchard.waitFor(isPush), balcony.waitFor(isPush)]);
    for (const push of removals) expect(pushedItem(push).attrs).toMatchObject({ jid: 'juliet@localhost', subscription: 'remove' });
    expect(removals[0].getChild('query', ROSTER)!.attrs.ver).not.toBe(pushedVer);
    expect((await rosterGet(orchard)).getChild('query', ROSTER)!.getChildren('item')).toHaveLength(0);

    await orchard.stop();
    await balcony.stop();
  });

  it('pushes only to resources that requested the roster', async () => {
    await server.createUser('benvolio');
    const interested = await login('benvolio', 'a');
    const uninterested = await login('benvolio', 'b');
    await rosterGet(interested);
    await rosterSet(interested, xml('item', { jid: 'mercutio@localhost', name: 'Mercutio' }));
    await interested.waitFor(isPush);
    await uninterested.expectNothing(isPush);
    await interested.stop();
    await uninterested.stop();
  });

  it('ignores a subscription value the client tries to set', async () => {
    await server.createUser('tybalt');
    const tybalt = await login('tybalt');
    await rosterGet(tybalt);
    await rosterSet(tybalt, xml('item', { jid: 'romeo@localhost', subscription: 'both' }));
    expect(pushedItem(await tybalt.waitFor(isPush)).attrs.subscription).toBe('none');
    await tybalt.stop();
  });

  it('refuses malformed roster sets with the RFC 6121 errors', async () => {
    await server.createUser('paris');
    const paris = await login('paris');
    const item = (attrs: Record<string, string>, ...groups: string[]) => xml('item', attrs, ...groups.map((g) => xml('group', {}, g)));
    const twoItems = xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, item({ jid: 'a@localhost' }), item({ jid: 'b@localhost' })));
    expect(await conditionOf(paris.iq(twoItems))).toBe('bad-request');
    expect(await conditionOf(rosterSet(paris, item({ name: 'no jid' })))).toBe('bad-request');
    expect(await conditionOf(rosterSet(paris, item({ jid: 'a@localhost' }, 'G', 'G')))).toBe('bad-request');
    expect(await conditionOf(rosterSet(paris, item({ jid: 'a@localhost' }, '')))).toBe('not-acceptable');
    expect(await conditionOf(rosterSet(paris, item({ jid: 'a@localhost', name: 'x'.repeat(5000) })))).toBe('not-acceptable');
    expect(await conditionOf(rosterSet(paris, item({ jid: 'nobody@localhost', subscription: 'remove' })))).toBe('item-not-found');
    await paris.stop();
  });
});

it('advertises roster versioning and pre-approval after authentication', async () => {
  await server.createUser('friar');
  const xmpp = makeClient(server, { username: 'friar', password: 'friar-secret' });
  const features: XmlElement[] = [];
  xmpp.on('nonza', (el: XmlElement) => {
    if (el.name === 'stream:features') features.push(el);
  });
  xmpp.on('error', () => {});
  await xmpp.start();
  const afterAuth = features.at(-1)!;
  expect(afterAuth.getChild('ver', 'urn:xmpp:features:rosterver')).toBeDefined();
  expect(afterAuth.getChild('sub', 'urn:xmpp:features:pre-approval')).toBeDefined();
  // Before authentication they would tell an anonymous peer nothing useful.
  expect(features[0].getChild('ver', 'urn:xmpp:features:rosterver')).toBeUndefined();
  await xmpp.stop();
});
