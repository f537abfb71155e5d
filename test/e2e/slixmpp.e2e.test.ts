/**
 * End-to-end tests with slixmpp, a Python client library independent of
 * @xmpp/client: login by every SASL mechanism and transport, messages both
 * ways with @xmpp/client, offline delivery, resource conflicts, and the IM
 * features slixmpp users touch first. Assertions are on the stanzas the
 * slixmpp client actually received.
 *
 * References: RFC 6120 §4.9.3.3 (conflict), §5 (STARTTLS), §6 (SASL), §7
 * (bind); RFC 5802 §6 and RFC 5929 (SCRAM channel binding, tls-unique);
 * RFC 6121 §2 (roster), §3 (subscriptions), §4 (presence), §8.5 (delivery);
 * XEP-0368 (direct TLS); XEP-0160 and XEP-0203 (offline, delay); XEP-0199
 * (ping); XEP-0030 (disco); XEP-0054 (vcard-temp); XEP-0191 (blocking).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient } from './harness/client.js';
import { dumpRun, runDriver, runPair, startDriver, type DriverOptions, type DriverResult } from './harness/slixmpp.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const USERS = ['romeo', 'juliet', 'nurse', 'balthasar', 'friar', 'benvolio', 'sampson', 'gregory', 'mercutio', 'tybalt', 'rosaline', 'paris'];

let server: TestServer;
const as = (username: string, extra: Partial<DriverOptions> = {}): DriverOptions => ({ username, password: `${username}-pw`, ...extra });
const xmppjs = (username: string): Promise<TestClient> => connect(server, { username, password: `${username}-pw` });
const chat = (to: string, body: string): string => `<message to='${to}' type='chat' id='${body.replace(/\W/g, '')}'><body>${body}</body></message>`;
const iq = (type: string, id: string, payload: string, to?: string): string =>
  `<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`;

function expectOk(result: DriverResult): void {
  expect(result.code, dumpRun(result)).toBe(0);
}

beforeAll(async () => {
  server = await startTestServer();
  await Promise.all(USERS.map((u) => server.createUser(u, `${u}-pw`)));
});
afterAll(() => server?.stop());

describe('login', () => {
  it.each(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'PLAIN'])('logs in with %s over STARTTLS', async (mechanism) => {
    const result = await runDriver(server, as('romeo', { mechanism, resource: 'verona' }));
    expectOk(result);
    expect(result.events.find((e) => e.event === 'session_start')).toMatchObject({ jid: 'romeo@localhost/verona', mechanism });
  });

  it('binds the channel with tls-unique under the mechanism slixmpp picks by itself', async () => {
    for (const transport of ['starttls', 'tls'] as const) {
      const result = await runDriver(server, as('romeo', { transport }));
      expectOk(result);
      expect(result.events.find((e) => e.event === 'session_start')?.mechanism).toBe('SCRAM-SHA-256-PLUS');
    }
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1'])('logs in with %s where no channel can be bound (no TLS)', async (mechanism) => {
    const result = await runDriver(server, as('romeo', { mechanism, transport: 'plain' }));
    expectOk(result);
    expect(result.events.find((e) => e.event === 'session_start')?.mechanism).toBe(mechanism);
  });

  it('refuses SCRAM without -PLUS over TLS: slixmpp flags "y" although -PLUS was offered (downgrade)', async () => {
    const result = await runDriver(server, as('romeo', { mechanism: 'SCRAM-SHA-256' }));
    expect(result.code, dumpRun(result)).toBe(2);
    expect(result.events.find((e) => e.event === 'failed_auth')?.xml).toContain('not-authorized');
  });

  it('logs in over direct TLS (XEP-0368)', async () => {
    const result = await runDriver(server, as('romeo', { transport: 'tls', resource: 'mantua', scenario: [{ send: chat('romeo@localhost/mantua', 'echo') }, { wait: { name: 'message', contains: 'echo' } }] }));
    expectOk(result);
    expect(result.jid).toBe('romeo@localhost/mantua');
  });

  it('reports a wrong password as failed_auth, then the stream ends', async () => {
    const result = await runDriver(server, { username: 'romeo', password: 'wrong', mechanism: 'PLAIN' });
    expect(result.code, dumpRun(result)).toBe(2);
    expect(result.events.map((e) => e.event)).toEqual(['failed_auth', 'disconnected']);
    expect(result.events[0].xml).toContain('not-authorized');
  });

  it('closes the stream with policy-violation after slixmpp tried three mechanisms with a wrong password', async () => {
    const result = await runDriver(server, { username: 'romeo', password: 'wrong' });
    expect(result.events.filter((e) => e.event === 'failed_auth')).toHaveLength(3);
    expect(result.events.find((e) => e.event === 'stream_error')?.condition).toBe('policy-violation');
    expect(result.events.at(-1)?.event).toBe('disconnected');
  });
});

describe('messages with @xmpp/client', () => {
  it.each(['full', 'bare'])('slixmpp sends to the %s JID of an @xmpp/client user', async (kind) => {
    const juliet = await xmppjs('juliet');
    const to = kind === 'full' ? juliet.jid : juliet.bareJid;
    const result = await runDriver(server, as('romeo', { resource: 'orchard', scenario: [{ send: chat(to, `to ${kind} from slixmpp`) }] }));
    expectOk(result);
    const got = await juliet.waitFor((el) => el.getChildText('body') === `to ${kind} from slixmpp`);
    expect(got.attrs).toMatchObject({ from: 'romeo@localhost/orchard', to, type: 'chat' });
    await juliet.stop();
  });

  it.each(['full', 'bare'])('slixmpp receives at its %s JID from an @xmpp/client user', async (kind) => {
    const juliet = await xmppjs('juliet');
    const body = `to ${kind} from xmpp.js`;
    const romeo = startDriver(server, as('romeo', { scenario: [{ presence: {} }, { mark: 'ready' }, { wait: { name: 'message', contains: body } }] }));
    await romeo.mark('ready');
    const jid = romeo.jid!;
    const to = kind === 'full' ? jid : 'romeo@localhost';
    await juliet.send(xml('message', { to, type: 'chat', id: 'j1' }, xml('body', {}, body)));
    const result = await romeo.done;
    expectOk(result);
    const got = result.stanzas('message').find((m) => m.getChildText('body') === body)!;
    expect(got.attrs).toMatchObject({ from: juliet.jid, to, type: 'chat' });
    await juliet.stop();
  });

  it('two slixmpp clients talk to each other', async () => {
    const [romeo] = await runPair(
      server,
      as('romeo', { scenario: [{ presence: {} }, { mark: 'ready' }, { wait: { name: 'message', contains: 'Good night' } }] }),
      (romeoJid) => as('juliet', { resource: 'balcony', scenario: [{ send: chat(romeoJid, 'Good night') }] }),
    );
    expectOk(romeo);
    expect(romeo.stanzas('message')[0].attrs.from).toBe('juliet@localhost/balcony');
  });
});

it('delivers an offline message with a delay stamp when slixmpp comes online', async () => {
  const juliet = await xmppjs('juliet');
  await juliet.send(xml('message', { to: 'nurse@localhost', type: 'chat', id: 'off1' }, xml('body', {}, 'Tell him to come')));
  // Stanzas of one session are processed in order: once this echo is back, the message above was stored.
  await juliet.send(xml('message', { to: juliet.jid, id: 'echo' }, xml('body', {}, 'echo')));
  await juliet.waitFor((el) => el.attrs.id === 'echo');
  const result = await runDriver(server, as('nurse', { scenario: [{ presence: {} }, { wait: { name: 'message', contains: 'Tell him to come' } }] }));
  expectOk(result);
  const message = result.stanzas('message')[0];
  expect(message.attrs.from).toBe(juliet.jid);
  const delay = message.getChild('delay', 'urn:xmpp:delay');
  expect(delay?.attrs.from).toBe('localhost');
  expect(Date.parse(delay!.attrs.stamp!)).toBeGreaterThan(Date.now() - 60_000);
  await juliet.stop();
});

it('replaces a session bound to the same resource: the first gets a conflict stream error', async () => {
  const first = startDriver(server, as('balthasar', { resource: 'tomb', scenario: [{ presence: {} }, { mark: 'ready' }, { wait: { event: 'stream_error', timeout: 10 } }] }));
  await first.mark('ready');
  const second = await runDriver(server, as('balthasar', { resource: 'tomb', scenario: [{ send: chat('balthasar@localhost/tomb', 'still here') }, { wait: { name: 'message', contains: 'still here' } }] }));
  expectOk(second);
  const firstResult = await first.done;
  expectOk(firstResult);
  expect(firstResult.events.find((e) => e.event === 'stream_error')?.condition).toBe('conflict');
  expect(firstResult.events.at(-1)?.event).toBe('disconnected');
});

describe('IM features', () => {
  it('answers a ping to the server (XEP-0199)', async () => {
    const result = await runDriver(server, as('friar', { scenario: [{ iq: iq('get', 'ping1', "<ping xmlns='urn:xmpp:ping'/>", 'localhost') }] }));
    expectOk(result);
    expect(result.reply('ping1').attrs).toMatchObject({ type: 'result', from: 'localhost' });
  });

  it('describes the server with disco#info (XEP-0030)', async () => {
    const result = await runDriver(server, as('friar', { scenario: [{ iq: iq('get', 'disco1', "<query xmlns='http://jabber.org/protocol/disco#info'/>", 'localhost') }] }));
    expectOk(result);
    const reply = result.reply('disco1');
    expect(reply.attrs.type, reply.toString()).toBe('result');
    const query = reply.getChild('query', 'http://jabber.org/protocol/disco#info')!;
    expect(query.getChildren('identity').map((i) => i.attrs)).toContainEqual(expect.objectContaining({ category: 'server', type: 'im' }));
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain('http://jabber.org/protocol/disco#info');
  });

  it('stores a vCard that slixmpp sets and others read (XEP-0054)', async () => {
    const vcard = "<vCard xmlns='vcard-temp'><FN>Friar Laurence</FN><NICKNAME>friar</NICKNAME></vCard>";
    const result = await runDriver(server, as('friar', { scenario: [{ iq: iq('set', 'v1', vcard) }, { iq: iq('get', 'v2', "<vCard xmlns='vcard-temp'/>") }] }));
    expectOk(result);
    expect(result.reply('v1').attrs.type, result.reply('v1').toString()).toBe('result');
    expect(result.reply('v2').getChild('vCard', 'vcard-temp')?.getChildText('FN')).toBe('Friar Laurence');
    const juliet = await xmppjs('juliet');
    const read = await juliet.iq(xml('iq', { type: 'get', to: 'friar@localhost' }, xml('vCard', { xmlns: 'vcard-temp' })));
    expect(read.getChild('vCard', 'vcard-temp')?.getChildText('FN')).toBe('Friar Laurence');
    await juliet.stop();
  });

  it('adds and removes a roster item, with roster pushes (RFC 6121 §2)', async () => {
    const item = "<item jid='rosaline@localhost' name='Rosaline'><group>Crushes</group></item>";
    const roster = (body = '') => `<query xmlns='jabber:iq:roster'>${body}</query>`;
    const result = await runDriver(server, as('benvolio', { scenario: [
      { iq: iq('get', 'r1', roster()) },
      { iq: iq('set', 'r2', roster(item)) },
      { wait: { name: 'iq', contains: ['type="set"', 'rosaline@localhost', 'Crushes'] } },
      { iq: iq('get', 'r3', roster()) },
      { iq: iq('set', 'r4', roster("<item jid='rosaline@localhost' subscription='remove'/>")) },
      { wait: { name: 'iq', contains: ['type="set"', 'subscription="remove"'] } },
      { iq: iq('get', 'r5', roster()) },
    ] }));
    expectOk(result);
    const items = (id: string) => result.reply(id).getChild('query', 'jabber:iq:roster')?.getChildren('item') ?? [];
    expect(result.reply('r2').attrs.type).toBe('result');
    expect(items('r3').map((i) => ({ ...i.attrs, group: i.getChildText('group') }))).toEqual([
      { jid: 'rosaline@localhost', name: 'Rosaline', subscription: 'none', group: 'Crushes' },
    ]);
    expect(result.reply('r4').attrs.type).toBe('result');
    expect(items('r5')).toEqual([]);
  });

  it('runs the subscription handshake with an @xmpp/client contact (RFC 6121 §3.1)', async () => {
    const gregory = await xmppjs('gregory');
    const sampson = startDriver(server, as('sampson', { scenario: [
      { iq: iq('get', 'h1', "<query xmlns='jabber:iq:roster'/>") },
      { presence: {} },
      { presence: { to: 'gregory@localhost', type: 'subscribe' } },
      { wait: { name: 'presence', contains: ['from="gregory@localhost"', 'type="subscribed"'] } },
      { wait: { name: 'iq', contains: ['gregory@localhost', 'subscription="to"'] } },
      { wait: { name: 'presence', contains: `from="${gregory.jid}"` } },
    ] }));
    const request = await gregory.waitFor((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    expect(request.attrs.from).toBe('sampson@localhost');
    await gregory.send(xml('presence', { to: 'sampson@localhost', type: 'subscribed' }));
    expectOk(await sampson.done);
    await gregory.stop();
  });

  it("shows slixmpp's presence to a subscribed contact, then its going offline (RFC 6121 §4)", async () => {
    const tybalt = await xmppjs('tybalt');
    const mercutio = startDriver(server, as('mercutio', { scenario: [
      { iq: iq('get', 'q1', "<query xmlns='jabber:iq:roster'/>") },
      { presence: {} },
      { mark: 'ready' },
      { wait: { name: 'presence', contains: ['from="tybalt@localhost"', 'type="subscribe"'] } },
      { presence: { to: 'tybalt@localhost', type: 'subscribed' } },
      { wait: { name: 'iq', contains: ['tybalt@localhost', 'subscription="from"'] } },
      { presence: { status: 'A plague on both your houses' } },
      { wait: { name: 'message', contains: 'seen' } },
    ] }));
    await mercutio.mark('ready');
    const mercutioJid = mercutio.jid!;
    await tybalt.send(xml('presence', { to: 'mercutio@localhost', type: 'subscribe' }));
    await tybalt.waitFor((el) => el.name === 'presence' && el.attrs.type === 'subscribed' && el.attrs.from === 'mercutio@localhost');
    await tybalt.waitFor((el) => el.name === 'presence' && el.attrs.from === mercutioJid && !el.attrs.type && !el.getChild('status'));
    await tybalt.waitFor((el) => el.name === 'presence' && el.attrs.from === mercutioJid && el.getChildText('status') === 'A plague on both your houses');
    await tybalt.send(xml('message', { to: mercutioJid, type: 'chat' }, xml('body', {}, 'seen')));
    expectOk(await mercutio.done);
    await tybalt.waitFor((el) => el.name === 'presence' && el.attrs.from === mercutioJid && el.attrs.type === 'unavailable');
    await tybalt.stop();
  });

  it('blocks and unblocks an @xmpp/client user (XEP-0191)', async () => {
    const [paris, nurse] = await Promise.all([xmppjs('paris'), xmppjs('nurse')]);
    const blocking = (verb: string) => `<${verb} xmlns='urn:xmpp:blocking'><item jid='paris@localhost'/></${verb}>`;
    const rosaline = startDriver(server, as('rosaline', { scenario: [
      { iq: iq('get', 'b1', "<blocklist xmlns='urn:xmpp:blocking'/>") },
      { iq: iq('set', 'b2', blocking('block')) },
      { wait: { name: 'iq', contains: ['type="set"', '<block', 'paris@localhost'] } },
      { iq: iq('get', 'b3', "<blocklist xmlns='urn:xmpp:blocking'/>") },
      { send: chat('paris@localhost', 'I will not') },
      { wait: { name: 'message', contains: ['type="error"', 'not-acceptable', 'urn:xmpp:blocking:errors'] } },
      { presence: {} },
      { mark: 'blocked' },
      { wait: { name: 'message', contains: 'go on' } },
      { iq: iq('set', 'b4', blocking('unblock')) },
      { mark: 'unblocked' },
      { wait: { name: 'message', contains: 'second try' } },
    ] }));
    await rosaline.mark('blocked');
    const rosalineJid = rosaline.jid!;
    await paris.send(xml('message', { to: rosalineJid, type: 'chat', id: 'p1' }, xml('body', {}, 'first try')));
    const bounced = await paris.waitFor((el) => el.attrs.id === 'p1' && el.attrs.type === 'error');
    expect(bounced.getChild('error')?.getChild('service-unavailable', STANZAS), bounced.toString()).toBeDefined();
    await nurse.send(xml('message', { to: rosalineJid, type: 'chat' }, xml('body', {}, 'go on')));
    await rosaline.mark('unblocked');
    await paris.send(xml('message', { to: rosalineJid, type: 'chat' }, xml('body', {}, 'second try')));
    const result = await rosaline.done;
    expectOk(result);
    expect(result.reply('b3').getChild('blocklist', 'urn:xmpp:blocking')?.getChildren('item').map((i) => i.attrs.jid)).toEqual(['paris@localhost']);
    expect(result.stanzas('message').filter((m) => m.getChildText('body') === 'first try')).toEqual([]);
    await Promise.all([paris.stop(), nurse.stop()]);
  });
});
