/**
 * Real XMPP clients for end-to-end tests, built on @xmpp/client (a library
 * we did not write), over STARTTLS, direct TLS or WebSocket. A TestClient
 * records every stanza it receives so tests can wait for and assert on them.
 */
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import { WebSocket } from 'ws';
import type { TestServer } from './start-server.js';

// @xmpp/websocket uses the global WebSocket, which Node 20 lacks without a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
// The test server's certificate is self-signed.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export type Transport = 'starttls' | 'tls' | 'ws';
export type { XmlElement } from '@xmpp/client';
import type { XmlElement } from '@xmpp/client';

export interface ConnectOptions {
  username: string;
  password: string;
  transport?: Transport;
  resource?: string;
  /** Force a SASL mechanism (@xmpp/client offers SCRAM-SHA-1 and PLAIN). */
  mechanism?: 'SCRAM-SHA-1' | 'PLAIN';
  /** Send initial presence after login (default true). */
  presence?: boolean;
}

export function serviceUrl(server: TestServer, transport: Transport): string {
  if (transport === 'tls') return `xmpps://127.0.0.1:${server.ports.c2s_tls}`;
  if (transport === 'ws') return `ws://127.0.0.1:${server.ports.http}/xmpp-websocket`;
  return `xmpp://127.0.0.1:${server.ports.c2s}`;
}

export class TestClient {
  readonly received: XmlElement[] = [];
  private waiters: { match: (el: XmlElement) => boolean; resolve: (el: XmlElement) => void }[] = [];

  constructor(readonly xmpp: Client) {
    xmpp.on('stanza', (el: XmlElement) => this.onStanza(el));
  }

  get jid(): string {
    return this.xmpp.jid!.toString();
  }

  get bareJid(): string {
    return this.xmpp.jid!.bare().toString();
  }

  send(el: XmlElement): Promise<void> {
    return this.xmpp.send(el);
  }

  /** Sends an IQ and resolves with the result; rejects with the StanzaError on an error reply. */
  iq(el: XmlElement, timeoutMs = 5000): Promise<XmlElement> {
    return this.xmpp.iqCaller.request(el, timeoutMs);
  }

  /**
   * Resolves with the first stanza matching, looking first at stanzas that
   * already arrived and have not been taken by an earlier wait.
   */
  waitFor(match: (el: XmlElement) => boolean, timeoutMs = 5000, what = 'stanza'): Promise<XmlElement> {
    const index = this.received.findIndex(match);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.jid}: timed out waiting for ${what}; got:\n${this.received.join('\n')}`));
      }, timeoutMs);
      waiter.resolve = (el) => {
        clearTimeout(timer);
        resolve(el);
      };
      this.waiters.push(waiter);
    });
  }

  /** Asserts that nothing matching arrives within `ms`. */
  async expectNothing(match: (el: XmlElement) => boolean, ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const found = this.received.find(match);
    if (found) throw new Error(`${this.jid}: unexpected stanza ${found.toString()}`);
  }

  async stop(): Promise<void> {
    try {
      await this.xmpp.stop();
    } catch {
      // already closed by the server
    }
  }

  private onStanza(el: XmlElement): void {
    const index = this.waiters.findIndex((w) => w.match(el));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      waiter.resolve(el);
      return;
    }
    this.received.push(el);
  }
}

/** Logs in and returns the client once online (initial presence sent unless disabled). */
export async function connect(server: TestServer, options: ConnectOptions): Promise<TestClient> {
  const xmpp = makeClient(server, options);
  const tc = new TestClient(xmpp);
  xmpp.on('error', () => {});
  await xmpp.start();
  if (options.presence !== false) await xmpp.send(xml('presence'));
  return tc;
}

export function makeClient(server: TestServer, options: ConnectOptions): Client {
  const { username, password, mechanism } = options;
  const xmpp = xmppClient({
    service: serviceUrl(server, options.transport ?? 'starttls'),
    domain: server.domain,
    resource: options.resource,
    credentials: mechanism
      ? (authenticate: (c: object, m: string) => Promise<void>) => authenticate({ username, password }, mechanism)
      : { username, password },
  } as Parameters<typeof xmppClient>[0]);
  xmpp.reconnect.stop();
  return xmpp;
}

export { xml };
