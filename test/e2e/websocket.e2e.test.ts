/**
 * WebSocket specifics: XEP-0156 discovery of the endpoint, RFC 7395 framing
 * (`<open/>`, `<close/>`, stream errors), and a chat between a WebSocket and
 * a TCP client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml } from './harness/client.js';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.ports.http}`;
  await server.createUser('romeo', 'pw');
  await server.createUser('juliet', 'pw');
});
afterAll(() => server.stop());

it('advertises the WebSocket endpoint in host-meta (XRD)', async () => {
  const res = await fetch(`${base}/.well-known/host-meta`);
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const body = await res.text();
  expect(body).toContain("rel='urn:xmpp:alt-connections:websocket'");
  expect(body).toContain(`href='ws://127.0.0.1:${server.ports.http}/xmpp-websocket'`);
});

it('advertises the WebSocket endpoint in host-meta.json (JRD)', async () => {
  const res = await fetch(`${base}/.well-known/host-meta.json`);
  expect(await res.json()).toEqual({
    links: [{ rel: 'urn:xmpp:alt-connections:websocket', href: `ws://127.0.0.1:${server.ports.http}/xmpp-websocket` }],
  });
});

it('answers other paths with 404', async () => {
  expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
});

function openWs(): Promise<{ ws: WebSocket; messages: string[]; next: () => Promise<string> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.ports.http}/xmpp-websocket`, ['xmpp']);
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    messages.push(data.toString());
    wake?.();
  });
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((r) => (wake = r));
    return messages.shift()!;
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, next }));
    ws.once('error', reject);
  });
}

it('speaks RFC 7395 framing: <open/>, features, <close/>', async () => {
  const { ws, next } = await openWs();
  expect(ws.protocol).toBe('xmpp');
  ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${server.domain}' version='1.0'/>`);
  expect(await next()).toMatch(/^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' id='[^']+' version='1.0'/);
  const features = await next();
  expect(features).toMatch(/^<stream:features xmlns:stream='http:\/\/etherx.jabber.org\/streams'>/);
  expect(features).toContain('SCRAM-SHA-256');
  const closed = new Promise((r) => ws.once('close', r));
  ws.send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  expect(await next()).toBe("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  await closed;
});

it('sends a stream error then <close/> for bad input', async () => {
  const { ws, next } = await openWs();
  ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${server.domain}' version='1.0'/>`);
  await next();
  await next();
  ws.send('<message><body>broken</message>');
  expect(await next()).toContain("<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>");
  expect(await next()).toBe("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
});

it('carries a chat between a WebSocket client and a TCP client', async () => {
  const romeo = await connect(server, { username: 'romeo', password: 'pw', transport: 'ws' });
  const juliet = await connect(server, { username: 'juliet', password: 'pw', transport: 'tls' });
  await romeo.send(xml('message', { to: juliet.jid, type: 'chat' }, xml('body', {}, 'from the web')));
  expect((await juliet.waitFor((el) => el.name === 'message')).getChildText('body')).toBe('from the web');
  await juliet.send(xml('message', { to: romeo.jid, type: 'chat' }, xml('body', {}, 'from the phone')));
  expect((await romeo.waitFor((el) => el.name === 'message')).getChildText('body')).toBe('from the phone');
  await Promise.all([romeo.stop(), juliet.stop()]);
});
