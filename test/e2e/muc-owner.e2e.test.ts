/**
 * The room owner's configuration and room destruction as clients see them:
 * the `muc#roomconfig` form and its current values, submitting changes
 * (with the status-code message to occupants), rejected forms leaving the
 * room unchanged, non-owners refused, password and max-users enforcement
 * on entry, the 100 and 170 warnings of newcomers following the
 * configuration, destroying a room with reason and alternate venue, and
 * cancelling a new room's initial configuration.
 *
 * References: XEP-0045 §7.2.4 (100), §7.2.6, §7.2.10, §7.2.12 (170),
 * §10.1.3, §10.2, §10.2.1, §10.9, §15.5.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MUC, MUC_USER, statusCodes, fromRoom, isSubject, errorCondition, PLAIN_MUC } from './harness/muc.js';

const SERVICE = 'rooms.localhost';
const MUC_OWNER = `${MUC}#owner`;
const ROOMCONFIG = `${MUC}#roomconfig`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(PLAIN_MUC);
  for (const name of ['romeo', 'juliet', 'nurse']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const user = (name: string) => connect(server, { username: name, password: 'pw' });
const ownerIq = (room: string, type: 'get' | 'set', ...payload: XmlElement[]) => xml('iq', { type, to: room }, xml('query', { xmlns: MUC_OWNER }, ...payload));

async function join(client: TestClient, room: string, nick: string, password?: string): Promise<void> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, password === undefined ? undefined : xml('password', {}, password))));
  await client.waitFor(isSubject(room), 5000, `subject of ${room}`);
}

async function joinRefused(client: TestClient, room: string, nick: string, password?: string): Promise<string | undefined> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, password === undefined ? undefined : xml('password', {}, password))));
  const error = await client.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `${room}/${nick}`);
  client.received.splice(client.received.indexOf(error), 1);
  return errorCondition(error);
}

function submit(owner: TestClient, room: string, fields: Record<string, string>) {
  const form = xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, ROOMCONFIG)),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value))),
  );
  return owner.iq(ownerIq(room, 'set', form));
}

/** The form's fields as var → { type, values }. */
async function configForm(owner: TestClient, room: string): Promise<Map<string, { type?: string; values: string[]; options: string[] }>> {
  const result = await owner.iq(ownerIq(room, 'get'));
  const form = result.getChild('query', MUC_OWNER)!.getChild('x', 'jabber:x:data')!;
  expect(form.attrs.type).toBe('form');
  return new Map(
    form.getChildren('field').map((f) => [
      f.attrs.var,
      { type: f.attrs.type, values: f.getChildren('value').map((v) => v.text()), options: f.getChildren('option').map((o) => o.getChildText('value')!) },
    ]),
  );
}

async function ownedRoom(room: string, fields: Record<string, string> = {}): Promise<TestClient> {
  const romeo = await user('romeo');
  await join(romeo, room, 'Romeo');
  await submit(romeo, room, fields);
  return romeo;
}

async function features(client: TestClient, room: string): Promise<string[]> {
  const info = await client.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  return info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
}

it('offers the owner the muc#roomconfig form with the current values and refuses it to others', async () => {
  const room = `study@${SERVICE}`;
  const romeo = await user('romeo');
  await join(romeo, room, 'Romeo');
  const form = await configForm(romeo, room);
  expect(form.get('FORM_TYPE')).toMatchObject({ type: 'hidden', values: [ROOMCONFIG] });
  const expected: Record<string, [string, string]> = {
    'muc#roomconfig_roomname': ['text-single', ''],
    'muc#roomconfig_roomdesc': ['text-single', ''],
    'muc#roomconfig_persistentroom': ['boolean', '0'],
    'muc#roomconfig_publicroom': ['boolean', '1'],
    'muc#roomconfig_membersonly': ['boolean', '0'],
    'muc#roomconfig_moderatedroom': ['boolean', '0'],
    'muc#roomconfig_passwordprotectedroom': ['boolean', '0'],
    'muc#roomconfig_roomsecret': ['text-private', ''],
    'muc#roomconfig_whois': ['list-single', 'moderators'],
    'muc#roomconfig_maxusers': ['list-single', 'none'],
    'muc#roomconfig_historylength': ['text-single', '20'],
    'muc#roomconfig_changesubject': ['boolean', '0'],
    'muc#roomconfig_allowpm': ['list-single', 'anyone'],
    'muc#roomconfig_allowinvites': ['boolean', '0'],
    'muc#roomconfig_enablearchiving': ['boolean', '1'],
  };
  for (const [name, [type, value]] of Object.entries(expected)) expect(form.get(name), name).toMatchObject({ type, values: [value] });
  expect(form.get('muc#roomconfig_whois')!.options).toEqual(['moderators', 'anyone']);
  expect(form.get('muc#roomconfig_allowpm')!.options).toEqual(['anyone', 'participants', 'moderators', 'none']);
  await submit(romeo, room, {});

  const juliet = await user('juliet');
  await join(juliet, room, 'Juliet');
  await expect(juliet.iq(ownerIq(room, 'get'))).rejects.toMatchObject({ condition: 'forbidden' });
  await expect(submit(juliet, room, { 'muc#roomconfig_roomname': 'Mine' })).rejects.toMatchObject({ condition: 'forbidden' });
  expect((await configForm(romeo, room)).get('muc#roomconfig_roomname')!.values).toEqual(['']);
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('applies a submitted change, tells occupants with 104 and 172, and warns newcomers with 100 and 170 as configured', async () => {
  const room = `parlour@${SERVICE}`;
  const romeo = await ownedRoom(room);
  const juliet = await user('juliet');
  await join(juliet, room, 'Juliet');
  await submit(romeo, room, { 'muc#roomconfig_roomname': 'The Parlour', 'muc#roomconfig_whois': 'anyone' });
  for (const client of [romeo, juliet]) {
    const notice = await client.waitFor((el) => el.name === 'message' && el.attrs.from === room && el.getChild('x', MUC_USER) !== undefined);
    expect(notice.attrs).toMatchObject({ type: 'groupchat', to: client.jid });
    expect(statusCodes(notice)).toEqual(['104', '172']);
    expect(notice.getChild('body')).toBeUndefined();
  }
  const form = await configForm(romeo, room);
  expect(form.get('muc#roomconfig_roomname')!.values).toEqual(['The Parlour']);
  expect(form.get('muc#roomconfig_whois')!.values).toEqual(['anyone']);
  const info = await juliet.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  expect(info.getChild('query')!.getChild('identity')!.attrs.name).toBe('The Parlour');
  expect(await features(juliet, room)).toEqual(expect.arrayContaining(['muc_nonanonymous', 'muc_open', 'muc_unsecured', 'muc_temporary', 'muc_public']));
  // A newcomer to the non-anonymous, archived room is warned of both (100, 170).
  const nurse = await user('nurse');
  expect(await selfPresenceCodes(nurse, room, 'Nurse')).toEqual(['100', '110', '170']);
  await nurse.send(xml('presence', { to: `${room}/Nurse`, type: 'unavailable' }));
  await nurse.waitFor((el) => el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Nurse`);

  // Back to semi-anonymous and archiving off: 104, 171, 173; and newcomers get neither 100 nor 170.
  await submit(romeo, room, { 'muc#roomconfig_whois': 'moderators', 'muc#roomconfig_enablearchiving': '0' });
  const second = await juliet.waitFor((el) => el.name === 'message' && el.attrs.from === room && statusCodes(el).includes('173'));
  expect(statusCodes(second)).toEqual(['104', '171', '173']);
  expect(await selfPresenceCodes(nurse, room, 'Nurse')).toEqual(['110']);
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

/** Enters and returns the status codes of the newcomer's own presence. */
async function selfPresenceCodes(client: TestClient, room: string, nick: string): Promise<string[]> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  const self = await client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === undefined);
  await client.waitFor(isSubject(room));
  client.received.length = 0;
  return statusCodes(self);
}

it('rejects wrongly typed fields and leaves the room unchanged', async () => {
  const room = `cellar@${SERVICE}`;
  const romeo = await ownedRoom(room, { 'muc#roomconfig_roomname': 'Cellar' });
  const before = await configForm(romeo, room);
  const bad: Record<string, string>[] = [
    { 'muc#roomconfig_roomname': 'Renamed', 'muc#roomconfig_persistentroom': 'maybe' },
    { 'muc#roomconfig_whois': 'everyone' },
    { 'muc#roomconfig_maxusers': 'lots' },
    { 'muc#roomconfig_maxusers': '-3' },
    { 'muc#roomconfig_historylength': 'ten' },
    { 'muc#roomconfig_allowpm': 'friends' },
    { 'muc#roomconfig_passwordprotectedroom': '1' },
  ];
  for (const fields of bad) await expect(submit(romeo, room, fields), JSON.stringify(fields)).rejects.toMatchObject({ condition: 'not-acceptable' });
  const wrongType = ownerIq(room, 'set', xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:example:other'))));
  await expect(romeo.iq(wrongType)).rejects.toMatchObject({ condition: 'bad-request' });
  expect(await configForm(romeo, room)).toEqual(before);
  await romeo.expectNothing((el) => el.name === 'message' && el.attrs.from === room);
  await romeo.stop();
});

it('requires the password of a password-protected room', async () => {
  const room = `vault@${SERVICE}`;
  const romeo = await ownedRoom(room, { 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 'capulet' });
  const juliet = await user('juliet');
  expect(await features(juliet, room)).toContain('muc_passwordprotected');
  expect(await joinRefused(juliet, room, 'Juliet')).toBe('not-authorized');
  expect(await joinRefused(juliet, room, 'Juliet', 'montague')).toBe('not-authorized');
  await romeo.expectNothing((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);
  await join(juliet, room, 'Juliet', 'capulet');
  await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Juliet`);
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('turns people away from a full room with service-unavailable', async () => {
  const room = `closet@${SERVICE}`;
  const romeo = await ownedRoom(room, { 'muc#roomconfig_maxusers': '2' });
  const juliet = await user('juliet');
  await join(juliet, room, 'Juliet');
  const nurse = await user('nurse');
  expect(await joinRefused(nurse, room, 'Nurse')).toBe('service-unavailable');
  await juliet.send(xml('presence', { to: `${room}/Juliet`, type: 'unavailable' }));
  await romeo.waitFor((el) => el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Juliet`);
  await join(nurse, room, 'Nurse');
  await Promise.all([romeo.stop(), juliet.stop(), nurse.stop()]);
});

it('destroys a room: occupants get unavailable with the reason and alternate venue, and the room is gone', async () => {
  const room = `ruin@${SERVICE}`;
  const romeo = await ownedRoom(room);
  const juliet = await user('juliet');
  await join(juliet, room, 'Juliet');
  await expect(juliet.iq(ownerIq(room, 'set', xml('destroy', {})))).rejects.toMatchObject({ condition: 'forbidden' });
  const request = xml('destroy', { jid: `haven@${SERVICE}` }, xml('reason', {}, 'The plague'), xml('password', {}, 'secret'));
  await romeo.iq(ownerIq(room, 'set', request));
  for (const [client, nick] of [[romeo, 'Romeo'], [juliet, 'Juliet']] as const) {
    const gone = await client.waitFor((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/${nick}`);
    const x = gone.getChild('x', MUC_USER)!;
    expect(x.getChild('item')!.attrs).toMatchObject({ affiliation: 'none', role: 'none' });
    const destroy = x.getChild('destroy')!;
    expect(destroy.attrs.jid).toBe(`haven@${SERVICE}`);
    expect(destroy.getChildText('reason')).toBe('The plague');
    expect(destroy.getChildText('password')).toBe('secret');
    expect(statusCodes(gone)).toEqual(['110']);
  }
  // Each occupant hears only of its own exit.
  await juliet.expectNothing((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Romeo`);
  await expect(juliet.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toMatchObject({ condition: 'item-not-found' });
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('destroys a new locked room when its owner cancels the initial configuration', async () => {
  const room = `draft@${SERVICE}`;
  const romeo = await user('romeo');
  await join(romeo, room, 'Romeo');
  await romeo.iq(ownerIq(room, 'set', xml('x', { xmlns: 'jabber:x:data', type: 'cancel' })));
  const gone = await romeo.waitFor((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/Romeo`);
  expect(gone.getChild('x', MUC_USER)!.getChild('destroy')).toBeDefined();
  await expect(romeo.iq(ownerIq(room, 'get'))).rejects.toMatchObject({ condition: 'item-not-found' });
  // A later join creates the room afresh (a temporary room simply stopped existing).
  await romeo.send(xml('presence', { to: `${room}/Romeo` }, xml('x', { xmlns: MUC })));
  const created = await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Romeo` && el.attrs.type === undefined);
  expect(statusCodes(created)).toEqual(['110', '170', '201']);
  await romeo.stop();
});
