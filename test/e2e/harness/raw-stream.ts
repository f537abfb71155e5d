/**
 * A raw TCP connection to the test server for what no client library will
 * send: malformed XML, DTDs, oversized stanzas, floods, bad stream headers.
 * Tests write text and wait for patterns in what the server answers.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { TestServer } from './start-server.js';

export class RawStream {
  text = '';
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.text += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async open(server: TestServer): Promise<RawStream> {
    const socket = netConnect(server.ports.c2s, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawStream(socket);
  }

  /** The usual client stream header for `to`. */
  static header(to: string, extra = ''): string {
    return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'${extra}>`;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Resolves with the first match of `pattern` in everything received so far. */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.text.match(pattern);
      if (match) return match;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; received: ${this.text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the stream error and the connection to close; returns the condition. */
  async streamError(timeoutMs = 5000): Promise<string> {
    const [, condition] = await this.waitFor(/<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'/, timeoutMs);
    await this.waitFor(/<\/stream:stream>/, timeoutMs);
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, timeoutMs))]);
    return condition;
  }

  /** Opens the stream and logs in with PLAIN (the server must allow it in the clear), then binds. */
  async login(domain: string, username: string, password: string, resource = 'raw'): Promise<void> {
    this.write(RawStream.header(domain));
    await this.waitFor(/<\/stream:features>/);
    const auth = Buffer.from(`\0${username}\0${password}`).toString('base64');
    this.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
    await this.waitFor(/<success/);
    this.text = '';
    this.write(RawStream.header(domain));
    await this.waitFor(/<\/stream:features>/);
    this.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await this.waitFor(/<iq[^>]*id='bind'[^>]*type='result'|type='result'[^>]*id='bind'/);
    this.text = '';
  }

  destroy(): void {
    this.socket.destroy();
  }
}
