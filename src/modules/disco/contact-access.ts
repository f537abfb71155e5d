/**
 * Who may discover an account: the account itself and the contacts that have
 * a presence subscription to it (subscription `from` or `both` in the
 * account's roster). Anyone else is told `service-unavailable`, as if the
 * account did not exist (RFC 6121 §8.5.2 privacy; XEP-0030 §5).
 *
 * The roster module owns the subscription state: its exported `getItem` is
 * used when it is loaded; otherwise its `roster` keyval store is read
 * directly (same document shape), so disco does not depend on it.
 *
 * References: RFC 6121 §2.1.2.5 (subscription states), §8.5.2.
 */
import type { JID } from '../../core/jid/jid.js';
import type { Host } from '../../core/host.js';

/** The stored shape of the roster module's document, as far as we need it. */
interface StoredRoster {
  items?: Record<string, { subscription?: string } | undefined>;
}

/** The part of the roster module's exports used here. */
interface RosterLookup {
  getItem(user: string, jid: string): Promise<{ subscription?: string } | undefined>;
}

export async function contactSubscription(host: Host, user: string, contactBare: string): Promise<string> {
  const roster = host.modules.get('roster') as RosterLookup | undefined;
  if (typeof roster?.getItem === 'function') return (await roster.getItem(user, contactBare))?.subscription ?? 'none';
  const stored = await host.server.storage.keyval<StoredRoster>(host.name, 'roster').get(user);
  return stored?.items?.[contactBare]?.subscription ?? 'none';
}

/** The contact receives the account's presence (RFC 6121 §2.1.2.5: `from` or `both`). */
export async function isSubscribedTo(host: Host, user: string, contact: JID): Promise<boolean> {
  const subscription = await contactSubscription(host, user, contact.bareString());
  return subscription === 'from' || subscription === 'both';
}

/** The account itself, or a contact subscribed to its presence. */
export async function mayDiscoverAccount(host: Host, user: string, requester: JID): Promise<boolean> {
  if (requester.local === user && requester.domain === host.name) return true;
  return isSubscribedTo(host, user, requester);
}
