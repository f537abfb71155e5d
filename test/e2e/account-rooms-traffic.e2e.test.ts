/**
 * Account rooms, traffic between a room and the account's sessions: other
 * occupants leaving and changing nick reach every joined session and the
 * cached view; the account's own nick change (and its conflicts); private
 * messages both ways (sent carbons, the account's archive); errors go to
 * the session that caused them, and a room that forgot the account is
 * rejoined quietly; with no session online nothing bounces and the account
 * stays in the room. Two sessions of one account, a watcher account (the
 * room's owner) checking what the room shows.
 *
 * References: account-rooms spec, "Nicknames", "Traffic from the room",
 * "Traffic from a session to the room"; XEP-0045 §7.4 (a visitor's message
 * is forbidden), §7.5 (private messages), §7.6 (nick change, 303, 409);
 * XEP-0280 §8; XEP-0313.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type XmlElement } from './harness/client.js';
import { errorCondition, fromRoom, isBody, item, statusCodes } from './harness/muc.js';
import {
  CARBONS,
  SERVICE,
  accountRoomsCast,
  bookmarkOf,
  enableCarbons,
  forget,
  groupchat,
  isError,
  joinRoom,
  loginAs,
  presenceFrom,
  stopAll,
  watchedRoom,
} from './harness/account-rooms.js';
import { queryArchive } from './harness/mam-client.js';
import type { MucService } from '../../src/modules/muc/service.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const login = (username: string, resource: string) => loginAs(server)(username, resource);
const cast = (name: string, config: Record<string, string> = {}) => accountRoomsCast(server, name, config);
const isCarbon = (el: XmlElement) => el.name === 'message' && el.getChild('sent', CARBONS) !== undefined;

it("shows every joined session others' nick changes and leaves, and a later session the room as it is now", async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('traffic-others');
  const [paris] = await server.createFreshUsers('paris');
  const guest = await login(paris, 'pc');
  await joinRoom(guest, room, 'Paris');
  await Promise.all([phone, laptop].map((s) => s.waitFor(presenceFrom(`${room}/Paris`))));

  await nurse.send(xml('presence', { to: `${room}/Nanny` }));
  for (const session of [phone, laptop]) {
    const renamed = await session.waitFor(presenceFrom(`${room}/Nurse`));
    expect([renamed.attrs.type, renamed.attrs.to, item(renamed).attrs.nick]).toEqual(['unavailable', session.jid, 'Nanny']);
    expect(statusCodes(renamed)).toEqual(['303']);
    expect((await session.waitFor(presenceFrom(`${room}/Nanny`))).attrs.type).toBeUndefined();
  }
  await guest.send(xml('presence', { to: `${room}/Paris`, type: 'unavailable' }));
  for (const session of [phone, laptop]) {
    const left = await session.waitFor(presenceFrom(`${room}/Paris`));
    expect([left.attrs.type, left.attrs.to]).toEqual(['unavailable', session.jid]);
  }

  const tablet = await login(romeo, 'tablet');
  const sequence = await joinRoom(tablet, room, 'Romeo');
  expect(sequence.map((el) => `${el.name} ${el.attrs.from} ${el.attrs.type ?? ''}`)).toEqual([
    `presence ${room}/Nanny `,
    `presence ${room}/Romeo `,
    `message ${room} groupchat`,
  ]);
  // Answered locally: the room saw nothing of the tablet.
  await nurse.expectNothing(presenceFrom(`${room}/Romeo`));
  await stopAll(phone, laptop, tablet, guest, nurse);
});

it("changes the account's nick for every joined session; a conflicting change answers only the asker", async () => {
  const { room, nurse, phone, laptop } = await cast('traffic-nick');
  await phone.send(xml('presence', { to: `${room}/Montague`, id: 'nick-1' }));
  for (const session of [phone, laptop]) {
    const renamed = await session.waitFor(presenceFrom(`${room}/Romeo`));
    expect([renamed.attrs.type, renamed.attrs.to, item(renamed).attrs.nick]).toEqual(['unavailable', session.jid, 'Montague']);
    expect(statusCodes(renamed)).toEqual(['110', '303']);
    const back = await session.waitFor(presenceFrom(`${room}/Montague`));
    expect([back.attrs.type, statusCodes(back)]).toEqual([undefined, ['110']]);
  }
  const seen = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect([seen.attrs.type, item(seen).attrs.nick, statusCodes(seen)]).toEqual(['unavailable', 'Montague', ['303']]);
  await nurse.waitFor(presenceFrom(`${room}/Montague`));
  await laptop.send(groupchat(room, 'a rose by any other name', 'g-1'));
  expect((await nurse.waitFor(isBody('a rose by any other name'))).attrs.from).toBe(`${room}/Montague`);
  // One nick change, seen once.
  const accountPresence = (el: XmlElement) => presenceFrom(`${room}/Romeo`)(el) || presenceFrom(`${room}/Montague`)(el);
  await Promise.all([
    nurse.expectNothing(accountPresence),
    phone.expectNothing(accountPresence),
  ]);
  expect((await bookmarkOf(laptop, room))?.getChildText('nick')).toBe('Montague');

  forget(phone, laptop, nurse);
  await laptop.send(xml('presence', { to: `${room}/Nurse`, id: 'nick-2' }));
  const refused = await laptop.waitFor(isError('presence'));
  expect([refused.attrs.from, refused.attrs.id, errorCondition(refused)]).toEqual([`${room}/Nurse`, 'nick-2', 'conflict']);
  await Promise.all([
    phone.expectNothing(fromRoom(room)),
    nurse.expectNothing(accountPresence),
  ]);
  await laptop.send(groupchat(room, 'still Montague', 'g-2'));
  expect((await nurse.waitFor(isBody('still Montague'))).attrs.from).toBe(`${room}/Montague`);
  await stopAll(phone, laptop, nurse);
});

it('refuses a first join with a nick in use to the joining sessions, without renaming', async () => {
  const { romeo: juliet, room, nurse } = await watchedRoom(server, 'traffic-conflict');
  const phone = await login(juliet, 'phone');
  const laptop = await login(juliet, 'laptop');
  const join = () => xml('x', { xmlns: 'http://jabber.org/protocol/muc' });
  await phone.send(xml('presence', { to: `${room}/Nurse`, id: 'j-1' }, join()));
  await laptop.send(xml('presence', { to: `${room}/Nurse`, id: 'j-2' }, join()));
  for (const session of [phone, laptop]) {
    const refused = await session.waitFor(isError('presence'));
    expect([refused.attrs.from, refused.attrs.to, errorCondition(refused)]).toEqual([`${room}/Nurse`, session.jid, 'conflict']);
  }
  await Promise.all([
    nurse.expectNothing((el) => el.name === 'presence' && fromRoom(room)(el) && el.attrs.from !== `${room}/Nurse`),
    phone.expectNothing((el) => el.name === 'presence' && fromRoom(room)(el)),
  ]);
  // Nothing of the failed join stays: a free nick goes to the room.
  const sequence = await joinRoom(phone, room, 'Juliet');
  expect(statusCodes(sequence.at(-2)!)).toContain('110');
  await nurse.waitFor(presenceFrom(`${room}/Juliet`));
  await stopAll(phone, laptop, nurse);
});

it('forks private messages to joined sessions, carbons the ones a session sends, and archives both', async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('traffic-pm');
  const tablet = await login(romeo, 'tablet');
  await joinRoom(tablet, room, 'Romeo');
  await Promise.all([phone, laptop].map(enableCarbons));

  await nurse.send(xml('message', { to: `${room}/Romeo`, type: 'chat', id: 'pm-in' }, xml('body', {}, 'psst')));
  for (const session of [phone, laptop, tablet]) {
    const pm = await session.waitFor(isBody('psst'));
    expect([pm.attrs.from, pm.attrs.to, pm.attrs.type]).toEqual([`${room}/Nurse`, session.jid, 'chat']);
  }

  await laptop.send(xml('message', { to: `${room}/Nurse`, type: 'chat', id: 'pm-out' }, xml('body', {}, 'hush')));
  expect((await nurse.waitFor(isBody('hush'))).attrs.from).toBe(`${room}/Romeo`);
  const carbon = await phone.waitFor(isCarbon);
  expect(carbon.attrs.from).toBe(`${romeo}@localhost`);
  const inner = carbon.getChild('sent', CARBONS)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
  expect([inner.attrs.from, inner.attrs.to, inner.getChildText('body')]).toEqual([laptop.jid, `${room}/Nurse`, 'hush']);
  // Not to the sender, nor to a joined session that did not enable carbons; the room gets it once.
  await Promise.all([
    laptop.expectNothing((el) => isCarbon(el) || isBody('hush')(el)),
    tablet.expectNothing((el) => isCarbon(el) || isBody('hush')(el)),
    nurse.expectNothing(isBody('hush')),
  ]);

  const archive = await queryArchive(phone, { with: room });
  expect(archive.items.map((i) => [i.body, i.message.attrs.type])).toEqual([
    ['psst', 'chat'],
    ['hush', 'chat'],
  ]);
  await stopAll(phone, laptop, tablet, nurse);
});

it("returns the room's error for a session's stanza to that session only", async () => {
  const { room, nurse, phone, laptop } = await cast('traffic-voice', { moderatedroom: '1' });
  await phone.send(groupchat(room, 'may I speak?', 'nv-1'));
  const refused = await phone.waitFor(isError('message'));
  expect([refused.attrs.from, refused.attrs.to, refused.attrs.id, errorCondition(refused)]).toEqual([room, phone.jid, 'nv-1', 'forbidden']);
  // Without an id too: the server tracks it under one of its own.
  await laptop.send(groupchat(room, 'or may I?'));
  const alsoRefused = await laptop.waitFor(isError('message'));
  expect([alsoRefused.attrs.to, errorCondition(alsoRefused), alsoRefused.getChildText('body')]).toEqual([laptop.jid, 'forbidden', 'or may I?']);
  await Promise.all([
    phone.expectNothing((el) => el.name === 'message'),
    laptop.expectNothing((el) => el.name === 'message'),
    nurse.expectNothing((el) => isBody('may I speak?')(el) || isBody('or may I?')(el)),
  ]);
  await stopAll(phone, laptop, nurse);
});

it('rejoins quietly when the room forgot the account, then sends the refused message once', async () => {
  const { room, nurse, phone, laptop } = await cast('traffic-stale');
  // The room loses the occupant without a word (a room restarted without its state).
  const muc = server.running.server.hosts.get(SERVICE)!.modules.get('muc') as MucService;
  const state = muc.rooms.get(room)!;
  state.remove(state.occupants.get('Romeo')!);
  await phone.send(groupchat(room, 'are you there?', 'st-1'));
  const reflected = await Promise.all([phone, laptop].map((s) => s.waitFor(isBody('are you there?'))));
  expect(reflected.map((el) => el.attrs.from)).toEqual([`${room}/Romeo`, `${room}/Romeo`]);
  expect((await nurse.waitFor(isBody('are you there?'))).attrs.from).toBe(`${room}/Romeo`);
  // Sessions saw no error and no leave or join; the room saw the account come back once.
  const noise = (el: XmlElement) => el.attrs.type === 'error' || presenceFrom(`${room}/Romeo`)(el) || isBody('are you there?')(el);
  await Promise.all([phone.expectNothing(noise), laptop.expectNothing(noise), nurse.expectNothing(isBody('are you there?'))]);
  expect(nurse.received.filter(presenceFrom(`${room}/Romeo`)).map((el) => el.attrs.type)).toEqual([undefined]);
  await stopAll(phone, laptop, nurse);
});

it('never bounces room traffic while the account is a member with no session online', async () => {
  const { romeo, room, nurse, phone, laptop } = await cast('traffic-offline');
  await stopAll(phone, laptop);
  // The room sees the absent presence, not a leave.
  const absent = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect([absent.attrs.type, absent.getChildText('show')]).toEqual([undefined, 'xa']);

  await nurse.send(groupchat(room, 'anyone home?'));
  await nurse.send(groupchat(room, 'still here'));
  await nurse.send(xml('message', { to: `${room}/Romeo`, type: 'chat', id: 'pm-1' }, xml('body', {}, 'a quiet word')));
  await nurse.waitFor(isBody('still here'));
  await nurse.expectNothing((el) => presenceFrom(`${room}/Romeo`)(el) || el.attrs.type === 'error', 500);

  const tablet = await login(romeo, 'tablet');
  const sequence = await joinRoom(tablet, room, 'Romeo');
  expect(sequence.map((el) => `${el.name} ${el.attrs.from} ${el.getChildText('body') ?? ''}`)).toEqual([
    `presence ${room}/Nurse `,
    `presence ${room}/Romeo `,
    `message ${room}/Nurse anyone home?`,
    `message ${room}/Nurse still here`,
    `message ${room} `,
  ]);
  const archive = await queryArchive(tablet, { with: room });
  expect(archive.items.map((i) => i.body)).toEqual(['anyone home?', 'still here', 'a quiet word']);
  // Back from absent to available: the room never saw the account leave.
  const back = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect([back.attrs.type, back.getChildText('show')]).toEqual([undefined, null]);
  await stopAll(tablet, nurse);
});
