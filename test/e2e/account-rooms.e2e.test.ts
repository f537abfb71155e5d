/**
 * Account rooms, joining and leaving: the account is the one occupant, a
 * later session is answered locally in XEP-0045 order (210 for another
 * nick, history from the account's archive), room traffic forks to every
 * joined session, one session leaving is invisible to the room, the last
 * one leaving takes the account out. A watcher account in the room checks
 * what the room shows (and does not show).
 *
 * References: account-rooms spec, "What the room sees", "Session joins a
 * room", "Nicknames", "Leaving", "Traffic from the room".
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { xml } from './harness/client.js';
import { MUC_USER, item, statusCodes, isBody } from './harness/muc.js';
import { accountRoomsCast, groupchat, joinRoom, loginAs, presenceFrom, stopAll, watchedRoom } from './harness/account-rooms.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
});
afterAll(() => server.stop());

const login = (username: string, resource: string) => loginAs(server)(username, resource);

it('makes the account the one occupant and answers a later session locally', async () => {
  const { romeo, room, nurse } = await watchedRoom(server, 'garden-one');
  const phone = await login(romeo, 'phone');
  const laptop = await login(romeo, 'laptop');

  const first = await joinRoom(phone, room, 'Romeo');
  expect(first.map((el) => `${el.name} ${el.attrs.from} ${el.attrs.to}`)).toEqual([
    `presence ${room}/Nurse ${phone.jid}`,
    `presence ${room}/Romeo ${phone.jid}`,
    `message ${room} ${phone.jid}`,
  ]);
  expect(statusCodes(first[1])).toContain('110');
  const seen = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(item(seen).attrs.jid).toBe(`${romeo}@localhost`);

  await nurse.send(groupchat(room, 'before the laptop'));
  await phone.waitFor(isBody('before the laptop'));

  const later = await joinRoom(laptop, room, 'Romeo');
  expect(later.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([
    `presence ${room}/Nurse`,
    `presence ${room}/Romeo`,
    `message ${room}/Nurse`,
    `message ${room}`,
  ]);
  // The same codes the room gave the account (110, and 170 for a logged room), repeated locally.
  expect(statusCodes(later[1])).toEqual(statusCodes(first[1]));
  expect(later[2].getChildText('body')).toBe('before the laptop');
  expect(later[2].getChild('delay', 'urn:xmpp:delay')).toBeDefined();
  expect(later[3].getChildText('subject')).toBe('');
  // The room saw nothing of the second session.
  await nurse.expectNothing(presenceFrom(`${room}/Romeo`));
  // Nor of the first session's join being shared: still exactly one Romeo.
  await stopAll(phone, laptop, nurse);
});

it('gives a later session with another nick the account nick and 210', async () => {
  const { romeo, room, nurse } = await watchedRoom(server, 'garden-nick');
  const phone = await login(romeo, 'phone');
  const laptop = await login(romeo, 'laptop');
  const first = await joinRoom(phone, room, 'Romeo');
  const later = await joinRoom(laptop, room, 'Montague');
  const self = later.find((el) => el.name === 'presence' && statusCodes(el).includes('110'))!;
  expect(self.attrs.from).toBe(`${room}/Romeo`);
  expect(statusCodes(self)).toEqual([...statusCodes(first.at(-2)!), '210']);
  await nurse.expectNothing(presenceFrom(`${room}/Montague`));
  await stopAll(phone, laptop, nurse);
});

it('forks room messages to every joined session, archived once with both stanza-ids', async () => {
  const { romeo, room, nurse, phone, laptop } = await accountRoomsCast(server, 'garden-fork');
  const tablet = await login(romeo, 'tablet');

  await nurse.send(groupchat(room, 'hello both'));
  const [onPhone, onLaptop] = await Promise.all([phone.waitFor(isBody('hello both')), laptop.waitFor(isBody('hello both'))]);
  expect(onPhone.attrs.to).toBe(phone.jid);
  expect(onLaptop.attrs.to).toBe(laptop.jid);
  const ids = (el: typeof onPhone) => el.getChildren('stanza-id', 'urn:xmpp:sid:0').map((s) => s.attrs.by).sort();
  expect(ids(onPhone)).toEqual([`${romeo}@localhost`, room].sort());
  // The session that did not join gets nothing.
  await tablet.expectNothing(isBody('hello both'));

  // A session's message is sent as the account; every joined session gets the reflection, the room one copy.
  await laptop.send(groupchat(room, 'from the laptop', 'm1'));
  const reflected = await Promise.all([phone.waitFor(isBody('from the laptop')), laptop.waitFor(isBody('from the laptop'))]);
  expect(reflected.map((el) => el.attrs.from)).toEqual([`${room}/Romeo`, `${room}/Romeo`]);
  await nurse.waitFor(isBody('from the laptop'));
  await nurse.expectNothing(isBody('from the laptop'));
  await stopAll(phone, laptop, tablet, nurse);
});

it('lets one session leave unseen and the last one take the account out', async () => {
  const { room, nurse, phone, laptop } = await accountRoomsCast(server, 'garden-leave');

  await laptop.send(xml('presence', { to: `${room}/Romeo`, type: 'unavailable' }));
  const gone = await laptop.waitFor(presenceFrom(`${room}/Romeo`));
  expect(gone.attrs.type).toBe('unavailable');
  expect(statusCodes(gone)).toEqual(['110']);
  await nurse.expectNothing(presenceFrom(`${room}/Romeo`));
  await nurse.send(groupchat(room, 'only the phone'));
  await phone.waitFor(isBody('only the phone'));
  await laptop.expectNothing(isBody('only the phone'));

  await phone.send(xml('presence', { to: `${room}/Romeo`, type: 'unavailable' }));
  const confirmed = await phone.waitFor(presenceFrom(`${room}/Romeo`));
  expect(confirmed.attrs.type).toBe('unavailable');
  expect(statusCodes(confirmed)).toContain('110');
  const left = await nurse.waitFor(presenceFrom(`${room}/Romeo`));
  expect(left.attrs.type).toBe('unavailable');
  expect(left.getChild('x', MUC_USER)).toBeDefined();
  await stopAll(phone, laptop, nurse);
});
