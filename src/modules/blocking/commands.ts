/**
 * The blocking command protocol: retrieving, extending and shrinking the
 * blocklist, pushing each change to the user's sessions that asked for the
 * list, and the presence side effects (a newly blocked contact sees the user
 * go offline; an unblocked one gets the user's current presence back).
 *
 * References: XEP-0191 §3.2 (retrieve), §3.3 (block), §3.4 (unblock),
 * §3.5 (unblock all); RFC 6121 §4.4.2 (who may receive presence).
 */
import { randomBytes } from 'node:crypto';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { InvalidJidError, parseJid, type JID } from '../../core/jid/jid.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload, iqResult } from '../../core/xml/stanza.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Host } from '../../core/host.js';
import { canonicalEntry, isBlockedBy, type Blocklists } from './blocklist.js';

declare module '../../core/session/session.js' {
  interface SessionState {
    /** Asked for the blocklist, so it gets pushes (XEP-0191 §3.3). */
    blocklistRequested?: boolean;
  }
}

/** The part of the roster document (from the roster module's `get`, or its store) read here. */
interface StoredRoster {
  items?: Record<string, { subscription?: string } | undefined>;
}

interface RosterReader {
  get(user: string): Promise<StoredRoster>;
}

const itemsOf = (entries: Iterable<string>) => [...entries].sort().map((jid) => x('item', { jid }));

export async function handleBlocklistGet({ stanza, origin, to }: StanzaEvent, lists: Blocklists): Promise<true> {
  const list = await lists.get(to.local!);
  if (origin) origin.state.blocklistRequested = true;
  origin?.send(iqResult(stanza, x('blocklist', { xmlns: NS.blocking }, ...itemsOf(list))));
  return true;
}

export async function handleBlock(event: StanzaEvent, lists: Blocklists): Promise<true> {
  const entries = requestedEntries(iqPayload(event.stanza));
  if (entries.length === 0) throw new StanzaError('bad-request', 'block needs at least one item');
  const user = event.to.local!;
  const { before } = await lists.update(user, (list) => entries.forEach((e) => list.add(e)));
  event.origin?.send(iqResult(event.stanza));
  push(event.host, user, x('block', { xmlns: NS.blocking }, ...itemsOf(entries)));
  const added = new Set(entries.filter((e) => !before.has(e)));
  await sendPresenceToContacts(event.host, user, (contact) => isBlockedBy(added, contact), () => x('presence', { type: 'unavailable' }));
  return true;
}

export async function handleUnblock(event: StanzaEvent, lists: Blocklists): Promise<true> {
  const entries = requestedEntries(iqPayload(event.stanza));
  const user = event.to.local!;
  // An empty unblock clears the whole list (XEP-0191 §3.5).
  const { before, after } = await lists.update(user, (list) => (entries.length === 0 ? list.clear() : entries.forEach((e) => list.delete(e))));
  event.origin?.send(iqResult(event.stanza));
  push(event.host, user, x('unblock', { xmlns: NS.blocking }, ...itemsOf(entries)));
  const removed = new Set([...before].filter((e) => !after.has(e)));
  const unblocked = (contact: JID) => isBlockedBy(removed, contact) && !isBlockedBy(after, contact);
  await sendPresenceToContacts(event.host, user, unblocked, (presence) => presence?.clone());
  return true;
}

/** The canonical `jid` of each `<item/>`; a malformed one fails the whole command. */
function requestedEntries(command: Element): string[] {
  const entries = new Set<string>();
  for (const item of command.getChildren('item')) {
    const jid = item.attrs.jid;
    if (!jid) throw new StanzaError('bad-request', 'item without jid');
    try {
      entries.add(canonicalEntry(jid));
    } catch (err) {
      if (err instanceof InvalidJidError) throw new StanzaError('jid-malformed', `${jid} is not a valid JID`);
      throw err;
    }
  }
  return [...entries];
}

/** Sends the change to every session of the user that requested the blocklist. */
function push(host: Host, user: string, change: Element): void {
  for (const session of host.sessions.ofUser(user)) {
    if (!session.state.blocklistRequested) continue;
    session.send(x('iq', { type: 'set', to: session.jid!.toString(), id: `push-${randomBytes(6).toString('hex')}` }, change));
  }
}

/**
 * From each available session of the user, sends `makePresence(session's
 * presence)` to every contact subscribed to the user's presence that
 * `affects` selects; only those contacts may receive presence at all.
 */
async function sendPresenceToContacts(
  host: Host,
  user: string,
  affects: (contact: JID) => boolean,
  makePresence: (current: Element | undefined) => Element | undefined,
): Promise<void> {
  const available = host.sessions.ofUser(user).filter((s) => s.presence !== undefined);
  if (available.length === 0) return;
  const contacts = (await subscribedContacts(host, user)).filter(affects);
  for (const contact of contacts) {
    for (const session of available) {
      const presence = makePresence(session.presence);
      if (!presence) continue;
      presence.attrs = { ...presence.attrs, from: session.jid!.toString(), to: contact.toString() };
      await host.route(presence);
    }
  }
}

/** Roster contacts with a subscription to the user's presence (`from` or `both`). */
async function subscribedContacts(host: Host, user: string): Promise<JID[]> {
  const api = host.modules.get('roster') as RosterReader | undefined;
  const roster =
    typeof api?.get === 'function' ? await api.get(user) : await host.server.storage.keyval<StoredRoster>(host.name, 'roster').get(user);
  const contacts: JID[] = [];
  for (const [jid, item] of Object.entries(roster?.items ?? {})) {
    if (item?.subscription !== 'from' && item?.subscription !== 'both') continue;
    try {
      contacts.push(parseJid(jid));
    } catch {
      // A malformed stored entry is not worth failing the command for.
    }
  }
  return contacts;
}
