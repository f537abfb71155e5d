import { beforeEach, describe, expect, it } from 'vitest';
import { createTestHosts, type FakeSession, type TestHosts } from '../../core/testing/test-host.js';
import { loadModules } from '../../core/module/loader.js';
import { createMemoryDriver } from '../../storage/memory/index.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { x, type Element } from '../../core/xml/element.js';
import message from '../message/index.js';
import carbons from './index.js';

const CARBONS = 'urn:xmpp:carbons:2';
const stanza = (xml: string) => parseXml(xml)!;
const carbonsOf = (s: FakeSession, kind: 'sent' | 'received') => s.sent.filter((el) => el.getChild(kind, CARBONS));
const forwarded = (carbon: Element) => carbon.getChild('received', CARBONS)?.getChild('forwarded')?.getChild('message') ??
  carbon.getChild('sent', CARBONS)!.getChild('forwarded')!.getChild('message')!;

let t: TestHosts;
let phone: FakeSession, laptop: FakeSession, tablet: FakeSession, juliet: FakeSession;

function online(s: FakeSession, priority = 0): FakeSession {
  s.presence = x('presence');
  s.priority = priority;
  return s;
}

async function enable(s: FakeSession): Promise<void> {
  await t.router.fromClient(s, stanza(`<iq type='set' id='on'><enable xmlns='${CARBONS}'/></iq>`));
  expect(s.sent.pop()?.attrs).toMatchObject({ type: 'result', id: 'on' });
}

beforeEach(async () => {
  t = createTestHosts(['montague.example', 'capulet.example']);
  for (const name of ['montague.example', 'capulet.example']) {
    await loadModules(t.host(name), createMemoryDriver(), [message, carbons]);
  }
  phone = online(t.session('romeo@montague.example/phone'));
  laptop = online(t.session('romeo@montague.example/laptop'));
  tablet = online(t.session('romeo@montague.example/tablet'));
  juliet = online(t.session('juliet@capulet.example/balcony'));
  await enable(phone);
  await enable(laptop);
});

describe('carbons module', () => {
  it('advertises urn:xmpp:carbons:2 on the host', () => {
    expect(t.host('montague.example').features.has(CARBONS)).toBe(true);
  });

  it('copies a message received on one session to the other enabled sessions only', async () => {
    await t.router.fromClient(juliet, stanza("<message to='romeo@montague.example/phone' type='chat' id='j1'><body>hi</body></message>"));
    expect(phone.sent.map((el) => el.attrs.id)).toEqual(['j1']);
    const [carbon] = carbonsOf(laptop, 'received');
    expect(carbon.attrs).toMatchObject({ from: 'romeo@montague.example', to: 'romeo@montague.example/laptop', type: 'chat' });
    expect(forwarded(carbon).attrs).toMatchObject({ xmlns: 'jabber:client', from: 'juliet@capulet.example/balcony', id: 'j1' });
    expect(tablet.sent).toEqual([]);
  });

  it('copies a sent message to the other enabled sessions, not to the sender', async () => {
    await t.router.fromClient(tablet, stanza("<message to='juliet@capulet.example' type='chat' id='r1'><body>hi</body></message>"));
    expect(juliet.sent.map((el) => el.attrs.id)).toEqual(['r1']);
    for (const s of [phone, laptop]) expect(forwarded(carbonsOf(s, 'sent')[0]).attrs.from).toBe('romeo@montague.example/tablet');
    expect(tablet.sent).toEqual([]);
  });

  it('sends no copy to the sessions a bare-JID message reached at equal priority', async () => {
    await t.router.fromClient(juliet, stanza("<message to='romeo@montague.example' type='chat' id='j2'><body>hi</body></message>"));
    for (const s of [phone, laptop, tablet]) expect(s.sent.map((el) => el.attrs.id)).toEqual(['j2']);
  });

  it('copies to an enabled session of lower priority that the bare-JID message skipped', async () => {
    laptop.priority = -1;
    await t.router.fromClient(juliet, stanza("<message to='romeo@montague.example' type='chat' id='j3'><body>hi</body></message>"));
    expect(carbonsOf(laptop, 'received')).toHaveLength(1);
    expect(carbonsOf(phone, 'received')).toHaveLength(0);
  });

  it('removes <private/> on arrival and makes no received copy', async () => {
    await t.router.fromClient(
      juliet,
      stanza(`<message to='romeo@montague.example/phone' type='chat' id='p1'><body>hi</body><private xmlns='${CARBONS}'/></message>`),
    );
    expect(phone.sent[0].getChild('private', CARBONS)).toBeUndefined();
    expect(laptop.sent).toEqual([]);
  });

  it('keeps <private/> on the way out of the sending server and makes no sent copy', async () => {
    const seen: Element[] = [];
    t.host('capulet.example').bus.on('message/full', ({ stanza: s }) => void seen.push(s.clone()), 2000);
    await t.router.fromClient(
      phone,
      stanza(`<message to='juliet@capulet.example/balcony' type='chat' id='p2'><body>hi</body><private xmlns='${CARBONS}'/></message>`),
    );
    expect(seen[0].getChild('private', CARBONS)).toBeDefined();
    expect(laptop.sent).toEqual([]);
  });

  it('copies an error only when it answers an eligible message', async () => {
    await t.router.fromClient(phone, stanza("<message to='juliet@capulet.example/balcony' type='chat' id='r2'><body>hi</body></message>"));
    laptop.sent.length = 0;
    const error = (id: string) => stanza(`<message to='romeo@montague.example/phone' type='error' id='${id}'><error type='cancel'/></message>`);
    await t.router.fromClient(juliet, error('r2'));
    await t.router.fromClient(juliet, error('unrelated'));
    expect(carbonsOf(laptop, 'received').map((c) => forwarded(c).attrs.id)).toEqual(['r2']);
  });

  it('stops copying once disabled, and repeated enable or disable is no error', async () => {
    await enable(laptop);
    for (let i = 0; i < 2; i++) {
      await t.router.fromClient(laptop, stanza(`<iq type='set' id='off'><disable xmlns='${CARBONS}'/></iq>`));
      expect(laptop.sent.pop()?.attrs.type).toBe('result');
    }
    await t.router.fromClient(juliet, stanza("<message to='romeo@montague.example/phone' type='chat'><body>hi</body></message>"));
    expect(laptop.sent).toEqual([]);
  });

  it("refuses to change another account's carbons", async () => {
    await t.router.fromClient(juliet, stanza(`<iq type='set' id='x' to='romeo@montague.example'><enable xmlns='${CARBONS}'/></iq>`));
    expect(juliet.sent.pop()?.getChild('error')?.getChild('not-allowed')).toBeDefined();
  });
});
