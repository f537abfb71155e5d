/**
 * Occupants' liveness and invitations in the multi-user chat service, as
 * occupants' clients see them: self-ping answered by the service (and pings
 * to other occupants relayed through the room), ghosts removed with 333
 * when the core bounces room traffic to a session that is gone, and
 * mediated invitations with declines.
 *
 * References: XEP-0410 §3.2, §3.3; XEP-0045 §7.5, §7.8.2, §7.14, §15.6
 * (status 333); XEP-0199.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, MUC_USER, statusCodes, item, fromRoom, isSubject, isBody, errorCondition, PLAIN_MUC } from './harness/muc.js';

const SERVICE = 'rooms.localhost';
const PING = 'urn:xmpp:ping';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(PLAIN_MUC);
  for (const name of ['romeo', 'juliet', 'nurse', 'tybalt']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string, resource?: string) => connect(server, { username: name, password: 'pw', resource });
const isError = (name: string) => (el: XmlElement) => el.name === name && el.attrs.type === 'error';
const leftRoom = (occupantJid: string) => (el: XmlElement) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === occupantJid;
const ping = (to: string, id?: string) => xml('iq', { type: 'get', to, id }, xml('ping', { xmlns: PING }));

async function join(client: TestClient, room: string, nick: string): Promise<void> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  await client.waitFor(isSubject(room), 5000, `subject of ${room}`);
  client.received.splice(0, client.received.length, ...client.received.filter((el) => !fromRoom(room)(el)));
}

async function roomWithTwo(room: string): Promise<[TestClient, TestClient]> {
  const romeo = await user('romeo');
  const juliet = await user('juliet');
  await join(romeo, room, 'Romeo');
  const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' });
  await romeo.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, form)));
  await join(juliet, room, 'Juliet');
  await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);
  return [romeo, juliet];
}

function serverSession(fullJid: string) {
  const [local, rest] = fullJid.split('@');
  return server.running.server.hosts.get(server.domain)!.sessions.get(local!, rest!.slice(rest!.indexOf('/') + 1));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error(`timed out: ${what}`);
}

it('answers an occupant pinging its own nick itself, refuses non-occupants, and advertises the optimisation', async () => {
  const room = `well@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const pong = await romeo.iq(ping(`${room}/Romeo`));
  expect(pong.attrs).toMatchObject({ type: 'result', from: `${room}/Romeo`, to: romeo.jid });
  expect(pong.children).toHaveLength(0);
  await juliet.expectNothing((el) => el.name === 'iq' && fromRoom(room)(el));

  const nurse = await user('nurse');
  await expect(nurse.iq(ping(`${room}/Romeo`))).rejects.toMatchObject({ condition: 'not-acceptable' });
  await expect(nurse.iq(ping(`${room}/Nurse`))).rejects.toMatchObject({ condition: 'not-acceptable' });
  await expect(romeo.iq(ping(`${room}/Nobody`))).rejects.toMatchObject({ condition: 'item-not-found' });

  const info = await juliet.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
  expect(features).toContain(`${MUC}#self-ping-optimization`);
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('relays a ping to another occupant through the room without revealing real JIDs', async () => {
  const room = `fountain@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  await romeo.send(ping(`${room}/Juliet`, 'ping-1'));
  const relayed = await juliet.waitFor((el) => el.name === 'iq' && el.attrs.type === 'get');
  expect(relayed.attrs).toMatchObject({ from: `${room}/Romeo`, to: juliet.jid });
  expect(relayed.attrs.id).not.toBe('ping-1');
  expect(relayed.getChild('ping', PING)).toBeDefined();
  // Juliet's client answers the ping; the room relays the answer back.
  const answer = await romeo.waitFor((el) => el.name === 'iq' && el.attrs.id === 'ping-1');
  expect(answer.attrs).toMatchObject({ type: 'result', from: `${room}/Juliet`, to: romeo.jid });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('removes a ghost whose session ended unannounced, when the core bounces groupchat to it, with 333', async () => {
  const room = `crypt@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const julietJid = juliet.jid;
  // Make the server forget Juliet's directed presence to the room, so her
  // session ends without the room hearing of it: she becomes a ghost.
  serverSession(julietJid)!.state.directedPresence?.clear();
  await juliet.stop();
  await until(() => serverSession(julietJid) === undefined, 'juliet is gone');

  await romeo.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'anyone there?')));
  await romeo.waitFor(isBody('anyone there?'));
  const ghost = await romeo.waitFor(leftRoom(`${room}/Juliet`));
  expect(statusCodes(ghost)).toEqual(['333']);
  expect(item(ghost).attrs).toMatchObject({ affiliation: 'none', role: 'none', jid: julietJid });

  // She is no longer an occupant: the next message does not bounce nor announce again.
  await romeo.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'alone')));
  await romeo.waitFor(isBody('alone'));
  await romeo.expectNothing(leftRoom(`${room}/Juliet`));
  await romeo.stop();
});

it('removes an occupant whose client answers room traffic with a ghost error, and keeps it on other errors', async () => {
  const room = `vault@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const stanzaError = (condition: string) => xml('error', { type: 'cancel' }, xml(condition, { xmlns: STANZAS }));
  await juliet.send(xml('message', { to: `${room}/Romeo`, type: 'error' }, stanzaError('feature-not-implemented')));
  await romeo.expectNothing(leftRoom(`${room}/Juliet`));

  await juliet.send(xml('presence', { to: `${room}/Romeo`, type: 'error' }, stanzaError('recipient-unavailable')));
  const ghost = await romeo.waitFor(leftRoom(`${room}/Juliet`));
  expect(statusCodes(ghost)).toEqual(['333']);
  expect(item(ghost).attrs.role).toBe('none');
  await expect(juliet.iq(ping(`${room}/Juliet`))).rejects.toMatchObject({ condition: 'not-acceptable' });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('sends mediated invitations from the room and relays the decline to the inviter', async () => {
  const room = `balcony@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  const nurse = await user('nurse');
  const invite = xml('x', { xmlns: MUC_USER }, xml('invite', { to: nurse.bareJid }, xml('reason', {}, 'Come up, good nurse')));
  await romeo.send(xml('message', { to: room, id: 'inv-1' }, invite));
  const invitation = await nurse.waitFor((el) => el.name === 'message' && el.getChild('x', MUC_USER) !== undefined);
  expect(invitation.attrs).toMatchObject({ from: room, to: nurse.bareJid });
  const received = invitation.getChild('x', MUC_USER)!;
  expect(received.getChild('invite')!.attrs).toEqual({ from: romeo.jid });
  expect(received.getChild('invite')!.getChildText('reason')).toBe('Come up, good nurse');
  expect(received.getChild('password')).toBeUndefined();
  await juliet.expectNothing((el) => el.name === 'message' && el.getChild('x', MUC_USER)?.getChild('invite') !== undefined);

  const decline = xml('x', { xmlns: MUC_USER }, xml('decline', { to: romeo.bareJid }, xml('reason', {}, 'Anon, anon!')));
  await nurse.send(xml('message', { to: room }, decline));
  const declined = await romeo.waitFor((el) => el.name === 'message' && el.getChild('x', MUC_USER)?.getChild('decline') !== undefined);
  expect(declined.attrs).toMatchObject({ from: room, to: romeo.jid });
  expect(declined.getChild('x', MUC_USER)!.getChild('decline')!.attrs).toEqual({ from: nurse.bareJid });
  expect(declined.getChild('x', MUC_USER)!.getChild('decline')!.getChildText('reason')).toBe('Anon, anon!');

  // Declining twice, or what was never offered, is refused; so is inviting from outside.
  await nurse.send(xml('message', { to: room }, decline));
  expect(errorCondition(await nurse.waitFor(isError('message')))).toBe('not-acceptable');
  const tybalt = await user('tybalt');
  await tybalt.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: nurse.bareJid }))));
  expect(errorCondition(await tybalt.waitFor(isError('message')))).toBe('not-acceptable');
  await nurse.expectNothing((el) => el.name === 'message' && el.attrs.from === room && el.getChild('x', MUC_USER) !== undefined);
  await romeo.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: 'not a jid@' }))));
  expect(errorCondition(await romeo.waitFor(isError('message')))).toBe('jid-malformed');
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop(), tybalt.stop()]);
});

it('sends an occupant that joins again the whole state, and the others nothing when its presence did not change', async () => {
  const room = `resync@${SERVICE}`;
  const [romeo, juliet] = await roomWithTwo(room);
  juliet.received.length = 0;
  romeo.received.length = 0;
  await juliet.send(xml('presence', { to: `${room}/Juliet` }, xml('x', { xmlns: MUC })));
  const subject = await juliet.waitFor(isSubject(room));
  const sequence = [...juliet.received.filter(fromRoom(room)), subject];
  expect(sequence.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([`presence ${room}/Romeo`, `presence ${room}/Juliet`, `message ${room}`]);
  expect(statusCodes(sequence[1])).toContain('110');
  await romeo.expectNothing((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);

  // A changed presence in the repeated join is news to the others.
  await juliet.send(xml('presence', { to: `${room}/Juliet` }, xml('show', {}, 'away'), xml('x', { xmlns: MUC })));
  const update = await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);
  expect(update.getChildText('show')).toBe('away');
  await Promise.all([romeo.stop(), juliet.stop()]);
});
