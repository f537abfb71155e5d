/**
 * Subscription stanzas between an account and a contact: the sender's host
 * updates the sender's roster and routes the stanza (outbound); the
 * recipient's host, reached through the router and later through s2s,
 * updates the recipient's roster and delivers it (inbound). Requests the
 * recipient has not answered are kept and shown again at each login.
 *
 * References: RFC 6121 §3.1 (requesting a subscription), §3.1.3 (keeping
 * pending requests), §3.1.5–3.1.6 (approval and its presence), §3.2
 * (cancelling), §3.3 (unsubscribing), §3.4 (pre-approval), Appendix A.
 */
import { Element, x } from '../../core/xml/element.js';
import type { JID } from '../../core/jid/jid.js';
import type { Host } from '../../core/host.js';
import type { Session } from '../../core/session/session.js';
import type { MapStore } from '../../core/storage/stores.js';
import { parseXml } from '../../core/xml/parse-one.js';
import type { RosterApi } from '../roster/api.js';
import { inbound, itemWithState, outbound, stateOf, type SubscriptionType, type Transition } from './subscription-state.js';
import { addressed, sendPresenceOf, sendUnavailableOf } from './broadcast.js';

export interface SubscriptionContext {
  host: Host;
  roster: RosterApi;
  /** Unanswered inbound requests: user → contact bare JID → the subscribe stanza's XML. */
  pending: MapStore<string>;
}

interface Step {
  before: Transition['next'];
  transition: Transition;
}

/**
 * Applies one transition to the account's item under its roster lock. The
 * pending request lives beside the roster, so it is read and written there
 * too; nothing is routed until the lock is released.
 */
async function step(
  ctx: SubscriptionContext,
  username: string,
  contact: string,
  decide: (state: Transition['next']) => Transition,
  pendingRequest?: Element,
): Promise<Step> {
  let result!: Step;
  await ctx.roster.update(username, contact, async (item) => {
    const pendingIn = (await ctx.pending.get(username, contact)) !== undefined;
    const before = stateOf(item, pendingIn);
    const transition = decide(before);
    if (pendingIn && !transition.next.pendingIn) await ctx.pending.delete(username, contact);
    if (!pendingIn && transition.next.pendingIn && pendingRequest) {
      await ctx.pending.set(username, contact, pendingRequest.toString());
    }
    result = { before, transition };
    return itemWithState(item, transition.next);
  });
  return result;
}

/** A client's subscription stanza, on its own host. Stanzas to the account itself are ignored. */
export async function handleOutbound(ctx: SubscriptionContext, stanza: Element, from: JID, to: JID, origin?: Session): Promise<void> {
  const type = stanza.attrs.type as SubscriptionType;
  const contact = to.bareString();
  if (contact === from.bareString()) return;
  const username = from.local!;
  const { before, transition } = await step(ctx, username, contact, (s) => outbound(type, s));
  if (transition.pass) await ctx.host.route(addressed(stanza, from.bareString(), contact), origin);
  // §3.1.5: the new subscriber learns the account's current presence.
  if (type === 'subscribed' && transition.pass) await sendPresenceOf(ctx.host, username, contact);
  // §3.2.2: a cancelled subscriber is told the account is gone.
  if (before.from && !transition.next.from) await sendUnavailableOf(ctx.host, username, contact);
}

/** A subscription stanza for a local account, on that account's host. */
export async function handleInbound(ctx: SubscriptionContext, stanza: Element, from: JID, to: JID): Promise<void> {
  const type = stanza.attrs.type as SubscriptionType;
  const contact = from.bareString();
  const account = to.bareString();
  if (contact === account || to.local === undefined) return;
  const { host } = ctx;
  const username = to.local;
  if (!(await host.server.accounts.exists(username, host.name))) {
    // RFC 6121 §8.5.1: a request for an account that does not exist is refused.
    if (type === 'subscribe') await host.route(x('presence', { type: 'unsubscribed', from: account, to: contact }));
    return;
  }
  const request = addressed(stanza, contact, account);
  const { before, transition } = await step(ctx, username, contact, (s) => inbound(type, s), request);
  if (transition.autoReply) {
    await host.route(x('presence', { type: 'subscribed', from: account, to: contact }));
    await sendPresenceOf(host, username, contact);
  }
  if (transition.pass) deliver(host, username, request, type === 'subscribe');
  if (before.from && !transition.next.from) await sendUnavailableOf(host, username, contact);
}

/**
 * A request goes to the available resources (and waits for the next login
 * otherwise); answers also reach resources that only fetched the roster.
 */
function deliver(host: Host, username: string, stanza: Element, availableOnly: boolean): void {
  for (const session of host.sessions.ofUser(username)) {
    if (session.presence !== undefined || (!availableOnly && session.interested)) session.send(stanza.clone());
  }
}

/** RFC 6121 §3.1.3: unanswered requests are shown again when a resource becomes available. */
export async function redeliverPending(ctx: SubscriptionContext, session: Session): Promise<void> {
  const requests = await ctx.pending.all(session.username!);
  for (const xml of requests.values()) {
    const request = parseXml(xml);
    if (request) session.send(request);
  }
}

/** Removing a contact from the roster also declines its unanswered request. */
export async function dropPending(ctx: SubscriptionContext, username: string, contact: string, declined: boolean): Promise<void> {
  if ((await ctx.pending.get(username, contact)) === undefined) return;
  await ctx.pending.delete(username, contact);
  if (declined) {
    await ctx.host.route(x('presence', { type: 'unsubscribed', from: `${username}@${ctx.host.name}`, to: contact }));
  }
}
