/**
 * Account rooms, removals that are not final and rooms that refuse a bare
 * JID: a room that drops the account with 332 (service shutdown) or 333
 * (technical problem) gets it back by a quiet rejoin (the watcher sees the
 * account come back, the joined sessions see nothing, room traffic keeps
 * flowing), and only a rejoin that finally fails tells the sessions the
 * account is out (333). A room that answers a bare-JID join with an error
 * is joined once more from `user@host/<account_rooms.resource>`, which it
 * shows as the real JID, and the membership keeps using it. Two sessions of
 * one account, and a watcher account that owns the room.
 *
 * The removals are made as the room would make them: the local MUC service
 * loses the occupant without a word, and the removal presence is routed from
 * the room to the account, as a room across federation would send it.
 *
 * References: account-rooms spec, "What the room sees" (bare-JID retry),
 * "Traffic from the room" (332 not final), "Durability"; XEP-0045 §7.2.1
 * (entering), §9.1 (ban), §15.6 (status codes 110, 332, 333); RFC 6120
 * §8.3.3.8 (jid-malformed).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient } from './harness/client.js';
import { MUC, fromRoom, isBody, item, statusCodes } from './harness/muc.js';
import { SERVICE, accountRoomsCast, forget, groupchat, joinRoom, loginAs, presenceFrom, refusedJoin, stopAll, watchedRoom } from './harness/account-rooms.js';
import { x } from '../../src/core/xml/element.js';
import { NS } from '../../src/core/xml/ns.js';
import type { AccountRooms } from '../../src/modules/account-rooms/index.js';
import type { MucService } from '../../src/modules/muc/service.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

const login = (username: string, resource: string) => loginAs(server)(username, resource);
const accountRooms = () => server.running.server.hosts.get('localhost')!.modules.get('account-rooms') as AccountRooms;
const mucHost = () => server.running.server.hosts.get(SERVICE)!;

/** The room loses the account's occupant without a word (its service restarted, or dropped it). */
function roomForgets(room: string, nick = 'Romeo'): void {
  const state = (mucHost().modules.get('muc') as MucService).rooms.get(room)!;
  state.remove(state.occupants.get(nick)!);
}

/** The room tells the account (at `to`) it was removed, with these status codes besides 110. */
async function removedByRoom(room: string, to: string, code: string): Promise<void> {
  const status = ['110', code].map((c) => x('status', { code: c }));
  const userX = x('x', { xmlns: `${MUC}#user` }, x('item', { affiliation: 'none', role: 'none' }), ...status);
  await mucHost().route(x('presence', { from: `${room}/Romeo`, to, type: 'unavailable' }, userX));
}

/** Room traffic reaches every joined session, addressed to it. */
async function expectFlowing(room: string, nurse: TestClient, sessions: TestClient[], body: string): Promise<void> {
  await nurse.send(groupchat(room, body));
  for (const session of sessions) expect((await session.waitFor(isBody(body))).attrs.to).toBe(session.jid);
}

it.each(['332', '333'])('rejoins quietly when the room removes the account with %s', async (code) => {
  const { romeo, room, occupant, nurse, phone, laptop } = await accountRoomsCast(server, `rejoin-${code}`);
  roomForgets(room);
  await removedByRoom(room, `${romeo}@localhost`, code);
  // The room had lost the account: the watcher sees it come back, as before, and nothing else.
  const back = await nurse.waitFor(presenceFrom(occupant));
  expect([back.attrs.type, item(back).attrs.jid, back.getChild('show')]).toEqual([undefined, `${romeo}@localhost`, undefined]);
  await expectFlowing(room, nurse, [phone, laptop], `still here after ${code}`);
  // The sessions saw nothing of the removal or the rejoin (no presence, no repeated subject, no error).
  await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => fromRoom(room)(el) || el.attrs.type === 'error')));
  await nurse.expectNothing(presenceFrom(occupant), 0);
  // Still the occupant: a later session is answered locally.
  const tablet = await login(romeo, 'tablet');
  const sequence = await joinRoom(tablet, room, 'Romeo');
  expect(sequence.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([`presence ${room}/Nurse`, `presence ${occupant}`, `message ${room}/Nurse`, `message ${room}`]);
  await nurse.expectNothing(presenceFrom(occupant));
  await stopAll(phone, laptop, tablet, nurse);
});

it('tells the joined sessions the account is out (333) when the quiet rejoin finally fails', async () => {
  const { romeo, room, occupant, nurse, phone, laptop } = await accountRoomsCast(server, 'rejoin-refused');
  roomForgets(room);
  // Banned meanwhile: with no occupant to remove, the room only records the ban and will refuse the rejoin.
  const ban = xml('item', { jid: `${romeo}@localhost`, affiliation: 'outcast' });
  await nurse.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#admin` }, ban)));
  await removedByRoom(room, `${romeo}@localhost`, '332');
  // Only the last attempt is left: the backoff between attempts (seconds) is not what this test checks.
  accountRooms().get(romeo, room)!.rejoinAttempts = 4;
  for (const session of [phone, laptop]) {
    const out = await session.waitFor(presenceFrom(occupant));
    expect([out.attrs.type, out.attrs.to, statusCodes(out)]).toEqual(['unavailable', session.jid, ['110', '333']]);
  }
  await nurse.send(groupchat(room, 'after the ban'));
  await nurse.waitFor(isBody('after the ban'));
  await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => fromRoom(room)(el) || el.attrs.type === 'error')));
  await nurse.expectNothing(presenceFrom(occupant), 0);
  // The membership is gone: a join goes to the room, which refuses it.
  expect(await refusedJoin(laptop, room, 'Romeo')).toEqual(['error', 'forbidden']);
  await stopAll(phone, laptop, nurse);
});

/**
 * Makes the room answer presence from a bare JID with `jid-malformed`, as a
 * room that wants full JIDs would; returns how many it refused and how to
 * stop. It runs on the MUC service's host ahead of the service itself.
 */
function refuseBareJids(room: string): { refused: () => number; stop: () => void } {
  let refused = 0;
  const stop = mucHost().bus.on(
    'presence/full',
    ({ stanza, from, to }) => {
      if (to.bareString() !== room || from.resource !== undefined || stanza.attrs.type !== undefined) return undefined;
      refused++;
      const error = x('error', { type: 'modify' }, x('jid-malformed', { xmlns: NS.stanzaErrors }));
      void mucHost().route(x('presence', { from: to.toString(), to: from.toString(), type: 'error', id: stanza.attrs.id }, error));
      return true;
    },
    1000,
  );
  return { refused: () => refused, stop };
}

it('joins from user@host/rooms when the room refuses the bare JID, and stays with it', async () => {
  const { romeo, room, occupant, nurse } = await watchedRoom(server, 'full-jid');
  const rooms = refuseBareJids(room);
  try {
    const [phone, laptop] = [await login(romeo, 'phone'), await login(romeo, 'laptop')];
    const first = await joinRoom(phone, room, 'Romeo');
    expect(first.map((el) => `${el.name} ${el.attrs.from} ${el.attrs.type ?? ''}`.trim())).toEqual([`presence ${room}/Nurse`, `presence ${occupant}`, `message ${room} groupchat`]);
    expect(statusCodes(first[1])).toContain('110');
    expect(rooms.refused()).toBe(1);
    const seen = await nurse.waitFor(presenceFrom(occupant));
    // Shown as the joining session is (available), never first as absent.
    expect([item(seen).attrs.jid, seen.getChildText('show')]).toEqual([`${romeo}@localhost/rooms`, null]);
    await joinRoom(laptop, room, 'Romeo');
    await expectFlowing(room, nurse, [phone, laptop], 'to the full JID');
    await laptop.send(groupchat(room, 'from the full JID'));
    expect((await nurse.waitFor(isBody('from the full JID'))).attrs.from).toBe(occupant);
    await Promise.all([phone, laptop].map((s) => s.waitFor(isBody('from the full JID'))));
    // A session's IQ to the room goes from the full JID too, and its answer comes back.
    const info = await phone.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: DISCO_INFO })));
    expect(info.getChild('query', DISCO_INFO)!.getChild('identity')!.attrs.category).toBe('conference');
    forget(phone);

    // Remembered for the room: a quiet rejoin after a removal goes from the full JID at once.
    roomForgets(room);
    await removedByRoom(room, `${romeo}@localhost/rooms`, '333');
    expect(item(await nurse.waitFor(presenceFrom(occupant))).attrs.jid).toBe(`${romeo}@localhost/rooms`);
    await expectFlowing(room, nurse, [phone, laptop], 'back again');
    expect(rooms.refused()).toBe(1);
    await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => fromRoom(room)(el) || el.attrs.type === 'error')));
    await nurse.expectNothing(presenceFrom(occupant), 0);
    await stopAll(phone, laptop, nurse);
  } finally {
    rooms.stop();
  }
});
