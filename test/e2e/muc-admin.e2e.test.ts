/**
 * Room administration as occupants' clients see it: kicking (307) and
 * banning (301) with actor and reason, bans enforced on rejoin, voice
 * revoked and granted, member lists, admin and owner grants, the privilege
 * errors (forbidden, not-allowed), malformed items (bad-request), unknown
 * nicks (item-not-found), and service admins owning every room.
 *
 * References: XEP-0045 §7.2.7, §8.2–§8.5, §9.1–§9.8, §10.3–§10.8, §15.6.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, MUC_USER, statusCodes, item, isBody, errorCondition, PLAIN_MUC } from './harness/muc.js';

const SERVICE = 'rooms.localhost';
const MUC_ADMIN = `${MUC}#admin`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ muc: { admins: ['friar@localhost'] }, ...PLAIN_MUC });
  for (const name of ['romeo', 'juliet', 'nurse', 'friar']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string) => connect(server, { username: name, password: 'pw' });
const presenceFrom = (from: string, type?: string) => (el: XmlElement) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;

async function join(client: TestClient, room: string, nick: string): Promise<void> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  await client.waitFor((el) => el.name === 'message' && el.attrs.from === room && el.getChild('subject') !== undefined);
}

const adminIq = (client: TestClient, room: string, type: 'get' | 'set', ...items: XmlElement[]) =>
  client.iq(xml('iq', { type, to: room }, xml('query', { xmlns: MUC_ADMIN }, ...items)));
const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (err: { condition?: string }) => err.condition);

/** Romeo owns `room`; Juliet and Nurse are participants; everyone saw everyone arrive. */
async function roomWithThree(room: string): Promise<[TestClient, TestClient, TestClient]> {
  const [romeo, juliet, nurse] = await Promise.all([user('romeo'), user('juliet'), user('nurse')]);
  await join(romeo, room, 'Romeo');
  await romeo.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
  await join(juliet, room, 'Juliet');
  await join(nurse, room, 'Nurse');
  await romeo.waitFor(presenceFrom(`${room}/Nurse`));
  await juliet.waitFor(presenceFrom(`${room}/Nurse`));
  // Tests look only at what follows the joins.
  for (const client of [romeo, juliet, nurse]) client.received.length = 0;
  return [romeo, juliet, nurse];
}

it('kicks with 307, actor and reason, seen by the kicked occupant and the others', async () => {
  const room = `verona@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  await adminIq(romeo, room, 'set', xml('item', { nick: 'Juliet', role: 'none' }, xml('reason', {}, 'Get thee gone')));
  for (const [client, self] of [[juliet, true], [nurse, false], [romeo, false]] as const) {
    const gone = await client.waitFor(presenceFrom(`${room}/Juliet`, 'unavailable'));
    expect(statusCodes(gone)).toEqual(self ? ['110', '307'] : ['307']);
    expect(item(gone).attrs).toMatchObject({ affiliation: 'none', role: 'none' });
    expect(item(gone).getChild('actor')?.attrs.nick).toBe('Romeo');
    expect(item(gone).getChildText('reason')).toBe('Get thee gone');
  }
  // A kick is not a ban: she may come back.
  await join(juliet, room, 'Juliet');
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('bans with 301, lists the outcast, and refuses the rejoin with forbidden', async () => {
  const room = `mantua@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  await adminIq(romeo, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'outcast' }, xml('reason', {}, 'Banished')));
  for (const [client, self] of [[juliet, true], [nurse, false]] as const) {
    const gone = await client.waitFor(presenceFrom(`${room}/Juliet`, 'unavailable'));
    expect(statusCodes(gone)).toEqual(self ? ['110', '301'] : ['301']);
    expect(item(gone).attrs).toMatchObject({ affiliation: 'outcast', role: 'none' });
    expect(item(gone).getChild('actor')?.attrs.nick).toBe('Romeo');
    expect(item(gone).getChildText('reason')).toBe('Banished');
  }
  const list = await adminIq(romeo, room, 'get', xml('item', { affiliation: 'outcast' }));
  expect(list.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => i.attrs)).toEqual([{ affiliation: 'outcast', jid: juliet.bareJid }]);
  expect(await refusal(adminIq(nurse, room, 'get', xml('item', { affiliation: 'outcast' })))).toBe('forbidden');

  await juliet.send(xml('presence', { to: `${room}/Juliet` }, xml('x', { xmlns: MUC })));
  const refused = await juliet.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error');
  expect(errorCondition(refused)).toBe('forbidden');
  await nurse.expectNothing(presenceFrom(`${room}/Juliet`));
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('revokes and grants voice, and a visitor cannot speak', async () => {
  const room = `friary@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  expect(await refusal(adminIq(juliet, room, 'set', xml('item', { nick: 'Nurse', role: 'visitor' })))).toBe('forbidden');
  await adminIq(romeo, room, 'set', xml('item', { nick: 'Nurse', role: 'visitor' }));
  for (const client of [romeo, juliet, nurse]) {
    const silenced = await client.waitFor(presenceFrom(`${room}/Nurse`));
    expect(item(silenced).attrs).toMatchObject({ role: 'visitor', affiliation: 'none' });
    expect(item(silenced).getChild('actor')?.attrs.nick).toBe('Romeo');
  }
  await nurse.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'Anon, anon!')));
  const denied = await nurse.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(errorCondition(denied)).toBe('forbidden');
  await juliet.expectNothing(isBody('Anon, anon!'));

  await adminIq(romeo, room, 'set', xml('item', { nick: 'Nurse', role: 'participant' }));
  const voiced = await juliet.waitFor(presenceFrom(`${room}/Nurse`));
  expect(item(voiced).attrs.role).toBe('participant');
  const voiceList = await adminIq(romeo, room, 'get', xml('item', { role: 'participant' }));
  expect(voiceList.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => i.attrs.nick).sort()).toEqual(['Juliet', 'Nurse']);
  await nurse.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'I come, I come')));
  await juliet.waitFor(isBody('I come, I come'));
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('sets and lists members, and announces the affiliation change to the occupants', async () => {
  const room = `capulet@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  expect(await refusal(adminIq(nurse, room, 'set', xml('item', { jid: nurse.bareJid, affiliation: 'member' })))).toBe('forbidden');
  await adminIq(romeo, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'member' }), xml('item', { jid: 'tybalt@localhost', affiliation: 'member' }));
  for (const client of [juliet, nurse]) {
    const changed = await client.waitFor(presenceFrom(`${room}/Juliet`));
    expect(item(changed).attrs).toMatchObject({ affiliation: 'member', role: 'participant' });
  }
  const members = await adminIq(romeo, room, 'get', xml('item', { affiliation: 'member' }));
  const jids = members.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => `${i.attrs.affiliation} ${i.attrs.jid}`);
  expect(jids.sort()).toEqual([`member ${juliet.bareJid}`, 'member tybalt@localhost']);

  await adminIq(romeo, room, 'set', xml('item', { jid: 'tybalt@localhost', affiliation: 'none' }));
  const after = await adminIq(romeo, room, 'get', xml('item', { affiliation: 'member' }));
  expect(after.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => i.attrs.jid)).toEqual([juliet.bareJid]);
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('keeps admin and owner grants to owners, and nobody kicks an owner', async () => {
  const room = `montague@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  expect(await refusal(adminIq(juliet, room, 'set', xml('item', { nick: 'Nurse', role: 'none' })))).toBe('forbidden');
  await adminIq(romeo, room, 'set', xml('item', { jid: nurse.bareJid, affiliation: 'admin' }));
  const promoted = await juliet.waitFor(presenceFrom(`${room}/Nurse`));
  expect(item(promoted).attrs).toMatchObject({ affiliation: 'admin', role: 'moderator' });

  expect(await refusal(adminIq(nurse, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'owner' })))).toBe('forbidden');
  expect(await refusal(adminIq(nurse, room, 'set', xml('item', { nick: 'Romeo', role: 'none' })))).toBe('not-allowed');
  expect(await refusal(adminIq(nurse, room, 'set', xml('item', { jid: romeo.bareJid, affiliation: 'outcast' })))).toBe('not-allowed');
  expect(await refusal(adminIq(nurse, room, 'get', xml('item', { affiliation: 'owner' })))).toBe('forbidden');
  await romeo.expectNothing(presenceFrom(`${room}/Romeo`, 'unavailable'));

  // An admin may give and take moderator from participants.
  await adminIq(nurse, room, 'set', xml('item', { nick: 'Juliet', role: 'moderator' }));
  const moderator = await romeo.waitFor(presenceFrom(`${room}/Juliet`));
  expect(item(moderator).attrs).toMatchObject({ affiliation: 'none', role: 'moderator' });
  const moderators = await adminIq(nurse, room, 'get', xml('item', { role: 'moderator' }));
  expect(moderators.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => i.attrs.nick).sort()).toEqual(['Juliet', 'Nurse', 'Romeo']);
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('answers malformed items with bad-request and unknown nicks with item-not-found', async () => {
  const room = `crypt@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { role: 'none' })))).toBe('bad-request');
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { nick: 'Juliet', role: 'king' })))).toBe('bad-request');
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { affiliation: 'member' })))).toBe('bad-request');
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'emperor' })))).toBe('bad-request');
  expect(await refusal(adminIq(romeo, room, 'set'))).toBe('bad-request');
  expect(await refusal(adminIq(romeo, room, 'get', xml('item', { role: 'visitor' })))).toBe('bad-request');
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { nick: 'Mercutio', role: 'none' })))).toBe('item-not-found');
  // All or nothing: a bad second item leaves the first unapplied.
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { nick: 'Juliet', role: 'none' }), xml('item', { nick: 'Ghost', role: 'none' })))).toBe('item-not-found');
  await juliet.expectNothing(presenceFrom(`${room}/Juliet`, 'unavailable'));
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('treats service admins as owners of every room', async () => {
  const room = `cell@${SERVICE}`;
  const [romeo, juliet, nurse] = await roomWithThree(room);
  const friar = await user('friar');
  const owners = await adminIq(friar, room, 'get', xml('item', { affiliation: 'owner' }));
  expect(owners.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => i.attrs.jid).sort()).toEqual(['friar@localhost', romeo.bareJid]);
  await adminIq(friar, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'admin' }));
  const granted = await nurse.waitFor(presenceFrom(`${room}/Juliet`));
  expect(item(granted).attrs).toMatchObject({ affiliation: 'admin', role: 'moderator' });
  expect(await refusal(adminIq(romeo, room, 'set', xml('item', { jid: 'friar@localhost', affiliation: 'outcast' })))).toBe('not-allowed');
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop(), friar.stop()]);
});

it('admits only members to a members-only room, with registration-required for others', async () => {
  const room = `vault@${SERVICE}`;
  const [romeo, juliet, nurse] = await Promise.all([user('romeo'), user('juliet'), user('nurse')]);
  await join(romeo, room, 'Romeo');
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', {}, value));
  const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', `${MUC}#roomconfig`), field('muc#roomconfig_membersonly', '1'));
  await romeo.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, form)));
  await nurse.send(xml('presence', { to: `${room}/Nurse` }, xml('x', { xmlns: MUC })));
  const refused = await nurse.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error');
  expect(errorCondition(refused)).toBe('registration-required');

  await adminIq(romeo, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'member' }));
  await join(juliet, room, 'Juliet');
  await romeo.waitFor(presenceFrom(`${room}/Juliet`));
  // Losing membership of a members-only room removes the occupant with 321.
  await adminIq(romeo, room, 'set', xml('item', { jid: juliet.bareJid, affiliation: 'none' }));
  const removed = await juliet.waitFor(presenceFrom(`${room}/Juliet`, 'unavailable'));
  expect(statusCodes(removed)).toEqual(['110', '321']);
  expect(item(removed).attrs).toMatchObject({ affiliation: 'none', role: 'none' });
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});
