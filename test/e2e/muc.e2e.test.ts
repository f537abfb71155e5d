/**
 * The multi-user chat service as occupants' clients see it: creating an
 * instant room, the join sequence and its status codes, groupchat with
 * stanza-id and occupant-id, private messages, subject, nick changes and
 * conflicts, history limits, leaving, disco, the groupchat 1.0 rule
 * (presence without `<x xmlns=muc>`: a kick for non-occupants, an update
 * for occupants), and a slixmpp occupant.
 *
 * References: XEP-0045 §6, §7.2 (including 170 and the groupchat 1.0
 * rule of version 1.32), §7.4–§7.7, §7.14, §8.1, §10.1.2; XEP-0359;
 * XEP-0421.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { dumpRun, startDriver } from './harness/slixmpp.js';
import { MUC, MUC_USER, statusCodes, item, fromRoom, isSubject, isBody, errorCondition, PLAIN_MUC } from './harness/muc.js';

const SERVICE = 'rooms.localhost';
const ROOM = `garden@${SERVICE}`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(PLAIN_MUC);
  for (const name of ['romeo', 'juliet', 'nurse', 'tybalt']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string, resource?: string) => connect(server, { username: name, password: 'pw', resource });
const groupchat = (to: string, body: string, ...extra: XmlElement[]) => xml('message', { to, type: 'groupchat' }, xml('body', {}, body), ...extra);

/** Joins and returns everything the room sent up to and including the subject, in order. */
async function join(client: TestClient, room: string, nick: string, history?: Record<string, string>): Promise<XmlElement[]> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, history && xml('history', history))));
  const subject = await client.waitFor(isSubject(room), 5000, `subject of ${room}`);
  const before = client.received.filter(fromRoom(room));
  client.received.splice(0, client.received.length, ...client.received.filter((el) => !fromRoom(room)(el)));
  return [...before, subject];
}

function instantRoom(owner: TestClient, room: string) {
  return owner.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
}

it('creates a locked room with 201, unlocks it as an instant room, and enters others in the XEP order', async () => {
  const romeo = await user('romeo', 'garden');
  const juliet = await user('juliet', 'balcony');
  const created = await join(romeo, ROOM, 'Romeo');
  expect(created.map((el) => el.name)).toEqual(['presence', 'message']);
  expect(created[0].attrs.from).toBe(`${ROOM}/Romeo`);
  // Rooms archive by default, so entering warns that the discussion is logged (170).
  expect(statusCodes(created[0])).toEqual(['110', '170', '201']);
  expect(item(created[0]).attrs).toMatchObject({ affiliation: 'owner', role: 'moderator', jid: romeo.jid });
  expect(created[0].getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id).toBeTruthy();
  expect(created[1].attrs.from).toBe(ROOM);
  expect(created[1].getChildText('subject')).toBe('');

  // Locked until configured: others are turned away (§10.1.1).
  await juliet.send(xml('presence', { to: `${ROOM}/Juliet` }, xml('x', { xmlns: MUC })));
  const refused = await juliet.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error');
  expect(errorCondition(refused)).toBe('item-not-found');
  await instantRoom(romeo, ROOM);

  const sequence = await join(juliet, ROOM, 'Juliet');
  expect(sequence.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([`presence ${ROOM}/Romeo`, `presence ${ROOM}/Juliet`, `message ${ROOM}`]);
  expect(statusCodes(sequence[0])).toEqual([]);
  expect(item(sequence[0]).attrs.jid).toBeUndefined(); // semi-anonymous: participants see no real JIDs
  expect(statusCodes(sequence[1])).toEqual(['110', '170']);
  expect(item(sequence[1]).attrs).toMatchObject({ affiliation: 'none', role: 'participant', jid: juliet.jid });
  const seen = await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/Juliet`);
  expect(statusCodes(seen)).toEqual([]);
  expect(item(seen).attrs.jid).toBe(juliet.jid); // moderators do
  await Promise.all([romeo.stop(), juliet.stop()]);
});

async function roomWithTwo(room: string): Promise<[TestClient, TestClient]> {
  const romeo = await user('romeo');
  const juliet = await user('juliet');
  await join(romeo, room, 'Romeo');
  await instantRoom(romeo, room);
  await join(juliet, room, 'Juliet');
  await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);
  return [romeo, juliet];
}

it('reflects groupchat with the room stanza-id and occupant-id, and refuses non-occupants', async () => {
  const room = `square@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const forged = xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: room, id: 'forged' });
  await juliet.send(groupchat(room, 'Wherefore art thou?', forged));
  const copies = await Promise.all([romeo.waitFor(isBody('Wherefore art thou?')), juliet.waitFor(isBody('Wherefore art thou?'))]);
  for (const copy of copies) {
    expect(copy.attrs).toMatchObject({ from: `${room}/Juliet`, type: 'groupchat' });
    const ids = copy.getChildren('stanza-id', 'urn:xmpp:sid:0');
    expect(ids).toHaveLength(1);
    expect(ids[0].attrs.by).toBe(room);
    expect(ids[0].attrs.id).not.toBe('forged');
  }
  expect(copies[0].getChild('stanza-id')!.attrs.id).toBe(copies[1].getChild('stanza-id')!.attrs.id);
  const occupantId = copies[0].getChild('occupant-id', 'urn:xmpp:occupant-id:0')!.attrs.id;
  expect(occupantId).toBe(copies[1].getChild('occupant-id', 'urn:xmpp:occupant-id:0')!.attrs.id);

  const nurse = await user('nurse');
  await nurse.send(groupchat(room, 'let me in'));
  const bounced = await nurse.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(errorCondition(bounced)).toBe('not-acceptable');
  await romeo.expectNothing(isBody('let me in'));
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('delivers private messages with the muc#user marker and answers unknown nicks with item-not-found', async () => {
  const room = `chapel@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  await romeo.send(xml('message', { to: `${room}/Juliet`, type: 'chat' }, xml('body', {}, 'just us')));
  const pm = await juliet.waitFor(isBody('just us'));
  expect(pm.attrs).toMatchObject({ from: `${room}/Romeo`, to: juliet.jid, type: 'chat' });
  expect(pm.getChild('x', MUC_USER)).toBeDefined();
  await romeo.send(xml('message', { to: `${room}/Nobody`, type: 'chat' }, xml('body', {}, 'hello?')));
  const error = await romeo.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(errorCondition(error)).toBe('item-not-found');
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('lets moderators change the subject, forbids participants, and shows it to later joiners last', async () => {
  const room = `hall@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  await juliet.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'mine')));
  const denied = await juliet.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(errorCondition(denied)).toBe('forbidden');
  await romeo.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'The feast')));
  for (const client of [romeo, juliet]) {
    const change = await client.waitFor(isSubject(room));
    expect(change.attrs.from).toBe(`${room}/Romeo`);
    expect(change.getChildText('subject')).toBe('The feast');
  }
  for (const n of [1, 2, 3]) await juliet.send(groupchat(room, `line ${n}`));
  await romeo.waitFor(isBody('line 3'));

  const nurse = await user('nurse');
  const sequence = await join(nurse, room, 'Nurse', { maxstanzas: '2' });
  expect(sequence.map((el) => `${el.name} ${el.attrs.from} ${el.getChildText('body') ?? ''}`)).toEqual([
    `presence ${room}/Romeo `,
    `presence ${room}/Juliet `,
    `presence ${room}/Nurse `,
    `message ${room}/Juliet line 2`,
    `message ${room}/Juliet line 3`,
    `message ${room}/Romeo `,
  ]);
  expect(sequence[3].getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe(room);
  expect(sequence[3].getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by).toBe(room);
  expect(sequence[5].getChildText('subject')).toBe('The feast');
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('changes nick with 303, refuses taken nicks with conflict, and requires a nick', async () => {
  const room = `tomb@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  // Like every presence of an occupant after its join, the nick change carries no <x/>.
  await juliet.send(xml('presence', { to: `${room}/Jules` }));
  for (const [client, self] of [[romeo, false], [juliet, true]] as const) {
    const gone = await client.waitFor((el) => el.attrs.from === `${room}/Juliet` && el.attrs.type === 'unavailable');
    expect(item(gone).attrs.nick).toBe('Jules');
    expect(statusCodes(gone)).toEqual(self ? ['110', '303'] : ['303']);
    const back = await client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Jules`);
    expect(back.attrs.type).toBeUndefined();
    expect(statusCodes(back)).toEqual(self ? ['110'] : []);
  }
  await juliet.send(xml('presence', { to: `${room}/Romeo` }));
  const taken = await juliet.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error');
  expect(taken.attrs.from).toBe(`${room}/Romeo`);
  expect(errorCondition(taken)).toBe('conflict');

  const tybalt = await user('tybalt');
  await tybalt.send(xml('presence', { to: `${room}/Romeo` }, xml('x', { xmlns: MUC })));
  const conflict = await tybalt.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error');
  expect(errorCondition(conflict)).toBe('conflict');
  await tybalt.send(xml('presence', { to: room }, xml('x', { xmlns: MUC })));
  const malformed = await tybalt.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error');
  expect(errorCondition(malformed)).toBe('jid-malformed');
  await Promise.all([romeo.stop(), juliet.stop(), tybalt.stop()]);
});

const kickOf = (client: TestClient, from: string) => client.waitFor((el) => el.name === 'presence' && el.attrs.from === from, 5000, `kick from ${from}`);

/** The exact kick of XEP-0045's groupchat 1.0 section: unavailable, no role, 110 and 307, nothing else. */
function expectKick(kick: XmlElement, from: string, to: string): void {
  expect(kick.attrs).toEqual({ from, to, type: 'unavailable' });
  expect(kick.children.map((c) => (typeof c === 'string' ? c : `${c.name} ${c.attrs.xmlns}`))).toEqual([`x ${MUC_USER}`]);
  expect(item(kick).attrs).toEqual({ affiliation: 'none', role: 'none' });
  expect(item(kick).getChildText('reason')).toBe('You are not in the room.');
  expect(statusCodes(kick)).toEqual(['110', '307']);
}

it('kicks a non-occupant whose presence lacks <x xmlns=muc> (groupchat 1.0 rule) and lets occupants update without it', async () => {
  const room = `balcony@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  // A groupchat 1.0 join looks like a desynchronised client's update: neither enters.
  const nurse = await user('nurse');
  await nurse.send(xml('presence', { to: `${room}/Nurse` }, xml('show', {}, 'away')));
  expectKick(await kickOf(nurse, `${room}/Nurse`), `${room}/Nurse`, nurse.jid);
  // A further session of an occupant is no occupant either until it joins with <x/>.
  const phone = await user('juliet', 'phone');
  await phone.send(xml('presence', { to: `${room}/Juliet` }));
  expectKick(await kickOf(phone, `${room}/Juliet`), `${room}/Juliet`, phone.jid);
  await romeo.expectNothing((el) => el.name === 'presence' && [`${room}/Nurse`, `${room}/Juliet`].includes(el.attrs.from!));
  await juliet.expectNothing((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`, 100);
  const info = await romeo.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  const occupants = info.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_occupants');
  expect(occupants?.getChildText('value')).toBe('2');
  // Nor does it create a room.
  await nurse.send(xml('presence', { to: `nowhere@${SERVICE}/Nurse` }));
  expectKick(await kickOf(nurse, `nowhere@${SERVICE}/Nurse`), `nowhere@${SERVICE}/Nurse`, nurse.jid);
  await expect(nurse.iq(xml('iq', { type: 'get', to: `nowhere@${SERVICE}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toMatchObject({ condition: 'item-not-found' });

  // An occupant's later presence never carries <x/>: it is an update, shown to everyone.
  await juliet.send(xml('presence', { to: `${room}/Juliet` }, xml('show', {}, 'away'), xml('status', {}, 'brb')));
  for (const [client, codes] of [[romeo, []], [juliet, ['110']]] as const) {
    const update = await client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet` && el.getChildText('show') === 'away');
    expect(update.attrs.type).toBeUndefined();
    expect(update.children.map((c) => (typeof c === 'string' ? c : c.name))).toEqual(['show', 'status', 'occupant-id', 'x']);
    expect(update.getChildText('status')).toBe('brb');
    expect(item(update).attrs).toMatchObject({ affiliation: 'none', role: 'participant' });
    expect(statusCodes(update)).toEqual(codes);
  }
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop(), phone.stop()]);
});

it('shares one nick between sessions of an account, and leaves with 110', async () => {
  const room = `orchard@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const phone = await user('juliet', 'phone');
  const sequence = await join(phone, room, 'Juliet');
  expect(sequence.map((el) => el.attrs.from)).toEqual([`${room}/Romeo`, `${room}/Juliet`, room]);
  await romeo.expectNothing((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);
  await phone.send(groupchat(room, 'from two places'));
  await juliet.waitFor(isBody('from two places'));

  await phone.send(xml('presence', { to: `${room}/Juliet`, type: 'unavailable' }));
  const own = await phone.waitFor((el) => el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Juliet`);
  expect(statusCodes(own)).toEqual(['110']);
  await romeo.expectNothing((el) => el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Juliet`);

  await juliet.send(xml('presence', { to: `${room}/Juliet`, type: 'unavailable' }, xml('status', {}, 'farewell')));
  const left = await romeo.waitFor((el) => el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Juliet`);
  expect(item(left).attrs.role).toBe('none');
  expect(left.getChildText('status')).toBe('farewell');
  expect(statusCodes(left)).toEqual([]);
  await Promise.all([romeo.stop(), juliet.stop(), phone.stop()]);
});

it('answers disco for the service and its rooms, and forgets a temporary room when emptied', async () => {
  const room = `library@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const hostItems = await romeo.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
  expect(hostItems.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).toContain(SERVICE);
  const info = await romeo.iq(xml('iq', { type: 'get', to: SERVICE }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  expect(info.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'text' });
  expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain(MUC);
  const items = await romeo.iq(xml('iq', { type: 'get', to: SERVICE }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
  expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).toContain(room);

  const roomInfo = (await juliet.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).getChild('query')!;
  expect(roomInfo.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'text', name: 'library' });
  const features = roomInfo.getChildren('feature').map((f) => f.attrs.var);
  expect(features).toEqual(expect.arrayContaining([MUC, 'muc_open', 'muc_unmoderated', 'muc_semianonymous', 'muc_temporary', 'muc_public', 'urn:xmpp:occupant-id:0', 'urn:xmpp:sid:0']));
  const form = roomInfo.getChild('x', 'jabber:x:data')!;
  const occupants = form.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_occupants');
  expect(occupants?.getChildText('value')).toBe('2');

  await juliet.send(xml('presence', { to: `${room}/Juliet`, type: 'unavailable' }));
  await romeo.send(xml('presence', { to: `${room}/Romeo`, type: 'unavailable' }));
  await romeo.waitFor((el) => el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Romeo`);
  const after = await romeo.iq(xml('iq', { type: 'get', to: SERVICE }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
  expect(after.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).not.toContain(room);
  await expect(romeo.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toMatchObject({ condition: 'item-not-found' });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('lets a slixmpp client join and exchange groupchat with an @xmpp/client occupant', async () => {
  const room = `market@${SERVICE}`;
  const romeo = await user('romeo');
  await join(romeo, room, 'Romeo');
  await instantRoom(romeo, room);
  const slix = startDriver(server, {
    username: 'tybalt',
    password: 'pw',
    scenario: [
      { send: `<presence to='${room}/Tybalt'><x xmlns='${MUC}'/></presence>` },
      { wait: { name: 'presence', contains: [`from="${room}/Tybalt"`, 'code="110"'] } },
      { wait: { name: 'message', contains: ['<subject'] } },
      { send: `<message to='${room}' type='groupchat'><body>Peace? I hate the word</body></message>` },
      { wait: { name: 'message', contains: ['Draw, if you be men', `from="${room}/Romeo"`, 'urn:xmpp:sid:0'] } },
    ],
  });
  const heard = await romeo.waitFor(isBody('Peace? I hate the word'));
  expect(heard.attrs.from).toBe(`${room}/Tybalt`);
  await romeo.send(groupchat(room, 'Draw, if you be men'));
  const result = await slix.done;
  expect(result.code, dumpRun(result)).toBe(0);
  await romeo.stop();
});
