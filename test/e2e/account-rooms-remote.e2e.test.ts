/**
 * Account rooms in a room on another server: Romeo's account on Verona
 * occupies a room of Mantua's MUC service over s2s. The room gets one
 * join and shows one occupant whose real JID is Romeo's bare JID; a later
 * session is answered by Verona without a stanza crossing; each room
 * message crosses once and reaches every joined session; messages, IQs and
 * self-pings from sessions go out as the account; one session leaving is
 * invisible, the last one takes the account out. A watcher on Mantua owns
 * the room.
 *
 * References: account-rooms spec, "What the room sees", "Session joins a
 * room", "Leaving", "Traffic from the room", "Traffic from a session to
 * the room"; XEP-0045 §7.2, §7.4, §7.14; XEP-0410; RFC 6120 §4.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { xml, type XmlElement } from './harness/client.js';
import { isBody, item, statusCodes } from './harness/muc.js';
import { PING, createRoom, forget, groupchat, joinRoom, loginAs, presenceFrom, stopAll } from './harness/account-rooms.js';
import { queryArchive } from './harness/mam-client.js';
import { HOME, REMOTE_SERVICE, leaveFrom, mantuaRoom, mucHost, remoteCast, startFederatedRooms, type Federation } from './harness/federated-rooms.js';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederatedRooms();
});
afterAll(async () => {
  await federation?.home.stop();
  await federation?.away.stop();
});

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const summary = (sequence: XmlElement[]) => sequence.map((el) => `${el.name} ${el.attrs.from}`);

/** Counts what Mantua's MUC service sends to Verona, by stanza kind, while the test runs. */
function crossing(): { count: (name: string) => number; stop: () => void } {
  const seen: string[] = [];
  const stop = mucHost(federation.away).bus.on(
    'route/remote',
    ({ stanza, to }) => {
      if (to.domain === HOME) seen.push(stanza.name);
      return undefined;
    },
    1000,
  );
  return { count: (name) => seen.filter((n) => n === name).length, stop };
}

it('joins as the account: one occupant with the bare JID, a later session answered without crossing', async () => {
  const { home, away } = federation;
  const [[romeo], [watcher]] = [await home.createFreshUsers('romeo'), await away.createFreshUsers('nurse')];
  const room = `join@${REMOTE_SERVICE}`;
  const nurse = await loginAs(away)(watcher, 'desk');
  await createRoom(nurse, room, 'Nurse');
  await nurse.send(groupchat(room, 'before Romeo'));
  await nurse.waitFor(isBody('before Romeo'));
  const [phone, laptop] = [await loginAs(home)(romeo, 'phone'), await loginAs(home)(romeo, 'laptop')];

  const first = await joinRoom(phone, room, 'Romeo');
  expect(summary(first)).toEqual([`presence ${room}/Nurse`, `presence ${room}/Romeo`, `message ${room}/Nurse`, `message ${room}`]);
  expect(statusCodes(first[1])).toContain('110');
  expect(first.every((el) => el.attrs.to === phone.jid)).toBe(true);
  expect(item(await nurse.waitFor(presenceFrom(`${room}/Romeo`))).attrs.jid).toBe(`${romeo}@${HOME}`);

  const traffic = crossing();
  const later = await joinRoom(laptop, room, 'Romeo');
  traffic.stop();
  expect(summary(later)).toEqual(summary(first));
  expect(statusCodes(later[1])).toEqual(statusCodes(first[1]));
  expect(later[2].getChildText('body')).toBe('before Romeo');
  // Answered by Verona: nothing crossed from the room, the watcher saw nothing, the room holds one occupant with one session.
  expect(traffic.count('presence') + traffic.count('message')).toBe(0);
  await nurse.expectNothing(presenceFrom(`${room}/Romeo`));
  const romeoInRoom = mantuaRoom(away, room)!.occupants.get('Romeo')!;
  expect([...romeoInRoom.sessions.keys()]).toEqual([`${romeo}@${HOME}`]);
  await stopAll(phone, laptop, nurse);
});

it('forks each room message, crossing once, to every joined session; sessions speak as the account', async () => {
  const { room, occupant, nurse, phone, laptop } = await remoteCast(federation, 'fork');
  const traffic = crossing();
  await nurse.send(groupchat(room, 'hello both'));
  for (const session of [phone, laptop]) expect((await session.waitFor(isBody('hello both'))).attrs.to).toBe(session.jid);
  expect(traffic.count('message')).toBe(1);
  traffic.stop();

  await laptop.send(groupchat(room, 'from the laptop'));
  expect((await nurse.waitFor(isBody('from the laptop'))).attrs.from).toBe(occupant);
  await Promise.all([phone, laptop].map((s) => s.waitFor(isBody('from the laptop'))));
  const archived = await queryArchive(phone, { with: room });
  expect(archived.items.map((i) => i.body)).toEqual(['hello both', 'from the laptop']);

  // IQs go out as the account and come back to the asker; a recent self-ping is answered by Verona.
  const info = await phone.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: DISCO_INFO })));
  expect(info.getChild('query', DISCO_INFO)!.getChild('identity')!.attrs.category).toBe('conference');
  const pong = await laptop.iq(xml('iq', { type: 'get', to: occupant }, xml('ping', { xmlns: PING })));
  expect(pong.attrs.type).toBe('result');
  await nurse.expectNothing(presenceFrom(occupant), 0);
  await stopAll(phone, laptop, nurse);
});

it('lets one session leave unseen; the last one takes the account out of the remote room', async () => {
  const { room, occupant, nurse, phone, laptop } = await remoteCast(federation, 'leave');
  await laptop.send(xml('presence', { to: occupant, type: 'unavailable' }));
  const alone = await laptop.waitFor(leaveFrom(occupant));
  expect(statusCodes(alone)).toContain('110');
  await nurse.expectNothing(presenceFrom(occupant));
  await nurse.send(groupchat(room, 'phone only'));
  await phone.waitFor(isBody('phone only'));
  await laptop.expectNothing(isBody('phone only'), 0);

  await phone.send(xml('presence', { to: occupant, type: 'unavailable' }));
  expect(statusCodes(await phone.waitFor(leaveFrom(occupant)))).toContain('110');
  expect((await nurse.waitFor(leaveFrom(occupant))).attrs.type).toBe('unavailable');
  expect(mantuaRoom(federation.away, room)!.occupants.has('Romeo')).toBe(false);
  forget(phone);
  // Out for good: a join goes to the room again, which lets the account in anew.
  const again = await joinRoom(phone, room, 'Romeo', { maxstanzas: '0' });
  expect(summary(again)).toEqual([`presence ${room}/Nurse`, `presence ${occupant}`, `message ${room}`]);
  expect((await nurse.waitFor(presenceFrom(occupant))).attrs.type).toBeUndefined();
  await stopAll(phone, laptop, nurse);
});
