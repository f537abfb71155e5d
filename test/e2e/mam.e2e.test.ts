/**
 * Message archive end to end: Romeo and Juliet (two sessions each) talk,
 * every live copy carries the recipient archive's stanza-id, and both query
 * their archives with each filter, page both ways, flip pages, read the
 * count, the metadata and the form; preferences and hints change what is
 * archived; offline messages arrive stamped; bad queries get their errors.
 * Room messages in a user's archive (appended through the module's API, as
 * account rooms do) are left out only for include-groupchat false.
 *
 * References: XEP-0313 §3.5, §4, §4.1.4, §5.1.1, §7, §8.1; XEP-0359; XEP-0059;
 * XEP-0441; XEP-0334; XEP-0160.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { MAM_NS, SID_NS, queryArchive, stanzaIdOf } from './harness/mam-client.js';
import { dumpRun, startDriver } from './harness/slixmpp.js';
import { x } from '../../src/core/xml/element.js';
import type { MamApi } from '../../src/modules/mam/index.js';

const USERS = ['romeo', 'juliet', 'nurse', 'benvolio', 'mercutio', 'tybalt', 'paris', 'friar', 'rosaline', 'balthasar'];
let server: TestServer;
const login = (username: string, resource?: string) => connect(server, { username, password: 'pw', resource });
const jid = (username: string) => `${username}@localhost`;

beforeAll(async () => {
  server = await startTestServer();
  await Promise.all(USERS.map((u) => server.createUser(u, 'pw')));
});
afterAll(() => server?.stop());

const isBody = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
const chat = (to: string, body: string, ...extra: XmlElement[]) => xml('message', { to, type: 'chat', id: body.replace(/\W/g, '') }, xml('body', {}, body), ...extra);

/** Sends and waits until the recipient's session has it; returns the live copy. */
async function say(from: TestClient, to: TestClient, body: string, ...extra: XmlElement[]): Promise<XmlElement> {
  await from.send(chat(to.bareJid, body, ...extra));
  return to.waitFor(isBody(body));
}

describe('archiving and stanza-ids', () => {
  let romeo: TestClient, romeoPhone: TestClient, juliet: TestClient, julietPhone: TestClient;
  /** Bodies in the order sent: r0 j1 r2 j3 … (romeo even, juliet odd). */
  const bodies = Array.from({ length: 12 }, (_, i) => `${i % 2 ? 'juliet' : 'romeo'} line ${i}`);

  beforeAll(async () => {
    [romeo, romeoPhone, juliet, julietPhone] = await Promise.all([login('romeo', 'orchard'), login('romeo', 'phone'), login('juliet', 'balcony'), login('juliet', 'phone')]);
    for (const [i, body] of bodies.entries()) {
      if (i % 2) await say(juliet, romeo, body);
      else await say(romeo, juliet, body);
      // Distinct timestamps, so start/end can split the conversation.
      await new Promise((r) => setTimeout(r, 3));
    }
  });
  afterAll(() => Promise.all([romeo, romeoPhone, juliet, julietPhone].map((c) => c.stop())));

  it("stamps the recipient archive's stanza-id on the live copy, the same on every session, and keeps origin-id", async () => {
    const forged = xml('stanza-id', { xmlns: SID_NS, by: jid('juliet'), id: 'forged' });
    const origin = xml('origin-id', { xmlns: SID_NS, id: 'origin-1' });
    await romeo.send(xml('message', { to: jid('juliet'), type: 'chat' }, xml('body', {}, 'with origin-id'), origin, forged));
    const [onBalcony, onPhone] = await Promise.all([juliet.waitFor(isBody('with origin-id')), julietPhone.waitFor(isBody('with origin-id'))]);
    const ids = onBalcony.getChildren('stanza-id', SID_NS);
    expect(ids).toHaveLength(1);
    expect(ids[0]!.attrs.by).toBe(jid('juliet'));
    expect(ids[0]!.attrs.id).not.toBe('forged');
    expect(stanzaIdOf(onPhone, jid('juliet'))).toBe(ids[0]!.attrs.id);
    // Never the sender's own archive id on the copy to the contact.
    expect(stanzaIdOf(onBalcony, jid('romeo'))).toBeUndefined();

    const [archived] = (await queryArchive(juliet, { ids: [ids[0]!.attrs.id!] })).items;
    expect(archived!.body).toBe('with origin-id');
    expect(archived!.message.getChild('origin-id', SID_NS)?.attrs.id).toBe('origin-1');
    expect(archived!.message.attrs.from).toBe(romeo.jid);
    const sent = await queryArchive(romeo, { with: jid('juliet'), max: 1, before: '' });
    expect(sent.items.map((i) => i.body)).toEqual(['with origin-id']);
    expect(sent.items[0]!.message.getChildren('stanza-id', SID_NS).filter((el) => el.attrs.by === jid('juliet'))).toEqual([]);
  });

  it('archives each message once in both archives, oldest first, with count and complete', async () => {
    for (const client of [romeo, juliet]) {
      const answer = await queryArchive(client, { with: client === romeo ? jid('juliet') : jid('romeo'), max: 250 });
      expect(answer.items.map((i) => i.body).slice(0, bodies.length)).toEqual(bodies);
      expect(answer.complete).toBe(true);
      expect(answer.count).toBe(answer.items.length);
      expect(answer.first).toBe(answer.items[0]!.id);
      expect(answer.last).toBe(answer.items.at(-1)!.id);
    }
  });

  it('filters by start and end (inclusive), by before-id and after-id (exclusive), and by ids', async () => {
    const all = (await queryArchive(juliet, { with: jid('romeo') })).items.slice(0, bodies.length);
    const start = all[3]!.stamp;
    const end = all[8]!.stamp;
    const ranged = await queryArchive(juliet, { with: jid('romeo'), start, end });
    expect(ranged.items.map((i) => i.id)).toEqual(all.filter((i) => i.stamp >= start && i.stamp <= end).map((i) => i.id));
    expect(ranged.items.map((i) => i.body)).toEqual(bodies.slice(3, 9));
    const between = await queryArchive(juliet, { afterId: all[2]!.id, beforeId: all[6]!.id });
    expect(between.items.map((i) => i.body)).toEqual(bodies.slice(3, 6));
    const picked = await queryArchive(juliet, { ids: [all[7]!.id, all[1]!.id] });
    expect(picked.items.map((i) => i.body)).toEqual([bodies[1], bodies[7]]);
  });

  it('pages forwards with <after/> and backwards with <before/> until complete, and flips pages', async () => {
    const forward: string[] = [];
    let page = await queryArchive(romeo, { with: jid('juliet'), max: 5 });
    for (;;) {
      forward.push(...page.items.map((i) => i.body!));
      if (page.complete) break;
      expect(page.items).toHaveLength(5);
      page = await queryArchive(romeo, { with: jid('juliet'), max: 5, after: page.last });
    }
    const backward: string[][] = [];
    page = await queryArchive(romeo, { with: jid('juliet'), max: 5, before: '' });
    for (;;) {
      backward.push(page.items.map((i) => i.body!));
      if (page.complete) break;
      page = await queryArchive(romeo, { with: jid('juliet'), max: 5, before: page.first });
    }
    expect(forward.slice(0, bodies.length)).toEqual(bodies);
    expect(backward.reverse().flat()).toEqual(forward);

    const plain = await queryArchive(romeo, { with: jid('juliet'), max: 4, before: '' });
    const flipped = await queryArchive(romeo, { with: jid('juliet'), max: 4, before: '', flip: true });
    expect(flipped.items.map((i) => i.id)).toEqual(plain.items.map((i) => i.id).reverse());
    // Same page, same RSM summary: only the order of sending changes.
    expect([flipped.first, flipped.last, flipped.count, flipped.complete]).toEqual([plain.first, plain.last, plain.count, plain.complete]);
  });

  it('counts without items for <max>0</max>, and gives metadata', async () => {
    const counted = await queryArchive(juliet, { max: 0 });
    expect(counted.items).toEqual([]);
    expect(counted.count).toBeGreaterThanOrEqual(bodies.length);
    const all = await queryArchive(juliet, { max: 250 });
    const metadata = (await juliet.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: MAM_NS })))).getChild('metadata', MAM_NS)!;
    expect(metadata.getChild('start')?.attrs).toMatchObject({ id: all.items[0]!.id, timestamp: all.items[0]!.stamp });
    expect(metadata.getChild('end')?.attrs).toMatchObject({ id: all.items.at(-1)!.id, timestamp: all.items.at(-1)!.stamp });
  });

  it('archives a message to oneself once', async () => {
    await romeo.send(chat(jid('romeo'), 'note to self'));
    await romeo.waitFor(isBody('note to self'));
    const notes = await queryArchive(romeo, { with: jid('romeo') });
    expect(notes.items.map((i) => i.body)).toEqual(['note to self']);
  });

  it('advertises the query form and the archive features on the account', async () => {
    const form = (await romeo.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: MAM_NS })))).getChild('query', MAM_NS)!.getChild('x', 'jabber:x:data')!;
    const fields = form.getChildren('field').map((f) => [f.attrs.var, f.attrs.type]);
    expect(fields.map(([name]) => name)).toEqual(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids', 'include-groupchat']);
    expect(fields.at(-1)).toEqual(['include-groupchat', 'boolean']);
    const info = await romeo.iq(xml('iq', { type: 'get', to: jid('romeo') }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([MAM_NS, `${MAM_NS}#extended`, `${MAM_NS}#groupchat-field`, SID_NS]));
  });

  it('refuses bad queries with the right errors', async () => {
    const condition = (promise: Promise<unknown>) => promise.then(() => 'no error', (err: { condition?: string }) => err.condition);
    const field = (name: string, value: string) => xml('field', { var: name }, xml('value', {}, value));
    expect(await condition(queryArchive(romeo, { fields: [field('start', 'last tuesday')] }))).toBe('bad-request');
    expect(await condition(queryArchive(romeo, { fields: [field('with', 'not@a@jid')] }))).toBe('bad-request');
    expect(await condition(queryArchive(romeo, { fields: [field('favourite-colour', 'red')] }))).toBe('feature-not-implemented');
    expect(await condition(queryArchive(romeo, { max: 5, after: 'no-such-id' }))).toBe('item-not-found');
    expect(await condition(queryArchive(romeo, { afterId: 'no-such-id' }))).toBe('item-not-found');
    expect(await condition(queryArchive(romeo, { ids: ['no-such-id'] }))).toBe('item-not-found');
    // Juliet's ids are unknown in Romeo's archive, and Juliet's archive is not Romeo's to read.
    const julietsId = (await queryArchive(juliet, { max: 1 })).items[0]!.id;
    expect(await condition(queryArchive(romeo, { afterId: julietsId }))).toBe('item-not-found');
    expect(await condition(queryArchive(romeo, { to: jid('juliet') }))).toBe('forbidden');
    const prefsOfJuliet = romeo.iq(xml('iq', { type: 'get', to: jid('juliet') }, xml('prefs', { xmlns: MAM_NS })));
    expect(await condition(prefsOfJuliet)).toBe('forbidden');
  });
});

describe('include-groupchat', () => {
  const room = 'capulets@conference.localhost';
  /** Archive order: Balthasar's chats between room messages appended as account rooms would. */
  const kinds = ['chat', 'groupchat', 'groupchat', 'chat', 'groupchat', 'chat', 'chat'];
  const bodies = kinds.map((kind, i) => `${kind} ${i}`);
  const chats = bodies.filter((body) => body.startsWith('chat'));
  const include = (...values: string[]) => [xml('field', { var: 'include-groupchat' }, ...values.map((v) => xml('value', {}, v)))];
  let rosaline: TestClient, balthasar: TestClient;

  beforeAll(async () => {
    [rosaline, balthasar] = await Promise.all([login('rosaline'), login('balthasar')]);
    const mam = server.running.server.hosts.get(server.domain)!.modules.get('mam') as MamApi;
    for (const [i, body] of bodies.entries()) {
      if (kinds[i] === 'chat') {
        await say(balthasar, rosaline, body);
        continue;
      }
      const message = x('message', { type: 'groupchat', from: `${room}/tybalt`, to: rosaline.jid, id: `g${i}` }, x('body', {}, body));
      await mam.append('rosaline', message, { with: room, externalId: `room-id-${i}` });
    }
  });
  afterAll(() => Promise.all([rosaline.stop(), balthasar.stop()]));

  it('keeps room messages when the field is absent or true', async () => {
    const absent = await queryArchive(rosaline, { max: 250 });
    expect(absent.items.map((i) => i.body)).toEqual(bodies);
    expect([absent.count, absent.complete]).toEqual([bodies.length, true]);
    const roomMessage = absent.items[1]!.message;
    expect(roomMessage.attrs).toMatchObject({ type: 'groupchat', from: `${room}/tybalt` });
    for (const value of ['true', '1']) {
      const included = await queryArchive(rosaline, { max: 250, fields: include(value) });
      expect(included.items.map((i) => i.body)).toEqual(bodies);
      expect(included.count).toBe(bodies.length);
    }
    expect((await queryArchive(rosaline, { with: room, fields: include('true') })).items.map((i) => i.body)).toEqual(['groupchat 1', 'groupchat 2', 'groupchat 4']);
  });

  it('leaves room messages out when false, paging both ways with exact counts', async () => {
    const fields = include('false');
    const first = await queryArchive(rosaline, { max: 2, fields });
    expect(first.items.map((i) => i.body)).toEqual(['chat 0', 'chat 3']);
    expect([first.count, first.complete]).toEqual([chats.length, false]);
    // Only room messages lie beyond chat 6: the second page is complete.
    const second = await queryArchive(rosaline, { max: 2, after: first.last, fields });
    expect(second.items.map((i) => i.body)).toEqual(['chat 5', 'chat 6']);
    expect([second.count, second.complete]).toEqual([chats.length, true]);
    const last = await queryArchive(rosaline, { max: 3, before: '', fields });
    expect(last.items.map((i) => i.body)).toEqual(['chat 3', 'chat 5', 'chat 6']);
    expect([last.count, last.complete]).toEqual([chats.length, false]);
    const earlier = await queryArchive(rosaline, { max: 3, before: last.first, fields });
    expect(earlier.items.map((i) => i.body)).toEqual(['chat 0']);
    expect(earlier.complete).toBe(true);
    // A room message's id still positions a page.
    const roomIds = (await queryArchive(rosaline, { with: room })).items.map((i) => i.id);
    const afterRoom = await queryArchive(rosaline, { after: roomIds[0], fields: include('0') });
    expect(afterRoom.items.map((i) => i.body)).toEqual(['chat 3', 'chat 5', 'chat 6']);
    expect(await queryArchive(rosaline, { with: room, fields })).toMatchObject({ items: [], count: 0, complete: true });
    expect((await queryArchive(rosaline, { max: 0, fields })).count).toBe(chats.length);
  });

  it('refuses a value that is not a boolean with bad-request', async () => {
    const condition = (fields: XmlElement[]) => queryArchive(rosaline, { fields }).then(() => 'no error', (err: { condition?: string }) => err.condition);
    expect(await condition(include('maybe'))).toBe('bad-request');
    expect(await condition(include('true', 'false'))).toBe('bad-request');
  });
});

describe('what is archived', () => {
  const jids = (list: string[]) => list.map((j) => xml('jid', {}, j));
  const setPrefs = (client: TestClient, mode: string, always: string[] = [], never: string[] = []) =>
    client.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM_NS, default: mode }, xml('always', {}, ...jids(always)), xml('never', {}, ...jids(never)))));
  const archivedBodies = async (client: TestClient, other: string) => (await queryArchive(client, { with: other, max: 250 })).items.map((i) => i.body);

  it('follows preferences: never, always lists, and the roster default', async () => {
    const [benvolio, mercutio] = await Promise.all([login('benvolio'), login('mercutio')]);
    const answer = await setPrefs(benvolio, 'never', [], []);
    expect(answer.getChild('prefs', MAM_NS)?.attrs.default).toBe('never');
    const live = await say(mercutio, benvolio, 'benvolio keeps nothing');
    expect(stanzaIdOf(live, jid('benvolio'))).toBeUndefined();
    await setPrefs(benvolio, 'never', [jid('mercutio')]);
    expect(stanzaIdOf(await say(mercutio, benvolio, 'but always mercutio'), jid('benvolio'))).toBeDefined();
    await setPrefs(benvolio, 'roster');
    const prefs = (await benvolio.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: MAM_NS })))).getChild('prefs', MAM_NS)!;
    expect(prefs.attrs.default).toBe('roster');
    expect(prefs.getChild('always')?.getChildren('jid')).toEqual([]);
    await say(mercutio, benvolio, 'not in the roster yet');
    await benvolio.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: jid('mercutio') }))));
    await say(mercutio, benvolio, 'now in the roster');
    await say(benvolio, mercutio, 'benvolio answers');
    expect(await archivedBodies(benvolio, jid('mercutio'))).toEqual(['but always mercutio', 'now in the roster', 'benvolio answers']);
    // Mercutio's own archive follows Mercutio's preferences (the default: everything).
    expect(await archivedBodies(mercutio, jid('benvolio'))).toEqual([
      'benvolio keeps nothing',
      'but always mercutio',
      'not in the roster yet',
      'now in the roster',
      'benvolio answers',
    ]);
    await Promise.all([benvolio.stop(), mercutio.stop()]);
  });

  it('leaves out messages with a no-store hint, and chat states without a body', async () => {
    const [tybalt, romeo] = await Promise.all([login('tybalt'), login('romeo', 'street')]);
    const live = await say(romeo, tybalt, 'forget this', xml('no-store', { xmlns: 'urn:xmpp:hints' }));
    expect(live.getChild('stanza-id', SID_NS)).toBeUndefined();
    await romeo.send(xml('message', { to: jid('tybalt'), type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await say(romeo, tybalt, 'remember this');
    expect(await archivedBodies(tybalt, jid('romeo'))).toEqual(['remember this']);
    expect(await archivedBodies(romeo, jid('tybalt'))).toEqual(['remember this']);
    await Promise.all([tybalt.stop(), romeo.stop()]);
  });

  it('archives and stamps a message stored offline', async () => {
    const romeo = await login('romeo', 'letter');
    await romeo.send(chat(jid('nurse'), 'a message for the nurse'));
    await new Promise((r) => setTimeout(r, 200));
    const nurse = await login('nurse');
    const delivered = await nurse.waitFor(isBody('a message for the nurse'));
    expect(delivered.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
    const id = stanzaIdOf(delivered, jid('nurse'));
    expect(id).toBeDefined();
    const archived = await queryArchive(nurse, { with: jid('romeo') });
    expect(archived.items.map((i) => [i.id, i.body])).toEqual([[id, 'a message for the nurse']]);
    await Promise.all([romeo.stop(), nurse.stop()]);
  });

  it("deletes the archive with the account", async () => {
    const [paris, romeo] = await Promise.all([login('paris'), login('romeo', 'church')]);
    await say(romeo, paris, 'before the wedding');
    expect((await queryArchive(paris, { max: 0 })).count).toBe(1);
    await paris.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    await paris.stop();
    await server.createUser('paris', 'pw');
    const again = await login('paris');
    expect((await queryArchive(again, { max: 0 })).count).toBe(0);
    await Promise.all([again.stop(), romeo.stop()]);
  });
});

it('serves slixmpp: the live copy is stamped, and a flipped last-page query forwards it', async () => {
  const query =
    `<iq type='set' id='mam1'><query xmlns='${MAM_NS}' queryid='sx'>` +
    `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${MAM_NS}</value></field><field var='with'><value>romeo@localhost</value></field></x>` +
    `<set xmlns='http://jabber.org/protocol/rsm'><max>1</max><before/></set><flip-page/></query></iq>`;
  const friar = startDriver(server, {
    username: 'friar',
    password: 'pw',
    scenario: [{ presence: {} }, { mark: 'ready' }, { wait: { name: 'message', contains: ['a letter to Mantua', 'stanza-id'] } }, { iq: query }],
  });
  await friar.mark('ready');
  const romeo = await login('romeo', 'verona');
  await romeo.send(chat(jid('friar'), 'a letter to Mantua'));
  const result = await friar.done;
  await romeo.stop();
  expect(result.code, dumpRun(result)).toBe(0);
  const [live, forwarded] = result.stanzas('message');
  const id = live!.getChildren('stanza-id', SID_NS).find((el) => el.attrs.by === jid('friar'))?.attrs.id;
  const archived = forwarded!.getChild('result', MAM_NS)!;
  expect(archived.attrs).toMatchObject({ queryid: 'sx', id });
  expect(archived.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message')?.getChildText('body')).toBe('a letter to Mantua');
  const fin = result.reply('mam1').getChild('fin', MAM_NS)!;
  expect(fin.attrs.complete).toBe('true');
  expect(fin.getChild('set')?.getChildText('first')).toBe(id);
});
