/**
 * Proves the interop harnesses (harness/prosody-server.ts,
 * harness/ejabberd-server.ts) before federation tests rely on them: each
 * real server starts under a temp dir on its own loopback address, a user
 * logs in with @xmpp/client, creates a room and gets its groupchat message
 * reflected and archived, the server sends s2s traffic for the peer domain
 * to the address the test gave, and a restart keeps accounts, the room and
 * its archive. Skipped when the server is not installed.
 *
 * This file uses its own addresses (127.0.0.12/.13, fake peer on .14), not
 * the harness defaults, so it can run alongside the federation test files.
 *
 * References: XEP-0045 §7.2 (entering a room, status 110), §10.1.2 (instant
 * room), §7.4 (groupchat reflection); XEP-0313 §4 (querying a room's
 * archive); RFC 6120 §3.2 (s2s connection to the resolved address), §4.7
 * (stream header to/from).
 */
import { createServer, type Server } from 'node:net';
import { client as xmppClient } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, xml, type XmlElement } from './harness/client.js';
import { MUC, isBody, statusCodes } from './harness/muc.js';
import { canConnect, type InteropOptions, type InteropServer } from './harness/interop-common.js';
import { prosodyMissing, startProsody } from './harness/prosody-server.js';
import { ejabberdMissing, startEjabberd } from './harness/ejabberd-server.js';

const MAM = 'urn:xmpp:mam:2';
const PEER_DOMAIN = 'perch.test';
const PEER_ADDRESS = '127.0.0.14';
const peers = { [PEER_DOMAIN]: PEER_ADDRESS };

const cases = [
  { label: 'Prosody', missing: prosodyMissing(), start: (o: InteropOptions) => startProsody(o), address: '127.0.0.12' },
  { label: 'ejabberd', missing: ejabberdMissing(), start: (o: InteropOptions) => startEjabberd(o), address: '127.0.0.13' },
];

/** Logs in to the server's c2s port with STARTTLS (self-signed certificate; client.ts turns verification off). */
async function login(server: InteropServer, username: string, password: string): Promise<TestClient> {
  const xmpp = xmppClient({
    service: `xmpp://${server.address}:${server.c2sPort}`,
    domain: server.domain,
    resource: 'harness',
    credentials: { username, password },
  });
  xmpp.reconnect.stop();
  xmpp.on('error', () => {});
  const tc = new TestClient(xmpp);
  await xmpp.start();
  await xmpp.send(xml('presence'));
  return tc;
}

/** A fake peer server on PEER_ADDRESS:5269 that records the stream headers it is sent. */
function fakePeer(): Promise<{ headers: Promise<string>; close(): Promise<void> }> {
  const server: Server = createServer();
  const headers = new Promise<string>((resolve) => {
    server.on('connection', (socket) => {
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
        const header = /<stream:stream[^>]*>/.exec(data);
        if (header) {
          resolve(header[0]);
          socket.destroy();
        }
      });
      socket.on('error', () => {});
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(5269, PEER_ADDRESS, () => resolve({ headers, close: () => new Promise((r) => server.close(() => r())) }));
  });
}

const archived = (body: string) => (el: XmlElement) =>
  el.name === 'message' && el.getChild('result', MAM)?.getChild('forwarded')?.getChild('message')?.getChildText('body') === body;

describe.each(cases)('$label harness', ({ label, missing, start, address }) => {
  let server: InteropServer;
  let juliet: TestClient | undefined;
  const room = () => `harness@${server.mucDomain}`;

  beforeAll(async () => {
    if (missing) return;
    const startedAt = Date.now();
    server = await start({ address, peers });
    await server.createUser('juliet', 'juliet-secret');
    console.info(`${server.name}: started with one account in ${Date.now() - startedAt} ms`);
  }, 60_000);

  afterAll(async () => {
    await juliet?.stop();
    await server?.stop();
  });

  it.skipIf(missing)(`logs in, creates a room and gets its groupchat message reflected and archived${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    juliet = await login(server, 'juliet', 'juliet-secret');
    expect(juliet.bareJid).toBe(`juliet@${server.domain}`);
    await juliet.send(xml('presence', { to: `${room()}/juliet` }, xml('x', { xmlns: MUC })));
    const self = await juliet.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room()}/juliet`, 5000, 'self-presence');
    expect(statusCodes(self)).toEqual(expect.arrayContaining(['110', '201']));
    // Instant room (XEP-0045 §10.1.2): unlocks the new room.
    await juliet.iq(xml('iq', { type: 'set', to: room() }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
    await juliet.send(xml('message', { to: room(), type: 'groupchat', id: 'g1' }, xml('body', {}, 'Good night, good night!')));
    const reflected = await juliet.waitFor(isBody('Good night, good night!'), 5000, 'reflection');
    expect(reflected.attrs).toMatchObject({ from: `${room()}/juliet`, type: 'groupchat' });
    await juliet.iq(xml('iq', { type: 'set', to: room() }, xml('query', { xmlns: MAM, queryid: 'q1' })));
    await juliet.waitFor(archived('Good night, good night!'), 5000, 'archived message');
  });

  it.skipIf(missing)(`opens s2s streams for ${PEER_DOMAIN} to the address the test gave`, async () => {
    const peer = await fakePeer();
    try {
      await juliet!.send(xml('message', { to: `romeo@${PEER_DOMAIN}`, type: 'chat', id: 'c1' }, xml('body', {}, 'Wherefore?')));
      const header = await Promise.race([
        peer.headers,
        new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`no s2s connection; log:\n${server.readLog().slice(-4000)}`)), 15_000)),
      ]);
      expect(header).toMatch(new RegExp(`to=['"]${PEER_DOMAIN.replace('.', '\\.')}['"]`));
      expect(header).toContain('jabber:server');
    } finally {
      await peer.close();
    }
  }, 20_000);

  it.skipIf(missing)('keeps accounts, the room and its archive across a restart', async () => {
    await juliet?.stop();
    const restartedAt = Date.now();
    await server.restart();
    console.info(`${server.name}: restarted in ${Date.now() - restartedAt} ms`);
    juliet = await login(server, 'juliet', 'juliet-secret');
    await juliet.iq(xml('iq', { type: 'set', to: room() }, xml('query', { xmlns: MAM, queryid: 'q2' })));
    await juliet.waitFor(archived('Good night, good night!'), 5000, 'archived message after restart');
  }, 30_000);

  it.skipIf(missing)('stops the server and frees its ports', async () => {
    await juliet?.stop();
    juliet = undefined;
    const stoppedAt = Date.now();
    await server.stop();
    console.info(`${label}: stopped in ${Date.now() - stoppedAt} ms`);
    expect(await canConnect(server.address, server.c2sPort)).toBe(false);
    expect(await canConnect(server.address, server.s2sPort)).toBe(false);
  }, 30_000);
});
