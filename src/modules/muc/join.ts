/**
 * Entering a room, in the order XEP-0045 §7.2 requires: the existing
 * occupants' presence, then the newcomer's presence to the others and to
 * itself (110, plus 100 in non-anonymous rooms and 201 for a new room),
 * then the discussion history, then the subject (always, empty if none).
 * The self-presence also says when the room is archived (170) and when
 * the service gave a registered user its reserved nick instead of the one
 * asked for (210, registration.ts).
 *
 * A new room is created locked and reserved for its owner until the owner
 * accepts the default configuration (§10.1.2, the instant room; see
 * owner.ts); others get item-not-found meanwhile (§10.1.1).
 *
 * A restored occupant's returning session gets the whole sequence, but the
 * others see no new join (restore.ts).
 *
 * References: XEP-0045 §7.2.1–§7.2.16 (§7.2.3 nick rewriting and 210,
 * §7.2.12 room logging and 170), §10.1.1, §10.1.2, §15.6 (status codes);
 * XEP-0203 (delay).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS, STATUS } from './ns.js';
import { occupantPresence, presenceToAll } from './presence.js';
import { parseHistoryRequest, selectHistory } from './history.js';
import { checkEntry } from './config.js';
import { checkAdmission } from './affiliations.js';
import { checkNick } from './limits.js';
import { assignedNick, checkReservedNick } from './registration.js';
import type { MucService } from './service.js';
import type { Occupant } from './occupant.js';
import type { Entered, Room } from './room.js';
import { presenceChanged } from './restore.js';

export async function handleJoin(service: MucService, event: StanzaEvent): Promise<void> {
  const { stanza, from, to } = event;
  const roomJid = to.bareString();
  const requested = checkNick(to.resource);
  let room = service.rooms.get(roomJid);
  const created = room === undefined;
  if (!room) {
    await service.persistence?.checkNotDestroyed(roomJid);
    if (!service.mayCreate(from)) throw new StanzaError('not-allowed', 'you may not create rooms here');
    room = service.create(roomJid, from.bareString());
  } else if (room.locked && room.affiliationOf(from.bareString()) !== 'owner') {
    throw new StanzaError('item-not-found', 'the room is locked until its owner configures it');
  }
  const nick = created ? requested : assignedNick(room, from.bareString(), requested);
  if (!created) checkAdmission(room, room.affiliationOf(from.bareString()));
  if (!created) checkReservedNick(room, from.bareString(), nick);
  if (!created) checkEntry(room.config, entryFacts(room, stanza, from.bareString(), nick));
  const entered = room.enter(nick, from.toString(), from.bareString(), stanza.clone(), service.occupantId(roomJid, from.bareString()));
  const { occupant } = entered;
  const session = from.toString();
  await service.send(...othersPresence(room, occupant, session));
  await service.send(...announce(room, entered, session));
  await sendOwnEntry(service, room, occupant, event, selfStatuses(service, room, { created, renamed: nick !== requested }));
}

/**
 * A session that is already an occupant sends its join again (a client, or
 * a server occupying rooms for an account, resynchronising): it gets the
 * whole state again, as Prosody does; the others only hear of a changed
 * presence.
 */
export async function handleRejoin(service: MucService, room: Room, occupant: Occupant, event: StanzaEvent): Promise<void> {
  const session = event.from.toString();
  const before = occupant.sessions.get(session);
  occupant.setPresence(session, event.stanza.clone());
  await service.send(...othersPresence(room, occupant, session));
  if (before && presenceChanged(before, event.stanza)) {
    await service.send(...presenceToAll(room, occupant, { session }).filter((p) => p.attrs.to !== session));
  }
  await sendOwnEntry(service, room, occupant, event, selfStatuses(service, room, { created: false, renamed: false }));
}

/** The end of the join sequence for the entering session: its own presence, the history it asked for, the subject. */
async function sendOwnEntry(service: MucService, room: Room, occupant: Occupant, { stanza, from }: StanzaEvent, statuses: number[]): Promise<void> {
  const session = from.toString();
  await service.send(occupantPresence(room, occupant, session, { viewer: occupant, statuses, session }));
  const wanted = parseHistoryRequest(stanza.getChild('x', MUC_NS.muc)?.getChild('history'));
  await service.send(...selectHistory(await service.historyOf(room), wanted).map((entry) => historyMessage(room, entry.stanza, entry.at, session)));
  await service.send(subjectMessage(room, session));
}

/**
 * The codes of the newcomer's own presence besides 110: 100 in a
 * non-anonymous room, 170 when the room is archived, 201 for a new room,
 * 210 when the service gave another nick than the one asked for.
 */
function selfStatuses(service: MucService, room: Room, entry: { created: boolean; renamed: boolean }): number[] {
  const statuses: number[] = [];
  if (room.config.whois === 'anyone') statuses.push(STATUS.nonAnonymous);
  if (service.archives(room)) statuses.push(STATUS.logged);
  if (entry.created) statuses.push(STATUS.newRoom);
  if (entry.renamed) statuses.push(STATUS.nickAssigned);
  return statuses;
}

/** What the room's configuration needs to know to admit someone (config.ts, checkEntry). */
function entryFacts(room: Room, stanza: Element, bareJid: string, nick: string) {
  const affiliation = room.affiliationOf(bareJid);
  // A further session of an existing occupant takes no new place in the room.
  const privileged = affiliation === 'owner' || affiliation === 'admin' || room.occupants.get(nick)?.bareJid === bareJid;
  return { mucElement: stanza.getChild('x', MUC_NS.muc), occupants: room.occupants.size, privileged };
}

/** Every other occupant's presence, to the joining session. */
function othersPresence(room: Room, occupant: Occupant, session: string): Element[] {
  return [...room.occupants.values()]
    .filter((other) => other !== occupant)
    .map((other) => occupantPresence(room, other, session, { viewer: occupant }));
}

/**
 * The newcomer's presence to everyone else (and to its own other sessions).
 * An occupant restored after a restart never left in the others' eyes: they
 * only hear of it again if its presence changed (restore.ts).
 */
function announce(room: Room, { occupant, isNew, returnedFrom }: Entered, session: string): Element[] {
  const all = presenceToAll(room, occupant, { session });
  const others = all.filter((p) => p.attrs.to !== session);
  if (returnedFrom) return presenceChanged(returnedFrom, occupant.sessions.get(session)!) ? others : [];
  // A further session of an existing occupant is news only to that occupant's own sessions.
  return isNew ? others : others.filter((p) => occupant.sessions.has(p.attrs.to!));
}

function historyMessage(room: Room, stored: Element, at: Date, to: string): Element {
  const message = stored.clone();
  message.attrs.to = to;
  message.append(x('delay', { xmlns: NS.delay, from: room.jid, stamp: at.toISOString() }));
  return message;
}

/** The subject ends the join; an empty `<subject/>` when none is set (§7.2.16). */
export function subjectMessage(room: Room, to: string): Element {
  const from = room.subject?.nick ? `${room.jid}/${room.subject.nick}` : room.jid;
  return x('message', { type: 'groupchat', from, to, id: `subject-${Date.now()}` }, x('subject', {}, room.subject?.text ?? ''));
}
