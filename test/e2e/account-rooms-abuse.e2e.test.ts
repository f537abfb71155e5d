/**
 * Account rooms under misuse: a session that did not join, and another
 * account, get plain routing and cannot use the membership; a client
 * forging a room as `from` loses its stream and changes nothing; floods of
 * joins and leaves from one session leave a consistent state (the room sees
 * no more than it must, and a later join works); malformed or unexpected
 * stanzas from a room neither crash the server nor break the membership.
 *
 * References: account-rooms spec, "Traffic from a session to the room" (a
 * session that has not joined), "Traffic from the room", "Leaving";
 * RFC 6120 §4.9.3.9 (invalid-from), §8.2.3 (IQ semantics); XEP-0045
 * §7.2.1 (entering), §7.4, §7.5 (only occupants speak), §7.14 (exiting).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, errorCondition, fromRoom, isBody, statusCodes } from './harness/muc.js';
import { accountRoomsCast, forget, groupchat, joinRoom, loginAs, presenceFrom, stopAll, watchedRoom } from './harness/account-rooms.js';
import { parseXml } from '../../src/core/xml/parse-one.js';
import type { AccountRooms } from '../../src/modules/account-rooms/index.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const login = (username: string, resource: string) => loginAs(server)(username, resource);
const cast = (name: string) => accountRoomsCast(server, name);
const errorWithId = (id: string) => (el: XmlElement) => el.attrs.type === 'error' && el.attrs.id === id;
const join = (room: string, nick: string) => xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }));
const accountRooms = () => server.running.server.hosts.get('localhost')!.modules.get('account-rooms') as AccountRooms;
const leave = (room: string, nick: string) => xml('presence', { to: `${room}/${nick}`, type: 'unavailable' });

/** Room traffic still reaches both joined sessions, and the room saw nothing of the account meanwhile. */
async function expectIntact(room: string, nurse: TestClient, sessions: TestClient[], body: string): Promise<void> {
  await nurse.expectNothing(presenceFrom(`${room}/Romeo`));
  await nurse.send(groupchat(room, body));
  for (const session of sessions) expect((await session.waitFor(isBody(body))).attrs.to).toBe(session.jid);
}

it("gives a session that did not join, and another account, plain routing: no use of the account's membership", async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('abuse-outsiders');
  const tablet = await login(romeo, 'tablet');
  const [other] = await server.createFreshUsers('juliet');
  const juliet = await login(other, 'balcony');
  const tries: [TestClient, XmlElement][] = [
    [tablet, groupchat(room, 'from the tablet', 'o-1')],
    [tablet, xml('message', { to: `${room}/Nurse`, type: 'chat', id: 'o-2' }, xml('body', {}, 'tablet pm'))],
    [juliet, groupchat(room, 'from juliet', 'o-3')],
    [juliet, xml('message', { to: `${room}/Nurse`, type: 'chat', id: 'o-4' }, xml('body', {}, 'juliet pm'))],
    [juliet, xml('iq', { type: 'get', to: `${room}/Nurse`, id: 'o-5' }, xml('query', { xmlns: 'jabber:iq:version' }))],
  ];
  for (const [client, stanza] of tries) {
    await client.send(stanza);
    const refused = await client.waitFor(errorWithId(stanza.attrs.id));
    expect([refused.name, refused.attrs.to, errorCondition(refused)]).toEqual([stanza.name, client.jid, 'not-acceptable']);
  }
  // Romeo's nick is the account's: another account gets a conflict.
  await juliet.send(join(room, 'Romeo'));
  const conflict = await juliet.waitFor(presenceFrom(`${room}/Romeo`));
  expect([conflict.attrs.type, errorCondition(conflict)]).toEqual(['error', 'conflict']);
  await nurse.expectNothing((el) => el.name === 'message' || el.name === 'iq' || presenceFrom(`${room}/Romeo`)(el));
  await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => el.name !== 'presence' || fromRoom(room)(el))));
  await expectIntact(room, nurse, [phone, laptop], 'still yours');
  await stopAll(phone, laptop, tablet, juliet, nurse);
});

/** Resolves with the condition of the stream error the client's stream ends with. */
function streamError(client: TestClient): Promise<string> {
  return new Promise((resolve) => client.xmpp.on('error', (err: { condition?: string }) => resolve(err.condition ?? String(err))));
}

it('ends the stream of a client forging a room as from, and keeps the membership intact', async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('abuse-forged');
  const [other] = await server.createFreshUsers('juliet');
  const juliet = await login(other, 'balcony');
  const julietEnds = streamError(juliet);
  await juliet.send(xml('message', { from: `${room}/Nurse`, to: `${romeo}@localhost`, type: 'groupchat' }, xml('body', {}, 'forged')));
  expect(await julietEnds).toBe('invalid-from');

  // A joined session forging its own removal (307) from the room.
  const phoneEnds = streamError(phone);
  const kick = xml('x', { xmlns: `${MUC}#user` }, xml('item', { role: 'none' }), xml('status', { code: '110' }), xml('status', { code: '307' }));
  await phone.send(xml('presence', { from: `${room}/Romeo`, to: `${romeo}@localhost`, type: 'unavailable' }, kick));
  expect(await phoneEnds).toBe('invalid-from');
  await laptop.expectNothing((el) => isBody('forged')(el) || presenceFrom(`${room}/Romeo`)(el));
  await expectIntact(room, nurse, [laptop], 'nothing happened');
  await stopAll(laptop, nurse);
});

it("keeps a consistent state through a flood of one session's joins and leaves", async () => {
  const { room, nurse, phone, laptop } = await cast('abuse-flood');
  const rounds = 8;
  for (let i = 0; i < rounds; i++) {
    await phone.send(join(room, 'Romeo'));
    await phone.send(leave(room, 'Romeo'));
  }
  // Each join answered locally, each leave too: the last one leaves the phone out.
  const selfOf = (type?: string) => (el: XmlElement) => presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === type && statusCodes(el).includes('110');
  for (let i = 0; i < rounds; i++) await phone.waitFor(selfOf('unavailable'));
  expect(phone.received.filter(selfOf(undefined))).toHaveLength(rounds);
  await laptop.expectNothing(fromRoom(room));
  await expectIntact(room, nurse, [laptop], 'laptop only');
  await phone.expectNothing(isBody('laptop only'));
  forget(phone);
  await joinRoom(phone, room, 'Romeo');
  await expectIntact(room, nurse, [phone, laptop], 'both again');
  await stopAll(phone, laptop, nurse);
});

/** Makes the room answer late, as one across federation would: what the account sends reaches it after `ms`. */
function slowRoom(ms: number): () => void {
  const service = accountRooms();
  const original = service.sendToRoom;
  service.sendToRoom = (membership, stanza) => {
    setTimeout(() => void original.call(service, membership, stanza), ms);
    return Promise.resolve();
  };
  return () => {
    service.sendToRoom = original;
  };
}

it('lets a session take back joins and leaves before a slow room answered, leaving the account out once', async () => {
  const { romeo: benvolio, room, nurse } = await watchedRoom(server, 'abuse-slow');
  const solo = await login(benvolio, 'pc');
  const restore = slowRoom(100);
  try {
    const rounds = 8;
    for (let i = 0; i < rounds; i++) {
      await solo.send(join(room, 'Benvolio'));
      await solo.send(leave(room, 'Benvolio'));
    }
    const isSelf = (type?: string) => (el: XmlElement) => presenceFrom(`${room}/Benvolio`)(el) && el.attrs.type === type;
    for (let i = 0; i < rounds; i++) await solo.waitFor(isSelf('unavailable'));
    await new Promise((resolve) => setTimeout(resolve, 600));
    // The room saw the account come in and go out once; the session never got in.
    expect(nurse.received.filter(presenceFrom(`${room}/Benvolio`)).map((el) => el.attrs.type)).toEqual([undefined, 'unavailable']);
    expect(solo.received.filter(fromRoom(room))).toEqual([]);
    forget(solo, nurse);

    // In alone, then out, in, out before the room confirmed the first leave: out, once the dust settles.
    await joinRoom(solo, room, 'Benvolio');
    await nurse.waitFor(isSelf(undefined));
    forget(solo, nurse);
    await solo.send(leave(room, 'Benvolio'));
    await solo.send(join(room, 'Benvolio'));
    await solo.send(leave(room, 'Benvolio'));
    for (let i = 0; i < 2; i++) await solo.waitFor(isSelf('unavailable'));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(nurse.received.filter(presenceFrom(`${room}/Benvolio`)).map((el) => el.attrs.type)).toEqual(['unavailable']);
    expect(solo.received.filter(fromRoom(room))).toEqual([]);
    await nurse.send(groupchat(room, 'benvolio gone'));
    await solo.expectNothing(isBody('benvolio gone'));
    forget(nurse);
  } finally {
    restore();
  }
  const sequence = await joinRoom(solo, room, 'Benvolio');
  expect(sequence.some((el) => presenceFrom(`${room}/Benvolio`)(el) && statusCodes(el).includes('110'))).toBe(true);
  expect((await nurse.waitFor(presenceFrom(`${room}/Benvolio`))).attrs.type).toBeUndefined();
  await stopAll(solo, nurse);
});

it('survives malformed and unexpected stanzas from a room without losing the membership', async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('abuse-garbage');
  const account = `${romeo}@localhost`;
  const garbage = [
    `<presence from='${room}/Ghost' to='${account}'><x xmlns='${MUC}#user'><item affiliation='bogus'/><status/><status code='x'/></x></presence>`,
    `<presence from='${room}/Ghost' to='${account}' type='error' id='never-sent'/>`,
    `<presence from='${room}' to='${account}'><x xmlns='${MUC}#user'><status code='110'/></x></presence>`,
    `<iq from='${room}/Ghost' to='${account}' type='bogus' id='g-1'><query xmlns='jabber:iq:version'/></iq>`,
    `<iq from='${room}/Ghost' to='${account}' type='get' id='g-2'/>`,
    `<iq from='${room}/Ghost' to='${account}' type='result' id='g-3'/>`,
    `<message from='${room}' to='${account}' type='error' id='never-sent'/>`,
  ];
  const host = server.running.server.hosts.get('localhost')!;
  for (const text of garbage) await host.route(parseXml(text)!);
  // The occupant presence is the room's word and reaches the sessions; nothing else does.
  for (const session of [phone, laptop]) await session.waitFor(presenceFrom(`${room}/Ghost`));
  await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => el.name === 'iq' || el.attrs.type === 'error' || el.attrs.from === room)));
  await expectIntact(room, nurse, [phone, laptop], 'business as usual');
  const tablet = await login(romeo, 'tablet');
  const sequence = await joinRoom(tablet, room, 'Romeo');
  expect(sequence.filter((el) => el.name === 'presence').map((el) => el.attrs.from)).toEqual([`${room}/Nurse`, `${room}/Ghost`, `${room}/Romeo`]);
  await stopAll(phone, laptop, tablet, nurse);
});
