/**
 * Federation security: with `s2s.secure` (the default) a peer whose
 * certificate does not verify is refused in both directions; with
 * certificates from a shared CA (`s2s.ca_file`) streams authenticate with
 * SASL EXTERNAL, a second local domain is multiplexed onto the same stream
 * by dialback backed by the certificate, direct TLS works, and a peer with
 * a valid certificate still cannot speak for other domains.
 *
 * References: RFC 6120 §5.4.3.3, §6.4, §8.3.3.15–16, §13.7.2, §4.9.3.6
 * (host-unknown), §4.9.3.9 (invalid-from); XEP-0178 §3; XEP-0220 §2.1.1,
 * §2.6; XEP-0344 §2.4; XEP-0368.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { createTestCa, RawS2sPeer, route, s2sOf, s2sPorts, startFederation, type TestCa } from './harness/s2s.js';
import type { TestServer } from './harness/start-server.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body));
const withBody = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
const errorCondition = (el: XmlElement) =>
  el.getChild('error')?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === STANZAS)?.name;

async function online(server: TestServer, name: string, domain = server.domain): Promise<TestClient> {
  const username = `${name}${Math.random().toString(36).slice(2, 8)}`;
  await server.running.server.accounts.create(`${username}@${domain}`, 'secret');
  return connect({ ...server, domain }, { username, password: 'secret' });
}

describe('s2s.secure with self-signed certificates', () => {
  let padua: TestServer;
  let venice: TestServer;

  beforeAll(async () => {
    [padua, venice] = await startFederation([{ domain: 'padua.test' }, { domain: 'venice.test', s2s: { secure: false } }]);
  });
  afterAll(async () => {
    await padua?.stop();
    await venice?.stop();
  });

  it('refuses a peer whose certificate does not verify, bouncing with remote-server-not-found', async () => {
    const [lucentio, bianca] = await Promise.all([online(padua, 'lucentio'), online(venice, 'bianca')]);
    await lucentio.send(chat(bianca.bareJid, 'to-venice'));
    const error = await lucentio.waitFor((el) => el.attrs.id === 'to-venice' && el.attrs.type === 'error');
    expect(errorCondition(error)).toBe('remote-server-not-found');
    expect(s2sOf(padua).outgoing().filter((l) => l.phase === 'open')).toEqual([]);
    await bianca.expectNothing(withBody('to-venice'));
    await Promise.all([lucentio.stop(), bianca.stop()]);
  });

  it('answers dialback from an unverifiable peer with a not-authorized dialback error (a remote-server-timeout bounce)', async () => {
    const [lucentio, bianca] = await Promise.all([online(padua, 'lucentio'), online(venice, 'bianca')]);
    await bianca.send(chat(lucentio.bareJid, 'to-padua'));
    const error = await bianca.waitFor((el) => el.attrs.id === 'to-padua' && el.attrs.type === 'error');
    // XEP-0220 §2.1.1: a dialback error bounces queued stanzas with remote-server-timeout.
    expect(errorCondition(error)).toBe('remote-server-timeout');
    expect(error.getChild('error')?.getChildText('text', STANZAS)).toContain('not-authorized');
    expect(s2sOf(padua).incoming().flatMap((s) => s.authenticated)).toEqual([]);
    await lucentio.expectNothing(withBody('to-padua'));
    await Promise.all([lucentio.stop(), bianca.stop()]);
  });
});

describe('certificates from a shared CA', () => {
  let dir: string;
  let ca: TestCa;
  let capulet: TestServer;
  let montague: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perch-s2s-certs-'));
    ca = await createTestCa();
    const capuletCert = await ca.issue(dir, 'capulet.test', 'tybalt.test');
    const montagueCert = await ca.issue(dir, 'montague.test');
    const config = (hosts: string[], cert: typeof capuletCert) => ({
      hosts,
      tls: { cert: cert.cert, key: cert.key },
      s2s: { ca_file: cert.caFile },
    });
    [capulet, montague] = await startFederation([config(['capulet.test', 'tybalt.test'], capuletCert), config(['montague.test'], montagueCert)]);
    route(montague, capulet, { domains: ['tybalt.test'] });
  });
  afterAll(async () => {
    await capulet?.stop();
    await montague?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticates both directions with SASL EXTERNAL', async () => {
    const [juliet, romeo] = await Promise.all([online(capulet, 'juliet'), online(montague, 'romeo')]);
    await juliet.send(chat(romeo.bareJid, 'by-certificate'));
    await romeo.waitFor(withBody('by-certificate'));
    await romeo.send(chat(juliet.bareJid, 'by-certificate-back'));
    await juliet.waitFor(withBody('by-certificate-back'));
    const out = s2sOf(capulet).outgoing().find((l) => l.remoteDomain === 'montague.test' && l.phase === 'open');
    expect(out).toMatchObject({ directTls: false, peerCertificateTrusted: true, pairs: [{ localDomain: 'capulet.test', status: 'ready', method: 'sasl-external' }] });
    expect(s2sOf(montague).incoming().find((s) => s.peerDomain === 'capulet.test')?.authenticated).toEqual([
      { domain: 'capulet.test', method: 'sasl-external' },
    ]);
    expect(s2sOf(montague).outgoing().find((l) => l.phase === 'open')?.pairs[0]?.method).toBe('sasl-external');
    await Promise.all([juliet.stop(), romeo.stop()]);
  });

  it('multiplexes a second local domain onto the same stream with dialback backed by the certificate', async () => {
    const [juliet, tybalt, romeo] = await Promise.all([online(capulet, 'juliet'), online(capulet, 'tybalt', 'tybalt.test'), online(montague, 'romeo')]);
    await juliet.send(chat(romeo.bareJid, 'first-domain'));
    await romeo.waitFor(withBody('first-domain'));
    await tybalt.send(chat(romeo.bareJid, 'second-domain'));
    expect((await romeo.waitFor(withBody('second-domain'))).attrs.from).toBe(tybalt.jid);
    const links = s2sOf(capulet).outgoing().filter((l) => l.remoteDomain === 'montague.test' && l.phase === 'open');
    expect(links).toHaveLength(1);
    expect(links[0].pairs).toEqual([
      { localDomain: 'capulet.test', status: 'ready', method: 'sasl-external' },
      { localDomain: 'tybalt.test', status: 'ready', method: 'dialback' },
    ]);
    const stream = s2sOf(montague).incoming().find((s) => s.peerDomain === 'capulet.test');
    expect(stream?.authenticated).toContainEqual({ domain: 'tybalt.test', method: 'dialback-certificate' });
    await romeo.send(chat(tybalt.bareJid, 'reply-to-second'));
    await tybalt.waitFor(withBody('reply-to-second'));
    await Promise.all([juliet.stop(), tybalt.stop(), romeo.stop()]);
  });

  it('connects with direct TLS when the route says xmpps://', async () => {
    s2sOf(capulet).cut('montague.test');
    route(capulet, montague, { directTls: true });
    const [juliet, romeo] = await Promise.all([online(capulet, 'juliet'), online(montague, 'romeo')]);
    await juliet.send(chat(romeo.bareJid, 'direct-tls'));
    await romeo.waitFor(withBody('direct-tls'));
    const out = s2sOf(capulet).outgoing().find((l) => l.remoteDomain === 'montague.test' && l.phase === 'open');
    expect(out).toMatchObject({ secure: true, directTls: true, pairs: [{ method: 'sasl-external' }] });
    route(capulet, montague);
    await Promise.all([juliet.stop(), romeo.stop()]);
  });

  describe('a peer with a valid certificate for another domain', () => {
    async function authenticatedPeer(): Promise<RawS2sPeer> {
      const cert = await ca.issue(dir, 'nurse.test');
      const peer = await RawS2sPeer.connect(s2sPorts(montague).s2s);
      peer.send(RawS2sPeer.header('nurse.test', 'montague.test'));
      await peer.waitFor(/<\/stream:features>/);
      const features = await peer.startTls('nurse.test', 'montague.test', cert.pem);
      expect(features).toContain('<mechanism>EXTERNAL</mechanism>');
      peer.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>${Buffer.from('nurse.test').toString('base64')}</auth>`);
      await peer.waitFor(/<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'\/>/);
      peer.send(RawS2sPeer.header('nurse.test', 'montague.test'));
      await peer.waitFor(/<\/stream:features>/);
      return peer;
    }

    it('gets invalid-from when it sends a stanza from a domain it did not authenticate', async () => {
      const peer = await authenticatedPeer();
      peer.send("<message from='juliet@capulet.test' to='romeo@montague.test'><body>forged</body></message>");
      expect(await peer.streamError()).toBe('invalid-from');
    });

    it('gets host-unknown for a stanza to a domain not served there', async () => {
      const peer = await authenticatedPeer();
      peer.send("<message from='nurse@nurse.test' to='someone@elsewhere.test'><body>lost</body></message>");
      expect(await peer.streamError()).toBe('host-unknown');
    });

    it('cannot take another authorization identity with SASL EXTERNAL', async () => {
      const cert = await ca.issue(dir, 'nurse.test');
      const peer = await RawS2sPeer.connect(s2sPorts(montague).s2s);
      peer.send(RawS2sPeer.header('nurse.test', 'montague.test'));
      await peer.waitFor(/<\/stream:features>/);
      await peer.startTls('nurse.test', 'montague.test', cert.pem);
      peer.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>${Buffer.from('capulet.test').toString('base64')}</auth>`);
      await peer.waitFor(/<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-authzid\/><\/failure>/);
      await peer.waitForClose();
    });

    it('leaves the server serving its real peers', async () => {
      const [juliet, romeo] = await Promise.all([online(capulet, 'juliet'), online(montague, 'romeo')]);
      await juliet.send(chat(romeo.bareJid, 'after-the-nurse'));
      await romeo.waitFor(withBody('after-the-nurse'));
      await Promise.all([juliet.stop(), romeo.stop()]);
    });
  });
});
