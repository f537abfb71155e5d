/**
 * Moderation and limits as occupants' clients see them: visitors in a
 * moderated room, voice requests and their approval, the private-message
 * setting, reserved nicks and the x-roomuser-item lookup, the reserved
 * nick given (with 210) to a registered user entering under another, the
 * admins-only creation policy, flood control and illegal nicks.
 *
 * References: XEP-0045 §7.2.3 (nick rewriting, 210), §7.2.9, §7.4, §7.5,
 * §7.10, §7.11, §7.13, §8.6, §10.1; RFC 6120 §8.3.3 (error conditions).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, MUC_USER, item, isBody, statusCodes, PLAIN_MUC } from './harness/muc.js';

const SERVICE = 'rooms.localhost';
const REQUEST = `${MUC}#request`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ muc: { admins: ['friar@localhost'], restrict_creation: 'admins' }, ...PLAIN_MUC });
  for (const name of ['romeo', 'juliet', 'friar']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string) => connect(server, { username: name, password: 'pw' });
const errorOf = (el: XmlElement) => {
  const error = el.getChild('error');
  return { type: error?.attrs.type, condition: error?.children.find((c): c is XmlElement => typeof c !== 'string')?.name };
};
const presenceFrom = (from: string, type?: string) => (el: XmlElement) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;
const dataForm = (type: string, fields: Record<string, string>) =>
  xml('x', { xmlns: 'jabber:x:data', type }, ...Object.entries(fields).map(([v, value]) => xml('field', { var: v }, xml('value', {}, value))));

async function join(client: TestClient, room: string, nick: string): Promise<XmlElement> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  const self = await client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === undefined);
  await client.waitFor((el) => el.name === 'message' && el.attrs.from === room && el.getChild('subject') !== undefined);
  return self;
}

async function joinError(client: TestClient, room: string, nick: string) {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  return errorOf(await client.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error'));
}

/** Friar (a service admin) creates `room` with the given configuration fields. */
async function createRoom(friar: TestClient, room: string, fields: Record<string, string> = {}): Promise<void> {
  await join(friar, room, 'Friar');
  const form = dataForm('submit', { FORM_TYPE: `${MUC}#roomconfig`, ...fields });
  await friar.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, form)));
}

it('makes newcomers visitors in a moderated room, and a granted voice request lets them speak', async () => {
  const room = `hall@${SERVICE}`;
  const [friar, juliet] = await Promise.all([user('friar'), user('juliet')]);
  await createRoom(friar, room, { 'muc#roomconfig_moderatedroom': '1' });
  expect(item(await join(juliet, room, 'Juliet')).attrs).toMatchObject({ role: 'visitor', affiliation: 'none' });

  await juliet.send(xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, 'May I speak?')));
  const refused = await juliet.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'g1');
  expect(errorOf(refused)).toEqual({ type: 'auth', condition: 'forbidden' });

  await juliet.send(xml('message', { to: room }, dataForm('submit', { FORM_TYPE: REQUEST, 'muc#role': 'participant' })));
  const request = await friar.waitFor((el) => el.name === 'message' && el.attrs.from === room && el.getChild('x', 'jabber:x:data') !== undefined);
  const form = request.getChild('x', 'jabber:x:data')!;
  expect(form.attrs.type).toBe('form');
  const values = Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
  expect(values).toEqual({ FORM_TYPE: REQUEST, 'muc#role': 'participant', 'muc#jid': juliet.jid, 'muc#roomnick': 'Juliet', 'muc#request_allow': 'false' });

  await friar.send(xml('message', { to: room }, dataForm('submit', { ...values, 'muc#request_allow': 'true' })));
  const voiced = await juliet.waitFor((el) => presenceFrom(`${room}/Juliet`)(el) && item(el).attrs.role === 'participant');
  expect(voiced.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toEqual(['110']);
  await friar.waitFor((el) => presenceFrom(`${room}/Juliet`)(el) && item(el).attrs.role === 'participant');
  await juliet.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'Thank you, father')));
  await friar.waitFor(isBody('Thank you, father'));
  await Promise.all([friar.stop(), juliet.stop()]);
});

it('enforces who may send private messages', async () => {
  const room = `cell@${SERVICE}`;
  const [friar, juliet] = await Promise.all([user('friar'), user('juliet')]);
  await createRoom(friar, room, { 'muc#roomconfig_allowpm': 'moderators' });
  await join(juliet, room, 'Juliet');
  await juliet.send(xml('message', { to: `${room}/Friar`, type: 'chat', id: 'pm1' }, xml('body', {}, 'A word, father')));
  const refused = await juliet.waitFor((el) => el.name === 'message' && el.attrs.id === 'pm1' && el.attrs.type === 'error');
  expect(refused.attrs.from).toBe(`${room}/Friar`);
  expect(errorOf(refused)).toEqual({ type: 'auth', condition: 'forbidden' });
  await friar.send(xml('message', { to: `${room}/Juliet`, type: 'chat' }, xml('body', {}, 'Speak, child')));
  expect((await juliet.waitFor(isBody('Speak, child'))).attrs.from).toBe(`${room}/Friar`);
  await Promise.all([friar.stop(), juliet.stop()]);
});

it('reserves a registered nick, tells its owner through x-roomuser-item and refuses it to others', async () => {
  const room = `chapel@${SERVICE}`;
  const [friar, juliet, romeo] = await Promise.all([user('friar'), user('juliet'), user('romeo')]);
  await createRoom(friar, room);
  const register = (type: 'get' | 'set', ...children: XmlElement[]) =>
    juliet.iq(xml('iq', { type, to: room }, xml('query', { xmlns: 'jabber:iq:register' }, ...children)));
  const blank = (await register('get')).getChild('query')!.getChild('x', 'jabber:x:data')!;
  expect(blank.getChildren('field').map((f) => f.attrs.var)).toEqual(['FORM_TYPE', 'muc#register_roomnick']);
  await register('set', dataForm('submit', { FORM_TYPE: `${MUC}#register`, 'muc#register_roomnick': 'Jules' }));
  const registered = (await register('get')).getChild('query')!;
  expect(registered.getChild('registered')).toBeDefined();
  expect(registered.getChildText('username')).toBe('Jules');

  const info = await juliet.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'x-roomuser-item' })));
  expect(info.getChild('query')!.getChild('identity')!.attrs).toEqual({ category: 'conference', type: 'text', name: 'Jules' });

  expect(await joinError(romeo, room, 'Jules')).toEqual({ type: 'cancel', condition: 'conflict' });
  expect(item(await join(juliet, room, 'Jules')).attrs).toMatchObject({ affiliation: 'member', role: 'participant' });
  await Promise.all([friar.stop(), juliet.stop(), romeo.stop()]);
});

it('gives a registered user its reserved nick when it enters under another, saying so with 210 in its own presence only', async () => {
  const room = `cloister@${SERVICE}`;
  const [friar, juliet] = await Promise.all([user('friar'), user('juliet')]);
  await createRoom(friar, room);
  const form = dataForm('submit', { FORM_TYPE: `${MUC}#register`, 'muc#register_roomnick': 'Jules' });
  await juliet.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'jabber:iq:register' }, form)));

  await juliet.send(xml('presence', { to: `${room}/Juliet` }, xml('x', { xmlns: MUC })));
  const self = await juliet.waitFor(presenceFrom(`${room}/Jules`));
  expect(statusCodes(self)).toEqual(['110', '170', '210']);
  expect(item(self).attrs).toMatchObject({ affiliation: 'member', role: 'participant', jid: juliet.jid });
  await juliet.waitFor((el) => el.name === 'message' && el.attrs.from === room && el.getChild('subject') !== undefined);
  expect(juliet.received.filter((el) => el.attrs.from === `${room}/Juliet`)).toEqual([]);
  const seen = await friar.waitFor(presenceFrom(`${room}/Jules`));
  expect(statusCodes(seen)).toEqual([]);
  await friar.expectNothing((el) => el.attrs.from === `${room}/Juliet`, 100);

  // Entering under the reserved nick itself rewrites nothing: no 210.
  await juliet.send(xml('presence', { to: `${room}/Jules`, type: 'unavailable' }));
  await juliet.waitFor(presenceFrom(`${room}/Jules`, 'unavailable'));
  expect(statusCodes(await join(juliet, room, 'Jules'))).toEqual(['110', '170']);
  await Promise.all([friar.stop(), juliet.stop()]);
});

it('lets only service admins create rooms when creation is restricted', async () => {
  const romeo = await user('romeo');
  expect(await joinError(romeo, `balcony@${SERVICE}`, 'Romeo')).toEqual({ type: 'cancel', condition: 'not-allowed' });
  await romeo.stop();
});

it('answers a flood with resource-constraint and keeps the room usable', async () => {
  const room = `square@${SERVICE}`;
  const [friar, romeo] = await Promise.all([user('friar'), user('romeo')]);
  await createRoom(friar, room);
  await join(romeo, room, 'Romeo');
  for (let i = 0; i < 40; i++) await romeo.send(xml('message', { to: room, type: 'groupchat', id: `f${i}` }, xml('body', {}, `flood ${i}`)));
  const limited = await romeo.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(limited.attrs.from).toBe(room);
  expect(errorOf(limited)).toEqual({ type: 'wait', condition: 'resource-constraint' });
  await friar.waitFor(isBody('flood 0'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  await romeo.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'calm again')));
  await friar.waitFor(isBody('calm again'));
  await Promise.all([friar.stop(), romeo.stop()]);
});

it('refuses empty, overlong and malformed nicks and room names with jid-malformed', async () => {
  const room = `gate@${SERVICE}`;
  const friar = await user('friar');
  await createRoom(friar, room);
  expect(await joinError(friar, room, 'x'.repeat(65))).toEqual({ type: 'modify', condition: 'jid-malformed' });
  await friar.send(xml('presence', { to: room }, xml('x', { xmlns: MUC })));
  expect(errorOf(await friar.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error'))).toEqual({ type: 'modify', condition: 'jid-malformed' });
  expect(await joinError(friar, `bad room@${SERVICE}`, 'Friar')).toEqual({ type: 'modify', condition: 'jid-malformed' });
  await friar.stop();
});
