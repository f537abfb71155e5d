/**
 * The life of a federation link, between two Perch servers (Milan and
 * Naples, dialback) with short timers, plus raw peers where a real server
 * would not misbehave on cue: an idle link closes and the next stanza
 * reconnects; a link that went silent is checked with a ping before it
 * carries more, and when its peer vanished without a word the waiting
 * stanza goes over a new connection instead of being lost or bounced; a
 * peer that refuses SASL EXTERNAL gets dialback on a new connection (or,
 * when it offers no dialback, the stanza bounces).
 *
 * References: RFC 6120 §4.6.1 (dead connections), §6.4.5 (SASL failure),
 * §8.3.3.15; XEP-0178 §3; XEP-0199 §4; XEP-0220 §2.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { FreezableProxy, RawS2sListener, RawS2sPeer, s2sOf, s2sPorts, startFederation } from './harness/s2s.js';
import type { S2sLinkEvent } from '../../src/modules/s2s/index.js';
import type { TestServer } from './harness/start-server.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
let milan: TestServer;
let naples: TestServer;

beforeAll(async () => {
  // Links idle out after 1 s, are pinged after 0.3 s of silence, and a ping gets 1 s.
  const s2s = { secure: false, idle_timeout: 1, ping_after: 0.3, connect_timeout: 1 };
  [milan, naples] = await startFederation([
    { domain: 'milan.test', s2s },
    { domain: 'naples.test', s2s },
  ]);
});
afterAll(async () => {
  await milan?.stop();
  await naples?.stop();
});

async function pair(): Promise<[TestClient, TestClient]> {
  const [ambrose] = await milan.createFreshUsers('ambrose');
  const [januarius] = await naples.createFreshUsers('januarius');
  return Promise.all([
    connect(milan, { username: ambrose, password: `${ambrose}-secret` }),
    connect(naples, { username: januarius, password: `${januarius}-secret` }),
  ]);
}

const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body));
const withBody = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
const errorCondition = (el: XmlElement) =>
  el.getChild('error')?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === STANZAS)?.name;

/** Records `s2s-link-down` on Milan until `off()`. */
function linkDowns(): { events: S2sLinkEvent[]; off: () => void } {
  const events: S2sLinkEvent[] = [];
  const off = milan.running.server.hosts.get('milan.test')!.bus.on('s2s-link-down', (event) => void events.push(event));
  return { events, off };
}

describe('between two Perch servers', () => {
  it('closes an idle link (s2s-link-down, reason idle) and reconnects for the next stanza', async () => {
    const [ambrose, januarius] = await pair();
    const downs = linkDowns();
    await ambrose.send(chat(januarius.bareJid, 'before-idle'));
    await januarius.waitFor(withBody('before-idle'));
    await until(() => downs.events.some((e) => e.direction === 'out' && e.remoteDomain === 'naples.test'), 4000);
    expect(downs.events.find((e) => e.direction === 'out')).toMatchObject({ localDomain: 'milan.test', remoteDomain: 'naples.test', reason: 'idle' });
    expect(s2sOf(milan).outgoing().filter((l) => l.remoteDomain === 'naples.test' && l.phase !== 'closed')).toEqual([]);
    downs.off();

    await ambrose.send(chat(januarius.bareJid, 'after-idle'));
    expect((await januarius.waitFor(withBody('after-idle'))).attrs.from).toBe(ambrose.jid);
    expect(s2sOf(milan).outgoing().find((l) => l.remoteDomain === 'naples.test' && l.phase === 'open')?.pairs[0]?.status).toBe('ready');
    await Promise.all([ambrose.stop(), januarius.stop()]);
  });

  it('pings a silent link before using it; a live peer answers and the stanza goes on the same link', async () => {
    const [ambrose, januarius] = await pair();
    const downs = linkDowns();
    const pings: string[] = [];
    const bus = naples.running.server.hosts.get('naples.test')!.bus;
    const offPings = bus.on('iq-get/host/urn:xmpp:ping:ping', (event) => void pings.push(event.from.toString()), 1000);
    s2sOf(milan).cut('naples.test'); // a fresh link: set up just now, it needs no ping
    await ambrose.send(chat(januarius.bareJid, 'first'));
    await januarius.waitFor(withBody('first'));
    expect(pings).toEqual([]);
    await new Promise((r) => setTimeout(r, 450)); // past ping_after, short of idle_timeout
    await ambrose.send(chat(januarius.bareJid, 'after-silence'));
    await januarius.waitFor(withBody('after-silence'));
    expect(pings).toEqual(['milan.test']);
    expect(downs.events.filter((e) => e.direction === 'out' && e.reason !== 'cut')).toEqual([]);
    offPings();
    downs.off();
    await Promise.all([ambrose.stop(), januarius.stop()]);
  });

  it('gives up a link whose peer vanished (no answer to the ping) and delivers the waiting stanza over a new one', async () => {
    const proxy = await FreezableProxy.start(s2sPorts(naples).s2s);
    s2sOf(milan).cut('naples.test');
    s2sOf(milan).setRoute('naples.test', `127.0.0.1:${proxy.port}`);
    try {
      const [ambrose, januarius] = await pair();
      await ambrose.send(chat(januarius.bareJid, 'through-proxy'));
      await januarius.waitFor(withBody('through-proxy'));
      const downs = linkDowns();
      proxy.freeze();
      await new Promise((r) => setTimeout(r, 450));
      await ambrose.send(chat(januarius.bareJid, 'into-the-void'));
      expect((await januarius.waitFor(withBody('into-the-void'), 5000)).attrs.from).toBe(ambrose.jid);
      expect(downs.events.find((e) => e.direction === 'out')).toMatchObject({ remoteDomain: 'naples.test', reason: 'ping-timeout' });
      await ambrose.expectNothing((el) => el.attrs.id === 'into-the-void' && el.attrs.type === 'error');
      downs.off();
      await Promise.all([ambrose.stop(), januarius.stop()]);
    } finally {
      s2sOf(milan).setRoute('naples.test', `127.0.0.1:${s2sPorts(naples).s2s}`);
      await proxy.stop();
    }
  });
});

describe('a peer that refuses SASL EXTERNAL', () => {
  let listener: RawS2sListener;
  let certificate: { cert: string; key: string };

  beforeAll(async () => {
    listener = await RawS2sListener.start();
    const pem = await generate([{ name: 'commonName', value: 'refuser.test' }], { keyType: 'ec', algorithm: 'sha256' });
    certificate = { cert: pem.cert, key: pem.private };
    for (const domain of ['refuser.test', 'nodialback.test']) s2sOf(milan).setRoute(domain, `127.0.0.1:${listener.port}`);
  });
  afterAll(() => listener?.stop());

  /** Plays the receiving server up to the features after TLS; returns what it offered. */
  async function negotiate(peer: RawS2sPeer, domain: string, features: string, dialback = true): Promise<void> {
    const header = (id: string) => {
      const text = RawS2sPeer.header(domain, 'milan.test', ` id='${id}'`);
      return dialback ? text : text.replace(" xmlns:db='jabber:server:dialback'", '');
    };
    await peer.waitFor(/<stream:stream [^>]*>/);
    peer.send(header('plain') + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
    await peer.waitFor(/<starttls [^>]*\/>/);
    await peer.acceptTls(certificate);
    await peer.waitFor(/<stream:stream [^>]*>/);
    peer.send(`${header('secure')}<stream:features>${features}</stream:features>`);
  }
  const external = `<mechanisms xmlns='${SASL}'><mechanism>EXTERNAL</mechanism></mechanisms>`;
  const dialbackFeature = "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>";

  it('is tried again on a new connection with dialback, without EXTERNAL, and gets the stanza', async () => {
    const [ambrose] = await milan.createFreshUsers('ambrose');
    const client = await connect(milan, { username: ambrose, password: `${ambrose}-secret` });
    await client.send(chat('friar@refuser.test', 'refused-once'));

    const first = await listener.next();
    await negotiate(first, 'refuser.test', external + dialbackFeature);
    await first.waitFor(/<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>/);
    first.send(`<failure xmlns='${SASL}'><not-authorized/></failure></stream:stream>`);
    first.close();

    const second = await listener.next();
    await negotiate(second, 'refuser.test', external + dialbackFeature);
    const [result] = await second.waitFor(/<db:result from='milan.test' to='refuser.test'>[^<]+<\/db:result>/);
    expect(second.transcript).not.toContain('<auth ');
    expect(result).toBeTruthy();
    second.send("<db:result from='refuser.test' to='milan.test' type='valid'/>");
    await second.waitFor(/<message [^>]*to='friar@refuser.test'[^>]*>[\s\S]*?<body>refused-once<\/body>/);
    await client.expectNothing((el) => el.attrs.id === 'refused-once' && el.attrs.type === 'error');
    expect(s2sOf(milan).outgoing().find((l) => l.remoteDomain === 'refuser.test' && l.phase === 'open')?.pairs).toEqual([
      { localDomain: 'milan.test', status: 'ready', method: 'dialback' },
    ]);
    second.close();
    await client.stop();
  });

  it('bounces with remote-server-not-found when the peer offers no dialback to fall back on', async () => {
    const [ambrose] = await milan.createFreshUsers('ambrose');
    const client = await connect(milan, { username: ambrose, password: `${ambrose}-secret` });
    await client.send(chat('friar@nodialback.test', 'no-fallback'));
    const peer = await listener.next();
    await negotiate(peer, 'nodialback.test', external, false);
    await peer.waitFor(/<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>/);
    peer.send(`<failure xmlns='${SASL}'><not-authorized/></failure></stream:stream>`);
    peer.close();
    const error = await client.waitFor((el) => el.attrs.id === 'no-fallback' && el.attrs.type === 'error');
    expect(errorCondition(error)).toBe('remote-server-not-found');
    expect(listener.waiting).toBe(0);
    await client.stop();
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
