/**
 * Account rooms, the room changing or removing the account: a kick (307),
 * a ban (301), losing membership of a members-only room (321) and the room's
 * destruction (`<destroy>` with reason and alternate venue). Every joined
 * session gets the room's stanza as the room sent it, the membership ends
 * (room traffic stops; a later join goes to the room again), and the
 * XEP-0402 bookmark stops auto-joining after a kick, a ban or destruction.
 * A new role reaches every joined session and later joins. The watcher
 * account is the room's owner and does the promoting and removing.
 *
 * References: account-rooms spec, "Traffic from the room" (own
 * unavailable, own role), "Leaving" (bookmarks); XEP-0045 §8.2 (kick),
 * §9.1 (ban), §9.4 (revoking membership), §9.6 (moderator), §10.9 (destroy),
 * §15.6 (status codes); XEP-0402 §3.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, MUC_USER, errorCondition, isBody, item, statusCodes } from './harness/muc.js';
import { PING, SERVICE, accountRoomsCast, bookmarkOf, forget, groupchat, joinRoom, loginAs, presenceFrom, refusedJoin, stopAll, type Cast } from './harness/account-rooms.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const login = (username: string, resource: string) => loginAs(server)(username, resource);
const admin = (room: string, attrs: Record<string, string>, reason: string) =>
  xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#admin` }, xml('item', attrs, xml('reason', {}, reason))));

/** The account's own presence in a join sequence. */
const selfIn = (sequence: XmlElement[], room: string) => sequence.find((el) => presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === undefined)!;

/** accountRoomsCast, and the join made an autojoin bookmark (which the removals below act on). */
async function cast(name: string, config: Record<string, string> = {}, prepare?: (nurse: TestClient, romeo: string) => Promise<unknown>): Promise<Cast> {
  const c = await accountRoomsCast(server, name, config, prepare);
  expect((await bookmarkOf(c.phone, c.room))?.attrs.autojoin).toBe('true');
  forget(c.phone);
  return c;
}

/** Each joined session gets the room's unavailable for the account, to itself, with these codes; returns them. */
async function removalSeenBy(sessions: TestClient[], room: string, codes: string[]): Promise<XmlElement[]> {
  const seen: XmlElement[] = [];
  for (const session of sessions) {
    const out = await session.waitFor(presenceFrom(`${room}/Romeo`));
    expect([out.attrs.type, out.attrs.to, statusCodes(out)]).toEqual(['unavailable', session.jid, codes]);
    seen.push(out);
  }
  return seen;
}

/** The bookmark stays, but no longer auto-joins (checked until the update landed, at most 2 s). */
async function expectAutojoinCleared(client: TestClient, room: string): Promise<void> {
  const deadline = Date.now() + 2000;
  let bookmark = await bookmarkOf(client, room);
  while (bookmark?.attrs.autojoin !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    bookmark = await bookmarkOf(client, room);
  }
  expect([bookmark?.getChildText('nick'), bookmark?.attrs.autojoin]).toEqual(['Romeo', undefined]);
}

/** Room traffic no longer reaches the sessions; the room itself says the account is not an occupant. */
async function expectMembershipOver({ room, nurse, phone, laptop }: Cast): Promise<void> {
  await nurse.send(groupchat(room, 'after you left'));
  await nurse.waitFor(isBody('after you left'));
  await Promise.all([phone, laptop].map((s) => s.expectNothing(isBody('after you left'))));
  await phone.send(xml('iq', { type: 'get', to: `${room}/Romeo`, id: 'self-ping' }, xml('ping', { xmlns: PING })));
  const answer = await phone.waitFor((el) => el.name === 'iq' && el.attrs.id === 'self-ping');
  expect([answer.attrs.type, errorCondition(answer)]).toEqual(['error', 'not-acceptable']);
}

it("forks the account's new role to every joined session and shows it to a later one", async () => {
  const c = await cast('admin-role');
  await c.nurse.iq(admin(c.room, { nick: 'Romeo', role: 'moderator' }, 'trusted'));
  for (const session of [c.phone, c.laptop]) {
    const promoted = await session.waitFor(presenceFrom(`${c.room}/Romeo`));
    expect([promoted.attrs.type, promoted.attrs.to, item(promoted).attrs.role, statusCodes(promoted)]).toEqual([undefined, session.jid, 'moderator', ['110']]);
  }
  const tablet = await login(c.romeo, 'tablet');
  expect(item(selfIn(await joinRoom(tablet, c.room, 'Romeo'), c.room)).attrs.role).toBe('moderator');
  await Promise.all([c.phone, c.laptop].map((s) => s.expectNothing(presenceFrom(`${c.room}/Romeo`))));
  await stopAll(c.phone, c.laptop, tablet, c.nurse);
});

it('ends the membership on a kick and stops auto-joining; a later join goes to the room', async () => {
  const c = await cast('admin-kick');
  await c.nurse.iq(admin(c.room, { nick: 'Romeo', role: 'none' }, 'behave'));
  for (const out of await removalSeenBy([c.phone, c.laptop], c.room, ['110', '307'])) {
    expect([item(out).getChild('actor')?.attrs.nick, item(out).getChildText('reason')]).toEqual(['Nurse', 'behave']);
  }
  expect(statusCodes(await c.nurse.waitFor(presenceFrom(`${c.room}/Romeo`)))).toEqual(['307']);
  await expectAutojoinCleared(c.phone, c.room);
  await expectMembershipOver(c);
  const again = await joinRoom(c.laptop, c.room, 'Romeo');
  expect(statusCodes(selfIn(again, c.room))).toContain('110');
  // From the room itself: its history holds what was said meanwhile.
  expect(again.some(isBody('after you left'))).toBe(true);
  const back = await c.nurse.waitFor(presenceFrom(`${c.room}/Romeo`));
  expect(back.attrs.type).toBeUndefined();
  await stopAll(c.phone, c.laptop, c.nurse);
});

it('ends the membership on a ban and stops auto-joining; the room refuses a later join', async () => {
  const c = await cast('admin-ban');
  await c.nurse.iq(admin(c.room, { jid: `${c.romeo}@localhost`, affiliation: 'outcast' }, 'begone'));
  for (const out of await removalSeenBy([c.phone, c.laptop], c.room, ['110', '301'])) {
    expect([item(out).attrs.affiliation, item(out).getChildText('reason')]).toEqual(['outcast', 'begone']);
  }
  await expectAutojoinCleared(c.phone, c.room);
  await expectMembershipOver(c);
  expect(await refusedJoin(c.laptop, c.room, 'Romeo')).toEqual(['error', 'forbidden']);
  await stopAll(c.phone, c.laptop, c.nurse);
});

it('ends the membership when a members-only room drops the account from its members (321)', async () => {
  const member = (nurse: TestClient, romeo: string) => nurse.iq(admin(`admin-members@${SERVICE}`, { jid: `${romeo}@localhost`, affiliation: 'member' }, 'welcome'));
  const c = await cast('admin-members', { membersonly: '1' }, member);
  await c.nurse.iq(admin(c.room, { jid: `${c.romeo}@localhost`, affiliation: 'none' }, 'no longer'));
  for (const out of await removalSeenBy([c.phone, c.laptop], c.room, ['110', '321'])) {
    expect(item(out).attrs.affiliation).toBe('none');
  }
  await expectMembershipOver(c);
  expect(await refusedJoin(c.laptop, c.room, 'Romeo')).toEqual(['error', 'registration-required']);
  await stopAll(c.phone, c.laptop, c.nurse);
});

it('ends the membership when the room is destroyed, with reason and alternate venue, and stops auto-joining', async () => {
  const c = await cast('admin-destroy');
  const venue = `admin-elsewhere@${SERVICE}`;
  const destroy = xml('destroy', { jid: venue }, xml('reason', {}, 'moving house'));
  await c.nurse.iq(xml('iq', { type: 'set', to: c.room }, xml('query', { xmlns: `${MUC}#owner` }, destroy)));
  for (const out of await removalSeenBy([c.phone, c.laptop], c.room, ['110'])) {
    const notice = out.getChild('x', MUC_USER)!.getChild('destroy')!;
    expect([notice.attrs.jid, notice.getChildText('reason')]).toEqual([venue, 'moving house']);
  }
  await expectAutojoinCleared(c.phone, c.room);
  await Promise.all([c.phone, c.laptop].map((s) => s.expectNothing((el) => el.name === 'presence' && el.attrs.from?.startsWith(c.room) === true)));
  // The room is gone: a join goes to the service and creates it anew.
  const again = await joinRoom(c.phone, c.room, 'Romeo');
  expect(statusCodes(selfIn(again, c.room))).toEqual(expect.arrayContaining(['110', '201']));
  await stopAll(c.phone, c.laptop, c.nurse);
});
