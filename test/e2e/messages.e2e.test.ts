/**
 * Message routing (RFC 6121 §8.5) and offline storage (XEP-0160), as the
 * receiving clients see it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type XmlElement } from './harness/client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  for (const name of ['romeo', 'juliet', 'nurse', 'tybalt']) await server.createUser(name, 'pw');
});
afterAll(() => server.stop());

const isChat = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
const chat = (to: string, body: string, type = 'chat') => xml('message', { to, type }, xml('body', {}, body));

it('delivers to a bare JID only the available sessions of highest priority', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  const phone = await connect(server, { username: 'juliet', password: 'pw', resource: 'phone', presence: false });
  const laptop = await connect(server, { username: 'juliet', password: 'pw', resource: 'laptop', presence: false });
  await phone.send(xml('presence', {}, xml('priority', {}, '1')));
  await laptop.send(xml('presence', {}, xml('priority', {}, '5')));
  await laptop.waitFor((el) => el.name === 'presence' && el.attrs.from === phone.jid);
  await romeo.send(chat('juliet@localhost', 'to the best one'));
  await laptop.waitFor(isChat('to the best one'));
  await phone.expectNothing(isChat('to the best one'));
  await Promise.all([romeo.stop(), phone.stop(), laptop.stop()]);
});

it('sends a message for a gone resource to the account instead', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  const juliet = await connect(server, { username: 'juliet', password: 'pw', resource: 'tablet' });
  await romeo.send(chat('juliet@localhost/no-such-resource', 'anyone there?'));
  const got = await juliet.waitFor(isChat('anyone there?'));
  expect(got.attrs.to).toBe('juliet@localhost/no-such-resource');
  await Promise.all([romeo.stop(), juliet.stop()]);
});

it('stores messages for an offline account and delivers them at the next login', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  await romeo.send(chat('nurse@localhost', 'first while you slept'));
  await romeo.send(chat('nurse@localhost', 'second while you slept', 'normal'));
  await romeo.send(chat('nurse@localhost', 'a headline is not kept', 'headline'));
  await new Promise((r) => setTimeout(r, 200));
  const nurse = await connect(server, { username: 'nurse', password: 'pw' });
  const first = await nurse.waitFor(isChat('first while you slept'));
  expect(first.attrs.from).toBe(romeo.jid);
  expect(first.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe('localhost');
  await nurse.waitFor(isChat('second while you slept'));
  await nurse.expectNothing(isChat('a headline is not kept'));
  expect(nurse.received.findIndex(isChat('second while you slept'))).toBe(-1);
  await nurse.stop();
  // Delivered once: a later login gets nothing again.
  const again = await connect(server, { username: 'nurse', password: 'pw' });
  await again.expectNothing(isChat('first while you slept'));
  await Promise.all([romeo.stop(), again.stop()]);
});

it('holds messages until the client sends its initial presence', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  const tybalt = await connect(server, { username: 'tybalt', password: 'pw', presence: false });
  await romeo.send(chat('tybalt@localhost', 'waiting for you'));
  await tybalt.expectNothing(isChat('waiting for you'));
  await tybalt.send(xml('presence'));
  await tybalt.waitFor(isChat('waiting for you'));
  await Promise.all([romeo.stop(), tybalt.stop()]);
});

it('answers a message to an unknown account with service-unavailable', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  await romeo.send(xml('message', { to: 'nobody@localhost', type: 'chat', id: 'lost' }, xml('body', {}, 'hello?')));
  const error = await romeo.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(error.attrs.id).toBe('lost');
  expect(error.attrs.from).toBe('nobody@localhost');
  expect(error.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  await romeo.stop();
});

it('refuses groupchat messages to an account with service-unavailable', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  await romeo.send(xml('message', { to: 'juliet@localhost', type: 'groupchat', id: 'gc' }, xml('body', {}, 'room?')));
  const error = await romeo.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(error.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  await romeo.stop();
});

it('answers a message to a remote domain with remote-server-not-found', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw' });
  await romeo.send(xml('message', { to: 'someone@far.example', type: 'chat', id: 'far' }, xml('body', {}, 'hi')));
  const error = await romeo.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
  expect(error.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  await romeo.stop();
});
