/**
 * The last room messages of a membership, kept in memory so a later
 * session's default history (20 messages) needs no archive query. It mirrors
 * the newest end of the account's archive for the room: filled from the
 * archive at the first live message or first use (after a join, a restart),
 * then every live room message as it is archived. Whatever reaches the
 * archive otherwise (the room's history on a join, a gap fill) empties it,
 * and the next live message or use fills it again. A request it cannot answer exactly (more messages than it holds,
 * or time limits reaching past its oldest message) goes to the archive.
 *
 * Memory: up to `capacity` entries per membership, each a reference to the
 * copy the sessions were sent (whose children a local room shares between
 * all its occupants' copies) plus the history form built at first use.
 *
 * References: XEP-0045 §7.2.15 (history limits combine); XEP-0203 (delay);
 * account-rooms spec, "Session joins a room" 2.
 */
import { Element, x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';
import type { ArchiveItem } from '../../core/storage/stores.js';
import { selectHistory, type HistoryEntry, type HistoryRequest } from '../muc/history.js';
import { MUC_NS } from '../muc/ns.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';

/** Archived with the room's JID as `with` but not room history (private messages and the like). */
export const NOT_HISTORY_TYPES = ['chat', 'normal', 'headline', 'error'];

interface Recent {
  /** As archived (a live copy), or already in history form (filled from the archive). */
  stanza: Element;
  at: number;
  /** Archived as it arrived: `at` is when it was archived, so nothing older in the archive is newer. */
  live: boolean;
  history?: Element;
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

  /** A live room message, archived at `at`, as the joined sessions got it (with the account's stanza-id). */
  add(copy: Element, at: number): void {
    this.version++;
    if (!this.loaded) return;
    this.entries.push({ stanza: copy, at, live: true });
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
  fill(items: readonly ArchiveItem[], complete: boolean, version: number, toHistory: (item: ArchiveItem) => Element | undefined): void {
    if (version !== this.version) return;
    this.entries = [];
    for (const item of items) {
      const stanza = toHistory(item);
      if (stanza) this.entries.push({ stanza, at: item.when, live: false, history: stanza });
    }
    this.entries = this.entries.slice(-this.capacity);
    this.loaded = true;
    this.complete = complete;
  }

  /** The history the archive would give for this request, or undefined when memory cannot say. */
  select(wanted: HistoryRequest, room: string, now = new Date()): Element[] | undefined {
    if (!this.loaded) return undefined;
    const entries: HistoryEntry[] = this.entries.map((entry) => ({ stanza: historyForm(entry, room), at: new Date(entry.at) }));
    const inTime = selectHistory(entries, { seconds: wanted.seconds, since: wanted.since }, now);
    const chosen = selectHistory(inTime, { maxstanzas: wanted.maxstanzas, maxchars: wanted.maxchars });
    const oldest = this.entries[0];
    const covered =
      this.complete ||
      // Cut inside memory by a count or size limit: older messages would not have been taken either.
      chosen.length < inTime.length ||
      (wanted.maxstanzas !== undefined && chosen.length === wanted.maxstanzas) ||
      // The oldest held message is too old and was archived live: everything before it is older still.
      (oldest !== undefined && oldest.live && inTime[0]?.stanza !== entries[0]!.stanza);
    return covered ? chosen.map((entry) => entry.stanza) : undefined;
  }
}

/**
 * Fills a membership's recent history from the account's archive: its
 * newest room messages (the room's history types only). A fill that raced
 * with a change is dropped; the next use starts another.
 */
export async function fillRecent(service: AccountRooms, membership: Membership): Promise<void> {
  const { room, username } = membership;
  const { recent } = membership.view;
  if (recent.filling) return;
  recent.filling = true;
  try {
    const version = recent.version;
    const page = await service.deps.mam.store.query(username, { with: room, excludeTypes: NOT_HISTORY_TYPES, limit: recent.capacity, reverse: true });
    const account = `${username}@${service.host.name}`;
    recent.fill(page.items, page.complete, version, (item) => historyFromItem(item, room, account));
  } finally {
    recent.filling = false;
  }
}

/** A live copy in the form history from the archive has: addressed to the room, with the archive's delay. */
function historyForm(entry: Recent, room: string): Element {
  if (entry.history) return entry.history;
  const { stanza } = entry;
  const delay = x('delay', { xmlns: NS.delay, from: room, stamp: new Date(entry.at).toISOString() });
  return (entry.history = new Element(stanza.name, { ...stanza.attrs, to: room }, [...stanza.children, delay]));
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
