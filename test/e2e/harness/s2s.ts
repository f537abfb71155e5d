/**
 * Federation helpers for end-to-end tests: several Perch servers in one
 * process, each pinned to the others' ephemeral s2s ports through the s2s
 * module's routes; a raw server-to-server peer for sending what a real
 * server would not, connecting or accepting (`RawS2sListener`); a TCP
 * proxy whose connections can be frozen (a peer that vanished without a
 * word); and a small test CA for certificate authentication.
 *
 * References: RFC 6120 §4 (s2s stream headers), §5.4 (STARTTLS);
 * XEP-0178 §3 (SASL EXTERNAL between servers).
 */
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import { generate } from 'selfsigned';
import type { S2sApi } from '../../../src/modules/s2s/index.js';
import { startTestServer, type RawConfig, type TestServer } from './start-server.js';

/** The s2s module's API on a test server. */
export function s2sOf(server: TestServer): S2sApi {
  return server.running.server.hosts.get(server.domain)!.modules.get('s2s') as S2sApi;
}

/** The bound s2s ports (RunningServer's type only names the client ports). */
export function s2sPorts(server: TestServer): { s2s: number; s2s_tls: number } {
  return server.running.ports as unknown as { s2s: number; s2s_tls: number };
}

/** Points `from` at `to`'s STARTTLS port (or direct TLS port) for `to`'s domain and its extra domains. */
export function route(from: TestServer, to: TestServer, options: { directTls?: boolean; domains?: string[] } = {}): void {
  const ports = s2sPorts(to);
  const target = options.directTls ? `xmpps://127.0.0.1:${ports.s2s_tls}` : `127.0.0.1:${ports.s2s}`;
  for (const domain of [to.domain, ...(options.domains ?? [])]) s2sOf(from).setRoute(domain, target);
}

/** Starts servers with the given configs and routes each to every other. */
export async function startFederation(configs: RawConfig[]): Promise<TestServer[]> {
  const servers: TestServer[] = [];
  for (const config of configs) servers.push(await startTestServer(config));
  for (const a of servers) for (const b of servers) if (a !== b) route(a, b);
  return servers;
}

export interface TestCa {
  cert: string;
  key: string;
  /** Writes the CA certificate and a leaf certificate naming `domains` into `dir`; returns config-ready paths. */
  issue(dir: string, ...domains: string[]): Promise<{ cert: string; key: string; caFile: string; pem: { cert: string; key: string } }>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A throwaway certification authority; leaf certificates carry serverAuth and clientAuth (s2s needs both). */
export async function createTestCa(): Promise<TestCa> {
  const validity = { notBeforeDate: new Date(Date.now() - DAY_MS), notAfterDate: new Date(Date.now() + 30 * DAY_MS) };
  const ca = await generate([{ name: 'commonName', value: 'Perch Test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return {
    cert: ca.cert,
    key: ca.private,
    async issue(dir, ...domains) {
      const domain = domains[0];
      const leaf = await generate([{ name: 'commonName', value: domain }], {
        keyType: 'ec',
        algorithm: 'sha256',
        ...validity,
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
          { name: 'subjectAltName', altNames: domains.map((value) => ({ type: 2 as const, value })) },
        ],
      });
      const paths = { cert: `${dir}/${domain}.crt`, key: `${dir}/${domain}.key`, caFile: `${dir}/ca.crt` };
      await writeFile(paths.cert, leaf.cert);
      await writeFile(paths.key, leaf.private, { mode: 0o600 });
      await writeFile(paths.caFile, ca.cert);
      return { ...paths, pem: { cert: leaf.cert, key: leaf.private } };
    },
  };
}

/** A hand-driven server-to-server peer: writes anything, keeps what it reads as text. */
export class RawS2sPeer {
  transcript = '';
  private cursor = 0;
  closed = false;

  private constructor(private socket: net.Socket) {
    this.listen(socket);
  }

  /** Wraps a connection accepted by a `RawS2sListener`. */
  static accepted(socket: net.Socket): RawS2sPeer {
    return new RawS2sPeer(socket);
  }

  static async connect(port: number): Promise<RawS2sPeer> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawS2sPeer(socket);
  }

  static header(from: string, to: string, extra = ''): string {
    return `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'${extra}>`;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Resolves with the next match after the previous one; rejects on timeout or close without a match. */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.transcript.slice(this.cursor));
      if (match) {
        this.cursor += match.index + match[0].length;
        return match;
      }
      if (this.closed || Date.now() > deadline) throw new Error(`no ${pattern}; unread:\n${this.transcript.slice(this.cursor)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The condition of the stream error that must arrive, after which the server closes the connection. */
  async streamError(): Promise<string> {
    const [, condition] = await this.waitFor(/<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'/);
    await this.waitFor(/<\/stream:stream>/);
    await this.waitForClose();
    return condition;
  }

  async waitForClose(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** STARTTLS with an optional client certificate; the next header and features follow on the TLS stream. */
  async startTls(from: string, to: string, certificate?: { cert: string; key: string }): Promise<string> {
    this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await this.waitFor(/<proceed[^>]*\/>/);
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tls.connect({ socket: this.socket, servername: to, rejectUnauthorized: false, ...certificate });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
    this.send(RawS2sPeer.header(from, to));
    return (await this.waitFor(/<stream:features>[\s\S]*?<\/stream:features>/))[0];
  }

  /** The receiving side of STARTTLS: writes `<proceed/>` and takes TLS over with `certificate`. */
  async acceptTls(certificate: { cert: string; key: string }): Promise<void> {
    this.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = new tls.TLSSocket(this.socket, { isServer: true, ...certificate });
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: net.Socket): void {
    const decoder = new StringDecoder('utf8');
    socket.on('data', (chunk: Buffer) => (this.transcript += decoder.write(chunk)));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }
}

/** A loopback port where a raw peer accepts server-to-server connections, one `RawS2sPeer` each. */
export class RawS2sListener {
  private readonly accepted: RawS2sPeer[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => this.accepted.push(RawS2sPeer.accepted(socket)));
  }

  static async start(): Promise<RawS2sListener> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RawS2sListener(server, (server.address() as net.AddressInfo).port);
  }

  /** The next connection not handed out yet. */
  async next(timeoutMs = 5000): Promise<RawS2sPeer> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted.length === 0) {
      if (Date.now() > deadline) throw new Error('no connection came');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.accepted.shift()!;
  }

  /** Connections accepted and not handed out yet. */
  get waiting(): number {
    return this.accepted.length;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * A TCP proxy to `target`. `freeze()` turns the connections open at that
 * moment into a black hole: bytes are dropped and closes are not passed on,
 * like a peer whose host vanished; later connections pass normally.
 */
export class FreezableProxy {
  private readonly live = new Set<{ frozen: boolean; sockets: net.Socket[] }>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<FreezableProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new FreezableProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.pipe(client, net.connect({ host: '127.0.0.1', port: targetPort })));
    return proxy;
  }

  freeze(): void {
    for (const pair of this.live) pair.frozen = true;
  }

  async stop(): Promise<void> {
    for (const pair of this.live) for (const socket of pair.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: net.Socket, upstream: net.Socket): void {
    const pair = { frozen: false, sockets: [client, upstream] };
    this.live.add(pair);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      from.on('data', (chunk) => void (pair.frozen || to.write(chunk)));
      from.on('end', () => void (pair.frozen || to.end()));
      from.on('close', () => void (pair.frozen || to.destroy()));
      from.on('error', () => {});
    }
  }
}
