/**
 * Several MUC services on one server, and the room archive's edges: two
 * services from a `muc.domain` list, each with its own rooms (same room
 * name on both, independent occupants, traffic, ownership and disco); the
 * XEP-0313 query form answered by a room JID; and room archive retention
 * (`archive.retention_days`) applied when the service starts.
 *
 * References: XEP-0045 §4.2 (a service per domain), §6.1–§6.3 (discovering
 * services and rooms), §7.2 (entering, 201); XEP-0313 §3.2 (MUC archives,
 * expiring old items), §4.1.5 (retrieving form fields), §7 (#extended).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, statusCodes, item, fromRoom, isSubject, isBody, PLAIN_MUC } from './harness/muc.js';

const ROOMS = 'rooms.localhost';
const CHAT = 'chat.localhost';
const MAM = 'urn:xmpp:mam:2';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ muc: { domain: [ROOMS, CHAT] }, archive: { retention_days: 1 }, ...PLAIN_MUC });
  for (const name of ['romeo', 'juliet']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string) => connect(server, { username: name, password: 'pw' });
const groupchat = (to: string, body: string) => xml('message', { to, type: 'groupchat' }, xml('body', {}, body));

/** Joins and returns the newcomer's own presence (the history and subject are left in `received`). */
async function join(client: TestClient, room: string, nick: string): Promise<XmlElement> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  const self = await client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && statusCodes(el).includes('110'));
  await client.waitFor(isSubject(room), 5000, `subject of ${room}`);
  return self;
}

function configure(owner: TestClient, room: string, fields: Record<string, string> = {}) {
  const values = Object.entries({ FORM_TYPE: `${MUC}#roomconfig`, ...fields }).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value)));
  return owner.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...values))));
}

async function itemJids(client: TestClient, to: string): Promise<string[]> {
  const result = await client.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: DISCO_ITEMS })));
  return result.getChild('query')!.getChildren('item').map((i) => i.attrs.jid!);
}

it('runs one independent service per listed domain, each with its own rooms', async () => {
  const [romeo, juliet] = await Promise.all([user('romeo'), user('juliet')]);
  expect(await itemJids(romeo, 'localhost')).toEqual(expect.arrayContaining([ROOMS, CHAT]));
  for (const service of [ROOMS, CHAT]) {
    const info = await romeo.iq(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: DISCO_INFO })));
    expect(info.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'text' });
  }
  // The same room name on each service: two new rooms, each with its own owner.
  expect(statusCodes(await join(romeo, `hall@${ROOMS}`, 'Romeo'))).toEqual(['110', '170', '201']);
  await configure(romeo, `hall@${ROOMS}`);
  expect(statusCodes(await join(juliet, `hall@${CHAT}`, 'Juliet'))).toEqual(['110', '170', '201']);
  await configure(juliet, `hall@${CHAT}`);
  const visiting = await join(romeo, `hall@${CHAT}`, 'Romeo');
  expect(statusCodes(visiting)).toEqual(['110', '170']);
  expect(item(visiting).attrs).toMatchObject({ affiliation: 'none', role: 'participant' });

  await juliet.send(groupchat(`hall@${CHAT}`, 'on chat'));
  expect((await romeo.waitFor(isBody('on chat'))).attrs.from).toBe(`hall@${CHAT}/Juliet`);
  await romeo.send(groupchat(`hall@${ROOMS}`, 'on rooms'));
  expect((await romeo.waitFor(isBody('on rooms'))).attrs.from).toBe(`hall@${ROOMS}/Romeo`);
  await juliet.expectNothing(isBody('on rooms'));
  expect(await itemJids(romeo, ROOMS)).toEqual([`hall@${ROOMS}`]);
  expect(await itemJids(romeo, CHAT)).toEqual([`hall@${CHAT}`]);
  // Ownership is per room and service: Romeo owns hall on one service only.
  await expect(configure(romeo, `hall@${CHAT}`, { 'muc#roomconfig_roomname': 'Mine' })).rejects.toMatchObject({ condition: 'forbidden' });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('answers the archive query form on a room JID with the fields a room archive supports', async () => {
  const room = `ledger@${CHAT}`;
  const [romeo, juliet] = await Promise.all([user('romeo'), user('juliet')]);
  await join(romeo, room, 'Romeo');
  await configure(romeo, room);
  const getForm = (client: TestClient, to: string) => client.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: MAM })));
  const answer = await getForm(juliet, room);
  expect(answer.attrs).toMatchObject({ type: 'result', from: room });
  const form = answer.getChild('query', MAM)!.getChild('x', 'jabber:x:data')!;
  expect(form.attrs.type).toBe('form');
  expect(form.getChildren('field').map((f) => [f.attrs.var, f.attrs.type])).toEqual([
    ['FORM_TYPE', 'hidden'],
    ['with', 'jid-single'],
    ['start', 'text-single'],
    ['end', 'text-single'],
    ['before-id', 'text-single'],
    ['after-id', 'text-single'],
    ['ids', 'list-multi'],
  ]);
  expect(form.getChildren('field')[0].getChildText('value')).toBe(MAM);
  const info = await juliet.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: DISCO_INFO })));
  expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining([MAM, `${MAM}#extended`]));

  await expect(getForm(juliet, `nowhere@${CHAT}`)).rejects.toMatchObject({ condition: 'item-not-found' });
  await configure(romeo, room, { 'muc#roomconfig_enablearchiving': '0' });
  await expect(getForm(juliet, room)).rejects.toMatchObject({ condition: 'service-unavailable' });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

/** Puts a message stamped `when` straight into the room's archive store, as if archived back then. */
async function archiveOldMessage(room: string, body: string, when: number): Promise<void> {
  const [local, domain] = room.split('@');
  const payload = `<message xmlns='jabber:client' from='${room}/Romeo' type='groupchat' id='${body}'><body>${body}</body><stanza-id xmlns='urn:xmpp:sid:0' by='${room}' id='${body}'/></message>`;
  await server.running.server.storage.archive(domain!, 'history').append(local!, { id: body, externalId: body, when, with: room, payload, type: 'groupchat' });
}

async function archiveCount(client: TestClient, room: string): Promise<string | undefined> {
  const fin = await client.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: MAM })));
  return fin.getChild('fin', MAM)?.getChild('set')?.getChildText('count') ?? undefined;
}

it('expires room archive items older than archive.retention_days when the service starts', async () => {
  const room = `annals@${ROOMS}`;
  let romeo = await user('romeo');
  await join(romeo, room, 'Romeo');
  await configure(romeo, room, { 'muc#roomconfig_persistentroom': '1' });
  await archiveOldMessage(room, 'ancient', Date.now() - 3 * DAY);
  await romeo.send(groupchat(room, 'fresh'));
  await romeo.waitFor(isBody('fresh'));
  expect(await archiveCount(romeo, room)).toBe('2');

  await server.restart();
  await romeo.stop();
  romeo = await user('romeo');
  await join(romeo, room, 'Romeo');
  const history = romeo.received.filter((el) => fromRoom(room)(el) && el.getChild('body') !== undefined);
  expect(history.map((el) => el.getChildText('body'))).toEqual(['fresh']);
  expect(await archiveCount(romeo, room)).toBe('1');
  await romeo.stop();
});
