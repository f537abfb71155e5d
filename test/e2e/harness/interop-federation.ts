/**
 * Perch federated with a real server nobody here wrote (Prosody, ejabberd)
 * for the interop tests: Perch in the test process with a domain and
 * loopback address of its own, s2s on port 5269 there (where the peer's
 * resolver sends it), the peer's domain and MUC component pinned to the
 * peer's address with `s2s.routes`; optionally one test CA for both sides
 * so that streams authenticate by certificate. Logins on either side, a
 * room owned by the peer's user with Romeo's sessions joined from Perch,
 * and a count of the stanzas crossing the s2s link, taken on Perch's side.
 *
 * References: RFC 6120 §4 (s2s streams), §13.7 (certificates); XEP-0178
 * (SASL EXTERNAL); XEP-0220 (dialback); XEP-0045 §7.2, §10.1.2;
 * account-rooms spec, "What tests must show".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client as xmppClient } from '@xmpp/client';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { AccountRooms } from '../../../src/modules/account-rooms/index.js';
import type { Host } from '../../../src/core/host.js';
import { TestClient, xml, type XmlElement } from './client.js';
import { isBody } from './muc.js';
import { createRoom, forget, groupchat, joinRoom, presenceFrom } from './account-rooms.js';
import { S2S_PORT, type InteropOptions, type InteropServer } from './interop-common.js';
import { createTestCa, s2sOf } from './s2s.js';
import { startTestServer, type TestServer } from './start-server.js';

export interface InteropPair {
  perch: TestServer;
  /** Perch's own loopback address (c2s and s2s listen there). */
  perchAddress: string;
  peer: InteropServer;
  /** Whether both sides hold certificates from one test CA (`s2s.secure` on). */
  certificates: boolean;
  stop(): Promise<void>;
}

export interface PairOptions {
  perchDomain: string;
  perchAddress: string;
  peerDomain: string;
  peerAddress: string;
  startPeer(options: InteropOptions): Promise<InteropServer>;
  /** One test CA for both servers: certificate authentication, `s2s.secure` on. */
  certificates?: boolean;
}

/** Starts Perch, then the peer, each able to find the other. */
export async function startInteropPair(options: PairOptions): Promise<InteropPair> {
  const { perchDomain, perchAddress, peerDomain, peerAddress } = options;
  const certDir = options.certificates ? await mkdtemp(join(tmpdir(), 'perch-interop-ca-')) : undefined;
  const ca = certDir ? await createTestCa() : undefined;
  const issued = ca && certDir ? await ca.issue(certDir, perchDomain) : undefined;
  const removeCerts = () => (certDir ? rm(certDir, { recursive: true, force: true }) : Promise.resolve());
  const target = `${peerAddress}:${S2S_PORT}`;
  const perch = await startTestServer({
    domain: perchDomain,
    listen: { address: perchAddress, s2s: S2S_PORT },
    // The MUC component is a domain of its own to s2s: pinned too.
    s2s: { secure: Boolean(ca), routes: { [peerDomain]: target, [`conference.${peerDomain}`]: target }, ...(issued ? { ca_file: issued.caFile } : {}) },
    ...(issued ? { tls: { cert: issued.cert, key: issued.key } } : {}),
    account_rooms: { presence_grace: 0.3 },
  });
  if (process.env.PERCH_INTEROP_TRACE) traceCrossing(perch);
  let peer: InteropServer;
  try {
    peer = await options.startPeer({ domain: peerDomain, address: peerAddress, peers: { [perchDomain]: perchAddress }, ca });
  } catch (err) {
    await perch.stop();
    await removeCerts();
    throw err;
  }
  return {
    perch,
    perchAddress,
    peer,
    certificates: Boolean(ca),
    async stop() {
      try {
        await peer.stop();
      } finally {
        await perch.stop();
        await removeCerts();
      }
    },
  };
}

/** Prints what crosses s2s on Perch's side, and link changes, in ms since start (PERCH_INTEROP_TRACE=1, for debugging). */
function traceCrossing(perch: TestServer): void {
  const bus = perch.running.server.hosts.get(perch.domain)!.bus;
  const started = Date.now();
  const print = (...what: unknown[]) => void console.info(Date.now() - started, ...what);
  bus.on('s2s-link-up', (e) => print('up', e.remoteDomain, e.direction, e.method), 2000);
  bus.on('s2s-link-down', (e) => print('down', e.remoteDomain, e.direction, e.reason), 2000);
  bus.on('s2s-stanza-undeliverable', (e) => print('undeliverable', e.error.condition, e.stanza.toString()), 2000);
  bus.on('route/remote', (e) => print('out', e.stanza.toString()), 2000);
  bus.on('s2s-stanza-in', (e) => print('in', e.stanza.toString()), 2000);
}

/** Logs in with PLAIN over TLS (direct TLS to Perch, STARTTLS to the peer); sends initial presence. */
async function login(service: string, domain: string, username: string, password: string, resource: string): Promise<TestClient> {
  const xmpp = xmppClient({
    service,
    domain,
    resource,
    credentials: (authenticate: (c: object, m: string) => Promise<void>) => authenticate({ username, password }, 'PLAIN'),
  } as Parameters<typeof xmppClient>[0]);
  xmpp.reconnect.stop();
  xmpp.on('error', () => {});
  const client = new TestClient(xmpp);
  await xmpp.start();
  await xmpp.send(xml('presence'));
  return client;
}

/** A session of a Perch test account (password `<name>-secret`). */
export const perchLogin = (pair: InteropPair, username: string, resource: string) =>
  login(`xmpps://${pair.perchAddress}:${pair.perch.ports.c2s_tls}`, pair.perch.domain, username, `${username}-secret`, resource);

/** A session of a peer account (password `<name>-secret`). */
export const peerLogin = (pair: InteropPair, username: string, resource: string) =>
  login(`xmpp://${pair.peer.address}:${pair.peer.c2sPort}`, pair.peer.domain, username, `${username}-secret`, resource);

export function perchHost(pair: InteropPair): Host {
  return pair.perch.running.server.hosts.get(pair.perch.domain)!;
}

export function accountRoomsOf(pair: InteropPair): AccountRooms {
  return perchHost(pair).modules.get('account-rooms') as AccountRooms;
}

/** Stanzas crossing the s2s link between Perch and `remote` (a room: the room's JID and its occupants'), seen on Perch's side. */
/**
 * Starts a pair for the enclosing describe (unless the peer is `missing`),
 * with Juliet, the rooms' owner, logged in on the peer; `use` receives them
 * (tests may replace Juliet's session: `current` gives the one to stop).
 * A failing test prints the peer's log tail.
 */
export function useInteropPair(
  options: PairOptions,
  missing: string | undefined,
  use: (pair: InteropPair, juliet: TestClient) => void,
  current: () => { pair?: InteropPair; juliet?: TestClient },
): void {
  beforeAll(async () => {
    if (missing) return;
    const pair = await startInteropPair(options);
    await pair.peer.createUser('juliet', 'juliet-secret');
    use(pair, await peerLogin(pair, 'juliet', 'balcony'));
  }, 60_000);

  afterEach(({ task }) => {
    const { pair } = current();
    if (task.result?.state === 'fail' && pair) console.info(`--- ${pair.peer.name} log tail ---\n${pair.peer.readLog().slice(-8000)}`);
  });

  afterAll(async () => {
    const { pair, juliet } = current();
    await juliet?.stop();
    await pair?.stop();
  });
}

export interface S2sCount {
  /** `in:message:groupchat`, `out:presence:-`… */
  kinds: string[];
  count(direction: 'in' | 'out', name?: string): number;
  stop(): void;
}

export function countCrossing(pair: InteropPair, remote: string): S2sCount {
  const kinds: string[] = [];
  const matches = (jid: string) => jid === remote || jid.startsWith(`${remote}/`);
  const note = (direction: string, stanza: { name: string; attrs: Record<string, string | undefined> }) =>
    kinds.push(`${direction}:${stanza.name}:${stanza.attrs.type ?? '-'}`);
  const bus = perchHost(pair).bus;
  const stops = [
    bus.on('s2s-stanza-in', ({ stanza, from }) => void (matches(from.toString()) && note('in', stanza)), 1000),
    bus.on('route/remote', ({ stanza, to }) => void (matches(to.toString()) && note('out', stanza)), 1000),
  ];
  return {
    kinds,
    count: (direction, name) => kinds.filter((k) => k.startsWith(`${direction}:${name ?? ''}`)).length,
    stop: () => stops.forEach((stop) => stop()),
  };
}

export interface RoomCast {
  romeo: string;
  /** Romeo's bare JID on Perch: the real JID the room must show. */
  account: string;
  room: string;
  /** `room/Romeo`. */
  occupant: string;
  /** The peer's user, room owner, in the room as Juliet. */
  juliet: TestClient;
  phone: TestClient;
  laptop: TestClient;
}

/** A fresh room on the peer's MUC service owned by `juliet`, with a fresh Romeo's phone and laptop joined from Perch. */
export async function roomCast(pair: InteropPair, juliet: TestClient, name: string, config: Record<string, string> = {}): Promise<RoomCast> {
  const [romeo] = await pair.perch.createFreshUsers('romeo');
  const room = `${name}@${pair.peer.mucDomain}`;
  const occupant = `${room}/Romeo`;
  await createRoom(juliet, room, 'Juliet', config);
  const [phone, laptop] = await Promise.all([perchLogin(pair, romeo, 'phone'), perchLogin(pair, romeo, 'laptop')]);
  await joinRoom(phone, room, 'Romeo');
  await joinRoom(laptop, room, 'Romeo');
  await juliet.waitFor(presenceFrom(occupant), 5000, 'Romeo joining');
  forget(juliet, phone, laptop);
  return { romeo, account: `${romeo}@${pair.perch.domain}`, room, occupant, juliet, phone, laptop };
}

/** `speaker` says each line and waits for the room to reflect it. */
export async function say(speaker: TestClient, room: string, ...bodies: string[]): Promise<void> {
  for (const body of bodies) {
    await speaker.send(groupchat(room, body));
    await speaker.waitFor(isBody(body), 5000, `reflection of ${body}`);
  }
}

/** Each session gets each body exactly once. */
export async function receivedOnce(sessions: TestClient[], bodies: string[], timeoutMs = 10_000): Promise<void> {
  for (const session of sessions) for (const body of bodies) await session.waitFor(isBody(body), timeoutMs, body);
  for (const session of sessions) for (const body of bodies) await session.expectNothing(isBody(body), 0);
}

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const ROSTER = 'jabber:iq:roster';

export const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: body.slice(0, 8) }, xml('body', {}, body));
/** A presence of this type (`undefined`: available) from exactly `from`. */
export const presenceOf = (type: string | undefined, from: string) => (el: XmlElement) =>
  el.name === 'presence' && el.attrs.type === type && el.attrs.from === from;
/** What a session must not see while the membership recovers: the account's occupant leaving, or an error. */
export const ownTrouble = (occupant: string) => (el: XmlElement) =>
  el.attrs.type === 'error' || (el.name === 'presence' && el.attrs.from === occupant && el.attrs.type === 'unavailable');

/** The categories of `to`'s disco#info identities. */
export async function categoriesOf(client: TestClient, to: string): Promise<string[]> {
  const answer = await client.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: DISCO_INFO })), 10_000);
  return answer.getChild('query', DISCO_INFO)!.getChildren('identity').map((i) => i.attrs.category as string);
}

/** The subscription state of `contact` in the client's roster. */
export async function subscription(client: TestClient, contact: string): Promise<string | undefined> {
  const roster = await client.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
  return roster.getChild('query', ROSTER)?.getChildren('item').find((i) => i.attrs.jid === contact)?.attrs.subscription;
}

/** `a` and `b` (on different servers) subscribe to each other: each asks, the other approves. */
export async function subscribeBothWays(a: TestClient, b: TestClient): Promise<void> {
  for (const [asker, approver] of [
    [a, b],
    [b, a],
  ]) {
    await asker.send(xml('presence', { to: approver.bareJid, type: 'subscribe' }));
    await approver.waitFor(presenceOf('subscribe', asker.bareJid), 5000, 'subscribe');
    await approver.send(xml('presence', { to: asker.bareJid, type: 'subscribed' }));
  }
}

/**
 * Federation basics between a Perch account and `juliet` (a peer account):
 * chat each way, a subscription handshake ending in both with presence
 * seen, disco#info of the other side's server, MUC service and account;
 * Perch's streams both ways authenticated by `method`.
 */
export async function federatesBothWays(pair: InteropPair, juliet: TestClient, method: 'dialback' | 'sasl-external'): Promise<void> {
  const [romeo] = await pair.perch.createFreshUsers('romeo');
  const desk = await perchLogin(pair, romeo, 'desk');
  await desk.send(chat(juliet.bareJid, 'But soft, what light?'));
  expect((await juliet.waitFor(isBody('But soft, what light?'), 10_000)).attrs.from).toBe(desk.jid);
  await juliet.send(chat(desk.bareJid, 'Wherefore art thou?'));
  expect((await desk.waitFor(isBody('Wherefore art thou?'), 10_000)).attrs.from).toBe(juliet.jid);

  await subscribeBothWays(desk, juliet);
  // Each side sees the other online (presence after the approval, or the answer to a probe).
  await desk.waitFor(presenceOf(undefined, juliet.jid), 5000, 'Juliet online');
  await juliet.waitFor(presenceOf(undefined, desk.jid), 5000, 'Romeo online');
  expect(await subscription(desk, juliet.bareJid)).toBe('both');
  expect(await subscription(juliet, desk.bareJid)).toBe('both');

  expect(await categoriesOf(desk, pair.peer.domain)).toContain('server');
  expect(await categoriesOf(desk, pair.peer.mucDomain)).toContain('conference');
  expect(await categoriesOf(juliet, pair.perch.domain)).toContain('server');
  expect(await categoriesOf(juliet, desk.bareJid)).toContain('account');

  const s2s = s2sOf(pair.perch);
  expect(s2s.outgoing().find((l) => l.remoteDomain === pair.peer.domain && l.phase === 'open')?.pairs[0]?.method).toBe(method);
  expect(s2s.incoming().flatMap((s) => s.authenticated)).toContainEqual({ domain: pair.peer.domain, method });
  await desk.stop();
}

/** Polls `check` until it holds. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
