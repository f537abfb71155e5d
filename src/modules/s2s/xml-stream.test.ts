/**
 * Tests for the s2s XML stream over real loopback sockets: parsing a header
 * and elements, the stanza size and byte rate limits (policy-violation),
 * malformed XML (not-well-formed), the idle timer, and our header escaping.
 *
 * References: RFC 6120 §4.9.3.12 (not-well-formed), §4.9.3.15
 * (policy-violation), §11.1 (restricted XML: restricted-xml).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Element } from '../../core/xml/element.js';
import { XmlStream, type XmlStreamOptions } from './xml-stream.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='a.example' version='1.0'>";

interface Pair {
  stream: XmlStream;
  peer: net.Socket;
  received: string[];
  headers: Record<string, string>[];
  elements: Element[];
  closed: Promise<void>;
}

const open: net.Server[] = [];
afterEach(() => {
  for (const server of open.splice(0)) server.close();
});

async function pair(options: Partial<XmlStreamOptions> = {}): Promise<Pair> {
  const server = net.createServer();
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  const received: string[] = [];
  peer.setEncoding('utf8');
  peer.on('data', (chunk: string) => received.push(chunk));
  const headers: Record<string, string>[] = [];
  const elements: Element[] = [];
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  const stream = new XmlStream(
    socket,
    { maxStanzaSize: 1000, idleMs: 0, onIdle: () => {}, ...options },
    { header: (_n, attrs) => headers.push(attrs), element: (el) => elements.push(el), end: () => stream.close(), closed: done },
  );
  return { stream, peer, received, headers, elements, closed };
}

const condition = (received: string[]) => /<stream:error><([a-z-]+) /.exec(received.join(''))?.[1];

describe('XmlStream', () => {
  it('reports the header and each top-level element, and answers the closing tag', async () => {
    const p = await pair();
    p.peer.write(`${HEADER}<db:result from='b.example' to='a.example'>key</db:result><message to='x@a.example'/>`);
    await expect.poll(() => p.elements.length).toBe(2);
    expect(p.headers[0]).toMatchObject({ to: 'a.example' });
    expect(p.elements.map((e) => e.name)).toEqual(['db:result', 'message']);
    p.stream.openStream({ from: 'a.example', id: "i'd" });
    p.peer.end('</stream:stream>');
    await p.closed;
    expect(p.received.join('')).toContain("id='i&apos;d' version='1.0'>");
    expect(p.received.join('')).toMatch(/<\/stream:stream>$/);
  });

  it('closes with policy-violation when a stanza exceeds the size limit', async () => {
    const p = await pair({ maxStanzaSize: 1000 });
    p.peer.write(`${HEADER}<message><body>${'x'.repeat(2000)}</body></message>`);
    await p.closed;
    expect(condition(p.received)).toBe('policy-violation');
  });

  it('closes with policy-violation when the peer exceeds the byte rate', async () => {
    const p = await pair({ rate: { bytesPerSecond: 10, burst: 200 }, maxStanzaSize: 100_000 });
    p.peer.write(`${HEADER}<message><body>${'x'.repeat(500)}</body></message>`);
    await p.closed;
    expect(condition(p.received)).toBe('policy-violation');
  });

  it('closes with not-well-formed on broken XML and restricted-xml on a comment', async () => {
    const broken = await pair();
    broken.peer.write(`${HEADER}<message><body>x</message>`);
    await broken.closed;
    expect(condition(broken.received)).toBe('not-well-formed');
    const comment = await pair();
    comment.peer.write(`${HEADER}<!-- hi -->`);
    await comment.closed;
    expect(condition(comment.received)).toBe('restricted-xml');
  });

  it('calls onIdle after a silence, and again while the owner keeps the stream open', async () => {
    let idle = 0;
    const p = await pair({ idleMs: 50, onIdle: () => idle++ });
    await expect.poll(() => idle, { timeout: 1000 }).toBeGreaterThanOrEqual(2);
    p.stream.destroy();
    await p.closed;
  });
});
