/**
 * Account rooms and XEP-0402 bookmarks, both ways, with two sessions of one
 * account (advertising `urn:xmpp:bookmarks:1+notify`) and a watcher account
 * that owns the room and sees real JIDs: a room a session joined gets an
 * autojoin bookmark the other session hears of (not with
 * `bookmark_joins: false`); an autojoin bookmark makes the account join
 * with no session in the room, with the bookmark's nick, and later sessions
 * are answered locally; retracting the bookmark or clearing autojoin ends
 * the membership for every joined session; the last session leaving clears
 * autojoin.
 *
 * References: account-rooms spec, "Leaving" (bookmark-driven),
 * "Nicknames", "Session joins a room" 2; XEP-0402 §2, §3; XEP-0045 §7.2,
 * §7.14; XEP-0163 §4 (notifications to the owner's resources).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient, type XmlElement } from './harness/client.js';
import { connectWithCaps } from './harness/caps-client.js';
import { PUBSUB, PUBSUB_EVENT } from './harness/pubsub.js';
import { statusCodes, item, isBody } from './harness/muc.js';
import { BOOKMARKS, FAST_LOGIN, forget, groupchat, joinRoom, presenceFrom, stopAll, watchedRoom } from './harness/account-rooms.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const login = (username: string, resource: string, on = server) =>
  connectWithCaps(on, { username, password: `${username}-secret`, resource, features: [`${BOOKMARKS}+notify`], ...FAST_LOGIN });
/** A watcher-owned room; every session advertises bookmark notifications. */
const bookmarkedRoom = (name: string, on = server) => watchedRoom(on, name, {}, (username, resource) => login(username, resource, on));

/** Two sessions of the account, each known to the server as available with its caps (so both get notifications). */
async function phoneAndLaptop(username: string, on = server): Promise<[TestClient, TestClient]> {
  const phone = await login(username, 'phone', on);
  const laptop = await login(username, 'laptop', on);
  await phone.waitFor((el) => el.name === 'presence' && el.attrs.from === laptop.jid);
  return [phone, laptop];
}

/** A bookmarks notification about `room` from the account: the published `<conference/>`, or 'retracted'. */
const bookmarkNews = (account: string, room: string) => (el: XmlElement) => {
  const items = el.attrs.from === account ? el.getChild('event', PUBSUB_EVENT)?.getChild('items') : undefined;
  if (items?.attrs.node !== BOOKMARKS) return false;
  return [...items.getChildren('item'), ...items.getChildren('retract')].some((i) => i.attrs.id === room);
};
const conferenceIn = (news: XmlElement) => news.getChild('event', PUBSUB_EVENT)!.getChild('items')!.getChild('item')!.getChild('conference', BOOKMARKS)!;

function publishBookmark(client: TestClient, room: string, autojoin: boolean, nick: string) {
  const conference = xml('conference', { xmlns: BOOKMARKS, autojoin: String(autojoin) }, xml('nick', {}, nick));
  return client.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: BOOKMARKS }, xml('item', { id: room }, conference)))));
}

function retractBookmark(client: TestClient, room: string) {
  return client.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: BOOKMARKS, notify: 'true' }, xml('item', { id: room })))));
}

/** The account's bookmarks as its session reads them (none when the node does not exist). */
async function bookmarksOf(client: TestClient): Promise<XmlElement[]> {
  try {
    const result = await client.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: BOOKMARKS }))));
    return result.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
  } catch (err) {
    if ((err as { condition?: string }).condition === 'item-not-found') return [];
    throw err;
  }
}

/** A watcher-owned room with two sessions of a fresh account joined as Romeo (the bookmark made on join is awaited). */
async function twoSessionsJoined(name: string) {
  const { romeo, room, nurse } = await bookmarkedRoom(name);
  const [phone, laptop] = await phoneAndLaptop(romeo);
  await joinRoom(phone, room, 'Romeo');
  await laptop.waitFor(bookmarkNews(`${romeo}@localhost`, room), 5000, 'the bookmark made on join');
  await joinRoom(laptop, room, 'Romeo');
  forget(nurse, phone, laptop);
  return { romeo, room, nurse, phone, laptop, stop: () => stopAll(phone, laptop, nurse) };
}

const selfUnavailable = (room: string) => (el: XmlElement) =>
  presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === 'unavailable' && statusCodes(el).includes('110');

it('gives a room a session joined an autojoin bookmark with the nick, which the other session hears of', async () => {
  const { romeo, room, nurse } = await bookmarkedRoom('bm-joined');
  const [phone, laptop] = await phoneAndLaptop(romeo);
  await joinRoom(phone, room, 'Romeo');
  const news = await laptop.waitFor(bookmarkNews(`${romeo}@localhost`, room));
  expect(conferenceIn(news).attrs.autojoin).toBe('true');
  expect(conferenceIn(news).getChildText('nick')).toBe('Romeo');
  const stored = await bookmarksOf(laptop);
  expect(stored.map((i) => i.attrs.id)).toEqual([room]);
  // The session that did not join is not in the room: the bookmark alone changes nothing for it.
  await laptop.expectNothing((el) => el.attrs.from?.startsWith(`${room}/`) === true, 0);
  await stopAll(phone, laptop, nurse);
});

it('makes no bookmark for a joined room with bookmark_joins off', async () => {
  const own = await startTestServer({ account_rooms: { bookmark_joins: false } });
  try {
    const { romeo, room, nurse } = await bookmarkedRoom('bm-off', own);
    const [phone, laptop] = await phoneAndLaptop(romeo, own);
    await joinRoom(phone, room, 'Romeo');
    await nurse.waitFor(presenceFrom(`${room}/Romeo`));
    await laptop.expectNothing(bookmarkNews(`${romeo}@localhost`, room));
    expect(await bookmarksOf(laptop)).toEqual([]);
    // A bookmark the user makes for the room still rules it: retracting it ends the membership.
    await publishBookmark(laptop, room, true, 'Romeo');
    await retractBookmark(laptop, room);
    await phone.waitFor(selfUnavailable(room), 5000, 'self-unavailable');
    await nurse.waitFor((el) => presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === 'unavailable');
    await stopAll(phone, laptop, nurse);
  } finally {
    await own.stop();
  }
});

it('joins the account for an autojoin bookmark with its nick and answers a later session locally', async () => {
  const { romeo, room, nurse } = await bookmarkedRoom('bm-autojoin');
  await nurse.send(groupchat(room, 'said before'));
  await nurse.waitFor(isBody('said before'));
  const phone = await login(romeo, 'phone');
  await publishBookmark(phone, room, true, 'Montague');
  // The account joins on its own; with no session in the room it shows as absent (xa), with its bare JID.
  const joined = await nurse.waitFor(presenceFrom(`${room}/Montague`));
  expect(joined.attrs.type).toBeUndefined();
  expect(item(joined).attrs.jid).toBe(`${romeo}@localhost`);
  expect(joined.getChildText('show')).toBe('xa');
  await phone.expectNothing((el) => el.attrs.from?.startsWith(room) === true, 0);
  await phone.stop();

  const laptop = await login(romeo, 'laptop');
  const sequence = await joinRoom(laptop, room, 'Montague');
  expect(sequence.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([
    `presence ${room}/Nurse`,
    `presence ${room}/Montague`,
    `message ${room}/Nurse`,
    `message ${room}`,
  ]);
  expect(statusCodes(sequence[1])).toContain('110');
  expect(statusCodes(sequence[1])).not.toContain('210');
  expect(sequence[2].getChildText('body')).toBe('said before');
  // The room sees the account become available, never a leave.
  const shown = await nurse.waitFor(presenceFrom(`${room}/Montague`));
  expect(shown.attrs.type).toBeUndefined();
  expect(shown.getChild('show')).toBeUndefined();
  await nurse.expectNothing((el) => presenceFrom(`${room}/Montague`)(el) && el.attrs.type === 'unavailable');
  await stopAll(laptop, nurse);
});

it('ends the membership for every joined session when the bookmark is retracted', async () => {
  const { room, nurse, phone, laptop, stop } = await twoSessionsJoined('bm-retract');
  await retractBookmark(phone, room);
  for (const session of [phone, laptop]) await session.waitFor(selfUnavailable(room), 5000, 'self-unavailable');
  const left = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(left.attrs.type).toBe('unavailable');
  await nurse.send(groupchat(room, 'after the retraction'));
  await Promise.all([phone.expectNothing(isBody('after the retraction')), laptop.expectNothing(isBody('after the retraction'), 0)]);
  await stop();
});

it('ends the membership when the bookmark is published with autojoin false', async () => {
  const { room, nurse, phone, laptop, stop } = await twoSessionsJoined('bm-autojoin-off');
  await publishBookmark(laptop, room, false, 'Romeo');
  for (const session of [phone, laptop]) await session.waitFor(selfUnavailable(room), 5000, 'self-unavailable');
  const left = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(left.attrs.type).toBe('unavailable');
  // The bookmark stays as published (autojoin off), and no rejoin follows.
  expect((await bookmarksOf(phone)).map((i) => i.getChild('conference', BOOKMARKS)!.attrs.autojoin)).toEqual(['false']);
  await nurse.expectNothing((el) => presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === undefined);
  await stop();
});

it('clears autojoin when the last joined session leaves, not before', async () => {
  const { romeo, room, nurse, phone, laptop, stop } = await twoSessionsJoined('bm-last');
  const account = `${romeo}@localhost`;
  await laptop.send(xml('presence', { to: `${room}/Romeo`, type: 'unavailable' }));
  await laptop.waitFor(selfUnavailable(room));
  await phone.expectNothing(bookmarkNews(account, room));

  await phone.send(xml('presence', { to: `${room}/Romeo`, type: 'unavailable' }));
  await phone.waitFor(selfUnavailable(room));
  const news = await laptop.waitFor(bookmarkNews(account, room));
  expect(conferenceIn(news).attrs.autojoin ?? 'false').toBe('false');
  expect(conferenceIn(news).getChildText('nick')).toBe('Romeo');
  const left = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(left.attrs.type).toBe('unavailable');
  await nurse.expectNothing((el) => presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === undefined);
  await stop();
});
