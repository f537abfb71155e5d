/**
 * One server-to-server XML stream over TCP or TLS, for either direction:
 * the restricted streaming parser with the stanza size limit, the byte rate
 * limit, the idle timer, our stream header, in-place TLS upgrades (as the
 * accepting or the connecting side), TCP keepalive (a peer that vanished
 * is noticed on an idle connection without any XML traffic, so the idle
 * timer is left alone) and closing with or without a stream error. What the
 * elements mean is up to the incoming or outgoing stream.
 *
 * References: RFC 6120 §4.2–4.4 (opening, restarting and closing streams),
 * §4.6.1 (detecting dead connections), §4.9 (stream errors), §5.4.3.3 (TLS
 * negotiation), §11.1 (restricted XML).
 */
import { Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, TLSSocket, type ConnectionOptions, type TlsOptions } from 'node:tls';
import { StreamParser } from '../../core/xml/parser.js';
import { serialize, type Element } from '../../core/xml/element.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { RateLimiter } from '../../core/session/rate-limiter.js';
import { streamHeader } from './stream-header.js';

/** How long we wait for the peer to close after we did. */
const CLOSE_GRACE_MS = 3000;

export interface XmlStreamHandlers {
  header(name: string, attrs: Record<string, string>): void;
  element(el: Element): void;
  /** The peer sent `</stream:stream>`. */
  end(): void;
  /** The socket is gone (after our close, theirs, or an error). */
  closed(): void;
}

export interface XmlStreamOptions {
  maxStanzaSize: number;
  /** Bytes per second and burst; omitted for no limit. */
  rate?: { bytesPerSecond: number; burst: number };
  /** Milliseconds without traffic either way before `onIdle`; 0 for none. */
  idleMs: number;
  onIdle(): void;
  /** Silence before the OS probes the peer (TCP keepalive); omitted for none. */
  keepAliveMs?: number;
}

export class XmlStream {
  /** No more writes: closing or closed. */
  closing = false;
  private gone = false;
  private headerSent = false;
  private parser!: StreamParser;
  private readonly rate?: RateLimiter;
  private idleTimer?: NodeJS.Timeout;
  /** Our listeners on the current socket, removed (and no others) when TLS takes over. */
  private detach: () => void = () => {};

  constructor(
    private socket: Socket,
    private readonly options: XmlStreamOptions,
    private readonly handlers: XmlStreamHandlers,
  ) {
    if (options.rate && options.rate.bytesPerSecond > 0) this.rate = new RateLimiter(options.rate.bytesPerSecond, options.rate.burst);
    socket.setNoDelay(true);
    if (options.keepAliveMs) socket.setKeepAlive(true, options.keepAliveMs);
    this.resetParser();
    this.attach(socket);
    this.touch();
  }

  get secure(): boolean {
    return this.socket instanceof TLSSocket && this.socket.encrypted === true;
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.socket instanceof TLSSocket ? this.socket : undefined;
  }

  get isGone(): boolean {
    return this.gone;
  }

  /** Writes our stream header (each side sends a new one after TLS and SASL). */
  openStream(attrs: Record<string, string | undefined>): void {
    this.write(streamHeader({ ...attrs, version: '1.0' }));
    this.headerSent = true;
  }

  send(el: Element): void {
    this.write(serialize(el));
  }

  /** Stops reading (too many elements waiting to be handled); `resume` reads on. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** A stream restart: the next bytes are a new header (RFC 6120 §4.3.3). */
  restart(): void {
    this.headerSent = false;
    this.resetParser();
  }

  /** Accepts TLS on this connection after `<proceed/>` was written (we are the receiving server). */
  async acceptTls(options: TlsOptions): Promise<void> {
    const raw = await this.detachForTls();
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      // A throwaway tls.Server takes the socket over, so that Node verifies
      // the peer's certificate chain (`authorized`) as for any TLS server.
      const acceptor = createTlsServer(options);
      acceptor.once('secureConnection', resolve);
      acceptor.once('tlsClientError', reject);
      acceptor.emit('connection', raw);
    });
    this.adopt(secure);
  }

  /** Starts TLS after `<proceed/>` was read (we are the initiating server). */
  async startTls(options: ConnectionOptions): Promise<void> {
    const raw = await this.detachForTls();
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const socket = tlsConnect({ ...options, socket: raw });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
    this.adopt(secure);
  }

  /** Writes the stream error and closes (RFC 6120 §4.9.1.1: error, then close). */
  closeWithError(error: StreamError): void {
    if (this.closing) return;
    if (!this.headerSent) this.openStream({});
    this.write(serialize(error.toElement()));
    this.close();
  }

  /** Closes the stream gracefully, then the connection. */
  close(): void {
    if (this.closing) return;
    if (this.headerSent) this.write('</stream:stream>');
    this.closing = true;
    this.clearIdle();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the connection without a word (tests: a cut mid-stream; shutdown stragglers). */
  destroy(): void {
    this.closing = true;
    this.clearIdle();
    this.socket.destroy();
  }

  private resetParser(): void {
    this.parser = new StreamParser(
      {
        onStreamStart: (name, attrs) => this.handlers.header(name, attrs),
        onStanza: (el) => this.handlers.element(el),
        onStreamEnd: () => this.handlers.end(),
        onError: (condition, text) => this.closeWithError(new StreamError(condition, text)),
      },
      { maxStanzaSize: this.options.maxStanzaSize, framing: 'stream' },
    );
  }

  private attach(socket: Socket): void {
    socket.setEncoding('utf8');
    const onData = (chunk: string) => this.onData(chunk);
    const onError = () => socket.destroy();
    const onClose = () => this.onClose();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    this.detach = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
  }

  private onData(chunk: string): void {
    if (this.closing) return;
    if (this.rate && !this.rate.take(Buffer.byteLength(chunk))) {
      this.closeWithError(new StreamError('policy-violation', 'rate limit exceeded'));
      return;
    }
    this.touch();
    this.parser.write(chunk);
  }

  private onClose(): void {
    if (this.gone) return;
    this.gone = true;
    this.closing = true;
    this.clearIdle();
    this.handlers.closed();
  }

  /** Stops reading the plaintext socket; resolves once what we wrote (`<proceed/>`) has left. */
  private detachForTls(): Promise<Socket> {
    const raw = this.socket;
    this.detach();
    // A dying raw socket must still end the stream (before or after TLS took
    // over; onClose runs once), and its errors must never go unhandled.
    raw.once('close', () => this.onClose());
    raw.on('error', () => raw.destroy());
    this.detach = () => {};
    return new Promise((resolve) => raw.write('', () => resolve(raw)));
  }

  private adopt(secure: TLSSocket): void {
    this.socket = secure;
    this.restart();
    this.attach(secure);
    this.touch();
  }

  private write(data: string): void {
    if (this.closing || this.socket.destroyed || this.socket.writableEnded) return;
    this.touch();
    this.socket.write(data);
  }

  private touch(): void {
    if (this.options.idleMs <= 0 || this.closing) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.onIdleTimer(), this.options.idleMs).unref();
  }

  /** The owner may keep a busy stream open; the timer then runs again. */
  private onIdleTimer(): void {
    this.idleTimer = undefined;
    this.options.onIdle();
    this.touch();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
