/**
 * Federation between two Perch servers on loopback, Verona and Mantua, with
 * their self-signed certificates and `s2s.secure: false`, so each
 * authenticates the other by Server Dialback (with a real db:verify back to
 * the authoritative server): chat and the presence subscription handshake
 * both ways, disco#info and vCard across, a peer that is down, a cut
 * mid-stream, and a raw peer that misbehaves.
 *
 * References: RFC 6120 §4.9.3 (stream errors), §5.4 (STARTTLS), §8.3.3.15
 * (remote-server-not-found), §13.7; RFC 6121 §3 (subscriptions);
 * XEP-0220 (Server Dialback); XEP-0030; XEP-0054.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { isPresence } from './harness/contacts.js';
import { MUC, PLAIN_MUC } from './harness/muc.js';
import { RawS2sPeer, route, s2sOf, s2sPorts, startFederation } from './harness/s2s.js';
import type { S2sLinkEvent, S2sUndeliverableEvent } from '../../src/modules/s2s/index.js';
import type { TestServer } from './harness/start-server.js';

const ROSTER = 'jabber:iq:roster';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
let verona: TestServer;
let mantua: TestServer;

beforeAll(async () => {
  // Plain MUC (account rooms off): these tests are about the transport.
  [verona, mantua] = await startFederation([
    { domain: 'verona.test', s2s: { secure: false }, ...PLAIN_MUC },
    { domain: 'mantua.test', s2s: { secure: false }, ...PLAIN_MUC },
  ]);
  // Verona's MUC service is a domain of its own that Mantua must reach too.
  route(mantua, verona, { domains: ['rooms.verona.test'] });
});
afterAll(async () => {
  await verona?.stop();
  await mantua?.stop();
});

/** Fresh Romeo on Verona and Juliet on Mantua, online with their rosters fetched. */
async function lovers(): Promise<[TestClient, TestClient]> {
  const [romeo] = await verona.createFreshUsers('romeo');
  const [juliet] = await mantua.createFreshUsers('juliet');
  const clients = await Promise.all([
    connect(verona, { username: romeo, password: `${romeo}-secret` }),
    connect(mantua, { username: juliet, password: `${juliet}-secret` }),
  ]);
  for (const client of clients) await client.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
  return clients;
}

const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: `m-${body}` }, xml('body', {}, body));
const withBody = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
const errorCondition = (el: XmlElement) =>
  el.getChild('error')?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === STANZAS);

describe('federation by dialback', () => {
  it('carries chat messages both ways, each direction authenticated by dialback', async () => {
    const [romeo, juliet] = await lovers();
    await romeo.send(chat(juliet.bareJid, 'wherefore'));
    expect((await juliet.waitFor(withBody('wherefore'))).attrs.from).toBe(romeo.jid);
    await juliet.send(chat(romeo.jid, 'here'));
    expect((await romeo.waitFor(withBody('here'))).attrs.from).toBe(juliet.jid);

    const out = s2sOf(verona).outgoing().find((l) => l.remoteDomain === 'mantua.test' && l.phase === 'open');
    expect(out).toMatchObject({ secure: true, peerCertificateTrusted: false, pairs: [{ localDomain: 'verona.test', status: 'ready', method: 'dialback' }] });
    const inbound = s2sOf(mantua).incoming().find((s) => s.peerDomain === 'verona.test');
    expect(inbound?.authenticated).toEqual([{ domain: 'verona.test', method: 'dialback' }]);
    expect(s2sOf(verona).incoming().find((s) => s.peerDomain === 'mantua.test')?.authenticated).toEqual([{ domain: 'mantua.test', method: 'dialback' }]);
    await Promise.all([romeo.stop(), juliet.stop()]);
  });

  it('runs the subscription handshake both ways and then exchanges presence', async () => {
    const [romeo, juliet] = await lovers();
    for (const [asker, approver] of [
      [romeo, juliet],
      [juliet, romeo],
    ]) {
      await asker.send(xml('presence', { to: approver.bareJid, type: 'subscribe' }));
      await approver.waitFor(isPresence(asker.bareJid, 'subscribe'));
      await approver.send(xml('presence', { to: asker.bareJid, type: 'subscribed' }));
      await asker.waitFor(isPresence(approver.bareJid, 'subscribed'));
      // The approver's server answers the new subscription with the approver's presence.
      await asker.waitFor(isPresence(approver.jid));
    }
    const roster = await romeo.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const item = roster.getChild('query')?.getChildren('item').find((i) => i.attrs.jid === juliet.bareJid);
    expect(item?.attrs.subscription).toBe('both');
    await juliet.send(xml('presence', {}, xml('show', {}, 'away')));
    // A presence broadcast is addressed to the contact's bare JID (RFC 6121 §4.4.2).
    const away = await romeo.waitFor((el) => isPresence(juliet.jid)(el) && el.getChildText('show') === 'away');
    expect(away.attrs.to).toBe(romeo.bareJid);
    await Promise.all([romeo.stop(), juliet.stop()]);
  });

  it('answers disco#info and vCard requests across servers', async () => {
    const [romeo, juliet] = await lovers();
    const info = await romeo.iq(xml('iq', { type: 'get', to: 'mantua.test' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.attrs.from).toBe('mantua.test');
    expect(info.getChild('query')?.getChild('identity')?.attrs).toMatchObject({ category: 'server', type: 'im' });
    await juliet.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Juliet Capulet'))));
    const vcard = await romeo.iq(xml('iq', { type: 'get', to: juliet.bareJid }, xml('vCard', { xmlns: 'vcard-temp' })));
    expect(vcard.getChild('vCard')?.getChildText('FN')).toBe('Juliet Capulet');
    await Promise.all([romeo.stop(), juliet.stop()]);
  });

  it('lets a remote user join a local room: the MUC service reaches the other server too', async () => {
    const [romeo, juliet] = await lovers();
    const room = `tomb${Math.random().toString(36).slice(2, 8)}@rooms.verona.test`;
    await romeo.send(xml('presence', { to: `${room}/romeo` }, xml('x', { xmlns: MUC })));
    await romeo.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/romeo`);
    // Unlock the new room as an instant room (XEP-0045 §10.1.2).
    await romeo.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
    await juliet.send(xml('presence', { to: `${room}/juliet` }, xml('x', { xmlns: MUC })));
    const joined = (el: XmlElement) => el.name === 'presence' && el.attrs.from === `${room}/juliet` && el.attrs.type === undefined;
    await juliet.waitFor(joined);
    await romeo.waitFor(joined);
    await juliet.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'o happy dagger')));
    for (const client of [romeo, juliet]) {
      const message = await client.waitFor(withBody('o happy dagger'));
      expect(message.attrs).toMatchObject({ from: `${room}/juliet`, type: 'groupchat' });
    }
    const out = s2sOf(verona).outgoing().filter((l) => l.remoteDomain === 'mantua.test' && l.phase === 'open');
    expect(out.flatMap((l) => l.pairs.map((p) => p.localDomain))).toContain('rooms.verona.test');
    await Promise.all([romeo.stop(), juliet.stop()]);
  });

  it('bounces with remote-server-not-found when the peer is down, at once while in backoff', async () => {
    s2sOf(verona).setRoute('down.test', `127.0.0.1:${await closedPort()}`);
    const [romeo] = await lovers();
    for (const id of ['first', 'second']) {
      const started = Date.now();
      await romeo.send(xml('message', { to: 'friar@down.test', type: 'chat', id }, xml('body', {}, id)));
      const error = await romeo.waitFor((el) => el.name === 'message' && el.attrs.id === id && el.attrs.type === 'error');
      expect(error.attrs.from).toBe('friar@down.test');
      expect(errorCondition(error)?.name).toBe('remote-server-not-found');
      expect(Date.now() - started).toBeLessThan(2000);
    }
    await expect(romeo.iq(xml('iq', { type: 'get', to: 'down.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })))).rejects.toMatchObject({
      condition: 'remote-server-not-found',
    });
    await romeo.stop();
  });

  it('offers undeliverable stanzas to s2s-stanza-undeliverable handlers first; a handled one is not bounced', async () => {
    s2sOf(verona).setRoute('gone.test', `127.0.0.1:${await closedPort()}`);
    const seen: S2sUndeliverableEvent[] = [];
    const bus = verona.running.server.hosts.get('verona.test')!.bus;
    const off = bus.on('s2s-stanza-undeliverable', (event) => {
      seen.push(event);
      return event.stanza.attrs.id === 'kept' ? true : undefined;
    });
    const [romeo] = await lovers();
    await romeo.send(xml('message', { to: 'friar@gone.test', type: 'chat', id: 'kept' }, xml('body', {}, 'kept')));
    await romeo.send(xml('message', { to: 'friar@gone.test', type: 'chat', id: 'bounced' }, xml('body', {}, 'bounced')));
    const error = await romeo.waitFor((el) => el.attrs.id === 'bounced' && el.attrs.type === 'error');
    expect(errorCondition(error)?.name).toBe('remote-server-not-found');
    await romeo.expectNothing((el) => el.attrs.id === 'kept');
    expect(seen.map((e) => [e.stanza.attrs.id, e.localDomain, e.remoteDomain, e.error.condition])).toEqual([
      ['kept', 'verona.test', 'gone.test', 'remote-server-not-found'],
      ['bounced', 'verona.test', 'gone.test', 'remote-server-not-found'],
    ]);
    off();
    await romeo.stop();
  });

  it('reconnects after the s2s connection is cut mid-stream and delivers the next stanza', async () => {
    const [romeo, juliet] = await lovers();
    await romeo.send(chat(juliet.bareJid, 'before-cut'));
    await juliet.waitFor(withBody('before-cut'));
    await juliet.send(chat(romeo.bareJid, 'before-cut-back'));
    await romeo.waitFor(withBody('before-cut-back'));

    const downs: S2sLinkEvent[] = [];
    const off = verona.running.server.hosts.get('verona.test')!.bus.on('s2s-link-down', (event) => void downs.push(event));
    expect(s2sOf(verona).cut('mantua.test')).toBeGreaterThanOrEqual(2);
    await until(() => downs.some((e) => e.direction === 'out') && downs.some((e) => e.direction === 'in'));
    expect(downs.find((e) => e.direction === 'out')).toMatchObject({ localDomain: 'verona.test', remoteDomain: 'mantua.test', reason: 'cut' });
    off();
    // Mantua notices when the TCP connection goes; until then its stanzas would be lost in flight.
    await until(() => !s2sOf(mantua).outgoing().some((l) => l.remoteDomain === 'verona.test' && l.phase !== 'closed'));
    await romeo.send(chat(juliet.bareJid, 'after-cut'));
    await juliet.waitFor(withBody('after-cut'));
    await juliet.send(chat(romeo.bareJid, 'after-cut-back'));
    await romeo.waitFor(withBody('after-cut-back'));
    await Promise.all([romeo.stop(), juliet.stop()]);
  });
});

describe('a misbehaving peer', () => {
  const header = (extra: Partial<Record<'from' | 'to' | 'xmlns', string>> = {}) => {
    const from = extra.from ?? 'mantua.test';
    const to = extra.to ?? 'verona.test';
    const text = RawS2sPeer.header(from, to);
    return extra.xmlns ? text.replace("xmlns='jabber:server'", `xmlns='${extra.xmlns}'`) : text;
  };
  const peer = () => RawS2sPeer.connect(s2sPorts(verona).s2s);

  it('gets invalid-namespace for a client header and host-unknown for a domain not served', async () => {
    const client = await peer();
    client.send(header({ xmlns: 'jabber:client' }));
    expect(await client.streamError()).toBe('invalid-namespace');
    const stranger = await peer();
    stranger.send(header({ to: 'elsewhere.test' }));
    expect(await stranger.streamError()).toBe('host-unknown');
  });

  it('is offered STARTTLS (required), and gets not-authorized for stanzas before authenticating', async () => {
    const raw = await peer();
    raw.send(header());
    const [features] = await raw.waitFor(/<stream:features>[\s\S]*?<\/stream:features>/);
    expect(features).toContain("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>");
    raw.send("<message from='juliet@mantua.test' to='romeo@verona.test'><body>early</body></message>");
    expect(await raw.streamError()).toBe('not-authorized');
  });

  it('gets not-well-formed for garbage and policy-violation for an oversized stanza', async () => {
    const garbage = await peer();
    garbage.send(header());
    await garbage.waitFor(/<\/stream:features>/);
    garbage.send('<message><body>unclosed</message>');
    expect(await garbage.streamError()).toBe('not-well-formed');
    const big = await peer();
    big.send(header());
    await big.waitFor(/<\/stream:features>/);
    big.send(`<message><body>${'x'.repeat(300_000)}</body></message>`);
    expect(await big.streamError()).toBe('policy-violation');
  });

  it('is refused when its dialback key does not verify with the authoritative server', async () => {
    const spoof = await peer();
    spoof.send(header());
    await spoof.waitFor(/<\/stream:features>/);
    await spoof.startTls('mantua.test', 'verona.test');
    spoof.send("<db:result from='mantua.test' to='verona.test'>0123456789abcdef</db:result>");
    await spoof.waitFor(/<db:result from='verona.test' to='mantua.test' type='invalid'\/>/);
    await spoof.waitForClose();
  });

  it('leaves the server serving federation', async () => {
    const [romeo, juliet] = await lovers();
    await romeo.send(chat(juliet.bareJid, 'still-here'));
    await juliet.waitFor(withBody('still-here'));
    await Promise.all([romeo.stop(), juliet.stop()]);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
