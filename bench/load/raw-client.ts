/**
 * A minimal, fast XMPP client for load generation over plaintext TCP: opens
 * the stream, authenticates (SCRAM-SHA-256 or PLAIN), binds a resource and
 * sends initial presence. During negotiation it matches small regular
 * expressions against a text buffer; once bound it only counts incoming
 * `<message`, `<presence` and `<iq` with a substring scan, never building a
 * DOM, so one generator process can drive thousands of sessions.
 *
 * References: RFC 6120 §4.2 (stream open), §4.3.3 (restart after SASL),
 * §6.4 (SASL), §7 (bind), §4.9 (stream errors); RFC 6121 §4.2 (initial
 * presence); XEP-0199 (ping, used as a round-trip barrier).
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { TextCounter } from './text-counter.js';
import { ScramSha256Client, plainMessage } from './scram-client.js';

export type Mechanism = 'SCRAM-SHA-256' | 'PLAIN';

export interface RawClientOptions {
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  resource?: string;
  mechanism?: Mechanism;
  /** Send initial presence after binding (default true). */
  presence?: boolean;
  /** Bound on the whole login, in ms (default 30 s). */
  timeoutMs?: number;
  /** Sees every chunk read after bind (before waiters run), for scans of its own. */
  onText?: (chunk: string) => void;
}

const SASL_NS = 'urn:ietf:params:xml:ns:xmpp-sasl';
const COUNTED = ['<message', '<presence', '<iq', '<stream:error'] as const;
export type Counted = (typeof COUNTED)[number];

interface Waiter {
  check(): boolean;
  reject(err: Error): void;
}

export class RawClient {
  /** Full JID the server bound. */
  jid = '';
  private readonly socket: Socket;
  private readonly counter = new TextCounter(COUNTED);
  private negotiationBuffer = '';
  private counting = false;
  private readonly waiters = new Set<Waiter>();
  private failure?: Error;
  private nextId = 0;
  private readonly closed: Promise<void>;

  private constructor(private readonly opts: RawClientOptions) {
    this.socket = connect({ host: opts.host, port: opts.port, noDelay: true });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.fail(new Error('connection closed'));
        resolve();
      }),
    );
  }

  /** Connects and negotiates up to a bound (and by default present) session. */
  static async login(opts: RawClientOptions): Promise<RawClient> {
    const client = new RawClient(opts);
    const timer = setTimeout(() => client.fail(new Error(`login timed out for ${opts.username}`)), opts.timeoutMs ?? 30_000);
    try {
      await once(client.socket, 'connect');
      await client.negotiate();
      return client;
    } catch (err) {
      client.socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stanzas of a kind received since bind (plus `<stream:error`). */
  received(kind: Counted): number {
    return this.counter.count(kind);
  }

  /** Writes raw XML, waiting when the socket's buffer is full. */
  async send(xml: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.socket.write(xml)) await once(this.socket, 'drain');
  }

  /** Resolves once `count` stanzas of `kind` have arrived. */
  waitFor(kind: Counted, count: number, timeoutMs = 60_000): Promise<void> {
    return this.waitUntil(() => this.counter.count(kind) >= count, timeoutMs, `${count} x ${kind}`);
  }

  /** Round trip through the server: everything sent before is processed. */
  async ping(timeoutMs = 30_000): Promise<void> {
    const id = `ping${this.nextId++}`;
    const [single, double] = [`id='${id}'`, `id="${id}"`];
    this.counter.watch(single);
    this.counter.watch(double);
    await this.send(`<iq type='get' id='${id}' to='${this.opts.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    try {
      await this.waitUntil(() => this.counter.count(single) + this.counter.count(double) > 0, timeoutMs, `reply to ${id}`);
    } finally {
      this.counter.unwatch(single);
      this.counter.unwatch(double);
    }
  }

  /** Ends the stream; resolves when the socket is gone (at most ~2 s). */
  close(): Promise<void> {
    if (!this.socket.destroyed && this.socket.writable) {
      this.socket.end('</stream:stream>');
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    return this.closed;
  }

  /** Drops the connection without a closing handshake. */
  destroy(): void {
    this.socket.destroy();
  }

  private async negotiate(): Promise<void> {
    const features = await this.openStream();
    if (this.opts.mechanism === 'PLAIN') await this.authPlain(features);
    else await this.authScram(features);
    await this.openStream();
    const resource = this.opts.resource ?? `bench-${Math.random().toString(36).slice(2, 10)}`;
    this.socket.write(
      `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`,
    );
    const [iq] = await this.expect(/<iq[\s>][\s\S]*?(?:<\/iq>|\/>)/);
    const jid = /<jid>([^<]+)<\/jid>/.exec(iq);
    if (!jid) throw new Error(`bind failed: ${iq}`);
    this.jid = jid[1]!;
    this.startCounting();
    if (this.opts.presence !== false) this.socket.write('<presence/>');
  }

  private async openStream(): Promise<string> {
    this.socket.write(
      `<?xml version='1.0'?><stream:stream to='${this.opts.domain}' version='1.0' xml:lang='en' ` +
        `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
    const [features] = await this.expect(/<stream:features[\s\S]*?<\/stream:features>/);
    return features;
  }

  private async authScram(features: string): Promise<void> {
    this.requireMechanism(features, 'SCRAM-SHA-256');
    const scram = new ScramSha256Client(this.opts.username, this.opts.password);
    this.socket.write(`<auth xmlns='${SASL_NS}' mechanism='SCRAM-SHA-256'>${scram.first()}</auth>`);
    const [, challenge] = await this.expect(/<challenge[^>]*>([^<]*)<\/challenge>/);
    this.socket.write(`<response xmlns='${SASL_NS}'>${await scram.final(challenge!)}</response>`);
    scram.verify(await this.expectSuccess());
  }

  private async authPlain(features: string): Promise<void> {
    this.requireMechanism(features, 'PLAIN');
    this.socket.write(`<auth xmlns='${SASL_NS}' mechanism='PLAIN'>${plainMessage(this.opts.username, this.opts.password)}</auth>`);
    await this.expectSuccess();
  }

  private requireMechanism(features: string, name: Mechanism): void {
    if (!features.includes(`<mechanism>${name}</mechanism>`)) throw new Error(`server does not offer ${name}: ${features}`);
  }

  /** The base64 payload of `<success/>` ('' when empty). */
  private async expectSuccess(): Promise<string> {
    const [, payload] = await this.expect(/<success[^>]*?(?:\/>|>([^<]*)<\/success>)/);
    return payload ?? '';
  }

  /** Waits until the negotiation buffer matches, then consumes it up to the match. */
  private expect(pattern: RegExp): Promise<RegExpExecArray> {
    let match: RegExpExecArray | null = null;
    return this.waitUntil(
      () => {
        const failure = /<failure[\s\S]*?(?:<\/failure>|\/>)|<stream:error[\s\S]*?<\/stream:error>/.exec(this.negotiationBuffer);
        if (failure) throw new Error(`server refused: ${failure[0]}`);
        match = pattern.exec(this.negotiationBuffer);
        if (match) this.negotiationBuffer = this.negotiationBuffer.slice(match.index + match[0].length);
        return match !== null;
      },
      this.opts.timeoutMs ?? 30_000,
      String(pattern),
    ).then(() => match!);
  }

  private startCounting(): void {
    this.counting = true;
    this.counter.feed(this.negotiationBuffer);
    if (this.negotiationBuffer) this.opts.onText?.(this.negotiationBuffer);
    this.negotiationBuffer = '';
  }

  private waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => waiter.reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const waiter: Waiter = {
        check: () => {
          if (!done()) return false;
          clearTimeout(timer);
          resolve();
          return true;
        },
        reject: (err) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(err);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private onData(chunk: string): void {
    if (this.counting) {
      this.counter.feed(chunk);
      this.opts.onText?.(chunk);
    } else this.negotiationBuffer += chunk;
    if (this.counting && this.counter.count('<stream:error') > 0) {
      return this.fail(new Error(`stream error from server after bind (${this.jid})`));
    }
    for (const waiter of this.waiters) {
      try {
        if (waiter.check()) this.waiters.delete(waiter);
      } catch (err) {
        waiter.reject(err as Error);
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.waiters) waiter.reject(this.failure);
    this.waiters.clear();
  }
}
