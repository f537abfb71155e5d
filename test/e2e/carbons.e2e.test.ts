/**
 * Message Carbons end to end: Romeo is online on a phone and a laptop with
 * carbons enabled and on a tablet without; Juliet talks to him. Each test
 * asserts on what every one of Romeo's clients actually received: the
 * original, a `<received/>` or `<sent/>` copy, or nothing. A slixmpp client
 * shows a second library taking the copies.
 *
 * References: XEP-0280 §3 (disco), §4–5 (enable, disable), §6.1 (eligible
 * messages), §7 (received copies), §8 (sent copies), §9 (private), §11
 * (no carbons of carbons); XEP-0334 §4.3 (no-copy); XEP-0297 (wrapper);
 * RFC 6121 §8.5.2.1.1 (bare-JID delivery to equal priorities).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { dumpRun, startDriver } from './harness/slixmpp.js';
import type { Element } from '../../src/core/xml/element.js';

const CARBONS = 'urn:xmpp:carbons:2';
const FORWARD = 'urn:xmpp:forward:0';
const ROMEO = 'romeo@localhost';

let server: TestServer;
let juliet: TestClient, phone: TestClient, laptop: TestClient, tablet: TestClient;

type Kind = 'sent' | 'received';
type Stanza = XmlElement | Element;

/** The message inside a carbon of this kind, if `el` is one. */
function inner(el: Stanza, kind: Kind): Stanza | undefined {
  if (el.name !== 'message') return undefined;
  return (el as Element).getChild(kind, CARBONS)?.getChild('forwarded', FORWARD)?.getChild('message');
}

const carbonOf = (kind: Kind, body: string) => (el: XmlElement) => inner(el, kind)?.getChildText('body') === body;
const original = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
/** Anything carrying this text: the original or a copy of it. */
const mentions = (text: string) => (el: XmlElement) => el.toString().includes(text);

const message = (to: string, body: string | undefined, attrs: Record<string, string> = {}, ...extra: XmlElement[]) =>
  xml('message', { to, type: 'chat', ...attrs }, body === undefined ? undefined : xml('body', {}, body), ...extra);

async function setCarbons(client: TestClient, on: boolean): Promise<void> {
  const result = await client.iq(xml('iq', { type: 'set' }, xml(on ? 'enable' : 'disable', { xmlns: CARBONS })));
  expect(result.attrs.type).toBe('result');
}

/** Juliet sends to Romeo's phone; resolves once the phone has it. */
async function julietToPhone(el: XmlElement, body: string): Promise<XmlElement> {
  await juliet.send(el);
  return phone.waitFor(mentions(body), 5000, `"${body}" on the phone`);
}

/** None of the clients gets anything carrying any of the texts (one shared wait). */
function nothingFor(texts: string | string[], ...clients: TestClient[]): Promise<void[]> {
  const any = [texts].flat();
  return Promise.all(clients.map((c) => c.expectNothing((el) => any.some((text) => mentions(text)(el)))));
}

beforeAll(async () => {
  server = await startTestServer();
  for (const name of ['romeo', 'juliet', 'benvolio']) await server.createUser(name, 'pw');
  juliet = await connect(server, { username: 'juliet', password: 'pw', resource: 'balcony' });
  [phone, laptop, tablet] = await Promise.all(
    ['phone', 'laptop', 'tablet'].map((resource) => connect(server, { username: 'romeo', password: 'pw', resource })),
  );
  await Promise.all([setCarbons(phone, true), setCarbons(laptop, true)]);
});
afterAll(async () => {
  await Promise.all([juliet, phone, laptop, tablet].map((c) => c?.stop()));
  await server?.stop();
});

it('advertises urn:xmpp:carbons:2 in the server disco#info', async () => {
  const info = await phone.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
  expect(features).toContain(CARBONS);
});

it('copies a message Juliet sends to the phone to the enabled laptop, not to the tablet', async () => {
  await julietToPhone(message(`${ROMEO}/phone`, 'What man art thou?', { id: 'j1' }), 'What man art thou?');
  const carbon = await laptop.waitFor(carbonOf('received', 'What man art thou?'));
  expect(carbon.attrs).toMatchObject({ from: ROMEO, to: `${ROMEO}/laptop`, type: 'chat' });
  expect(inner(carbon, 'received')!.attrs).toMatchObject({ from: juliet.jid, to: `${ROMEO}/phone`, id: 'j1' });
  await nothingFor('What man art thou?', tablet, phone, juliet);
});

it('copies what the phone sends to the laptop as <sent/>, and what the disabled tablet sends to both', async () => {
  await phone.send(message('juliet@localhost', 'Neither, fair saint', { id: 'r1' }));
  await juliet.waitFor(original('Neither, fair saint'));
  const carbon = await laptop.waitFor(carbonOf('sent', 'Neither, fair saint'));
  expect(carbon.attrs).toMatchObject({ from: ROMEO, to: `${ROMEO}/laptop`, type: 'chat' });
  expect(inner(carbon, 'sent')!.attrs).toMatchObject({ from: `${ROMEO}/phone`, to: 'juliet@localhost', id: 'r1' });
  await nothingFor('Neither, fair saint', phone, tablet);

  await tablet.send(message('juliet@localhost', 'from the tablet'));
  await juliet.waitFor(original('from the tablet'));
  await Promise.all([phone, laptop].map((c) => c.waitFor(carbonOf('sent', 'from the tablet'))));
});

it('makes no copies of messages marked <private/> or <no-copy/>, either way', async () => {
  const privateEl = () => xml('private', { xmlns: CARBONS });
  const noCopy = () => xml('no-copy', { xmlns: 'urn:xmpp:hints' });
  const got = await julietToPhone(message(`${ROMEO}/phone`, 'private in', {}, privateEl()), 'private in');
  // The receiving server removes <private/> before delivery (XEP-0280 §9).
  expect(got.getChild('private', CARBONS)).toBeUndefined();
  await julietToPhone(message(`${ROMEO}/phone`, 'no-copy in', {}, noCopy()), 'no-copy in');
  await phone.send(message('juliet@localhost', 'private out', {}, privateEl(), noCopy()));
  await phone.send(message('juliet@localhost', 'no-copy out', {}, noCopy()));
  await juliet.waitFor(original('no-copy out'));
  await nothingFor(['private', 'no-copy'], laptop, tablet);
});

it('never copies groupchat, headline, or private messages from a MUC occupant', async () => {
  await julietToPhone(message(`${ROMEO}/phone`, 'a headline', { type: 'headline' }), 'a headline');
  await julietToPhone(message(`${ROMEO}/phone`, 'a groupchat', { type: 'groupchat' }), 'a groupchat');
  const mucUser = xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' });
  await julietToPhone(message(`${ROMEO}/phone`, 'a room PM', {}, mucUser), 'a room PM');
  await phone.send(message(`juliet@localhost/balcony`, 'an outgoing headline', { type: 'headline' }));
  await juliet.waitFor(original('an outgoing headline'));
  await nothingFor(['a headline', 'a groupchat', 'a room PM', 'an outgoing headline'], laptop, tablet);
});

it('copies a normal message with a body but not one without', async () => {
  const oob = xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://example.org/bodiless'));
  await julietToPhone(message(`${ROMEO}/phone`, undefined, { type: 'normal' }, oob), 'bodiless');
  await julietToPhone(message(`${ROMEO}/phone`, 'a normal letter', { type: 'normal' }), 'a normal letter');
  const carbon = await laptop.waitFor(carbonOf('received', 'a normal letter'));
  expect(carbon.attrs.type).toBe('normal');
  await nothingFor('bodiless', laptop, tablet);
});

it('copies an error reply to a chat message, in both directions, and no unrelated error', async () => {
  const error = (to: string, id: string) =>
    xml('message', { to, type: 'error', id }, xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
  const isCopy = (kind: Kind, id: string) => (el: XmlElement) => inner(el, kind)?.attrs.type === 'error' && inner(el, kind)?.attrs.id === id;

  await phone.send(message('juliet@localhost/balcony', 'will you bounce this?', { id: 'e1' }));
  await juliet.waitFor(original('will you bounce this?'));
  await juliet.send(error(`${ROMEO}/phone`, 'e1'));
  await phone.waitFor((el) => el.attrs.type === 'error' && el.attrs.id === 'e1');
  const copy = await laptop.waitFor(isCopy('received', 'e1'));
  expect(copy.attrs).toMatchObject({ from: ROMEO, type: 'error' });

  await julietToPhone(message(`${ROMEO}/phone`, 'and you this?', { id: 'e2' }), 'and you this?');
  await phone.send(error('juliet@localhost/balcony', 'e2'));
  await juliet.waitFor((el) => el.attrs.type === 'error' && el.attrs.id === 'e2');
  await laptop.waitFor(isCopy('sent', 'e2'));

  await juliet.send(error(`${ROMEO}/phone`, 'never-sent'));
  await phone.waitFor((el) => el.attrs.id === 'never-sent');
  await nothingFor('never-sent', laptop, tablet);
});

it('never copies a message that carries a carbon itself (a forged carbon stays with its recipient)', async () => {
  const forged = xml('received', { xmlns: CARBONS }, xml('forwarded', { xmlns: FORWARD }, message(`${ROMEO}/laptop`, 'forged inner')));
  await julietToPhone(message(`${ROMEO}/phone`, 'forged outer', {}, forged), 'forged outer');
  await nothingFor('forged', laptop, tablet);
});

it('sends no copy to sessions a bare-JID message reached at equal priority, one to an enabled session it skipped', async () => {
  const login = async (resource: string, priority: string) => {
    const c = await connect(server, { username: 'benvolio', password: 'pw', resource, presence: false });
    await setCarbons(c, true);
    await c.send(xml('presence', {}, xml('priority', {}, priority)));
    return c;
  };
  const [first, second, low] = await Promise.all([login('first', '5'), login('second', '5'), login('low', '1')]);
  await low.waitFor((el) => el.name === 'presence' && el.attrs.from === first.jid);
  await low.waitFor((el) => el.name === 'presence' && el.attrs.from === second.jid);
  await juliet.send(message('benvolio@localhost', 'to whoever is first'));
  await Promise.all([first, second].map((c) => c.waitFor(original('to whoever is first'))));
  await low.waitFor(carbonOf('received', 'to whoever is first'));
  await nothingFor('to whoever is first', first, second, low);
  await Promise.all([first, second, low].map((c) => c.stop()));
});

describe('slixmpp', () => {
  it('receives <received/> and <sent/> copies after enabling carbons with a raw IQ', async () => {
    const slix = startDriver(server, {
      username: 'romeo',
      password: 'pw',
      resource: 'slix',
      scenario: [
        { iq: `<iq type='set' id='carbons-on'><enable xmlns='${CARBONS}'/></iq>` },
        { mark: 'ready' },
        { wait: { name: 'message', contains: ['received', 'O Romeo, Romeo'] } },
        { wait: { name: 'message', contains: ['sent', 'Call me but love'] } },
      ],
    });
    await slix.mark('ready');
    await julietToPhone(message(`${ROMEO}/phone`, 'O Romeo, Romeo'), 'O Romeo, Romeo');
    await phone.send(message('juliet@localhost', 'Call me but love'));
    const result = await slix.done;
    expect(result.code, dumpRun(result)).toBe(0);
    expect(result.reply('carbons-on').attrs.type).toBe('result');
    const messages = result.stanzas('message');
    const received = messages.find((m) => inner(m, 'received')?.getChildText('body') === 'O Romeo, Romeo');
    const sent = messages.find((m) => inner(m, 'sent')?.getChildText('body') === 'Call me but love');
    expect(received?.attrs, dumpRun(result)).toMatchObject({ from: ROMEO, to: `${ROMEO}/slix` });
    expect(inner(received!, 'received')!.attrs.from).toBe(juliet.jid);
    expect(inner(sent!, 'sent')!.attrs).toMatchObject({ from: `${ROMEO}/phone`, to: 'juliet@localhost' });
  });
});

it('stops copying to a session that disabled carbons', async () => {
  await setCarbons(laptop, false);
  await setCarbons(laptop, false);
  await julietToPhone(message(`${ROMEO}/phone`, 'after disabling'), 'after disabling');
  await phone.send(message('juliet@localhost', 'sent after disabling'));
  await juliet.waitFor(original('sent after disabling'));
  await nothingFor('after disabling', laptop, tablet);
  await setCarbons(laptop, true);
  await julietToPhone(message(`${ROMEO}/phone`, 'enabled again'), 'enabled again');
  await laptop.waitFor(carbonOf('received', 'enabled again'));
});
