/**
 * A raw XMPP client over a TCP (optionally STARTTLS) or direct-TLS socket,
 * for end-to-end tests that must send what a client library would not:
 * stanzas before authentication, malformed or oversized XML, odd stream
 * headers. It keeps everything received as text; `waitFor(regex)` consumes
 * the transcript in order, so successive waits see successive replies.
 *
 * References: RFC 6120 §4.2–4.3 (stream headers), §5.4 (STARTTLS), §6.4
 * (SASL), §7 (binding); RFC 4616 (PLAIN).
 */
import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import type { TestServer } from './start-server.js';

export interface RawConnectOptions {
  /** `tcp` is plaintext until `startTls()`; `tls` is direct TLS (XEP-0368). Default `tcp`. */
  transport?: 'tcp' | 'tls';
}

/** Matches a complete `<stream:features>` element, empty or not. */
export const FEATURES = /<stream:features(?:\s*\/>|>[\s\S]*?<\/stream:features>)/;

export class RawClient {
  /** Everything received so far, as text. */
  transcript = '';
  private cursor = 0;
  private closed = false;
  private wakeups = new Set<() => void>();
  private detach: () => void = () => {};

  private constructor(
    private socket: net.Socket,
    readonly domain: string,
  ) {
    this.listen(socket);
  }

  static async connect(server: TestServer, options: RawConnectOptions = {}): Promise<RawClient> {
    const transport = options.transport ?? 'tcp';
    const socket =
      transport === 'tls'
        ? tls.connect({ host: '127.0.0.1', port: server.ports.c2s_tls, rejectUnauthorized: false, servername: server.domain })
        : net.connect({ host: '127.0.0.1', port: server.ports.c2s });
    await new Promise<void>((resolve, reject) => {
      socket.once(transport === 'tls' ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket, server.domain);
  }

  /** True once the server closed the connection. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes raw text (anything, well-formed or not). */
  send(text: string): void {
    this.socket.write(text);
  }

  /**
   * Resolves with the first match of `pattern` in what arrived after the
   * previous match, and moves past it. Rejects on timeout or when the
   * connection closes without a match.
   */
  waitFor(pattern: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.transcript.slice(this.cursor));
        if (match) {
          this.cursor += match.index + match[0].length;
          finish();
          resolve(match);
          return true;
        }
        if (this.closed) {
          finish();
          reject(new Error(`connection closed before ${pattern}; unread:\n${this.unread()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${pattern}; unread:\n${this.unread()}`));
      }, timeoutMs);
      const wake = () => void check();
      const finish = () => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
      };
      if (!check()) this.wakeups.add(wake);
    });
  }

  /** What arrived after the last match. */
  unread(): string {
    return this.transcript.slice(this.cursor);
  }

  /** The usual client stream header. */
  static header(to: string): string {
    return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'>`;
  }

  /** Waits for a stream error and the close that must follow; resolves with the condition. */
  async streamError(timeoutMs = 5000): Promise<string> {
    const [, condition] = await this.waitFor(/<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'/, timeoutMs);
    await this.waitFor(/<\/stream:stream>/, timeoutMs);
    await this.waitForClose(timeoutMs);
    return condition;
  }

  /** Sends a stream header and resolves with the stream features that follow. */
  async openStream(to = this.domain): Promise<string> {
    this.send(RawClient.header(to));
    await this.waitFor(/<stream:stream[^>]*>/);
    return (await this.waitFor(FEATURES))[0];
  }

  /** STARTTLS on an open plaintext stream; resolves with the features of the new stream. */
  async startTls(): Promise<string> {
    this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await this.waitFor(/<proceed[^>]*\/>/);
    this.detach();
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false, servername: this.domain });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
    return this.openStream();
  }

  /** SASL PLAIN, then the stream restart; resolves with the post-authentication features. */
  async authenticate(username: string, password: string): Promise<string> {
    const credentials = Buffer.from(`\0${username}\0${password}`).toString('base64');
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${credentials}</auth>`);
    const [outcome] = await this.waitFor(/<success[^>]*(?:\/>|>[\s\S]*?<\/success>)|<failure[\s\S]*?<\/failure>/);
    if (outcome.startsWith('<failure')) throw new Error(`authentication failed: ${outcome}`);
    return this.openStream();
  }

  /** Binds a resource; resolves with the full JID. */
  async bind(resource = 'raw'): Promise<string> {
    this.send(`<iq type='set' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const [, jid] = await this.waitFor(/<jid>([^<]+)<\/jid>/);
    return jid;
  }

  /** STARTTLS (on tcp), PLAIN and bind in one go. */
  async login(username: string, password: string, resource = 'raw'): Promise<string> {
    const features = await this.openStream();
    if (features.includes('<starttls')) await this.startTls();
    await this.authenticate(username, password);
    return this.bind(resource);
  }

  /** Resolves when the server has closed the connection. */
  waitForClose(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error(`connection still open; unread:\n${this.unread()}`)), timeoutMs);
      const wake = () => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      this.wakeups.add(wake);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: net.Socket): void {
    const decoder = new StringDecoder('utf8');
    const onData = (chunk: Buffer) => {
      this.transcript += decoder.write(chunk);
      this.wake();
    };
    const onClose = () => {
      this.closed = true;
      this.wake();
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => {});
    this.detach = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
  }

  private wake(): void {
    for (const wake of [...this.wakeups]) wake();
  }
}
