/**
 * Persistent rooms and the room archive across a server restart: a
 * persistent room keeps its configuration, affiliations, subject and
 * history; its archive answers MAM queries on the room JID; a destroyed
 * persistent room answers `gone` (with its alternate venue) to later joins;
 * a temporary room does not come back. Occupants of a persistent room are
 * restored: returning sessions rejoin quietly, the rest leave with 333; and
 * occupant-ids stay the same.
 *
 * References: XEP-0045 §7.2.14 (history), §10.1.3 (persistentroom,
 * enablearchiving), §10.9 (destroying, gone); XEP-0313 §3.2, §4;
 * XEP-0359 §3; XEP-0421 §4; RFC 6120 §8.3.3.5.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, statusCodes, fromRoom, isSubject, PLAIN_MUC } from './harness/muc.js';

const SERVICE = 'rooms.localhost';
const MAM = 'urn:xmpp:mam:2';
const KEPT = `kept@${SERVICE}`;
const DOOMED = `doomed@${SERVICE}`;
const TEMP = `fleeting@${SERVICE}`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(PLAIN_MUC);
  for (const name of ['romeo', 'juliet', 'nurse']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string) => connect(server, { username: name, password: 'pw' });
const query = (xmlns: string, ...children: XmlElement[]) => xml('query', { xmlns }, ...children);

async function join(client: TestClient, room: string, nick: string): Promise<XmlElement> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  return client.waitFor(isSubject(room), 5000, `subject of ${room}`);
}

function submit(owner: TestClient, room: string, fields: Record<string, string>) {
  const form = xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, `${MUC}#roomconfig`)),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value))),
  );
  return owner.iq(xml('iq', { type: 'set', to: room }, query(`${MUC}#owner`, form)));
}

async function say(client: TestClient, room: string, body: string): Promise<string> {
  await client.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, body)));
  const echo = await client.waitFor((el) => fromRoom(room)(el) && el.getChildText('body') === body);
  return echo.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id;
}

/** Builds the state that must survive: a persistent room, a destroyed one, a temporary one. */
async function prepare(): Promise<string[]> {
  const romeo = await user('romeo');
  await join(romeo, KEPT, 'Romeo');
  await submit(romeo, KEPT, { 'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_roomname': 'Kept room' });
  await romeo.iq(xml('iq', { type: 'set', to: KEPT }, query(`${MUC}#admin`, xml('item', { affiliation: 'member', jid: 'juliet@localhost' }))));
  await romeo.send(xml('message', { to: KEPT, type: 'groupchat' }, xml('subject', {}, 'Before the restart')));
  await romeo.waitFor(isSubject(KEPT));
  const ids = [await say(romeo, KEPT, 'one'), await say(romeo, KEPT, 'two')];
  await join(romeo, DOOMED, 'Romeo');
  await submit(romeo, DOOMED, { 'muc#roomconfig_persistentroom': '1' });
  const destroy = xml('destroy', { jid: KEPT }, xml('reason', {}, 'moved'));
  await romeo.iq(xml('iq', { type: 'set', to: DOOMED }, query(`${MUC}#owner`, destroy)));
  await romeo.stop();
  // The temporary room still has an occupant when the server stops.
  const nurse = await user('nurse');
  await join(nurse, TEMP, 'Nurse');
  await submit(nurse, TEMP, {});
  await server.restart();
  await nurse.stop();
  return ids;
}

it('keeps persistent rooms, their archive and tombstones across a restart, but not temporary rooms', async () => {
  const ids = await prepare();
  const romeo = await user('romeo');
  const form = (await romeo.iq(xml('iq', { type: 'get', to: KEPT }, query(`${MUC}#owner`)))).getChild('query')!.getChild('x', 'jabber:x:data')!;
  const value = (name: string) => form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
  expect(value('muc#roomconfig_persistentroom')).toBe('1');
  expect(value('muc#roomconfig_roomname')).toBe('Kept room');
  const members = await romeo.iq(xml('iq', { type: 'get', to: KEPT }, query(`${MUC}#admin`, xml('item', { affiliation: 'member' }))));
  expect(members.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['juliet@localhost']);

  const info = await romeo.iq(xml('iq', { type: 'get', to: KEPT }, query('http://jabber.org/protocol/disco#info')));
  const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
  expect(features).toEqual(expect.arrayContaining(['muc_persistent', MAM]));

  // A new join gets the history from before the restart, then the subject.
  const juliet = await user('juliet');
  await juliet.send(xml('presence', { to: `${KEPT}/Juliet` }, xml('x', { xmlns: MUC })));
  const subject = await juliet.waitFor(isSubject(KEPT));
  expect(subject.getChildText('subject')).toBe('Before the restart');
  const history = juliet.received.filter((el) => fromRoom(KEPT)(el) && el.getChildText('body') !== null && el.getChildText('body') !== undefined);
  expect(history.map((el) => el.getChildText('body'))).toEqual(['one', 'two']);
  expect(history.map((el) => el.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id)).toEqual(ids);
  expect(history.every((el) => el.getChild('delay', 'urn:xmpp:delay')?.attrs.from === KEPT)).toBe(true);

  // The room archive answers MAM queries, with the room's stanza-ids as archive ids.
  const fin = juliet.iq(xml('iq', { type: 'set', to: KEPT }, xml('query', { xmlns: MAM, queryid: 'q1' })));
  const done = await fin;
  expect(done.getChild('fin', MAM)?.attrs.complete).toBe('true');
  const results = juliet.received.filter((el) => el.getChild('result', MAM)?.attrs.queryid === 'q1');
  expect(results.map((el) => el.getChild('result', MAM)!.attrs.id)).toEqual(ids);
  const forwarded = results.map((el) => el.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!);
  expect(forwarded.map((m) => [m.attrs.from, m.getChildText('body')])).toEqual([
    [`${KEPT}/Romeo`, 'one'],
    [`${KEPT}/Romeo`, 'two'],
  ]);

  // The destroyed persistent room is gone, pointing at its alternate venue.
  await juliet.send(xml('presence', { to: `${DOOMED}/Juliet` }, xml('x', { xmlns: MUC })));
  const refused = await juliet.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `${DOOMED}/Juliet`);
  const gone = refused.getChild('error')!.getChild('gone', 'urn:ietf:params:xml:ns:xmpp-stanzas');
  expect(gone?.text()).toBe(`xmpp:${KEPT}?join`);

  // The temporary room did not survive.
  await expect(romeo.iq(xml('iq', { type: 'get', to: TEMP }, query('http://jabber.org/protocol/disco#info')))).rejects.toMatchObject({
    condition: 'item-not-found',
  });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('lets non-occupants of a public room query its archive but keeps members-only archives for members', async () => {
  const nurse = await user('nurse');
  const result = await nurse.iq(xml('iq', { type: 'set', to: KEPT }, xml('query', { xmlns: MAM, queryid: 'q2' })));
  expect(result.getChild('fin', MAM)?.getChild('set')?.getChildText('count')).toBe('2');
  const romeo = await user('romeo');
  await submit(romeo, KEPT, { 'muc#roomconfig_membersonly': '1' });
  await expect(nurse.iq(xml('iq', { type: 'set', to: KEPT }, xml('query', { xmlns: MAM })))).rejects.toMatchObject({ condition: 'forbidden' });
  await Promise.all([romeo.stop(), nurse.stop()]);
});

const STAY = `stay@${SERVICE}`;
const isPresenceFrom = (jid: string, type?: string) => (el: XmlElement) => el.name === 'presence' && el.attrs.from === jid && el.attrs.type === type;
const occupantIdOf = (el: XmlElement) => el.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id;

it('restores the occupants of a persistent room after a restart without a leave/join storm, then drops those who never return', async () => {
  let romeo = await user('romeo');
  await join(romeo, STAY, 'Romeo');
  await submit(romeo, STAY, { 'muc#roomconfig_persistentroom': '1' });
  let juliet = await user('juliet');
  await juliet.send(xml('presence', { to: `${STAY}/Juliet` }, xml('x', { xmlns: MUC })));
  const romeoBefore = await juliet.waitFor(isPresenceFrom(`${STAY}/Romeo`));
  await juliet.waitFor(isSubject(STAY));
  await server.restart();
  await Promise.all([romeo.stop(), juliet.stop()]);

  // Romeo comes back: the full join sequence, listing Juliet, who is still there.
  romeo = await user('romeo');
  await join(romeo, STAY, 'Romeo');
  const presences = romeo.received.filter((el) => el.name === 'presence' && fromRoom(STAY)(el));
  expect(presences.map((p) => [p.attrs.from, p.attrs.type, statusCodes(p)])).toEqual([
    [`${STAY}/Juliet`, undefined, []],
    [`${STAY}/Romeo`, undefined, ['110', '170']],
  ]);
  // Juliet rejoins: Romeo sees nothing of it, she gets the sequence, Romeo's occupant-id unchanged.
  romeo.received.length = 0;
  juliet = await user('juliet');
  await join(juliet, STAY, 'Juliet');
  const romeoAfter = juliet.received.find(isPresenceFrom(`${STAY}/Romeo`))!;
  expect(occupantIdOf(romeoAfter)).toBe(occupantIdOf(romeoBefore));
  expect(occupantIdOf(romeoAfter)).toBeTruthy();
  await romeo.expectNothing((el) => el.name === 'presence' && el.attrs.from === `${STAY}/Juliet`, 300);
  expect(juliet.received.filter((el) => el.name === 'presence' && el.attrs.from === `${STAY}/Romeo`)).toHaveLength(1);

  // Another restart; only Romeo returns, and Juliet is removed as a ghost (333) once the grace period ends.
  await server.restart();
  await Promise.all([romeo.stop(), juliet.stop()]);
  romeo = await user('romeo');
  await join(romeo, STAY, 'Romeo');
  expect(romeo.received.some(isPresenceFrom(`${STAY}/Juliet`))).toBe(true);
  const service = server.running.server.hosts.get(SERVICE)!.modules.get('muc') as { expireRestoredAfter(ms: number): void };
  service.expireRestoredAfter(50);
  const ghost = await romeo.waitFor(isPresenceFrom(`${STAY}/Juliet`, 'unavailable'), 3000, 'Juliet removed as a ghost');
  expect(statusCodes(ghost)).toEqual(['333']);
  // Joining afresh, Juliet gets the occupant-id computed before the restarts (the secret is kept).
  romeo.received.length = 0;
  juliet = await user('juliet');
  await join(juliet, STAY, 'Juliet');
  const fresh = await romeo.waitFor(isPresenceFrom(`${STAY}/Juliet`));
  expect(occupantIdOf(fresh)).toBe(occupantIdOf(ghost));
  await Promise.all([romeo.stop(), juliet.stop()]);
});
