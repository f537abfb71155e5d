/**
 * Gap filling against a scripted room (disco#info, an archive answering
 * XEP-0313 pages of two, item-not-found for an id it no longer has) and a
 * real memory archive for the account: a room with an archive is rejoined
 * without history, one without since the last message; missed messages
 * are archived once and forwarded to the joined session, page by page,
 * skipping what the account already holds and never moving the last
 * stanza-id back behind a live message; after an s2s link dropped, from the
 * mark left then; an id the room lost falls back to a time-based query.
 *
 * References: account-rooms spec, "Durability"; XEP-0313 §4, §4.3;
 * XEP-0045 §7.2.15.
 */
import { describe, expect, it } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import { parseJid } from '../../core/jid/jid.js';
import { parseConfig } from '../../core/config/config.js';
import type { Host } from '../../core/host.js';
import type { Logger } from '../../core/log.js';
import type { Session } from '../../core/session/session.js';
import { createMemoryDriver } from '../../storage/memory/index.js';
import { createMamApi } from '../mam/api.js';
import type { RosterApi } from '../roster/api.js';
import type { IqApi } from '../iq/index.js';
import { AccountRooms } from './service.js';
import { Membership } from './membership.js';
import { catchUp, fillGap, markGapStart, prepareRejoin } from './gap-fill.js';

const ROOM = 'garden@rooms.example';
const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';
const NOW = Date.now();

/** A room whose archive holds `r1…r<n>`, each a minute apart, the last a few seconds ago. */
class ScriptedRoom {
  readonly afters: (string | undefined)[] = [];
  onQuery?: () => void;
  constructor(
    readonly archive: { id: string; at: number }[],
    readonly features: string[],
    readonly deliver: (queryId: string, message: Element) => void,
  ) {}

  async request(iq: Element): Promise<Element> {
    const query = iq.elements()[0]!;
    if (query.attrs.xmlns === 'http://jabber.org/protocol/disco#info') {
      return x('iq', { type: 'result' }, x('query', { xmlns: query.attrs.xmlns }, ...this.features.map((f) => x('feature', { var: f }))));
    }
    const after = query.getChild('set', RSM)?.getChildText('after');
    const start = query.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'start')?.getChildText('value');
    this.afters.push(after);
    let from = 0;
    if (after !== undefined) {
      from = this.archive.findIndex((item) => item.id === after) + 1;
      if (from === 0) return x('iq', { type: 'error' }, x('error', { type: 'cancel' }, x('item-not-found')));
    } else if (start !== undefined) from = this.archive.findIndex((item) => item.at >= Date.parse(start));
    const page = this.archive.slice(from, from + 2);
    this.onQuery?.();
    for (const item of page) this.deliver(query.attrs.queryid!, result(query.attrs.queryid!, item));
    const complete = from + 2 >= this.archive.length;
    return x('iq', { type: 'result' }, x('fin', { xmlns: MAM, complete: String(complete) }, x('set', { xmlns: RSM }, x('last', {}, page.at(-1)?.id))));
  }
}

function result(queryId: string, item: { id: string; at: number }): Element {
  const original = x('message', { from: `${ROOM}/Nurse`, type: 'groupchat' }, x('body', {}, item.id));
  const forwarded = x('forwarded', { xmlns: 'urn:xmpp:forward:0' }, x('delay', { xmlns: 'urn:xmpp:delay', stamp: new Date(item.at).toISOString() }), original);
  return x('message', { from: ROOM }, x('result', { xmlns: MAM, queryid: queryId, id: item.id }, forwarded));
}

function setUp(count: number, features = [MAM]) {
  const driver = createMemoryDriver();
  const host = { name: 'example', sessions: { ofUser: () => [] }, route: async () => {} } as unknown as Host;
  const mam = createMamApi(host, driver.archive('example', 'mam'), driver.keyval('example', 'mamPrefs'), {} as RosterApi);
  const archive = Array.from({ length: count }, (_, i) => ({ id: `r${i + 1}`, at: NOW - (count - i) * 60_000 }));
  const iq = { request: (stanza: Element) => room.request(stanza) } as unknown as IqApi;
  const log = { warn: () => {} } as unknown as Logger;
  const config = parseConfig({}, '/tmp').account_rooms;
  const service = new AccountRooms(host, config, { mam, iq }, driver.keyval('example', 'roomMemberships'), log);
  const room = new ScriptedRoom(archive, features, (queryId, message) => service.takeMamResult(queryId, message));
  const membership = new Membership('romeo', ROOM, 'Romeo');
  service.add(membership);
  const sent: Element[] = [];
  const session = { jid: parseJid('romeo@example/phone'), closed: false, state: {}, send: (el: Element) => void sent.push(el) } as unknown as Session;
  service.attach(membership, session);
  const archived = async () => (await mam.store.query('romeo', { with: ROOM })).items.map((item) => item.externalId);
  const remember = (id: string) => mam.append('romeo', x('message', { type: 'groupchat' }, x('body', {}, id)), { with: ROOM, externalId: id });
  return { service, room, membership, sent, archived, remember };
}

const bodies = (sent: Element[]) => sent.map((el) => el.getChildText('body'));

describe('rejoining', () => {
  it('asks for no history from a room with an archive, and history since the last message otherwise', async () => {
    const archived = setUp(3);
    Object.assign(archived.membership, { lastStanzaId: 'r2', lastReceived: NOW - 1000 });
    expect(await prepareRejoin(archived.service, archived.membership)).toBeUndefined();
    const plain = setUp(3, []);
    Object.assign(plain.membership, { lastStanzaId: 'r2', lastReceived: NOW - 1000 });
    expect((await prepareRejoin(plain.service, plain.membership))?.attrs.since).toBe(new Date(NOW - 1000).toISOString());
    await fillGap(plain.service, plain.membership);
    expect(plain.room.afters).toEqual([]);
  });
});

describe('filling the gap', () => {
  it('archives and forwards what the room archived after the last id, page by page, each once', async () => {
    const { service, room, membership, sent, archived, remember } = setUp(5);
    membership.lastStanzaId = 'r2';
    await remember('r4'); // arrived live while the gap was being filled
    await prepareRejoin(service, membership);
    await fillGap(service, membership);
    expect(room.afters).toEqual(['r2', 'r4']);
    expect(bodies(sent)).toEqual(['r3', 'r5']);
    expect(sent[0].attrs.to).toBe('romeo@example/phone');
    expect(sent[0].getChild('delay', 'urn:xmpp:delay')).toBeDefined();
    expect((await archived()).sort()).toEqual(['r3', 'r4', 'r5']);
    expect(membership.lastStanzaId).toBe('r5');
  });

  it('leaves the last id on a live message that came while filling', async () => {
    const { service, room, membership } = setUp(3);
    membership.lastStanzaId = 'r1';
    room.onQuery = () => void (membership.lastStanzaId = 'live');
    await prepareRejoin(service, membership);
    await fillGap(service, membership);
    expect(membership.lastStanzaId).toBe('live');
  });

  it('starts from the mark left when the s2s link dropped, behind a live message that came since', async () => {
    const { service, room, membership, sent, archived, remember } = setUp(5);
    membership.lastStanzaId = 'r2';
    markGapStart(membership);
    // r3 was lost in flight; r4 came live over a new link.
    await remember('r4');
    membership.lastStanzaId = 'r4';
    await catchUp(service, membership);
    expect(room.afters).toEqual(['r2', 'r4']);
    expect(bodies(sent)).toEqual(['r3', 'r5']);
    expect((await archived()).sort()).toEqual(['r3', 'r4', 'r5']);
    expect(membership.lastStanzaId).toBe('r5');
  });

  it('falls back to the time of the last message when the room lost its id', async () => {
    const { service, room, membership, sent, archived, remember } = setUp(12);
    Object.assign(membership, { lastStanzaId: 'expired', lastReceived: NOW - 30_000 });
    await remember('r9');
    await prepareRejoin(service, membership);
    await fillGap(service, membership);
    // From five minutes before that time (clock slack): r8, five minutes old, on; r9 was there already.
    expect(room.afters).toEqual(['expired', undefined, 'r9', 'r11']);
    expect(bodies(sent)).toEqual(['r8', 'r10', 'r11', 'r12']);
    expect((await archived()).sort()).toEqual(['r10', 'r11', 'r12', 'r8', 'r9']);
  });
});
