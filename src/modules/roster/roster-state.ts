/**
 * The roster as plain data, with no I/O: the stored document, the checks a
 * client's roster set must pass, and the changes it makes. Every change bumps
 * the version, which doubles as the XEP-0237 `ver` string.
 *
 * References: RFC 6121 §2.1.2 (roster item attributes), §2.3.3 and §2.4.3
 * (roster set error cases), §2.5 (deleting an item), §2.6 and XEP-0237
 * (roster versioning).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  name?: string;
  subscription: Subscription;
  /** Pending outbound subscription request ("Pending Out"). */
  ask?: 'subscribe';
  /** The user pre-approved the contact's subscription (RFC 6121 §3.4). */
  approved?: boolean;
  groups: string[];
}

export interface RosterData {
  version: number;
  /** Items keyed by the contact's JID string. */
  items: Record<string, RosterItem>;
}

/** What a client asked for in a roster set, after parsing. */
export interface ItemUpdate {
  jid: string;
  name?: string;
  groups: string[];
  remove: boolean;
}

/** Longest accepted item name or group name, in characters (RFC 6121 §2.3.3 leaves the limit to us). */
export const MAX_NAME_LENGTH = 1023;
/** Roster size limit, a policy of ours so one account cannot grow its document without bound. */
export const MAX_ITEMS = 2000;

export function emptyRoster(): RosterData {
  return { version: 0, items: {} };
}

export function versionString(roster: RosterData): string {
  return String(roster.version);
}

/** Throws the stanza error RFC 6121 §2.3.3 names for a malformed update. */
export function checkUpdate(update: ItemUpdate): void {
  if (update.remove) return;
  if (update.name !== undefined && [...update.name].length > MAX_NAME_LENGTH) {
    throw new StanzaError('not-acceptable', 'item name too long');
  }
  const seen = new Set<string>();
  for (const group of update.groups) {
    if (group === '') throw new StanzaError('not-acceptable', 'empty group name');
    if ([...group].length > MAX_NAME_LENGTH) throw new StanzaError('not-acceptable', 'group name too long');
    if (seen.has(group)) throw new StanzaError('bad-request', 'duplicate group');
    seen.add(group);
  }
}

/**
 * The item a roster set makes: name and groups from the client, while the
 * subscription fields stay the server's to manage (RFC 6121 §2.1.2.5: a
 * client's `subscription`, `ask` and `approved` are ignored).
 */
export function editedItem(existing: RosterItem | undefined, update: ItemUpdate, itemCount: number): RosterItem {
  if (!existing && itemCount >= MAX_ITEMS) throw new StanzaError('policy-violation', 'roster is full');
  const item: RosterItem = { ...(existing ?? { subscription: 'none' }), groups: [...update.groups] };
  if (update.name !== undefined && update.name !== '') item.name = update.name;
  else delete item.name;
  return item;
}

/** Stores (or, given undefined, deletes) an item and bumps the version. */
export function storeItem(roster: RosterData, jid: string, item: RosterItem | undefined): void {
  if (item) roster.items[jid] = item;
  else delete roster.items[jid];
  roster.version++;
}

/** Items are equal when nothing a push would show differs. */
export function sameItem(a: RosterItem | undefined, b: RosterItem | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.name === b.name &&
    a.subscription === b.subscription &&
    a.ask === b.ask &&
    Boolean(a.approved) === Boolean(b.approved) &&
    a.groups.length === b.groups.length &&
    a.groups.every((g, i) => g === b.groups[i])
  );
}

export function hasFrom(item: RosterItem | undefined): boolean {
  return item?.subscription === 'from' || item?.subscription === 'both';
}

export function hasTo(item: RosterItem | undefined): boolean {
  return item?.subscription === 'to' || item?.subscription === 'both';
}

/** The subscription value for a pair of directions. */
export function subscriptionOf(to: boolean, from: boolean): Subscription {
  if (to) return from ? 'both' : 'to';
  return from ? 'from' : 'none';
}
