/**
 * Helpers for the stream-management end-to-end tests: fresh accounts,
 * clients that are surely available, mutual subscriptions, a look at the
 * server's session for a JID (to wait until it noticed a cut), cutting an
 * @xmpp/client connection without closing its stream, resuming it, and raw
 * clients that authenticate, enable stream management or ping in bulk.
 *
 * References: XEP-0198 §3 (enable), §5 (resume); RFC 6121 §3 (subscriptions).
 */
import { connect, xml, type TestClient, type Transport, type XmlElement } from './client.js';
import { RawClient } from './raw-client.js';
import { isPresence } from './contacts.js';
import type { TestServer } from './start-server.js';
import type { Session } from '../../../src/core/session/session.js';

export const SM = 'urn:xmpp:sm:3';

/** What the tests use of @xmpp/client beyond the harness types. */
interface SmCapableClient {
  /** TLS socket over TCP (`_parent`), or a `ws` WebSocket. */
  socket?: { socket?: { destroy?(): void; terminate?(): void; _parent?: { destroy(): void } } };
  streamManagement: { id: string; on(event: 'resumed', fn: () => void): void };
  reconnect: { reconnect(): Promise<void> };
}

const sm = (client: TestClient) => client.xmpp as unknown as SmCapableClient;

export { befriend, isPresence } from './contacts.js';
export const isMessage = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
export const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body));

export async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function pings(raw: RawClient, count: number, prefix: string): Promise<unknown> {
  for (let i = 0; i < count; i++) raw.send(`<iq type='get' id='${prefix}${i}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  return raw.waitFor(new RegExp(`id='${prefix}${count - 1}'`));
}

/** Helpers bound to the test file's server (started in its beforeAll). */
export function smHarness(getServer: () => TestServer) {
  let userCount = 0;

  async function accounts(...names: string[]): Promise<string[]> {
    userCount++;
    const usernames = names.map((n) => `${n}${userCount}`);
    for (const username of usernames) await getServer().createUser(username);
    return usernames;
  }

  /** The server's session for a full JID. */
  function serverSession(fullJid: string): Session | undefined {
    const server = getServer();
    const [local, rest] = fullJid.split('@');
    const resource = rest!.slice(rest!.indexOf('/') + 1);
    return server.running.server.hosts.get(server.domain)!.sessions.get(local!, resource);
  }

  /**
   * Logs in with initial presence. No IQ round trip: COMPAT(@xmpp/client
   * 0.14) never counts replies to its own IQs, so its acks would lag.
   */
  async function online(username: string, resource: string, transport: Transport = 'starttls'): Promise<TestClient> {
    const client = await connect(getServer(), { username, password: `${username}-secret`, resource, transport });
    await until(() => serverSession(client.jid)?.presence !== undefined, `${client.jid} is available`);
    return client;
  }

  /** Waits until the client acknowledged everything the server sent it. */
  async function drained(client: TestClient): Promise<void> {
    await until(() => serverSession(client.jid)?.state.sm?.unacked.length === 0, `${client.jid} acked everything`);
  }

  /** Kills the client's connection (no `</stream:stream>`, no TLS close) and waits until the session hibernates. */
  async function cut(client: TestClient): Promise<void> {
    const jid = client.jid;
    const socket = sm(client).socket?.socket;
    socket?._parent?.destroy();
    socket?.destroy?.();
    socket?.terminate?.();
    await until(() => serverSession(jid)?.detached === true, `${jid} hibernates`);
  }

  async function resumeWith(client: TestClient): Promise<void> {
    const resumed = new Promise<void>((resolve) => sm(client).streamManagement.on('resumed', resolve));
    await sm(client).reconnect.reconnect();
    await resumed;
  }

  /** A raw client on an authenticated stream, ready to bind or resume. */
  async function rawAuthenticated(username: string): Promise<RawClient> {
    const raw = await RawClient.connect(getServer());
    await raw.openStream();
    await raw.startTls();
    await raw.authenticate(username, `${username}-secret`);
    return raw;
  }

  /** A raw client bound with resumable stream management; resolves with its SM-ID. */
  async function rawWithSm(username: string, resource: string): Promise<{ raw: RawClient; id: string }> {
    const raw = await RawClient.connect(getServer());
    await raw.login(username, `${username}-secret`, resource);
    raw.send(`<enable xmlns='${SM}' resume='true'/>`);
    const [, id] = await raw.waitFor(/<enabled xmlns='urn:xmpp:sm:3' id='([^']+)' resume='true' max='\d+'\/>/);
    return { raw, id: id! };
  }

  return { accounts, serverSession, online, drained, cut, resumeWith, rawAuthenticated, rawWithSm };
}
