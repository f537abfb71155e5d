/**
 * The presence subscription state machine as pure functions: for each
 * subscription stanza, whether the server passes it on and the state that
 * follows, on the sender's side (outbound) and on the recipient's side
 * (inbound). States are seen from the account whose roster holds the item.
 *
 * References: RFC 6121 Appendix A (subscription states, A.2 outbound and A.3
 * inbound tables), §3.1.3 (auto-reply when already subscribed), §3.4
 * (pre-approval).
 */
import { subscriptionOf, type RosterItem } from '../roster/roster-state.js';

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export function isSubscriptionType(type: string | undefined): type is SubscriptionType {
  return type !== undefined && SUBSCRIPTION_TYPES.has(type);
}

export interface SubscriptionState {
  /** The account receives the contact's presence. */
  to: boolean;
  /** The contact receives the account's presence. */
  from: boolean;
  /** The account asked for the contact's presence ("Pending Out"). */
  pendingOut: boolean;
  /** The contact asked for the account's presence ("Pending In"). */
  pendingIn: boolean;
  /** The account pre-approved a request from the contact. */
  approved: boolean;
}

export interface Transition {
  /** Outbound: route the stanza to the contact. Inbound: deliver it to the account. */
  pass: boolean;
  next: SubscriptionState;
  /** Inbound subscribe answered by the server on the account's behalf. */
  autoReply?: 'subscribed';
}

export const NO_SUBSCRIPTION: SubscriptionState = { to: false, from: false, pendingOut: false, pendingIn: false, approved: false };

export function stateOf(item: RosterItem | undefined, pendingIn: boolean): SubscriptionState {
  const sub = item?.subscription ?? 'none';
  return {
    to: sub === 'to' || sub === 'both',
    from: sub === 'from' || sub === 'both',
    pendingOut: item?.ask === 'subscribe',
    pendingIn,
    approved: item?.approved === true,
  };
}

/**
 * The roster item for a state: the existing item with its subscription
 * fields replaced. An item is only created when the state is worth
 * remembering; a bare "Pending In" lives outside the roster.
 */
export function itemWithState(item: RosterItem | undefined, state: SubscriptionState): RosterItem | undefined {
  if (!item && !state.to && !state.from && !state.pendingOut && !state.approved) return undefined;
  const next: RosterItem = { ...(item ?? { groups: [] }), subscription: subscriptionOf(state.to, state.from) };
  if (state.pendingOut) next.ask = 'subscribe';
  else delete next.ask;
  if (state.approved) next.approved = true;
  else delete next.approved;
  return next;
}

/** The account sends a subscription stanza to the contact (RFC 6121 A.2). */
export function outbound(type: SubscriptionType, s: SubscriptionState): Transition {
  switch (type) {
    case 'subscribe':
      // A.2.1: always routed; Pending Out unless already subscribed.
      return { pass: true, next: { ...s, pendingOut: s.pendingOut || !s.to } };
    case 'unsubscribe':
      // A.2.2: always routed; the "to" direction and any request end.
      return { pass: true, next: { ...s, to: false, pendingOut: false } };
    case 'subscribed':
      // A.2.3: approves a pending request; otherwise §3.4 pre-approval.
      if (s.pendingIn) return { pass: true, next: { ...s, from: true, pendingIn: false, approved: false } };
      if (!s.from) return { pass: false, next: { ...s, approved: true } };
      return { pass: false, next: s };
    case 'unsubscribed':
      // A.2.4: denies a request or cancels "from"; also cancels a pre-approval.
      if (s.pendingIn || s.from) return { pass: true, next: { ...s, from: false, pendingIn: false, approved: false } };
      return { pass: false, next: { ...s, approved: false } };
  }
}

/** The account receives a subscription stanza from the contact (RFC 6121 A.3). */
export function inbound(type: SubscriptionType, s: SubscriptionState): Transition {
  switch (type) {
    case 'subscribe':
      // §3.1.3: already subscribed or pre-approved means the server answers.
      if (s.from) return { pass: false, next: s, autoReply: 'subscribed' };
      if (s.approved) return { pass: false, next: { ...s, from: true, approved: false }, autoReply: 'subscribed' };
      // A.3.1: a repeated request is not delivered again.
      if (s.pendingIn) return { pass: false, next: s };
      return { pass: true, next: { ...s, pendingIn: true } };
    case 'unsubscribe':
      // A.3.2: the contact stops (or withdraws its request for) the account's presence.
      if (s.pendingIn || s.from) return { pass: true, next: { ...s, from: false, pendingIn: false } };
      return { pass: false, next: s };
    case 'subscribed':
      // A.3.3: only an approval the account asked for counts.
      if (s.pendingOut) return { pass: true, next: { ...s, to: true, pendingOut: false } };
      return { pass: false, next: s };
    case 'unsubscribed':
      // A.3.4: a denial or cancellation of the account's subscription.
      if (s.pendingOut || s.to) return { pass: true, next: { ...s, to: false, pendingOut: false } };
      return { pass: false, next: s };
  }
}
