/**
 * The room archive: every groupchat message the room reflects is kept
 * (under the room's stanza-id, so the archive id and the id occupants saw
 * are the same) when the room's archiving is on; join history is read back
 * from it, so it survives restarts; and the room JID answers XEP-0313
 * queries, reusing the archive module's form, RSM and paging code.
 *
 * Who may query (and ask for the query form's fields): occupants; for a
 * members-only room, its members (and admins and owners); for any other
 * room, anyone who may see it (not locked, not banned). Items older than
 * `archive.retention_days` expire, as in account archives (at start, then
 * hourly: ../mam/retention.ts).
 *
 * References: XEP-0313 §3.2 (a MUC archive at the room JID; expiring the
 * oldest items), §4 (querying), §4.1.5 (retrieving the form fields),
 * §5.1.2 (stanza-id as the archive id); XEP-0045 §7.2.14 (history),
 * §10.1.3 (muc#roomconfig_enablearchiving); XEP-0359 §3.
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { ArchiveStore } from '../../core/storage/stores.js';
import type { Logger } from '../../core/log.js';
import { parseQuery, queryFormElement } from '../mam/query-form.js';
import { expireArchive, scheduleRetention } from '../mam/retention.js';
import { finElement, findPage, resultMessage } from '../mam/query.js';
import { MUC_NS } from './ns.js';
import { roomFor } from './owner.js';
import type { HistoryEntry } from './history.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

/** The archive's user for a room: its local part (the store is already per MUC host). */
const archiveUser = (room: Room): string => room.jid.split('@')[0]!;

export class RoomArchive {
  constructor(private readonly store: ArchiveStore) {}

  /** Keeps a reflected message (without `to`) when the room archives. */
  async append(room: Room, message: Element, at = new Date()): Promise<void> {
    if (!room.config.archive) return;
    const stanzaId = message.getChild('stanza-id', MUC_NS.stanzaId)?.attrs.id;
    // Stored as it will be forwarded: a jabber:client stanza (XEP-0297 §3).
    const stored = new Element(message.name, { ...message.attrs, xmlns: NS.client }, message.children);
    await this.store.append(archiveUser(room), {
      id: stanzaId,
      externalId: stanzaId,
      when: at.getTime(),
      // The room's bare JID: a full `with` (room/nick) is then matched on `from` by the MAM code.
      with: room.jid,
      payload: stored.toString(),
      type: 'groupchat',
    });
  }

  /** The newest `historyLength` archived messages, oldest first, as join history. */
  async history(room: Room): Promise<HistoryEntry[]> {
    const { items } = await this.store.query(archiveUser(room), { limit: room.config.historyLength, reverse: true });
    const entries: HistoryEntry[] = [];
    for (const item of items) {
      const stanza = parseXml(item.payload);
      if (!stanza) continue;
      delete stanza.attrs.xmlns;
      entries.push({ stanza, at: new Date(item.when) });
    }
    return entries;
  }

  async forget(room: Room): Promise<void> {
    await this.store.deleteAll(archiveUser(room));
  }

  /** Deletes every room's items older than `retentionDays` (0 keeps everything); returns how many went. */
  async expire(retentionDays: number, now = Date.now()): Promise<number> {
    return retentionDays > 0 ? expireArchive(this.store, retentionDays, now) : 0;
  }

  /** Expires once now, so no expired item is served after a restart, then hourly; returns the stop function. */
  async startRetention(retentionDays: number, log: Logger): Promise<() => void> {
    await this.expire(retentionDays);
    return scheduleRetention(this.store, retentionDays, log);
  }

  /** Answers `iq type=get` with an empty query: the fields the room archive accepts. */
  form(service: MucService, event: StanzaEvent): true {
    queryableRoom(service, event);
    return answerIq(event, roomQueryForm());
  }

  /** Answers a MAM query to the room JID. */
  async query(service: MucService, event: StanzaEvent): Promise<true> {
    const room = queryableRoom(service, event);
    const query = parseQuery(iqPayload(event.stanza));
    const outcome = await findPage(this.store, archiveUser(room), query);
    // Flipping changes only the order of sending (XEP-0313 §4.3.4).
    const items = query.flip ? [...outcome.items].reverse() : outcome.items;
    const to = event.from.toString();
    const results = items.map((item) => resultMessage(item, room.jid, to, query.queryId)).filter((m) => m !== undefined);
    await service.send(...results);
    return answerIq(event, finElement(outcome));
  }
}

/** The filters that mean something for a room archive (the account form may offer more, such as include-groupchat). */
const ROOM_QUERY_FIELDS = new Set(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);

/** The account archive's query form (XEP-0313 §4.1.5), keeping only the room archive's fields. */
export function roomQueryForm(): Element {
  const query = queryFormElement();
  const form = query.getChild('x', NS.dataForms);
  if (form) form.children = form.children.filter((field) => typeof field === 'string' || ROOM_QUERY_FIELDS.has(field.attrs.var ?? ''));
  return query;
}

/** The addressed room, if it archives and the sender may read its archive. */
function queryableRoom(service: MucService, event: StanzaEvent): Room {
  const room = roomFor(service, event);
  if (!room.config.archive) throw new StanzaError('service-unavailable', 'this room is not archived');
  checkMayQuery(room, event);
  return room;
}

function checkMayQuery(room: Room, event: StanzaEvent): void {
  if (room.occupantOf(event.from.toString())) return;
  const affiliation = room.affiliationOf(event.from.bareString());
  if (room.locked || affiliation === 'outcast') throw new StanzaError('forbidden', 'you may not read this archive');
  if (room.config.membersOnly && affiliation === 'none') throw new StanzaError('forbidden', 'only members may read this archive');
}
