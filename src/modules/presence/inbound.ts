/**
 * Presence arriving for a local account: probes are answered for
 * subscribers, subscription stanzas go to the state machine, and the rest
 * (available, unavailable, error) is delivered to the account's available
 * resources, or to the one addressed.
 *
 * References: RFC 6121 §4.3.2 (inbound probes), §8.5.2.1.2 and §8.5.3.1
 * (presence to a bare or full JID of a local account), §3.1.3 (a
 * subscription stanza to a full JID is treated as to the bare JID).
 */
import { x } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { hasFrom } from '../roster/roster-state.js';
import { sendPresenceOf } from './broadcast.js';
import { isSubscriptionType } from './subscription-state.js';
import { handleInbound, type SubscriptionContext } from './subscriptions.js';

/**
 * RFC 6121 §4.3.2: only a subscriber (or the account itself) learns the
 * account's presence; anyone else is told it holds no subscription.
 */
async function answerProbe(ctx: SubscriptionContext, { from, to }: StanzaEvent): Promise<void> {
  const { host, roster } = ctx;
  const username = to.local!;
  const prober = from.bareString();
  const account = to.bareString();
  if (prober !== account) {
    const exists = await host.server.accounts.exists(username, host.name);
    if (!exists || !hasFrom(await roster.getItem(username, prober))) {
      await host.route(x('presence', { type: 'unsubscribed', from: account, to: prober }));
      return;
    }
  }
  await sendPresenceOf(host, username, from.toString(), { resource: to.resource, unavailableWhenNone: true });
}

/** Handles `presence/bare` and `presence/full` for local accounts. */
export async function handlePresenceForAccount(ctx: SubscriptionContext, event: StanzaEvent): Promise<boolean> {
  const { stanza, from, to, host } = event;
  if (to.local === undefined) return false;
  const type = stanza.attrs.type;
  if (isSubscriptionType(type)) {
    await handleInbound(ctx, stanza, from, to.bare());
    return true;
  }
  if (type === 'probe') {
    await answerProbe(ctx, event);
    return true;
  }
  if (to.resource !== undefined) {
    host.sessions.get(to.local, to.resource)?.send(stanza);
    return true;
  }
  for (const session of host.sessions.ofUser(to.local)) {
    if (session.presence !== undefined) session.send(stanza.clone());
  }
  return true;
}
