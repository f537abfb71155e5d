/**
 * The small server services as a real client sees them: service discovery
 * of the server and of accounts, entity capabilities, ping, software
 * version, entity time, and the answer to an IQ nobody handles.
 *
 * References: XEP-0030 §3–5; XEP-0115 §4, §6.2–6.3; XEP-0199 §3; XEP-0092;
 * XEP-0202; RFC 6120 §8.3.3.19 (service-unavailable).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { RawClient } from './harness/raw-client.js';
import { parseXml } from '../../src/core/xml/parse-one.js';
import { verificationString } from '../../src/modules/caps/verification.js';
import type { DiscoApi } from '../../src/modules/disco/index.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const CAPS = 'http://jabber.org/protocol/caps';

let server: TestServer;
let romeo: TestClient;
let juliet: TestClient;

beforeAll(async () => {
  server = await startTestServer({ server: { name: 'Perch Test' }, muc: { enabled: false } });
  await server.createUser('romeo', 'r0meo-pass');
  await server.createUser('juliet', 'jul1et-pass');
  romeo = await connect(server, { username: 'romeo', password: 'r0meo-pass', resource: 'orchard' });
  juliet = await connect(server, { username: 'juliet', password: 'jul1et-pass', resource: 'balcony' });
});
afterAll(async () => {
  await romeo?.stop();
  await juliet?.stop();
  await server?.stop();
});

const host = () => server.running.server.defaultHost;
const features = (query: XmlElement) => query.getChildren('feature').map((f) => f.attrs.var);
const discoInfo = (to: string | undefined, node?: string) =>
  romeo.iq(xml('iq', { type: 'get', to, id: `info-${Math.random()}` }, xml('query', { xmlns: DISCO_INFO, node })));

describe('service discovery of the server', () => {
  it('lists the identity and the features of every loaded module', async () => {
    const result = await discoInfo('localhost');
    const query = result.getChild('query', DISCO_INFO)!;
    expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'server', type: 'im' });
    const advertised = features(query);
    for (const feature of host().features) expect(advertised).toContain(feature);
    for (const expected of [
      DISCO_INFO,
      DISCO_ITEMS,
      CAPS,
      'urn:xmpp:ping',
      'jabber:iq:version',
      'urn:xmpp:time',
      'vcard-temp',
      'jabber:iq:private',
      'urn:xmpp:blocking',
      'jabber:iq:register',
      'msgoffline',
    ]) {
      expect(advertised).toContain(expected);
    }
  });

  it('answers item-not-found for an unknown node', async () => {
    await expect(discoInfo('localhost', 'no-such-node')).rejects.toMatchObject({ condition: 'item-not-found' });
  });

  it('lists no items until a service registers itself', async () => {
    const ask = () => romeo.iq(xml('iq', { type: 'get', to: 'localhost', id: `items-${Math.random()}` }, xml('query', { xmlns: DISCO_ITEMS })));
    expect((await ask()).getChild('query', DISCO_ITEMS)!.getChildren('item')).toHaveLength(0);
    const disco = host().modules.get('disco') as DiscoApi;
    disco.addItem('rooms.localhost', 'Chatrooms');
    try {
      const items = (await ask()).getChild('query', DISCO_ITEMS)!.getChildren('item');
      expect(items.map((i) => i.attrs)).toEqual([{ jid: 'rooms.localhost', name: 'Chatrooms' }]);
    } finally {
      disco.removeItem('rooms.localhost');
    }
  });
});

describe('service discovery of accounts', () => {
  it('answers the account itself with account/registered', async () => {
    const query = (await discoInfo('romeo@localhost')).getChild('query', DISCO_INFO)!;
    expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'account', type: 'registered' });
    expect(features(query)).toContain(DISCO_INFO);
  });

  it('hides an account from a requester without a subscription, like an unknown one', async () => {
    await expect(discoInfo('juliet@localhost')).rejects.toMatchObject({ condition: 'service-unavailable' });
    await expect(discoInfo('nobody@localhost')).rejects.toMatchObject({ condition: 'service-unavailable' });
  });

  it('answers a contact subscribed to the account', async () => {
    // Juliet's roster says Romeo receives her presence (subscription "from").
    const rosters = server.running.server.storage.keyval(server.domain, 'roster');
    await rosters.set('juliet', { version: 1, items: { 'romeo@localhost': { subscription: 'from', groups: [] } } });
    try {
      const query = (await discoInfo('juliet@localhost')).getChild('query', DISCO_INFO)!;
      expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'account', type: 'registered' });
    } finally {
      await rosters.delete('juliet');
    }
  });
});

describe('entity capabilities', () => {
  it('advertises the server caps after authentication and answers disco#info at node#ver', async () => {
    const raw = await RawClient.connect(server);
    try {
      const before = await raw.openStream();
      expect(before).not.toContain(CAPS);
      await raw.startTls();
      const features = await raw.authenticate('romeo', 'r0meo-pass');
      const [, ver] = /<c xmlns='http:\/\/jabber.org\/protocol\/caps' hash='sha-1' node='https:\/\/perch.im' ver='([^']+)'\/>/.exec(features) ?? [];
      expect(ver).toBeDefined();
      const query = (await discoInfo('localhost', `https://perch.im#${ver}`)).getChild('query', DISCO_INFO)!;
      expect(query.attrs.node).toBe(`https://perch.im#${ver}`);
      // The verification string of what the server answers is the ver it advertised.
      expect(verificationString(parseXml(query.toString())!)).toBe(ver);
    } finally {
      raw.close();
    }
  });

  it("remembers the caps of a session's presence", async () => {
    const caps = { xmlns: CAPS, hash: 'sha-1', node: 'https://example.org/client', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=' };
    await romeo.send(xml('presence', {}, xml('c', caps)));
    // The session handles its stanzas in order: once the ping is answered the presence was seen.
    await romeo.iq(xml('iq', { type: 'get', id: 'caps-ping' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const session = host().sessions.get('romeo', 'orchard')!;
    expect(session.state.caps).toEqual({ node: caps.node, ver: caps.ver, hash: 'sha-1' });
  });
});

describe('ping, version and time', () => {
  it('answers a ping to the server and to the account itself', async () => {
    const toServer = await romeo.iq(xml('iq', { type: 'get', to: 'localhost', id: 'ping-1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(toServer.attrs.type).toBe('result');
    const toSelf = await romeo.iq(xml('iq', { type: 'get', id: 'ping-2' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(toSelf.attrs.type).toBe('result');
  });

  it('tells the configured name and the package version, without the OS', async () => {
    const result = await romeo.iq(xml('iq', { type: 'get', to: 'localhost', id: 'v-1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    const query = result.getChild('query', 'jabber:iq:version')!;
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(query.getChildText('name')).toBe('Perch Test');
    expect(query.getChildText('version')).toBe(pkg.version);
    expect(query.getChild('os')).toBeUndefined();
  });

  it('tells the UTC time and the offset in XEP-0082 format', async () => {
    const result = await romeo.iq(xml('iq', { type: 'get', to: 'localhost', id: 't-1' }, xml('time', { xmlns: 'urn:xmpp:time' })));
    const time = result.getChild('time', 'urn:xmpp:time')!;
    expect(time.getChildText('tzo')).toMatch(/^[+-]\d\d:\d\d$/);
    const utc = time.getChildText('utc')!;
    expect(utc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(utc) - Date.now())).toBeLessThan(10_000);
  });
});

it('answers an IQ in an unknown namespace to the server with service-unavailable', async () => {
  await expect(
    romeo.iq(xml('iq', { type: 'get', to: 'localhost', id: 'unknown-1' }, xml('query', { xmlns: 'urn:example:unknown' }))),
  ).rejects.toMatchObject({ condition: 'service-unavailable' });
});
