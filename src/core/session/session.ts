/**
 * One client connection and, once negotiated, the session it carries: stream
 * header checks, stream features, the per-session ordered inbound queue, the
 * byte-rate limit and the handshake and idle timeouts. What each
 * negotiation step does (STARTTLS, SASL, bind) lives in modules that hook
 * `stream-features`, `nonza/…` and `unbound-iq/…`.
 *
 * A bound session normally ends with its connection. When the connection is
 * lost without a closing `</stream:stream>`, a module may keep the session
 * (`session-connection-lost`): it stays bound, "detached", until the module
 * either closes it or moves a new connection into it (`adoptConnection`).
 * That is how stream resumption works, without the core knowing XEP-0198.
 *
 * References: RFC 6120 §4 (streams), §4.4 (closing), §4.9 (stream errors),
 * §11.1 (restricted XML); RFC 7395 §3 (WebSocket framing).
 */
import { randomBytes } from 'node:crypto';
import { Element, x } from '../xml/element.js';
import { NS } from '../xml/ns.js';
import { StreamParser } from '../xml/parser.js';
import { StreamError } from '../errors/stream-error.js';
import type { JID } from '../jid/jid.js';
import type { Host } from '../host.js';
import type { Server } from '../server.js';
import { lostConnection, type Connection } from './connection.js';
import { RateLimiter } from './rate-limiter.js';
import { OutputPipeline, type OutputFilter } from './output-pipeline.js';
import { checkStreamNamespaces, resolveStreamHost } from './stream-header.js';

export type { OutputFilter } from './output-pipeline.js';

/** Per-session state that modules add by declaration merging. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SessionState {}

const STANZA_NAMES = new Set(['message', 'presence', 'iq']);
/** Stanzas queued before we stop reading from the socket. */
const MAX_QUEUED = 256;

export class Session {
  readonly id = randomBytes(9).toString('base64url');
  readonly state: SessionState = {};
  host?: Host;
  username?: string;
  /** Full JID once bound. */
  jid?: JID;
  authenticated = false;
  bound = false;
  closed = false;
  /** The session's current available presence; undefined when unavailable. */
  presence?: Element;
  priority = 0;
  /** Requested the roster (RFC 6121 §2.1.1: an "interested resource"). */
  interested = false;
  streamId = '';
  /** No connection, yet kept bound by a module (see `session-connection-lost`). */
  detached = false;
  /** Stanzas from the client handled since binding (what XEP-0198 acks count). */
  handledStanzas = 0;
  /** Undefined while detached: a hibernating session keeps no parser. */
  private parser?: StreamParser;
  /** The client sent `</stream:stream>`: a later socket close is not a loss. */
  private streamEnded = false;
  /** The session that adopted this one's connection; itself otherwise. */
  private receiver: Session = this;
  private currentConnection: Connection;
  private readonly output = new OutputPipeline(
    (el) => this.connection.writeElement(el),
    () => this.closed,
  );
  private inbound: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly rate: RateLimiter | undefined;
  private handshakeTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private idlePinged = false;

  constructor(
    readonly server: Server,
    connection: Connection,
  ) {
    this.currentConnection = connection;
    const limits = server.config.limits;
    if (limits.rate_bytes_per_second > 0) {
      this.rate = new RateLimiter(limits.rate_bytes_per_second, limits.rate_burst_bytes);
    }
    this.resetParser();
    // Through `receiver`, so that after an adoption the adopter gets them.
    connection.onData((chunk) => {
      // Late bytes on a connection its session already replaced are dropped.
      if (this.receiver.currentConnection === connection) this.receiver.onData(chunk);
    });
    connection.onClose(() => this.receiver.onConnectionClosed(connection));
    this.handshakeTimer = setTimeout(
      () => this.close(new StreamError('connection-timeout', 'stream negotiation took too long')),
      limits.handshake_timeout * 1000,
    );
    this.touch();
    server.track(this);
  }

  /** The transport this session reads from and writes to now. */
  get connection(): Connection {
    return this.currentConnection;
  }

  get secure(): boolean {
    return this.connection.secure;
  }

  get log() {
    return this.server.log;
  }

  /** Sends an element to the client through the output filters (no-op once closed). */
  send(el: Element): void {
    if (!this.closed) this.output.send(el);
  }

  /**
   * Adds a step on the way out (stream management counts and queues there,
   * client state indication holds presence there). Returns its removal.
   */
  addOutputFilter(filter: OutputFilter, order: number): () => void {
    return this.output.add(filter, order);
  }

  /** Sends `el` through the filters after `filter` only (a filter releasing what it held). */
  sendBelow(filter: OutputFilter, el: Element): void {
    if (!this.closed) this.output.sendBelow(filter, el);
  }

  /** Closes the stream, with a stream error when given. */
  close(error?: StreamError): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    if (error) {
      this.log.debug({ session: this.id, condition: error.condition, reason: error.text }, 'closing stream with error');
      this.connection.closeWithError(error);
    } else {
      this.connection.close();
    }
    this.unbind(error);
  }

  /**
   * Takes over `from`'s connection (a new, authenticated but unbound
   * stream) for this bound session: stream resumption. This session's own
   * connection, if still open, is closed first with `replacedBy` (the client
   * reconnected before we noticed the old socket died). `from` is discarded
   * without unbinding (it never bound); what it parsed reaches this session.
   */
  adoptConnection(from: Session, replacedBy: StreamError): void {
    if (!this.detached) this.currentConnection.closeWithError(replacedBy);
    this.currentConnection = from.currentConnection;
    this.parser = from.parser;
    this.streamId = from.streamId;
    this.streamEnded = false;
    this.detached = false;
    from.receiver = this;
    from.closed = true;
    from.clearTimers();
    this.server.untrack(from);
    this.server.track(this);
    this.touch();
  }

  /** Called after TLS or SASL: the client opens a fresh stream (RFC 6120 §4.3.3). */
  restartStream(): void {
    this.resetParser();
  }

  async startTls(): Promise<void> {
    if (!this.connection.startTls) throw new Error('connection cannot start TLS');
    this.resetParser();
    await this.connection.startTls();
  }

  /** Marks negotiation finished; the host's bind logic calls this. */
  markBound(jid: JID): void {
    this.jid = jid;
    this.bound = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private resetParser(): void {
    this.parser = new StreamParser(
      {
        onStreamStart: (name, attrs) => this.receiver.onStreamStart(name, attrs),
        onStanza: (el) => this.enqueue(el),
        onStreamEnd: () => this.receiver.onStreamEnd(),
        onError: (condition, text) =>
          this.receiver.close(new StreamError(condition === 'bad-format' ? 'bad-format' : condition, text)),
      },
      { maxStanzaSize: this.server.config.limits.max_stanza_size, framing: this.connection.framing },
    );
  }

  private onData(chunk: string): void {
    if (this.closed) return;
    if (this.rate && !this.rate.take(Buffer.byteLength(chunk))) {
      this.close(new StreamError('policy-violation', 'rate limit exceeded'));
      return;
    }
    this.touch();
    this.parser?.write(chunk);
  }

  private touch(): void {
    this.idlePinged = false;
    const idle = this.server.config.limits.idle_timeout;
    if (idle <= 0) return;
    // Re-arming per chunk is cheap: refresh() reuses the timer.
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.onIdle(), idle * 1000);
  }

  /**
   * A silent bound client is asked for a ping (XEP-0199 §4.2) before it is
   * dropped: quiet phones are normal, dead TCP connections are not.
   */
  private onIdle(): void {
    if (!this.bound) return this.close(new StreamError('connection-timeout', 'idle'));
    if (this.idlePinged) {
      // Silence after a ping: the connection is dead, not the session.
      this.currentConnection.closeWithError(new StreamError('connection-timeout', 'idle'));
      return this.onConnectionLost();
    }
    this.idlePinged = true;
    this.send(x('iq', { type: 'get', id: `idle-${this.id}`, from: this.host!.name, to: this.jid!.toString() }, x('ping', { xmlns: NS.ping })));
    this.idleTimer?.refresh();
  }

  private onStreamStart(name: string, attrs: Record<string, string>): void {
    this.openStream(checkStreamNamespaces(name, attrs), attrs);
  }

  /** Answers a stream header or `<open/>`: our header, then features or the error. */
  private openStream(namespaceError: StreamError | undefined, attrs: Record<string, string | undefined>): void {
    const { host, error } = namespaceError ? { error: namespaceError } : resolveStreamHost(this.server, this.host, attrs);
    if (host) this.host = host;
    this.streamId = randomBytes(12).toString('base64url');
    const from = this.host?.name ?? this.server.defaultHost.name;
    this.connection.openStream({ from, id: this.streamId, version: '1.0', 'xml:lang': 'en' });
    if (error) return this.close(error);
    void this.sendFeatures();
  }

  private async sendFeatures(): Promise<void> {
    const features = x('stream:features');
    await this.host!.bus.fire('stream-features', { session: this, features });
    this.send(features);
  }

  private enqueue(el: Element): void {
    this.queued++;
    if (this.queued === MAX_QUEUED) this.connection.pause();
    this.inbound = this.inbound
      .then(() => this.handleElement(el))
      .catch((err) => this.onHandlerCrash(err))
      .finally(() => {
        this.queued--;
        if (this.queued === MAX_QUEUED - 1) this.connection.resume();
      });
  }

  private onHandlerCrash(err: unknown): void {
    if (err instanceof StreamError) return this.close(err);
    this.log.error({ err, session: this.id }, 'unexpected error handling an element');
    this.close(new StreamError('internal-server-error'));
  }

  private async handleElement(el: Element): Promise<void> {
    // Read on a connection another session adopted: in order, to that one.
    if (this.receiver !== this) return this.receiver.enqueue(el);
    if (this.closed) return;
    if (this.connection.framing === 'fragments' && el.attrs.xmlns === NS.framing) return this.handleFraming(el);
    if (STANZA_NAMES.has(el.name) && (el.attrs.xmlns === undefined || el.attrs.xmlns === NS.client)) {
      return this.handleStanza(el);
    }
    const handled = await this.host!.bus.fire(`nonza/${el.attrs.xmlns ?? ''}:${el.name}`, { session: this, element: el });
    if (!handled) this.close(new StreamError('unsupported-stanza-type', `<${el.name}/> is not supported here`));
  }

  private async handleStanza(el: Element): Promise<void> {
    if (this.bound) {
      this.handledStanzas++;
      return this.server.router.fromClient(this, el);
    }
    // Before binding only IQs a module takes are allowed: in-band
    // registration before authentication, resource binding after it.
    const stage = this.authenticated ? 'unbound-iq' : 'unauthenticated-iq';
    const payload = el.name === 'iq' ? el.elements()[0] : undefined;
    const handled =
      payload !== undefined &&
      (await this.host!.bus.fire(`${stage}/${payload.attrs.xmlns ?? ''}:${payload.name}`, { session: this, element: el }));
    if (!handled) throw new StreamError('not-authorized', this.authenticated ? 'bind a resource first' : 'authenticate first');
  }

  /** RFC 7395 §3.3 `<open/>` and §3.6 `<close/>`. */
  private handleFraming(el: Element): void {
    if (el.name === 'close') return this.close();
    if (el.name !== 'open') throw new StreamError('unsupported-stanza-type');
    this.openStream(undefined, el.attrs);
  }

  /**
   * `</stream:stream>`: what the client sent before it (its last ack, say)
   * is handled first, then the stream closes (RFC 6120 §4.4).
   */
  private onStreamEnd(): void {
    this.streamEnded = true;
    this.inbound = this.inbound.then(() => this.close());
  }

  private onConnectionClosed(connection: Connection): void {
    // A connection this session gave up (closed on adoption of a new one).
    if (connection !== this.currentConnection) return;
    this.server.untrack(this);
    // A graceful end is finishing in the inbound queue (onStreamEnd).
    if (this.closed || this.detached || this.streamEnded) return;
    this.onConnectionLost();
  }

  /**
   * The connection died under a live session. A bound session may be kept
   * by a module (stream management); otherwise it ends now.
   */
  private onConnectionLost(): void {
    this.server.untrack(this);
    const bus = this.bound ? this.host?.bus : undefined;
    if (!bus?.has('session-connection-lost')) return this.end();
    this.detached = true;
    this.clearTimers();
    // What a hibernating session does not need is let go: it costs a few
    // KiB instead of a live one's dozen.
    this.parser = undefined;
    this.currentConnection = lostConnection(this.currentConnection);
    bus.fire('session-connection-lost', { session: this }).then(
      (kept) => {
        if (!kept) this.end();
      },
      (err) => {
        this.log.error({ err, session: this.id }, 'session-connection-lost handler failed');
        this.end();
      },
    );
  }

  /** Ends the session without writing anything (its connection is gone). */
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.detached = false;
    this.clearTimers();
    this.unbind();
  }

  private unbind(error?: StreamError): void {
    if (this.bound && this.host) this.host.unbind(this, error);
  }

  private clearTimers(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // A resumed session re-arms from scratch (touch).
    this.handshakeTimer = undefined;
    this.idleTimer = undefined;
  }
}
