/**
 * Account rooms that outlive their sessions and the server: with every
 * session offline the room keeps the account (absent, never unavailable)
 * and its messages land in the account's archive, replayed locally to the
 * next session honouring `<history/>`; after a restart the memberships come
 * back without the watcher seeing the account leave (the local MUC service
 * would drop an occupant nobody brought back), messages are archived once,
 * and what the room got while account rooms were off is fetched from the
 * room's archive; a membership no session joined for `idle_leave_after`
 * ends. Two sessions of one account and a watcher account that owns the room.
 *
 * References: account-rooms spec, "Durability", "What the room sees",
 * "Session joins a room" 2, "Leaving" (idle memberships); XEP-0045 §7.2.15
 * (history), §15.6 (333); XEP-0313 §4 (querying a room's archive), §5.1.1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import type { TestClient, XmlElement } from './harness/client.js';
import { queryArchive } from './harness/mam-client.js';
import { statusCodes, isBody } from './harness/muc.js';
import { SERVICE, accountRoomsCast, createRoom, forget, groupchat, joinRoom, loginAs, presenceFrom, stopAll, watchedRoom } from './harness/account-rooms.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const login = (username: string, resource: string, on = server) => loginAs(on)(username, resource);
const unavailableFrom = (occupant: string) => (el: XmlElement) => presenceFrom(occupant)(el) && el.attrs.type === 'unavailable';
const summary = (sequence: XmlElement[]) => sequence.map((el) => `${el.name} ${el.attrs.from} ${el.getChildText('body') ?? ''}`.trim());

/** The watcher says each line and waits for the room to reflect it (so the room has handled it). */
async function say(watcher: TestClient, room: string, ...bodies: string[]): Promise<void> {
  for (const body of bodies) {
    await watcher.send(groupchat(room, body));
    await watcher.waitFor(isBody(body));
  }
}

/** The bodies of the room's messages in the account's archive, oldest first. */
async function archivedBodies(client: TestClient, room: string): Promise<(string | undefined)[]> {
  return (await queryArchive(client, { with: room })).items.map((i) => i.body);
}

it('keeps the account in the room with every session offline, archives and replays what was said', async () => {
  const { romeo, room, nurse, phone, laptop } = await accountRoomsCast(server, 'offline');
  await stopAll(phone, laptop);
  // After the grace period the room sees the account absent, not gone.
  const absent = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(absent.attrs.type).toBeUndefined();
  expect(absent.getChildText('show')).toBe('xa');

  await say(nurse, room, 'first', 'second', 'third');
  const tablet = await login(romeo, 'tablet');
  expect(await archivedBodies(tablet, room)).toEqual(['first', 'second', 'third']);
  const sequence = await joinRoom(tablet, room, 'Romeo', { maxstanzas: '2' });
  expect(summary(sequence)).toEqual([`presence ${room}/Nurse`, `presence ${room}/Romeo`, `message ${room}/Nurse second`, `message ${room}/Nurse third`, `message ${room}`]);
  expect(statusCodes(sequence[1])).toContain('110');
  expect(sequence[2].getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe(room);
  // The room saw the account come back to available: a presence change, never a leave.
  const back = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(back.attrs.type).toBeUndefined();
  expect(back.getChild('show')).toBeUndefined();
  await nurse.expectNothing(unavailableFrom(`${room}/Romeo`), 0);
  await stopAll(tablet, nurse);
});

/**
 * Juliet's only session leaves the quiet room's account absent (xa); Romeo's
 * two sessions are in the other room, and stay connected through the restart.
 */
async function beforeRestart(room: string, quiet: string, [romeo, juliet, watcher]: string[]) {
  const nurse = await login(watcher, 'desk');
  await createRoom(nurse, room, 'Nurse', { persistentroom: '1' });
  await createRoom(nurse, quiet, 'Nurse', { persistentroom: '1' });
  const julietPhone = await login(juliet, 'phone');
  await joinRoom(julietPhone, quiet, 'Juliet');
  await julietPhone.stop();
  await nurse.waitFor((el) => presenceFrom(`${quiet}/Juliet`)(el) && el.getChildText('show') === 'xa');
  const phone = await login(romeo, 'phone');
  const laptop = await login(romeo, 'laptop');
  await joinRoom(phone, room, 'Romeo');
  await joinRoom(laptop, room, 'Romeo');
  await say(nurse, room, 'before the restart');
  await Promise.all([phone.waitFor(isBody('before the restart')), laptop.waitFor(isBody('before the restart'))]);
  return [nurse, phone, laptop];
}

/** Restarts with short MUC restore grace (occupants nobody brings back go with 333) and a long presence grace. */
async function restartStrictly(): Promise<() => void> {
  const config = server.running.server.config.account_rooms;
  process.env.PERCH_MUC_RESTORE_GRACE_MS = '1500';
  // A presence shown by mistake after the restart would stay visible to the watcher.
  config.presence_grace = 10;
  try {
    await server.restart();
  } finally {
    delete process.env.PERCH_MUC_RESTORE_GRACE_MS;
  }
  return () => void (config.presence_grace = 0.3);
}

it('brings memberships back after a restart without the room seeing the account leave or change', async () => {
  const users = await server.createFreshUsers('romeo', 'juliet', 'nurse');
  const [romeo, , watcher] = users;
  const [room, quiet] = [`restart@${SERVICE}`, `quiet@${SERVICE}`];
  const clients = await beforeRestart(room, quiet, users);
  const relax = await restartStrictly();
  const restarted = Date.now();
  try {
    const nurse = await login(watcher, 'desk');
    const phone = await login(romeo, 'phone');
    clients.push(nurse, phone);
    expect((await joinRoom(nurse, room, 'Nurse')).some(presenceFrom(`${room}/Romeo`))).toBe(true);
    expect((await joinRoom(nurse, quiet, 'Nurse')).find(presenceFrom(`${quiet}/Juliet`))?.getChildText('show')).toBe('xa');
    // Past the grace, with no session of Romeo's back yet: had the account not rejoined, the room would have dropped it (333).
    await nurse.expectNothing(unavailableFrom(`${room}/Romeo`), Math.max(0, restarted + 2000 - Date.now()));
    const sequence = await joinRoom(phone, room, 'Romeo');
    expect(summary(sequence)).toEqual([`presence ${room}/Nurse`, `presence ${room}/Romeo`, `message ${room}/Nurse before the restart`, `message ${room}`]);
    // Juliet's account came back showing what it showed before: nothing to tell the room.
    await nurse.expectNothing(presenceFrom(`${quiet}/Juliet`), 0);
    await say(nurse, room, 'after the restart');
    await phone.waitFor(isBody('after the restart'));
    expect(await archivedBodies(phone, room)).toEqual(['before the restart', 'after the restart']);
  } finally {
    relax();
    await stopAll(...clients);
  }
});

it('fills the gap from the room archive with what the room got while account rooms were off', async () => {
  const [romeo, watcher] = await server.createFreshUsers('romeo', 'nurse');
  const room = `gap@${SERVICE}`;
  const config = server.running.server.config.account_rooms;
  let nurse = await login(watcher, 'desk');
  await createRoom(nurse, room, 'Nurse', { persistentroom: '1' });
  const phone = await login(romeo, 'phone');
  await joinRoom(phone, room, 'Romeo');
  await say(nurse, room, 'heard live');
  await phone.waitFor(isBody('heard live'));
  await stopAll(phone, nurse);

  // A server without account rooms: the room keeps the account (a restored occupant), but nothing receives for it.
  config.enabled = false;
  try {
    await server.restart();
    nurse = await login(watcher, 'desk');
    await joinRoom(nurse, room, 'Nurse');
    await say(nurse, room, 'missed one', 'missed two');
    await nurse.stop();
  } finally {
    config.enabled = true;
  }
  await server.restart();
  const laptop = await login(romeo, 'laptop');
  await until(async () => (await archivedBodies(laptop, room)).length >= 3);
  expect(await archivedBodies(laptop, room)).toEqual(['heard live', 'missed one', 'missed two']);
  const sequence = await joinRoom(laptop, room, 'Romeo');
  expect(summary(sequence).slice(2)).toEqual([`message ${room}/Nurse heard live`, `message ${room}/Nurse missed one`, `message ${room}/Nurse missed two`, `message ${room}`]);
  await laptop.stop();
});

it('ends a membership no session joined for idle_leave_after', async () => {
  const own = await startTestServer({ account_rooms: { idle_leave_after: 1, presence_grace: 0.3 } });
  try {
    const { romeo, room: idle, nurse } = await watchedRoom(own, 'idle');
    const busy = `busy@${SERVICE}`;
    await createRoom(nurse, busy, 'Nurse');
    const phone = await login(romeo, 'phone', own);
    const laptop = await login(romeo, 'laptop', own);
    await joinRoom(phone, idle, 'Romeo');
    await joinRoom(laptop, busy, 'Romeo');
    forget(nurse);
    await phone.stop();
    const left = await nurse.waitFor(unavailableFrom(`${idle}/Romeo`), 4000, 'the idle membership to end');
    expect(left.attrs.type).toBe('unavailable');
    // The room the laptop is still in stays.
    await nurse.expectNothing(unavailableFrom(`${busy}/Romeo`), 0);
    await say(nurse, busy, 'still here');
    await laptop.waitFor(isBody('still here'));
    await stopAll(laptop, nurse);
  } finally {
    await own.stop();
  }
});

/** Polls `check` until it holds (a few seconds at most). */
async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
