/**
 * Stanzas a session sends to rooms (the `pre-*` routing events on the
 * account's host). A join presence goes to join.ts; a joined session's
 * presence updates, nick changes and leaves, messages and IQs are sent as
 * the account. A session that has not joined the room gets plain routing:
 * it can never use another session's membership, nor another account's.
 *
 * References: account-rooms spec, "Traffic from a session to the room",
 * "Nicknames", "Leaving"; XEP-0045 §7.2.1, §7.6, §7.7, §7.14; XEP-0280 §8
 * (sent carbons).
 */
import { randomBytes } from 'node:crypto';
import { x, type Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';
import { MUC_NS } from '../muc/ns.js';
import { wrapCarbon } from '../carbons/copies.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { cancelJoinAfterLeave, handleSessionJoin } from './join.js';
import { abandonJoin, handleSessionLeave, selfUnavailable } from './leave.js';
import { currentAggregate, fromKey, presenceChildren, rememberRoomPresence, updateRoomPresence } from './presence.js';
import { archiveRoomMessage } from './archive.js';
import { answerFromSession, iqFromSession } from './room-iq.js';

export async function presenceFromSession(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const { stanza, origin: session, to } = event;
  if (!session?.jid || to.local === undefined || to.domain === service.host.name) return undefined;
  const room = to.bareString();
  const type = stanza.attrs.type;
  const joined = service.joinedBy(session, room);
  if (type === undefined && to.resource !== undefined && stanza.getChild('x', MUC_NS.muc)) {
    if (!joined && !service.applies(session, to.domain)) return undefined;
    await handleSessionJoin(service, session, stanza, to);
    return true;
  }
  if (!joined) return pendingPresence(service, session, room, stanza);
  if (type === 'unavailable') {
    await handleSessionLeave(service, joined, session, stanza);
    return true;
  }
  if (type !== undefined) return undefined;
  if (to.resource !== undefined && to.resource !== joined.nick) {
    await changeNick(service, joined, session, stanza, to.resource);
    return true;
  }
  rememberRoomPresence(session, room, stanza);
  await updateRoomPresence(service, joined);
  return true;
}

/**
 * Presence from a session that asked to join and is not joined yet (the
 * room has not answered, or the account's leave is still under way). A
 * leave takes back its join, answered at once; an update becomes its room
 * presence for when it is in. Neither goes to the room from the session's
 * own JID, where the room would not know it.
 */
function pendingPresence(service: AccountRooms, session: Session, room: string, stanza: Element): true | undefined {
  const membership = service.get(session.username!, room);
  const waiting = membership?.waiting.some((w) => w.session === session) ?? false;
  const type = stanza.attrs.type;
  if (!membership || (type !== undefined && type !== 'unavailable')) return undefined;
  if (type === undefined) {
    if (!waiting) return undefined;
    rememberRoomPresence(session, room, stanza);
    return true;
  }
  if (waiting) abandonJoin(membership, session);
  else if (cancelJoinAfterLeave(membership, session)) session.send(selfUnavailable(membership, session.jid!.toString(), ['110']));
  else return undefined;
  return true;
}

/**
 * The account's nick follows a joined session's nick change; the room's 303
 * reaches every joined session. The request carries what the room shows
 * now, so renaming changes nothing else; the session's own presence joins
 * the aggregate once the room confirmed the new nick (room-presence.ts).
 */
async function changeNick(service: AccountRooms, membership: Membership, session: Session, stanza: Element, nick: string): Promise<void> {
  rememberRoomPresence(session, membership.room, stanza);
  const shown = membership.shownPresence !== undefined ? fromKey(membership.shownPresence) : currentAggregate(service, membership);
  const request = x('presence', { to: `${membership.room}/${nick}`, id: stanza.attrs.id ?? `nick-${Date.now()}` }, ...presenceChildren(shown));
  membership.trackSent(request, session);
  await service.sendToRoom(membership, request);
}

export async function messageFromSession(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const { stanza, origin: session, to } = event;
  if (!session?.jid) return undefined;
  const membership = service.joinedBy(session, to.bareString());
  if (!membership) return undefined;
  membership.lastActive = session;
  const outgoing = stanza.clone();
  // An error the room sends back finds its sender by id: a message without one gets one.
  outgoing.attrs.id ??= `ar-${randomBytes(9).toString('base64url')}`;
  membership.trackSent(outgoing, session);
  // During a silent rejoin it is sent once the rejoin completes.
  if (membership.state !== 'joined') membership.retryAfterRejoin.push(outgoing);
  else await service.sendToRoom(membership, outgoing);
  if (to.resource !== undefined && stanza.attrs.type !== 'groupchat') await privateMessageSent(service, membership, event, outgoing);
  return true;
}

/**
 * A private message: archived, and a sent carbon to the account's other
 * joined sessions that enabled carbons (XEP-0280 §4: copies only to those).
 */
async function privateMessageSent(service: AccountRooms, membership: Membership, event: StanzaEvent, outgoing: Element): Promise<void> {
  const { stanza, origin, from } = event;
  for (const session of membership.sessions) {
    if (session !== origin && session.state.carbons === true) session.send(wrapCarbon('sent', stanza, from, session));
  }
  await archiveRoomMessage(service, membership, outgoing, undefined);
}

export async function iqFromSessionEvent(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const { stanza, origin: session, to } = event;
  if (!session?.jid) return undefined;
  const type = stanza.attrs.type;
  if (type === 'result' || type === 'error') return (await answerFromSession(service, session, stanza)) || undefined;
  const membership = service.joinedBy(session, to.bareString());
  if (!membership) return undefined;
  // Answered asynchronously so a slow room does not hold up the session's other stanzas.
  void iqFromSession(service, membership, session, stanza, to).catch((err) => service.log.warn({ err }, 'room iq failed'));
  return true;
}
