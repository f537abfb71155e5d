/**
 * Liveness of remote memberships against a scripted room: what each
 * self-ping answer leads to (verified, rejoin, try again later), rooms
 * checked after a silence, the account's room traffic that s2s cannot
 * deliver (kept, never bounced, sent once the room answers again; joins
 * and IQs left to bounce), and a quiet rejoin that keeps trying while the
 * room's server is unreachable.
 *
 * References: account-rooms spec, "Durability", "Traffic from the room"
 * (332 and remote restarts not final); XEP-0410 §3.2; RFC 6120 §8.3.3.15.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import { parseJid } from '../../core/jid/jid.js';
import { parseConfig } from '../../core/config/config.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { Host } from '../../core/host.js';
import type { Logger } from '../../core/log.js';
import { createMemoryDriver } from '../../storage/memory/index.js';
import type { MamApi } from '../mam/index.js';
import type { IqApi } from '../iq/index.js';
import type { S2sUndeliverableEvent } from '../s2s/events.js';
import { MUC_NS } from '../muc/ns.js';
import { AccountRooms } from './service.js';
import { Membership } from './membership.js';
import { linkDown, startSilenceChecks, undeliverable } from './liveness.js';
import { joinFailed } from './join-outcome.js';

const ROOM = 'garden@rooms.elsewhere';
const ACCOUNT = 'romeo@example';

const error = (condition: string) => x('iq', { type: 'error' }, x('error', { type: 'cancel' }, x(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));

/** A joined membership of a remote room; `answer` scripts the room's answers to self-pings. */
function setUp(answer: (ping: Element) => Element) {
  const driver = createMemoryDriver();
  const routed: Element[] = [];
  const pings: Element[] = [];
  const host = { name: 'example', server: { hosts: new Map() }, route: async (el: Element) => void routed.push(el) } as unknown as Host;
  const iq = {
    request: async (stanza: Element) => {
      const payload = stanza.elements()[0]!;
      if (payload.name !== 'ping') return x('iq', { type: 'result' }, x('query', { xmlns: payload.attrs.xmlns }));
      pings.push(stanza);
      return answer(stanza);
    },
  } as unknown as IqApi;
  const log = { warn: () => {}, debug: () => {} } as unknown as Logger;
  const config = parseConfig({}, '/tmp').account_rooms;
  const service = new AccountRooms(host, config, { mam: {} as MamApi, iq }, driver.keyval('example', 'roomMemberships'), log);
  const membership = new Membership('romeo', ROOM, 'Romeo');
  membership.state = 'joined';
  service.add(membership);
  return { service, membership, routed, pings };
}

function undelivered(stanza: Element): S2sUndeliverableEvent {
  const error = new StanzaError('remote-server-not-found');
  const [from, to] = [parseJid(stanza.attrs.from!), parseJid(stanza.attrs.to!)];
  return { host: {} as Host, stanza, from, to, localDomain: 'example', remoteDomain: 'rooms.elsewhere', error };
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('checking a remote room when the link to its server drops', () => {
  it('self-pings the occupant JID as the account; a result verifies the membership', async () => {
    const { service, membership, pings } = setUp(() => x('iq', { type: 'result' }));
    linkDown(service, 'rooms.elsewhere');
    await vi.advanceTimersByTimeAsync(1);
    expect(pings.map((p) => [p.attrs.from, p.attrs.to, p.attrs.type])).toEqual([[ACCOUNT, `${ROOM}/Romeo`, 'get']]);
    expect(Date.now() - membership.lastVerified).toBeLessThan(100);
    expect(membership.state).toBe('joined');
  });

  it('ignores links to other domains, and links this server closed for idleness', async () => {
    const { service, pings } = setUp(() => x('iq', { type: 'result' }));
    linkDown(service, 'elsewhere');
    linkDown(service, 'rooms.elsewhere', 'idle');
    await vi.advanceTimersByTimeAsync(10);
    expect(pings).toEqual([]);
  });

  it('tries again later while the server cannot be reached, with growing delays', async () => {
    let answers = 0;
    const { service, membership, pings } = setUp(() => (++answers < 3 ? error('remote-server-not-found') : x('iq', { type: 'result' })));
    linkDown(service, 'rooms.elsewhere');
    await vi.advanceTimersByTimeAsync(1);
    expect(pings.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(pings.length).toBe(2);
    await vi.advanceTimersByTimeAsync(1500);
    expect(pings.length).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect([pings.length, membership.state, membership.lastVerified > 0]).toEqual([3, 'joined', true]);
  });

  it.each(['not-acceptable', 'item-not-found', 'not-allowed'])('rejoins quietly when the answer is %s', async (condition) => {
    const { service, membership } = setUp(() => error(condition));
    linkDown(service, 'rooms.elsewhere');
    await vi.advanceTimersByTimeAsync(1);
    expect([membership.state, membership.silentRejoin]).toEqual(['joining', true]);
  });

  it('counts an occupant whose client does not answer pings as joined', async () => {
    const { service, membership } = setUp(() => error('service-unavailable'));
    linkDown(service, 'rooms.elsewhere');
    await vi.advanceTimersByTimeAsync(1);
    expect([membership.state, membership.silentRejoin]).toEqual(['joined', false]);
  });
});

describe('a room silent for liveness_check seconds', () => {
  it('is self-pinged when on another server; rooms on this server are not', async () => {
    const { service, membership, pings } = setUp(() => x('iq', { type: 'result' }));
    const local = new Membership('romeo', 'hall@rooms.example', 'Romeo');
    local.state = 'joined';
    service.add(local);
    (service.host.server.hosts as Map<string, unknown>).set('rooms.example', {});
    service.config.liveness_check = 60;
    membership.lastVerified = local.lastVerified = Date.now();
    const stop = startSilenceChecks(service);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(pings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1001);
    expect(pings.map((p) => p.attrs.to)).toEqual([`${ROOM}/Romeo`]);
    stop();
  });
});

describe('room traffic s2s cannot deliver', () => {
  it('keeps messages without a bounce and sends them once the room answers again', async () => {
    let reachable = false;
    const { service, membership, routed } = setUp(() => (reachable ? x('iq', { type: 'result' }) : error('remote-server-timeout')));
    const message = x('message', { from: ACCOUNT, to: ROOM, type: 'groupchat', id: 'm1' }, x('body', {}, 'hello'));
    expect(undeliverable(service, undelivered(message))).toBe(true);
    expect(membership.retryAfterRejoin).toEqual([message]);
    await vi.advanceTimersByTimeAsync(1);
    expect(routed).toEqual([]);
    reachable = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(routed.map((el) => el.getChildText('body'))).toEqual(['hello']);
    expect(membership.retryAfterRejoin).toEqual([]);
  });

  it('takes presence updates, and lets joins and IQs bounce to whoever waits for them', () => {
    const { service } = setUp(() => x('iq', { type: 'result' }));
    const update = x('presence', { from: ACCOUNT, to: `${ROOM}/Romeo` }, x('show', {}, 'away'));
    const join = x('presence', { from: ACCOUNT, to: `${ROOM}/Romeo` }, x('x', { xmlns: MUC_NS.muc }));
    const query = x('iq', { from: ACCOUNT, to: ROOM, type: 'get', id: 'q1' }, x('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    expect([update, join, query].map((stanza) => undeliverable(service, undelivered(stanza)))).toEqual([true, undefined, undefined]);
  });

  it("leaves stanzas that are not the account's room traffic alone", () => {
    const { service } = setUp(() => x('iq', { type: 'result' }));
    const fromSession = x('message', { from: `${ACCOUNT}/phone`, to: ROOM, type: 'groupchat' }, x('body', {}, 'plain'));
    const elsewhere = x('message', { from: ACCOUNT, to: 'juliet@elsewhere', type: 'chat' }, x('body', {}, 'hi'));
    expect([fromSession, elsewhere].map((stanza) => undeliverable(service, undelivered(stanza)))).toEqual([undefined, undefined]);
  });
});

describe('a quiet rejoin the room does not answer', () => {
  const refusal = (condition: string) => x('presence', { from: `${ROOM}/Romeo`, to: ACCOUNT, type: 'error' }, x('error', { type: 'cancel' }, x(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));

  it('keeps trying while the room server cannot be reached, however long', async () => {
    const { service, membership } = setUp(() => x('iq', { type: 'result' }));
    Object.assign(membership, { state: 'joining', silentRejoin: true, rejoinAttempts: 12 });
    await joinFailed(service, membership, refusal('remote-server-not-found'));
    expect(service.get('romeo', ROOM)).toBe(membership);
    expect([membership.state, membership.silentRejoin, membership.rejoinAttempts]).toEqual(['joining', true, 13]);
  });

  it('gives up after a few attempts when the room itself refuses', async () => {
    const { service, membership } = setUp(() => x('iq', { type: 'result' }));
    Object.assign(membership, { state: 'joining', silentRejoin: true, rejoinAttempts: 4 });
    await joinFailed(service, membership, refusal('service-unavailable'));
    expect(service.get('romeo', ROOM)).toBeUndefined();
  });
});
