/**
 * Account rooms and the account's sessions: a joined session that hibernates
 * (XEP-0198) and resumes within the grace shows the room nothing and loses
 * nothing the room sent meanwhile; a longer hibernation is a session no
 * longer connected (the aggregate drops after the grace, rises again at
 * resumption). A session whose resource matches `exclude_resources` is a
 * plain separate occupant, and so is every session where `services` names
 * only other MUC services or account rooms are off. A slixmpp session (its
 * XEP-0045 plugin) joining after another session of its account is answered
 * locally, then gets the room's messages. A watcher account (room owner)
 * checks what the room shows.
 *
 * References: account-rooms spec, "What the room sees", "Leaving" (a session
 * that hibernates), "Session joins a room" 2, "Where it applies"; XEP-0198 §5
 * (resumption); XEP-0045 §7.2 (entering a room), §7.2.4 (real JIDs).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient } from './harness/client.js';
import { MUC_USER, isBody, item, statusCodes } from './harness/muc.js';
import { groupchat, joinRoom, loginAs, presenceFrom, reads, shown, stopAll, watchedRoom } from './harness/account-rooms.js';
import { smHarness, until } from './harness/stream-management.js';
import { dumpRun, startDriver } from './harness/slixmpp.js';
import type { Element } from '../../src/core/xml/element.js';

/** A cut connection resumes in milliseconds (PLAIN login), well inside this. */
const GRACE_MS = 500;
/** Well inside the grace: a drop must not have reached the room yet, a rise must have. */
const WITHIN_GRACE_MS = 350;

let server: TestServer;
const { serverSession, drained, cut, resumeWith } = smHarness(() => server);

beforeAll(async () => {
  server = await startTestServer({
    account_rooms: { presence_grace: GRACE_MS / 1000, exclude_resources: ['*-plain', 'bot?'] },
    stream_management: { hibernation_timeout: 20 },
  });
});
afterAll(() => server.stop());

/**
 * Logged in (PLAIN, also on resumption: see FAST_LOGIN) and surely
 * available, so stream management acks are in step.
 */
async function login(username: string, resource: string): Promise<TestClient> {
  const client = await loginAs(server)(username, resource);
  await until(() => serverSession(client.jid)?.presence !== undefined, `${client.jid} is available`);
  return client;
}

/** A room owned by a fresh watcher account; Romeo's account occupies it as `occupant`. */
const roomWithWatcher = (name: string) => watchedRoom(server, name, {}, login);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

it('shows nothing while a joined session hibernates and resumes, and delivers what the room sent meanwhile', async () => {
  const { romeo, room, occupant, nurse } = await roomWithWatcher('hibernate');
  const phone = await login(romeo, 'phone');
  const laptop = await login(romeo, 'laptop');
  await joinRoom(phone, room, 'Romeo', undefined, shown('chat', 'on the phone'));
  await joinRoom(laptop, room, 'Romeo', undefined, shown('away'));
  expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available chat on the phone');
  await drained(phone);

  await cut(phone);
  const cutAt = Date.now();
  await nurse.send(groupchat(room, 'while hibernating'));
  await laptop.waitFor(isBody('while hibernating'));
  await resumeWith(phone);
  expect(Date.now() - cutAt, 'resumed within the grace').toBeLessThan(WITHIN_GRACE_MS);
  const during = await phone.waitFor(isBody('while hibernating'));
  expect(during.attrs.to).toBe(phone.jid);
  // Past the grace counted from the cut: the room saw no drop, no leave, nothing.
  await sleep(GRACE_MS + 300 - (Date.now() - cutAt));
  await nurse.expectNothing(presenceFrom(occupant), 0);
  await phone.expectNothing((el) => isBody('while hibernating')(el) || presenceFrom(occupant)(el), 0);
  await nurse.send(groupchat(room, 'after resuming'));
  await Promise.all([phone.waitFor(isBody('after resuming')), laptop.waitFor(isBody('after resuming'))]);

  // Hibernating past the grace: not connected, so the laptop's away shows; resuming brings chat back at once.
  await drained(phone);
  await cut(phone);
  await nurse.expectNothing(presenceFrom(occupant), WITHIN_GRACE_MS);
  expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available away -');
  await resumeWith(phone);
  expect(reads(await nurse.waitFor(presenceFrom(occupant), WITHIN_GRACE_MS))).toBe('available chat on the phone');
  await nurse.expectNothing(presenceFrom(occupant));
  await stopAll(phone, laptop, nurse);
});

it('lets a session whose resource matches exclude_resources join as a plain separate occupant', async () => {
  const { romeo, room, occupant, nurse } = await roomWithWatcher('excluded');
  const phone = await login(romeo, 'phone');
  const plain = await login(romeo, 'laptop-plain');
  await joinRoom(phone, room, 'Romeo');
  await nurse.waitFor(presenceFrom(occupant));

  // The room's own answer: its own nick, no 210, the account's occupant listed like anyone else.
  const own = await joinRoom(plain, room, 'Montague');
  expect(own.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([`presence ${room}/Nurse`, `presence ${occupant}`, `presence ${room}/Montague`, `message ${room}`]);
  expect(statusCodes(own[2]!)).toContain('110');
  expect(statusCodes(own[2]!)).not.toContain('210');
  expect(statusCodes(own[1]!)).not.toContain('110');
  // The watcher sees a second occupant from the session's full JID; the account's session sees it join.
  const second = await nurse.waitFor(presenceFrom(`${room}/Montague`));
  expect(item(second).attrs.jid).toBe(plain.jid);
  expect((await phone.waitFor(presenceFrom(`${room}/Montague`))).attrs.type).toBeUndefined();

  // Its traffic is its own: from its nick to the room, straight from the room to it.
  await plain.send(groupchat(room, 'from the plain one'));
  expect((await nurse.waitFor(isBody('from the plain one'))).attrs.from).toBe(`${room}/Montague`);
  expect((await phone.waitFor(isBody('from the plain one'))).attrs.from).toBe(`${room}/Montague`);
  await plain.waitFor(isBody('from the plain one'));
  await nurse.expectNothing(presenceFrom(occupant));
  await stopAll(phone, plain, nurse);
});

/** Two sessions of one account join as two occupants, with their own nicks and full JIDs, as on any plain MUC service. */
async function expectPlainOccupants(on: TestServer, name: string): Promise<void> {
  const { romeo, room, nurse } = await watchedRoom(on, name);
  const [phone, laptop] = [await loginAs(on)(romeo, 'phone'), await loginAs(on)(romeo, 'laptop')];
  await joinRoom(phone, room, 'Romeo');
  const second = await joinRoom(laptop, room, 'Montague');
  expect(second.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([`presence ${room}/Nurse`, `presence ${room}/Romeo`, `presence ${room}/Montague`, `message ${room}`]);
  expect([statusCodes(second[1]!).includes('110'), statusCodes(second[2]!).includes('110'), statusCodes(second[2]!).includes('210')]).toEqual([false, true, false]);
  const seen = [await nurse.waitFor(presenceFrom(`${room}/Romeo`)), await nurse.waitFor(presenceFrom(`${room}/Montague`))];
  expect(seen.map((el) => item(el).attrs.jid)).toEqual([phone.jid, laptop.jid]);
  await nurse.send(groupchat(room, 'to each'));
  for (const session of [phone, laptop]) expect((await session.waitFor(isBody('to each'))).attrs.to).toBe(session.jid);
  // A session's leave is the room's to see; the other session stays.
  await phone.send(xml('presence', { to: `${room}/Romeo`, type: 'unavailable' }));
  for (const client of [nurse, laptop]) expect((await client.waitFor(presenceFrom(`${room}/Romeo`))).attrs.type).toBe('unavailable');
  await stopAll(phone, laptop, nurse);
}

it.each([
  ['services names only other MUC services', { services: ['conference.elsewhere.example'] }],
  ['account rooms are off', { enabled: false }],
])('makes sessions plain separate occupants when %s', async (_, accountRooms) => {
  const own = await startTestServer({ account_rooms: accountRooms });
  try {
    await expectPlainOccupants(own, 'plain');
  } finally {
    await own.stop();
  }
});

it('answers a slixmpp session joining after another session locally, then forks the room to it', async () => {
  const { romeo, room, occupant, nurse } = await roomWithWatcher('slixmpp');
  const phone = await login(romeo, 'phone');
  await joinRoom(phone, room, 'Romeo');
  await nurse.waitFor(presenceFrom(occupant));
  await nurse.send(groupchat(room, 'before slixmpp'));
  await phone.waitFor(isBody('before slixmpp'));

  const sli = startDriver(server, {
    username: romeo,
    password: `${romeo}-secret`,
    resource: 'sli',
    muc: true,
    scenario: [
      { presence: {} },
      { muc_join: { room, nick: 'Romeo', maxstanzas: 10 } },
      { mark: 'joined' },
      { wait: { name: 'message', contains: 'after slixmpp' } },
    ],
  });
  await sli.mark('joined');
  await nurse.send(groupchat(room, 'after slixmpp'));
  const result = await sli.done;
  expect(result.code, dumpRun(result)).toBe(0);

  // Exactly the XEP-0045 join sequence, then the live message.
  const fromTheRoom = result.stanzas().filter((el) => el.attrs.from === room || el.attrs.from?.startsWith(`${room}/`));
  const describe = (el: Element) => `${el.name} ${el.attrs.from} ${el.getChildText('body') ?? (el.getChild('subject') ? 'subject' : '')}`.trim();
  expect(fromTheRoom.map(describe)).toEqual([
    `presence ${room}/Nurse`,
    `presence ${occupant}`,
    `message ${room}/Nurse before slixmpp`,
    `message ${room} subject`,
    `message ${room}/Nurse after slixmpp`,
  ]);
  const self = fromTheRoom[1]!;
  expect(self.attrs.to).toBe(result.jid);
  expect(self.getChild('x', MUC_USER)?.getChildren('status').map((s) => s.attrs.code)).toContain('110');
  // slixmpp's plugin took it as a complete join (self-presence, then subject), the history as history.
  const joined = result.events.find((e) => e.event === 'muc_joined');
  expect(joined?.self).toContain(`from="${occupant}"`);
  expect(joined?.history).toEqual(['before slixmpp']);

  await phone.waitFor(isBody('after slixmpp'));
  await nurse.expectNothing(presenceFrom(occupant));
  await stopAll(phone, nurse);
});
