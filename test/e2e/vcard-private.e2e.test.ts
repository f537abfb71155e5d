/**
 * vCards and private XML storage through a real client: Romeo stores his
 * vCard and preferences; Juliet reads his vCard but not his private data.
 *
 * References: XEP-0054 §3.1–3.3; XEP-0049 §2–3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient } from './harness/client.js';

const VCARD = 'vcard-temp';
const PRIVATE = 'jabber:iq:private';

let server: TestServer;
let romeo: TestClient;
let juliet: TestClient;
let ids = 0;
const id = () => `iq-${++ids}`;

beforeAll(async () => {
  server = await startTestServer();
  await server.createUser('romeo', 'r0meo-pass');
  await server.createUser('juliet', 'jul1et-pass');
  romeo = await connect(server, { username: 'romeo', password: 'r0meo-pass' });
  juliet = await connect(server, { username: 'juliet', password: 'jul1et-pass', transport: 'ws' });
});
afterAll(async () => {
  await romeo?.stop();
  await juliet?.stop();
  await server?.stop();
});

describe('vCards', () => {
  it('stores the own vCard and returns it to the owner and to others', async () => {
    const vcard = xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Romeo Montague'), xml('NICKNAME', {}, 'Romeo'));
    const set = await romeo.iq(xml('iq', { type: 'set', id: id() }, vcard));
    expect(set.attrs.type).toBe('result');

    const own = await romeo.iq(xml('iq', { type: 'get', id: id() }, xml('vCard', { xmlns: VCARD })));
    expect(own.getChild('vCard', VCARD)!.getChildText('FN')).toBe('Romeo Montague');

    const seen = await juliet.iq(xml('iq', { type: 'get', to: 'romeo@localhost', id: id() }, xml('vCard', { xmlns: VCARD })));
    expect(seen.attrs.from).toBe('romeo@localhost');
    expect(seen.getChild('vCard', VCARD)!.getChildText('NICKNAME')).toBe('Romeo');
  });

  it('returns an empty vCard for an account that stored none', async () => {
    const result = await romeo.iq(xml('iq', { type: 'get', to: 'juliet@localhost', id: id() }, xml('vCard', { xmlns: VCARD })));
    const vcard = result.getChild('vCard', VCARD)!;
    expect(vcard.children).toHaveLength(0);
  });

  it('answers service-unavailable for an unknown account', async () => {
    const ask = romeo.iq(xml('iq', { type: 'get', to: 'nobody@localhost', id: id() }, xml('vCard', { xmlns: VCARD })));
    await expect(ask).rejects.toMatchObject({ condition: 'service-unavailable' });
  });

  it("refuses to change another account's vCard", async () => {
    const set = juliet.iq(xml('iq', { type: 'set', to: 'romeo@localhost', id: id() }, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Rosaline'))));
    await expect(set).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('refuses a vCard over 64 KiB with not-acceptable', async () => {
    const photo = xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, 'A'.repeat(70 * 1024)));
    const set = romeo.iq(xml('iq', { type: 'set', id: id() }, xml('vCard', { xmlns: VCARD }, photo)));
    await expect(set).rejects.toMatchObject({ condition: 'not-acceptable' });
  });
});

describe('private XML storage', () => {
  it('stores a fragment and returns it, and an empty element for an unknown namespace', async () => {
    const prefs = xml('exodus', { xmlns: 'exodus:prefs' }, xml('defaultnick', {}, 'Hamlet'));
    await romeo.iq(xml('iq', { type: 'set', id: id() }, xml('query', { xmlns: PRIVATE }, prefs)));

    const got = await romeo.iq(xml('iq', { type: 'get', id: id() }, xml('query', { xmlns: PRIVATE }, xml('exodus', { xmlns: 'exodus:prefs' }))));
    expect(got.getChild('query', PRIVATE)!.getChild('exodus', 'exodus:prefs')!.getChildText('defaultnick')).toBe('Hamlet');

    const empty = await romeo.iq(xml('iq', { type: 'get', id: id() }, xml('query', { xmlns: PRIVATE }, xml('prefs', { xmlns: 'urn:example:none' }))));
    expect(empty.getChild('query', PRIVATE)!.getChild('prefs', 'urn:example:none')!.children).toHaveLength(0);
  });

  it('refuses reserved namespaces with not-acceptable', async () => {
    const set = romeo.iq(xml('iq', { type: 'set', id: id() }, xml('query', { xmlns: PRIVATE }, xml('query', { xmlns: 'jabber:iq:roster' }))));
    await expect(set).rejects.toMatchObject({ condition: 'not-acceptable' });
    const empty = romeo.iq(xml('iq', { type: 'get', id: id() }, xml('query', { xmlns: PRIVATE })));
    await expect(empty).rejects.toMatchObject({ condition: 'not-acceptable' });
  });

  it("forbids reading another account's private data", async () => {
    const get = juliet.iq(xml('iq', { type: 'get', to: 'romeo@localhost', id: id() }, xml('query', { xmlns: PRIVATE }, xml('exodus', { xmlns: 'exodus:prefs' }))));
    await expect(get).rejects.toMatchObject({ condition: 'forbidden' });
  });
});
