import { describe, expect, it } from 'vitest';
import { createTestHosts } from '../testing/test-host.js';
import { parseXml } from '../xml/parse-one.js';
import { StanzaError } from '../errors/stanza-error.js';
import { StreamError } from '../errors/stream-error.js';
import type { EventName } from '../events/event-map.js';

const stanza = (xml: string) => parseXml(xml)!;

/** Records which events fire on a host (without handling them). */
function recordEvents(names: EventName[], host: ReturnType<ReturnType<typeof createTestHosts>['host']>) {
  const fired: string[] = [];
  for (const name of names) host.bus.on(name, () => void fired.push(name));
  return fired;
}

describe('Router.fromClient', () => {
  it('stamps from with the full JID and fires pre- then destination events', async () => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    const fired = recordEvents(['pre-message/bare', 'message/bare'], t.host('localhost'));
    let seenFrom = '';
    t.host('localhost').bus.on('message/bare', ({ stanza }) => {
      seenFrom = stanza.attrs.from!;
      return true;
    });
    await t.router.fromClient(romeo, stanza("<message to='Juliet@LOCALHOST'><body>x</body></message>"));
    expect(fired).toEqual(['pre-message/bare', 'message/bare']);
    expect(seenFrom).toBe('romeo@localhost/phone');
  });

  it.each([
    ["<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", 'iq-get/self/urn:xmpp:ping:ping'],
    ["<iq type='get' id='1' to='romeo@localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 'iq-get/self/urn:xmpp:ping:ping'],
    ["<iq type='get' id='1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 'iq-get/host/urn:xmpp:ping:ping'],
    ["<iq type='set' id='1' to='juliet@localhost'><query xmlns='jabber:iq:x'/></iq>", 'iq-set/bare/jabber:iq:x:query'],
    ["<iq type='get' id='1' to='juliet@localhost/a'><ping xmlns='urn:xmpp:ping'/></iq>", 'iq/full'],
    ['<presence/>', 'presence/self'],
    ["<presence to='juliet@localhost'/>", 'presence/bare'],
    ['<message><body>x</body></message>', 'message/bare'],
    ["<message to='localhost'/>", 'message/host'],
  ])('routes %s to %s', async (xml, expected) => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    let hit = '';
    t.host('localhost').bus.on(expected as EventName, () => {
      hit = expected;
      return true;
    });
    await t.router.fromClient(romeo, stanza(xml));
    expect(hit).toBe(expected);
  });

  it('closes the stream with invalid-from for a forged from', async () => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    await expect(t.router.fromClient(romeo, stanza("<message from='juliet@localhost' to='x@localhost'/>"))).rejects.toBeInstanceOf(
      StreamError,
    );
  });

  it('accepts a from equal to the bare JID', async () => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    t.host('localhost').bus.on('message/bare', () => true);
    await t.router.fromClient(romeo, stanza("<message from='romeo@localhost' to='x@localhost'/>"));
    expect(romeo.sent).toEqual([]);
  });

  it.each([
    ["<message to='a@b@c' id='m'/>", 'jid-malformed'],
    ["<iq type='get' id='1'/>", 'bad-request'],
    ["<iq type='get' id='1'><a xmlns='x'/><b xmlns='y'/></iq>", 'bad-request'],
    ["<iq type='bogus' id='1'><a xmlns='x'/></iq>", 'bad-request'],
    ["<iq type='get' id='1' to='localhost'><unknown xmlns='urn:example'/></iq>", 'service-unavailable'],
    ["<message to='localhost' id='m'><body>x</body></message>", 'service-unavailable'],
    ["<message to='x@far.example' id='m'/>", 'remote-server-not-found'],
  ])('answers %s with %s', async (xml, condition) => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    await t.router.fromClient(romeo, stanza(xml));
    expect(romeo.sent).toHaveLength(1);
    const error = romeo.sent[0];
    expect(error.attrs.type).toBe('error');
    expect(error.attrs.to).toBe('romeo@localhost/phone');
    expect(error.getChild('error')?.getChild(condition, 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  });

  it('never answers errors or results with an error', async () => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    await t.router.fromClient(romeo, stanza("<iq type='result' id='1' to='localhost'/>"));
    await t.router.fromClient(romeo, stanza("<message type='error' to='localhost'/>"));
    expect(romeo.sent).toEqual([]);
  });

  it('turns a thrown StanzaError into the reply and a crash into internal-server-error', async () => {
    const t = createTestHosts();
    const romeo = t.session('romeo@localhost/phone');
    t.host('localhost').bus.on('iq-get/host/urn:a:q', () => {
      throw new StanzaError('forbidden', 'no');
    });
    t.host('localhost').bus.on('iq-get/host/urn:b:q', () => {
      throw new Error('bug');
    });
    await t.router.fromClient(romeo, stanza("<iq type='get' id='1' to='localhost'><q xmlns='urn:a'/></iq>"));
    await t.router.fromClient(romeo, stanza("<iq type='get' id='2' to='localhost'><q xmlns='urn:b'/></iq>"));
    expect(romeo.sent.map((e) => e.getChild('error')!.elements()[0].name)).toEqual(['forbidden', 'internal-server-error']);
    expect(romeo.sent[0].getChild('error')!.attrs.type).toBe('auth');
  });

  it('routes between hosts of one server', async () => {
    const t = createTestHosts(['a.example', 'b.example']);
    const romeo = t.session('romeo@a.example/x');
    const juliet = t.session('juliet@b.example/y');
    t.host('b.example').bus.on('message/full', ({ stanza, to, host }) => {
      host.sessions.get(to.local!, to.resource!)!.send(stanza);
      return true;
    });
    await t.router.fromClient(romeo, stanza("<message to='juliet@b.example/y'><body>hi</body></message>"));
    expect(juliet.sent[0].attrs.from).toBe('romeo@a.example/x');
  });
});
