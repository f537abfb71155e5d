/**
 * Applying blocklists to traffic. Inbound (on the destination host): nothing
 * from a blocked JID reaches the user; messages and IQ get/set bounce with
 * `service-unavailable` so the user looks offline, presence is dropped
 * silently. Outbound (on the sender's host, `pre-*`): the user's own stanzas
 * to a blocked JID are refused with `not-acceptable` + `<blocked/>`.
 *
 * Senders on other servers never pass a `pre-*` event here, so their IQs
 * to a user's bare JID are checked on arrival (`s2s-stanza-in`); and the
 * server's own presence for a user to a blocked contact elsewhere is
 * stopped before it leaves (`route/remote`).
 *
 * References: XEP-0191 §3.3 (handling of inbound and outbound stanzas).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { Element } from '../../core/xml/element.js';
import type { JID } from '../../core/jid/jid.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Server } from '../../core/server.js';
import type { BlockingApi } from './index.js';

/** The blocking API of a local host, if that host loads the module. */
export function blockingOn(server: Server, domain: string): BlockingApi | undefined {
  return server.hosts.get(domain)?.modules.get('blocking') as BlockingApi | undefined;
}

export function blockedError(): StanzaError {
  return new StanzaError('not-acceptable', undefined, { type: 'cancel', appCondition: x('blocked', { xmlns: NS.blockingErrors }) });
}

function sameAccount(a: JID, b: JID): boolean {
  return a.local === b.local && a.domain === b.domain;
}

/** What happens to a stanza from a blocked sender: true = dropped; throws to bounce. */
function refuseInbound(stanza: Element): true {
  const type = stanza.attrs.type;
  const bounces =
    (stanza.name === 'message' && (type === undefined || type === 'normal' || type === 'chat')) ||
    (stanza.name === 'iq' && (type === 'get' || type === 'set'));
  if (bounces) throw new StanzaError('service-unavailable');
  return true;
}

/** Unavailable presence may always pass: it only ever makes the user look offline. */
function isUnavailable(stanza: Element): boolean {
  return stanza.name === 'presence' && stanza.attrs.type === 'unavailable';
}

/** Destination hook: the recipient blocked the sender. */
export async function checkInbound(event: StanzaEvent, api: BlockingApi): Promise<true | undefined> {
  const { from, to } = event;
  if (to.local === undefined || sameAccount(from, to)) return undefined;
  if (await api.isBlocked(to.local, from)) return refuseInbound(event.stanza);
  return undefined;
}

/**
 * Destination hook for presence: besides the recipient's list, a local
 * sender's own list, because presence broadcasts by the server never pass
 * through the sender's `pre-presence`.
 */
export async function checkPresence(event: StanzaEvent, api: BlockingApi): Promise<true | undefined> {
  if (await checkInbound(event, api)) return true;
  const { from, to, host } = event;
  if (from.local === undefined || sameAccount(from, to) || isUnavailable(event.stanza)) return undefined;
  const senderApi = blockingOn(host.server, from.domain);
  if (senderApi && (await senderApi.isBlocked(from.local, to))) return true;
  return undefined;
}

/** `pre-*` hook: the sender blocked the recipient. */
export async function checkOutbound(event: StanzaEvent, api: BlockingApi): Promise<undefined> {
  const { origin, from, to, stanza } = event;
  if (!origin || sameAccount(from, to) || isUnavailable(stanza)) return undefined;
  if (await api.isBlocked(from.local!, to)) throw blockedError();
  return undefined;
}

/**
 * `pre-iq/bare` hook: IQs to a bare JID are answered by modules on specific
 * `iq-get/bare/…` events, which fire before the generic `iq/bare` that the
 * inbound check hooks; so a local recipient's list is checked here too.
 */
export async function checkOutboundIqToBare(event: StanzaEvent, api: BlockingApi): Promise<true | undefined> {
  await checkOutbound(event, api);
  const recipientApi = blockingOn(event.host.server, event.to.domain);
  return recipientApi ? checkInbound(event, recipientApi) : undefined;
}

/**
 * `s2s-stanza-in`: a stanza from another server. Messages, presence and IQs
 * to full JIDs meet `checkInbound` on their destination events; IQ get/set
 * to a bare JID are answered by `iq-get/bare/…` handlers before `iq/bare`
 * fires, and the sender's `pre-iq` ran on its own server, so the
 * recipient's list is checked here.
 */
export async function checkRemoteIqToBare(event: StanzaEvent, api: BlockingApi): Promise<true | undefined> {
  const { stanza, to } = event;
  if (stanza.name !== 'iq' || to.local === undefined || to.resource !== undefined) return undefined;
  return checkInbound(event, api);
}

/**
 * `route/remote`: presence the server sends on a user's behalf (broadcasts,
 * probes) never passes the user's `pre-presence`, and the destination's
 * checks belong to the other server; so the user's own list stops it here,
 * as `checkPresence` does for local contacts.
 */
export async function checkPresenceToRemote(event: StanzaEvent, api: BlockingApi): Promise<true | undefined> {
  const { stanza, from, to, host } = event;
  if (stanza.name !== 'presence' || from.local === undefined || from.domain !== host.name || isUnavailable(stanza)) return undefined;
  return (await api.isBlocked(from.local, to)) ? true : undefined;
}
