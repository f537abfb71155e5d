/**
 * Presence: a session's broadcast presence (initial, updates, unavailable),
 * directed presence and the unavailable owed to its targets, probes, and the
 * subscription handshake on both the sender's and the recipient's host.
 *
 * References: RFC 6121 §3 (subscriptions), §4 (exchanging presence
 * information), §4.7.1 (presence types; an unknown one is a bad-request).
 */
import './session-state.js';
import '../roster/events.js';
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import { x, type Element } from '../../core/xml/element.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { parseJid } from '../../core/jid/jid.js';
import { hasFrom } from '../roster/roster-state.js';
import { broadcastAvailable, broadcastUnavailable } from './broadcast.js';
import { handlePresenceForAccount } from './inbound.js';
import { forgetDirected, rememberDirected } from './session-state.js';
import { isSubscriptionType } from './subscription-state.js';
import { dropPending, handleOutbound, redeliverPending, type SubscriptionContext } from './subscriptions.js';

const PRESENCE_TYPES = new Set(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']);

type Stores = { pending: 'map' };
type Presence = ModuleInstance<Stores, undefined>;

function context(mod: Presence): SubscriptionContext {
  return { host: mod.host, roster: mod.dep('roster'), pending: mod.stores.pending };
}

function checkType(stanza: Element): void {
  const type = stanza.attrs.type;
  if (type !== undefined && !PRESENCE_TYPES.has(type)) throw new StanzaError('bad-request', `unknown presence type ${type}`);
}

/** Presence without `to`: the session's own availability. */
async function handleOwnPresence({ stanza, origin, host }: StanzaEvent, mod: Presence): Promise<boolean> {
  if (!origin?.jid) return true;
  const type = stanza.attrs.type;
  if (type === undefined) await broadcastAvailable(host, origin, stanza, mod.dep('roster'));
  else if (type === 'unavailable') await broadcastUnavailable(host, origin, stanza, mod.dep('roster'));
  // Other types need an addressee; without one there is nothing to do.
  return true;
}

/**
 * A client's presence with `to`: subscription stanzas go through the state
 * machine; directed presence is routed as is and remembered (RFC 6121 §4.6).
 */
async function handleAddressedPresence(event: StanzaEvent, mod: Presence): Promise<boolean | undefined> {
  const { stanza, origin, from, to } = event;
  checkType(stanza);
  const type = stanza.attrs.type;
  if (isSubscriptionType(type)) {
    await handleOutbound(context(mod), stanza, from, to, origin);
    return true;
  }
  if (origin && to.bareString() !== from.bareString()) {
    if (type === undefined) rememberDirected(origin, to.toString());
    else if (type === 'unavailable') forgetDirected(origin, to.toString());
  }
  return undefined;
}

export default defineModule({
  name: 'presence',
  depends: ['roster'],
  stores: { pending: 'map' } as Stores,
  hooks: {
    'pre-presence/self': ({ stanza }) => checkType(stanza),
    'pre-presence/host': ({ stanza }) => checkType(stanza),
    'pre-presence/bare': handleAddressedPresence,
    'pre-presence/full': handleAddressedPresence,
    'presence/self': handleOwnPresence,
    'presence/bare': (event, mod) => handlePresenceForAccount(context(mod), event),
    'presence/full': (event, mod) => handlePresenceForAccount(context(mod), event),
    'resource-unbind': async ({ session }, mod) => {
      if (session.presence === undefined && !session.state.directedPresence?.size) return;
      const stanza = x('presence', { type: 'unavailable', from: session.jid!.toString() });
      await broadcastUnavailable(mod.host, session, stanza, mod.dep('roster'));
    },
    'initial-presence': ({ session }, mod) => redeliverPending(context(mod), session),
    'roster-item-removed': ({ username, jid, item }, mod) =>
      dropPending(context(mod), username, parseJid(jid).bareString(), !hasFrom(item)),
    'user-deleted': async ({ username }, mod) => {
      await mod.stores.pending.deleteAll(username);
    },
  },
});
