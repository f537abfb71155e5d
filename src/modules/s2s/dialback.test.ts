/**
 * Tests for dialback on an incoming stream, with a fake stream and owner:
 * answering db:verify as the Authoritative Server, and judging db:result
 * as the Receiving Server under both `s2s.secure` policies.
 *
 * References: XEP-0220 §2.2.1, §2.2.2, §2.4.2 (dialback errors);
 * XEP-0185 §2.
 */
import { describe, expect, it } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { dialbackKey } from './dialback-key.js';
import { handleDialbackResult, handleDialbackVerify, type IncomingOwner } from './dialback.js';
import type { IncomingStream } from './incoming-stream.js';
import type { VerifyOutcome } from './link-types.js';

const SECRET = 'test-secret';

function setup(options: { secure?: boolean; tls?: boolean; outcome?: VerifyOutcome } = {}) {
  const sent: Element[] = [];
  const asked: string[][] = [];
  const stream = {
    streamId: 'stream-1',
    secure: options.tls ?? true,
    tlsSocket: undefined,
    closing: false,
    closed: false,
    authenticated: new Map<string, string>(),
    send: (el: Element) => sent.push(el),
    close() {
      this.closed = true;
    },
    authenticate(domain: string, method: string) {
      this.authenticated.set(domain, method);
    },
  };
  const owner = {
    secret: SECRET,
    config: { s2s: { secure: options.secure ?? false } },
    log: { info: () => {}, error: () => {} },
    isLocal: (domain: string) => domain === 'verona.example',
    verifyKey: async (...args: string[]) => {
      asked.push(args);
      return options.outcome ?? 'valid';
    },
  } as unknown as IncomingOwner;
  return { stream, owner, sent, asked, incoming: stream as unknown as IncomingStream };
}

const attrs = (el: Element) => ({ ...el.attrs });
const errorOf = (el: Element) => el.getChild('error')?.elements()[0]?.name;

describe('db:verify (we are the Authoritative Server)', () => {
  it('answers valid for a key we issued and invalid otherwise', () => {
    const { owner, sent, incoming } = setup();
    const key = dialbackKey(SECRET, 'mantua.example', 'verona.example', 'their-stream');
    handleDialbackVerify(incoming, owner, x('db:verify', { from: 'mantua.example', to: 'verona.example', id: 'their-stream' }, key));
    handleDialbackVerify(incoming, owner, x('db:verify', { from: 'mantua.example', to: 'verona.example', id: 'other-stream' }, key));
    expect(sent.map(attrs)).toEqual([
      { from: 'verona.example', to: 'mantua.example', id: 'their-stream', type: 'valid' },
      { from: 'verona.example', to: 'mantua.example', id: 'other-stream', type: 'invalid' },
    ]);
  });

  it('answers item-not-found for a domain not served, and needs from, to and id', () => {
    const { owner, sent, incoming } = setup();
    handleDialbackVerify(incoming, owner, x('db:verify', { from: 'mantua.example', to: 'padua.example', id: 's' }, 'k'));
    expect(sent[0].attrs.type).toBe('error');
    expect(errorOf(sent[0])).toBe('item-not-found');
    expect(() => handleDialbackVerify(incoming, owner, x('db:verify', { from: 'mantua.example', to: 'verona.example' }, 'k'))).toThrow(StreamError);
    expect(() => handleDialbackVerify(incoming, owner, x('db:verify', { to: 'verona.example', id: 's' }, 'k'))).toThrow(StreamError);
  });
});

describe('db:result (we are the Receiving Server)', () => {
  const result = x('db:result', { from: 'mantua.example', to: 'verona.example' }, 'the-key');

  it('asks the Authoritative Server about the key on this stream, then accepts the domain', async () => {
    const { owner, sent, asked, stream, incoming } = setup();
    handleDialbackResult(incoming, owner, result);
    await expect.poll(() => sent.length).toBe(1);
    expect(asked).toEqual([['verona.example', 'mantua.example', 'stream-1', 'the-key']]);
    expect(attrs(sent[0])).toEqual({ from: 'verona.example', to: 'mantua.example', type: 'valid' });
    expect(stream.authenticated.get('mantua.example')).toBe('dialback');
  });

  it('answers invalid and closes the stream when the key is refused', async () => {
    const { owner, sent, stream, incoming } = setup({ outcome: 'invalid' });
    handleDialbackResult(incoming, owner, result);
    await expect.poll(() => stream.closed).toBe(true);
    expect(sent[0].attrs.type).toBe('invalid');
    expect(stream.authenticated.size).toBe(0);
  });

  it('answers a dialback error when the Authoritative Server cannot be reached', async () => {
    const { owner, sent, incoming } = setup({ outcome: new StanzaError('remote-server-timeout') });
    handleDialbackResult(incoming, owner, result);
    await expect.poll(() => sent.length).toBe(1);
    expect(sent[0].attrs.type).toBe('error');
    expect(errorOf(sent[0])).toBe('remote-server-timeout');
  });

  it('refuses without TLS (policy-violation), under s2s.secure without a certificate (not-authorized), and for a domain not served', () => {
    for (const [options, to, condition] of [
      [{ tls: false }, 'verona.example', 'policy-violation'],
      [{ secure: true }, 'verona.example', 'not-authorized'],
      [{}, 'padua.example', 'item-not-found'],
    ] as const) {
      const { owner, sent, asked, stream, incoming } = setup(options);
      handleDialbackResult(incoming, owner, x('db:result', { from: 'mantua.example', to }, 'k'));
      expect(errorOf(sent[0])).toBe(condition);
      expect(asked).toEqual([]);
      expect(stream.authenticated.size).toBe(0);
    }
  });

  it('refuses a peer claiming one of our own domains (not-acceptable)', () => {
    const { owner, sent, asked, stream, incoming } = setup();
    handleDialbackResult(incoming, owner, x('db:result', { from: 'verona.example', to: 'verona.example' }, 'k'));
    expect(errorOf(sent[0])).toBe('not-acceptable');
    expect(asked).toEqual([]);
    expect(stream.authenticated.size).toBe(0);
  });

  it('ignores a typed db:result (an unsolicited answer)', () => {
    const { owner, sent, incoming } = setup();
    handleDialbackResult(incoming, owner, x('db:result', { from: 'mantua.example', to: 'verona.example', type: 'valid' }));
    expect(sent).toEqual([]);
  });
});
