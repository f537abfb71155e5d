/**
 * Account rooms, the account's presence in a room: one presence per account,
 * the most available of the joined sessions' (chat > available > dnd > away
 * > xa, with the winner's status), sent only when that aggregate changes, a
 * drop only after `presence_grace`, a rise at once. A session's join
 * presence and the presence it sends the room count for that room, and so do
 * its later broadcast changes (the latest wins). Sessions connecting,
 * joining, disconnecting, reconnecting, rejoining or going offline show the
 * room nothing; with none left the room sees the absent presence, never
 * unavailable. A second server checks `absent_presence` and `leave:
 * any-session`. A watcher account (room owner, so it sees real JIDs) checks
 * what the room shows and does not show.
 *
 * References: account-rooms spec, "What the room sees", "Leaving";
 * XEP-0045 §7.2.1 (join presence), §7.7 (changing availability), §7.14
 * (exiting); RFC 6121 §4.7.2.1 (show values), §4.5 (unavailable).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient } from './harness/client.js';
import { isBody, statusCodes } from './harness/muc.js';
import { groupchat, joinRoom, loginAs, presenceFrom, reads, shown, stopAll, watchedRoom } from './harness/account-rooms.js';

const GRACE_MS = 500;
/** Well inside the grace: a drop must not have reached the room yet, a rise must have. */
const WITHIN_GRACE_MS = 350;

let server: TestServer;
/** `absent_presence: away`, `leave: any-session`. */
let anySession: TestServer;

beforeAll(async () => {
  const grace = { presence_grace: GRACE_MS / 1000 };
  [server, anySession] = await Promise.all([
    startTestServer({ account_rooms: grace }),
    startTestServer({ account_rooms: { ...grace, absent_presence: 'away', leave: 'any-session' } }),
  ]);
});
afterAll(() => Promise.all([server.stop(), anySession.stop()]));

const login = (on: TestServer, username: string, resource: string) => loginAs(on)(username, resource);
const broadcast = (client: TestClient, show?: string, status?: string) => client.send(xml('presence', {}, ...shown(show, status)));
const toRoom = (client: TestClient, occupant: string, show?: string, status?: string) =>
  client.send(xml('presence', { to: occupant }, ...shown(show, status)));
const selfOf = (sequence: Awaited<ReturnType<typeof joinRoom>>) =>
  sequence.find((el) => el.name === 'presence' && statusCodes(el).includes('110'))!;

/** What the room shows of the account next, as the watcher and every joined session get it. */
async function nextShown(occupant: string, watcher: TestClient, sessions: TestClient[], timeoutMs = 3000): Promise<string[]> {
  const seen = [watcher, ...sessions].map((client) => client.waitFor(presenceFrom(occupant), timeoutMs));
  return (await Promise.all(seen)).map(reads);
}

it('shows the most available joined session with its status; drops after the grace, rises at once', async () => {
  const { romeo, room, occupant, nurse } = await watchedRoom(server, 'aggregate');
  const phone = await login(server, romeo, 'phone');
  const laptop = await login(server, romeo, 'laptop');

  // The join presence is the session's presence for the room, though its broadcast one says available.
  await joinRoom(phone, room, 'Romeo', undefined, shown('away', 'phone idle'));
  expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available away phone idle');
  await broadcast(laptop, 'xa', 'laptop asleep');
  const later = await joinRoom(laptop, room, 'Romeo', undefined, shown('xa', 'laptop asleep'));
  expect(reads(selfOf(later))).toBe('available away phone idle');
  // Less available than the phone: the aggregate is unchanged, the room hears nothing (nor the sessions).
  await nurse.expectNothing(presenceFrom(occupant));
  await phone.expectNothing(presenceFrom(occupant), 0);

  // A broadcast change of a joined session counts; more available reaches the room at once.
  await broadcast(laptop, 'chat', 'laptop ready');
  expect(await nextShown(occupant, nurse, [phone, laptop], WITHIN_GRACE_MS)).toEqual(Array(3).fill('available chat laptop ready'));

  // Presence sent to the room counts for it; below the winner it changes nothing.
  await toRoom(phone, occupant, 'dnd', 'phone busy');
  await nurse.expectNothing(presenceFrom(occupant));
  // The winner drops: dnd (the phone's room presence, not its broadcast away) after the grace only.
  await toRoom(laptop, occupant, 'xa', 'laptop away');
  await nurse.expectNothing(presenceFrom(occupant), WITHIN_GRACE_MS);
  expect(await nextShown(occupant, nurse, [phone, laptop])).toEqual(Array(3).fill('available dnd phone busy'));

  // A broadcast after the room presence wins for the phone too; recovering within the grace shows nothing.
  await broadcast(phone, 'xa');
  await new Promise((resolve) => setTimeout(resolve, GRACE_MS / 5));
  await toRoom(phone, occupant, 'dnd', 'phone busy');
  await nurse.expectNothing(presenceFrom(occupant), GRACE_MS + 200);
  await Promise.all([phone, laptop].map((session) => session.expectNothing(presenceFrom(occupant), 0)));
  await stopAll(phone, laptop, nurse);
});

it('shows nothing as sessions connect, join, disconnect, reconnect, rejoin or go offline; absent (xa) when none is left', async () => {
  const { romeo, room, occupant, nurse } = await watchedRoom(server, 'lifecycle');
  const phone = await login(server, romeo, 'phone');
  await joinRoom(phone, room, 'Romeo');
  expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available - -');

  const laptop = await login(server, romeo, 'laptop');
  await joinRoom(laptop, room, 'Romeo');
  await laptop.stop();
  const again = await login(server, romeo, 'laptop');
  const rejoined = await joinRoom(again, room, 'Romeo');
  expect(rejoined.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([`presence ${room}/Nurse`, `presence ${occupant}`, `message ${room}`]);
  // Broadcast unavailable (going offline) is never forwarded to rooms.
  await again.send(xml('presence', { type: 'unavailable' }));
  await nurse.expectNothing(presenceFrom(occupant));
  await phone.expectNothing(presenceFrom(occupant), 0);

  // The last joined session disconnects: the absent presence after the grace, never unavailable.
  await phone.stop();
  await nurse.expectNothing(presenceFrom(occupant), WITHIN_GRACE_MS);
  expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available xa -');
  await nurse.send(groupchat(room, 'while nobody is here'));
  await nurse.expectNothing(presenceFrom(occupant), GRACE_MS);

  // Still the occupant: a new session is answered locally (with what came meanwhile), and the rise is at once.
  const back = await login(server, romeo, 'phone');
  const answered = await joinRoom(back, room, 'Romeo');
  expect(answered.some(isBody('while nobody is here'))).toBe(true);
  expect(reads(selfOf(answered))).toBe('available xa -');
  expect(reads(await nurse.waitFor(presenceFrom(occupant), WITHIN_GRACE_MS))).toBe('available - -');
  // The room's update that followed the join (after the subject, which ends the join's answer).
  expect(reads(await back.waitFor(presenceFrom(occupant)))).toBe('available - -');
  await stopAll(back, again, nurse);
});

describe('with absent_presence away and leave any-session', () => {
  it('shows the configured absent presence once no joined session is connected', async () => {
    const { romeo, room, occupant, nurse } = await watchedRoom(anySession, 'absent');
    const phone = await login(anySession, romeo, 'phone');
    const laptop = await login(anySession, romeo, 'laptop');
    await joinRoom(phone, room, 'Romeo', undefined, shown('chat'));
    await joinRoom(laptop, room, 'Romeo');
    expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available chat -');
    await stopAll(phone, laptop);
    await nurse.expectNothing(presenceFrom(occupant), WITHIN_GRACE_MS);
    expect(reads(await nurse.waitFor(presenceFrom(occupant)))).toBe('available away -');
    await nurse.expectNothing(presenceFrom(occupant), GRACE_MS);
    await nurse.stop();
  });

  it('ends the membership for every joined session at one explicit leave', async () => {
    const { romeo, room, occupant, nurse } = await watchedRoom(anySession, 'any-leave');
    const phone = await login(anySession, romeo, 'phone');
    const laptop = await login(anySession, romeo, 'laptop');
    await joinRoom(phone, room, 'Romeo');
    await joinRoom(laptop, room, 'Romeo');
    await nurse.waitFor(presenceFrom(occupant));

    await laptop.send(xml('presence', { to: occupant, type: 'unavailable' }));
    for (const session of [phone, laptop]) {
      const gone = await session.waitFor(presenceFrom(occupant));
      expect(gone.attrs.type).toBe('unavailable');
      expect(gone.attrs.to).toBe(session.jid);
      expect(statusCodes(gone)).toContain('110');
    }
    expect((await nurse.waitFor(presenceFrom(occupant))).attrs.type).toBe('unavailable');

    // Once: no second leave, no stray self-presence, and the room's traffic no longer reaches either session.
    await nurse.send(groupchat(room, 'after the leave'));
    await nurse.waitFor(isBody('after the leave'));
    await nurse.expectNothing(presenceFrom(occupant));
    for (const session of [phone, laptop]) {
      await session.expectNothing((el) => presenceFrom(occupant)(el) || isBody('after the leave')(el), 0);
    }
    await stopAll(phone, laptop, nurse);
  });
});
