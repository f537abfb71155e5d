/**
 * The last room messages of a membership, kept in memory so a later
 * session's default history (20 messages) needs no archive query. It mirrors
 * the newest end of the account's archive for the room: filled from the
 * archive at the first live message or first use (after a join, a
 * restart), then every live room message as it is archived. Whatever
 * reaches the archive otherwise (the room's history on a join, a gap fill)
 * empties it, and the next live message or use fills it again. A request it
 * cannot answer exactly (more messages than it holds, or time limits
 * reaching past its oldest message) goes to the archive.
 *
 * Memory: up to `capacity` entries per membership, each with the archive
 * id. A live message from a local room is held as the room sent it: its
 * children are shared by every occupant's copy, so an entry costs about
 * 0.5 KiB of its own. Others (a remote room's, or filled from the archive)
 * are held as text, about 0.5 KiB each for a short message. History forms
 * are built per join and not kept.
 *
 * References: XEP-0045 §7.2.15 (history limits combine); XEP-0203 (delay);
 * account-rooms spec, "Session joins a room" 2.
 */
import { Element, serialize, x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';
import type { ArchiveItem } from '../../core/storage/stores.js';
import { selectHistory, type HistoryEntry, type HistoryRequest } from '../muc/history.js';
import { MUC_NS } from '../muc/ns.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';

/** Archived with the room's JID as `with` but not room history (private messages and the like). */
export const NOT_HISTORY_TYPES = ['chat', 'normal', 'headline', 'error'];

/** What history is shown as: from the room, to the account, with the account's archive id. */
export interface HistoryContext {
  room: string;
  account: string;
  /** The copy the joined sessions got of a live message (the archive's stanza-id added). */
  withId(message: Element, id: string): Element;
}

interface Recent {
  id: string;
  /** When archived (a live message) or its stored time. */
  at: number;
  /** Archived as it arrived: `at` is when it was archived, so nothing older in the archive is newer. */
  live: boolean;
  /** A live message as the room sent it. */
  message?: Element;
  /** A message filled from the archive: its stored stanza. */
  payload?: string;
}

export class RecentHistory {
  private entries: Recent[] = [];
  /** Until filled from the archive nothing is answered from memory. */
  loaded = false;
  /** The entries are all the room history the archive holds. */
  private complete = false;
  /** Counts changes, so a fill that raced with one is not kept. */
  version = 0;
  /** A fill from the archive is under way. */
  filling = false;

  /** `capacity`: the room's default history, what most joins ask for. */
  constructor(readonly capacity: number) {}

  /** A live groupchat message as the room sent it, archived at `at` under `id`. */
  add(message: Element, id: string, at: number): void {
    this.version++;
    if (!this.loaded) return;
    // A local room's copies share their children, held once for all its occupants; a copy that is
    // this account's alone (from a remote room) is held as text, a fifth of its size as elements.
    const shared = Object.isFrozen(message.children);
    this.entries.push(shared ? { id, at, live: true, message } : { id, at, live: true, payload: flat(serialize(message)) });
    if (this.entries.length <= this.capacity) return;
    this.entries.shift();
    this.complete = false;
  }

  /** Something reached the archive out of order: fill again on next use. */
  drop(): void {
    this.version++;
    this.loaded = false;
    this.complete = false;
    this.entries = [];
  }

  /** Fills from the archive's newest room messages (oldest first), unless the history changed since `version`. */
  fill(items: readonly ArchiveItem[], complete: boolean, version: number): void {
    if (version !== this.version) return;
    const groupchat = items.filter((item) => item.type === 'groupchat');
    this.entries = groupchat.slice(-this.capacity).map((item) => ({ id: item.id, at: item.when, live: false, payload: item.payload }));
    this.loaded = true;
    this.complete = complete;
  }

  /** The history the archive would give for this request, or undefined when memory cannot say. */
  select(wanted: HistoryRequest, context: HistoryContext, now = new Date()): Element[] | undefined {
    if (!this.loaded) return undefined;
    const held: (HistoryEntry & { live: boolean })[] = [];
    for (const entry of this.entries) {
      const stanza = historyForm(entry, context);
      if (stanza) held.push({ stanza, at: new Date(entry.at), live: entry.live });
    }
    const inTime = selectHistory(held, { seconds: wanted.seconds, since: wanted.since }, now);
    const chosen = selectHistory(inTime, { maxstanzas: wanted.maxstanzas, maxchars: wanted.maxchars });
    const oldest = held[0];
    const covered =
      this.complete ||
      // Cut inside memory by a count or size limit: older messages would not have been taken either.
      chosen.length < inTime.length ||
      (wanted.maxstanzas !== undefined && chosen.length === wanted.maxstanzas) ||
      // The oldest held message is too old and was archived live: everything before it is older still.
      (oldest !== undefined && oldest.live && inTime[0] !== oldest);
    return covered ? chosen.map((entry) => entry.stanza) : undefined;
  }
}

/**
 * Fills a membership's recent history from the account's archive: its
 * newest room messages (the room's history types only). A fill that raced
 * with a change is dropped; the next use starts another.
 */
export async function fillRecent(service: AccountRooms, membership: Membership): Promise<void> {
  const { recent } = membership.view;
  if (recent.filling) return;
  recent.filling = true;
  try {
    const version = recent.version;
    const query = { with: membership.room, excludeTypes: NOT_HISTORY_TYPES, limit: recent.capacity, reverse: true };
    const page = await service.deps.mam.store.query(membership.username, query);
    recent.fill(page.items, page.complete, version);
  } finally {
    recent.filling = false;
  }
}

/** An entry as history from the archive shows it: addressed to the room, with the archive's stanza-id and delay. */
function historyForm(entry: Recent, context: HistoryContext): Element | undefined {
  const { room, account } = context;
  if (entry.payload !== undefined) return historyFromItem({ id: entry.id, when: entry.at, with: room, payload: entry.payload, type: 'groupchat' }, room, account);
  const copy = context.withId(entry.message!, entry.id);
  const delay = x('delay', { xmlns: NS.delay, from: room, stamp: new Date(entry.at).toISOString() });
  return new Element(copy.name, { ...copy.attrs, to: room }, [...copy.children, delay]);
}

/** The same text, stored in one piece: reading a character makes V8 flatten a concatenation (measured: 1.5 KB → 0.45 KB for a message). */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** An archived room message as history: the stored stanza with the archive's stanza-id and delay. */
export function historyFromItem(item: ArchiveItem, room: string, account: string): Element | undefined {
  if (item.type !== 'groupchat') return undefined;
  const stored = parseXml(item.payload);
  if (!stored || (stored.getChild('subject') && !stored.getChild('body'))) return undefined;
  delete stored.attrs.xmlns;
  stored.attrs.to = room;
  stored.append(x('stanza-id', { xmlns: MUC_NS.stanzaId, by: account, id: item.id }));
  stored.append(x('delay', { xmlns: NS.delay, from: room, stamp: new Date(item.when).toISOString() }));
  return stored;
}
