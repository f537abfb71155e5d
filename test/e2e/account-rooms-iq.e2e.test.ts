/**
 * Account rooms, IQs both ways: a joined session's disco and MAM queries to
 * the room or an occupant are answered to that session alone (its own id,
 * MAM results matched by queryid); IQs the room relays to the account are
 * answered by the server (ping) or by the most recently active joined
 * session, else service-unavailable; a XEP-0410 self-ping is answered from
 * the occupant JID, locally or through the room (a room that forgot the
 * account is rejoined quietly first). Two sessions of one
 * account, a watcher account (room owner) asking the account's occupant.
 *
 * References: account-rooms spec, "Traffic from a session to the room"
 * (IQs, self-ping), "Traffic from the room" (IQs); XEP-0045 §6.3, §6.4,
 * §7.5 (IQs through the room); XEP-0313 §4 (queryid); XEP-0410 §3;
 * XEP-0092; XEP-0199.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient, type XmlElement } from './harness/client.js';
import { errorCondition, fromRoom, isBody } from './harness/muc.js';
import { PING, SERVICE, accountRoomsCast, forget, groupchat, presenceFrom, stopAll } from './harness/account-rooms.js';
import { MAM_NS, queryArchive } from './harness/mam-client.js';
import type { AccountRooms } from '../../src/modules/account-rooms/index.js';
import type { MucService } from '../../src/modules/muc/service.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const VERSION = 'jabber:iq:version';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const cast = (name: string) => accountRoomsCast(server, name);
const anyIq = (el: XmlElement) => el.name === 'iq';
const isMamResult = (el: XmlElement) => el.name === 'message' && el.getChild('result', MAM_NS) !== undefined;
const accountRooms = () => server.running.server.hosts.get('localhost')!.modules.get('account-rooms') as AccountRooms;

/** Sends an IQ and waits for the answer with its id, whatever its type. */
async function ask(client: TestClient, iq: XmlElement): Promise<XmlElement> {
  await client.send(iq);
  return client.waitFor((el) => el.name === 'iq' && el.attrs.id === iq.attrs.id && el.attrs.type !== 'get' && el.attrs.type !== 'set');
}

it("answers a session's disco queries to the room and to an occupant to that session only, under its own id", async () => {
  const { room, nurse, phone, laptop } = await cast('iq-disco');
  const info = await ask(phone, xml('iq', { type: 'get', to: room, id: 'd-1' }, xml('query', { xmlns: DISCO_INFO })));
  expect([info.attrs.type, info.attrs.from, info.attrs.to]).toEqual(['result', room, phone.jid]);
  expect(info.getChild('query', DISCO_INFO)!.getChild('identity')!.attrs.category).toBe('conference');
  const items = await ask(laptop, xml('iq', { type: 'get', to: room, id: 'd-2' }, xml('query', { xmlns: DISCO_ITEMS })));
  expect([items.attrs.type, items.attrs.from, items.attrs.to]).toEqual(['result', room, laptop.jid]);
  // An occupant's account answers for itself (through the room, from the occupant JID).
  const occupant = await ask(phone, xml('iq', { type: 'get', to: `${room}/Nurse`, id: 'd-3' }, xml('query', { xmlns: DISCO_INFO })));
  expect([occupant.attrs.from, occupant.attrs.to]).toEqual([`${room}/Nurse`, phone.jid]);
  await Promise.all([
    laptop.expectNothing((el) => anyIq(el) && el.attrs.id !== 'd-2'),
    phone.expectNothing((el) => anyIq(el) && el.attrs.id === 'd-2'),
    nurse.expectNothing(anyIq),
  ]);
  await stopAll(phone, laptop, nurse);
});

it("sends a session's MAM query results from the room to that session only", async () => {
  const { room, nurse, phone, laptop } = await cast('iq-mam');
  await nurse.send(groupchat(room, 'for the record'));
  await nurse.send(groupchat(room, 'and this too'));
  await Promise.all([phone, laptop].map((s) => s.waitFor(isBody('and this too'))));
  forget(phone, laptop);
  // Both sessions ask at once: each gets the results of its own query.
  const [onPhone, onLaptop] = await Promise.all([queryArchive(phone, { to: room }), queryArchive(laptop, { to: room, max: 1 })]);
  expect(onPhone.items.map((i) => i.body)).toEqual(['for the record', 'and this too']);
  expect(onLaptop.items.map((i) => i.body)).toEqual(['for the record']);
  expect(onPhone.items.every((i) => i.message.attrs.from === `${room}/Nurse`)).toBe(true);
  await Promise.all([
    phone.expectNothing(isMamResult),
    laptop.expectNothing(isMamResult),
  ]);
  await stopAll(phone, laptop, nurse);
});

it('answers pings the room relays itself and sends other IQs to the most recently active joined session', async () => {
  const { room, nurse, phone, laptop } = await cast('iq-relay');
  for (const [client, name] of [
    [phone, 'phone-client'],
    [laptop, 'laptop-client'],
  ] as const) {
    client.xmpp.iqCallee.get(VERSION, 'query', () => xml('query', { xmlns: VERSION }, xml('name', {}, name)));
  }
  const ping = await ask(nurse, xml('iq', { type: 'get', to: `${room}/Romeo`, id: 'p-1' }, xml('ping', { xmlns: PING })));
  expect([ping.attrs.type, ping.attrs.from]).toEqual(['result', `${room}/Romeo`]);
  // Disco of the account is the server's to answer too: the account's identity and features, no session asked.
  const info = await ask(nurse, xml('iq', { type: 'get', to: `${room}/Romeo`, id: 'd-1' }, xml('query', { xmlns: DISCO_INFO })));
  expect([info.attrs.type, info.attrs.from]).toEqual(['result', `${room}/Romeo`]);
  const query = info.getChild('query', DISCO_INFO)!;
  expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'account', type: 'registered' });
  expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain('urn:xmpp:mam:2#groupchat-available');
  await Promise.all([phone, laptop].map((s) => s.expectNothing(anyIq)));

  const versionOf = async (id: string) => {
    const answer = await ask(nurse, xml('iq', { type: 'get', to: `${room}/Romeo`, id }, xml('query', { xmlns: VERSION })));
    expect([answer.attrs.type, answer.attrs.from]).toEqual(['result', `${room}/Romeo`]);
    return answer.getChild('query', VERSION)!.getChildText('name');
  };
  await laptop.send(groupchat(room, 'laptop speaking'));
  await nurse.waitFor(isBody('laptop speaking'));
  expect(await versionOf('v-1')).toBe('laptop-client');
  expect((await laptop.waitFor(anyIq)).attrs.from).toBe(`${room}/Nurse`);
  await phone.expectNothing(anyIq);

  await phone.send(groupchat(room, 'phone speaking'));
  await nurse.waitFor(isBody('phone speaking'));
  expect(await versionOf('v-2')).toBe('phone-client');
  await laptop.expectNothing(anyIq);

  // No session online: the server still answers pings; the rest is service-unavailable, and nobody is removed.
  await stopAll(phone, laptop);
  const unanswered = await ask(nurse, xml('iq', { type: 'get', to: `${room}/Romeo`, id: 'v-3' }, xml('query', { xmlns: VERSION })));
  expect([unanswered.attrs.type, unanswered.attrs.from, errorCondition(unanswered)]).toEqual(['error', `${room}/Romeo`, 'service-unavailable']);
  const stillThere = await ask(nurse, xml('iq', { type: 'get', to: `${room}/Romeo`, id: 'p-2' }, xml('ping', { xmlns: PING })));
  expect(stillThere.attrs.type).toBe('result');
  await nurse.expectNothing((el) => presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === 'unavailable');
  await nurse.stop();
});

it('answers a self-ping from the occupant JID, locally while verified and through the room otherwise', async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('iq-self-ping');
  const selfPing = (id: string) => xml('iq', { type: 'get', to: `${room}/Romeo`, id }, xml('ping', { xmlns: PING }));
  const local = await ask(phone, selfPing('sp-1'));
  expect([local.attrs.type, local.attrs.from, local.attrs.to]).toEqual(['result', `${room}/Romeo`, phone.jid]);

  const membership = accountRooms().get(romeo, room)!;
  membership.lastVerified = 0;
  const relayed = await ask(laptop, selfPing('sp-2'));
  expect([relayed.attrs.type, relayed.attrs.from, relayed.attrs.to]).toEqual(['result', `${room}/Romeo`, laptop.jid]);
  // The room's answer proved the occupancy again.
  expect(Date.now() - membership.lastVerified).toBeLessThan(5000);
  await Promise.all([
    phone.expectNothing((el) => anyIq(el) || fromRoom(room)(el)),
    laptop.expectNothing((el) => anyIq(el) && el.attrs.id !== 'sp-2'),
    nurse.expectNothing(anyIq),
  ]);

  // The room forgot the account without a word: the self-ping's not-acceptable brings a quiet rejoin, then the answer.
  const muc = server.running.server.hosts.get(SERVICE)!.modules.get('muc') as MucService;
  const state = muc.rooms.get(room)!;
  state.remove(state.occupants.get('Romeo')!);
  membership.lastVerified = 0;
  forget(nurse);
  const healed = await ask(phone, selfPing('sp-3'));
  expect([healed.attrs.type, healed.attrs.from, healed.attrs.to]).toEqual(['result', `${room}/Romeo`, phone.jid]);
  expect((await nurse.waitFor(presenceFrom(`${room}/Romeo`))).attrs.type).toBeUndefined();
  await nurse.send(groupchat(room, 'welcome back'));
  await Promise.all([phone, laptop].map((s) => s.waitFor(isBody('welcome back'))));
  await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => presenceFrom(`${room}/Romeo`)(el) || el.attrs.type === 'error')));
  await stopAll(phone, laptop, nurse);
});
