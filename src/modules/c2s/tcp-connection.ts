/**
 * A client connection over TCP: plaintext with STARTTLS, or direct TLS
 * (XEP-0368). What is written in one tick is joined into one string and
 * handed to the socket once, so a burst of stanzas to one client (a fan-out,
 * a room join's presences) leaves in one syscall, without the stream's
 * per-chunk bookkeeping a cork would still do for each stanza.
 *
 * References: RFC 6120 §4.2–4.4 (stream open/close), §5 (STARTTLS);
 * RFC 9266 (tls-exporter), RFC 5929 §4 (tls-server-end-point).
 */
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { serialize, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { StreamError } from '../../core/errors/stream-error.js';
import type { ChannelBindingType, Connection } from '../../core/session/connection.js';

/** How long we wait for the peer to close after we did. */
const CLOSE_GRACE_MS = 3000;

export interface TlsOptions {
  context: SecureContext;
  /** PEM key pair, for the direct-TLS listener. */
  certificate: { cert: string; key: string };
  /** Hash of our certificate for tls-server-end-point. */
  endPointHash: Buffer;
}

export class TcpConnection implements Connection {
  readonly framing = 'stream' as const;
  readonly remoteAddress: string;
  private socket: Socket;
  private headerSent = false;
  /** This tick's output, written on the next tick (writePending). */
  private pending: string | undefined;
  private dataHandler?: (chunk: string) => void;
  private closeHandler?: () => void;
  private ended = false;

  constructor(
    socket: Socket,
    private readonly tls: TlsOptions,
  ) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    this.attach(socket);
    socket.on('close', this.onRawClose);
  }

  private readonly onRawClose = () => this.closeHandler?.();
  private readonly forwardData = (chunk: string) => this.dataHandler?.(chunk);

  get secure(): boolean {
    return this.socket instanceof TLSSocket && this.socket.encrypted === true;
  }

  get canStartTls(): boolean {
    return !this.secure;
  }

  channelBindingTypes(): ChannelBindingType[] {
    if (!(this.socket instanceof TLSSocket)) return [];
    return this.socket.getProtocol() === 'TLSv1.3' ? ['tls-exporter', 'tls-server-end-point'] : ['tls-server-end-point'];
  }

  channelBinding(type: ChannelBindingType): Buffer | undefined {
    const socket = this.socket;
    if (!(socket instanceof TLSSocket)) return undefined;
    switch (type) {
      case 'tls-server-end-point':
        return this.tls.endPointHash;
      case 'tls-exporter':
        return socket.getProtocol() === 'TLSv1.3'
          ? socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0))
          : undefined;
      case 'tls-unique':
        // RFC 5929 §3.1: the first Finished message, the client's on a full handshake.
        return socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished();
    }
  }

  onData(handler: (chunk: string) => void): void {
    this.dataHandler = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandler = handler;
  }

  openStream(attrs: Record<string, string>): void {
    let header = `<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.streams}'`;
    for (const [key, value] of Object.entries(attrs)) header += ` ${key}='${value}'`;
    this.write(header + '>');
    this.headerSent = true;
  }

  writeElement(el: Element): void {
    this.write(serialize(el));
  }

  closeWithError(error: StreamError): void {
    if (!this.headerSent) this.openStream({ version: '1.0' });
    this.write(serialize(error.toElement()));
    this.close();
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.headerSent) this.write('</stream:stream>');
    this.writePending();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  async startTls(): Promise<void> {
    const raw = this.socket;
    // Nothing read from here on is XML: the next bytes are the TLS handshake.
    // Only our own listeners: the listener's socket tracking must still see the close.
    raw.off('data', this.forwardData);
    raw.off('close', this.onRawClose);
    await this.flush();
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.tls.context });
    this.socket = secure;
    this.headerSent = false;
    this.attach(secure);
    secure.on('close', () => this.closeHandler?.());
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', resolve);
      secure.once('error', reject);
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private attach(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', this.forwardData);
    socket.on('error', () => socket.destroy());
  }

  /** Resolves once `<proceed/>` has left, before the socket is wrapped. */
  private flush(): Promise<void> {
    this.writePending();
    return new Promise((resolve) => this.socket.write('', () => resolve()));
  }

  private write(data: string): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (this.pending !== undefined) {
      this.pending += data;
      return;
    }
    this.pending = data;
    process.nextTick(this.writePending);
  }

  /** Hands this tick's output to the socket; also before it ends or is wrapped for TLS. */
  private readonly writePending = (): void => {
    const data = this.pending;
    this.pending = undefined;
    if (data !== undefined && !this.socket.destroyed && !this.socket.writableEnded) this.socket.write(data);
  };
}
