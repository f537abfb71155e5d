/**
 * A session's own presence: initial presence (probes, broadcast, the
 * account's other resources), later updates, and unavailable presence when
 * the session says so or goes away.
 *
 * References: RFC 6121 §4.2 (initial presence), §4.3.1 (the server sends
 * probes), §4.4 (subsequent presence broadcast), §4.5 (unavailable
 * presence), §4.6.3 (unavailable to directed-presence targets), §4.7.2.3
 * (priority range).
 */
import { Element, x } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { Session } from '../../core/session/session.js';
import type { RosterApi } from '../roster/api.js';
import { hasFrom, hasTo } from '../roster/roster-state.js';
import { takeDirected } from './session-state.js';

/** A copy of a presence stanza with new addresses. */
export function addressed(stanza: Element, from: string, to: string): Element {
  const copy = stanza.clone();
  copy.attrs.from = from;
  copy.attrs.to = to;
  return copy;
}

/** `<priority/>` as an integer in -128..127; absent or unreadable means 0. */
export function priorityOf(stanza: Element): number {
  const text = stanza.getChildText('priority')?.trim();
  if (!text || !/^[+-]?\d+$/.test(text)) return 0;
  return Math.max(-128, Math.min(127, Number.parseInt(text, 10)));
}

/** Roster JIDs by direction: who gets the account's presence, and whose the account gets. */
async function contacts(roster: RosterApi, username: string): Promise<{ subscribers: string[]; subscriptions: string[] }> {
  const { items } = await roster.get(username);
  const jids = Object.keys(items);
  return {
    subscribers: jids.filter((jid) => hasFrom(items[jid])),
    subscriptions: jids.filter((jid) => hasTo(items[jid])),
  };
}

function availableSessions(host: Host, username: string): Session[] {
  return host.sessions.ofUser(username).filter((s) => s.presence !== undefined);
}

/**
 * An available presence without `to`. The first one from a session is its
 * initial presence: the server also probes the contacts it is subscribed to
 * and shows the new session its account's other resources.
 */
export async function broadcastAvailable(host: Host, session: Session, stanza: Element, roster: RosterApi): Promise<void> {
  const initial = session.presence === undefined;
  const stored = stanza.clone();
  delete stored.attrs.to;
  session.presence = stored;
  session.priority = priorityOf(stanza);
  const username = session.username!;
  const full = session.jid!.toString();
  const { subscribers, subscriptions } = await contacts(roster, username);
  if (initial) {
    const bare = session.jid!.bareString();
    for (const jid of subscriptions) await host.route(x('presence', { type: 'probe', from: bare, to: jid }));
  }
  for (const jid of subscribers) await host.route(addressed(stanza, full, jid));
  // RFC 6121 §4.2.2 and §4.4.2: every available resource of the account,
  // the sender included, sees the presence.
  for (const other of availableSessions(host, username)) other.send(addressed(stanza, full, other.jid!.toString()));
  if (!initial) return;
  for (const other of availableSessions(host, username)) {
    if (other !== session) session.send(addressed(other.presence!, other.jid!.toString(), full));
  }
  await host.bus.fire('initial-presence', { session });
}

/**
 * Unavailable presence from a session: to subscribers and the account's
 * other resources if it was available, and to everyone it sent directed
 * presence to. Each target gets it once.
 */
export async function broadcastUnavailable(host: Host, session: Session, stanza: Element, roster: RosterApi): Promise<void> {
  const wasAvailable = session.presence !== undefined;
  // Cleared first so a racing unbind does not announce the same departure twice.
  session.presence = undefined;
  const username = session.username!;
  const full = session.jid!.toString();
  const targets = new Set<string>();
  if (wasAvailable) for (const jid of (await contacts(roster, username)).subscribers) targets.add(jid);
  for (const jid of takeDirected(session)) targets.add(jid);
  for (const jid of targets) await host.route(addressed(stanza, full, jid));
  if (!wasAvailable) return;
  for (const other of availableSessions(host, username)) {
    if (other !== session) other.send(addressed(stanza, full, other.jid!.toString()));
  }
}

/**
 * Current presence of each available resource of the account, sent to `to`;
 * with `unavailableWhenNone` (a probe answer, RFC 6121 §4.3.2) an account
 * with no available resource answers unavailable.
 */
export async function sendPresenceOf(
  host: Host,
  username: string,
  to: string,
  options: { resource?: string; unavailableWhenNone?: boolean } = {},
): Promise<void> {
  let sessions = availableSessions(host, username);
  if (options.resource !== undefined) sessions = sessions.filter((s) => s.jid!.resource === options.resource);
  for (const session of sessions) await host.route(addressed(session.presence!, session.jid!.toString(), to));
  if (sessions.length === 0 && options.unavailableWhenNone) {
    const from = `${username}@${host.name}` + (options.resource === undefined ? '' : `/${options.resource}`);
    await host.route(x('presence', { type: 'unavailable', from, to }));
  }
}

/** Unavailable presence from each available resource of the account, sent to `to`. */
export async function sendUnavailableOf(host: Host, username: string, to: string): Promise<void> {
  for (const session of availableSessions(host, username)) {
    await host.route(x('presence', { type: 'unavailable', from: session.jid!.toString(), to }));
  }
}
