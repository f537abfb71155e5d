/**
 * Presence from a room to the account: completes a join (the self-presence
 * with 110 makes waiting sessions joined), keeps the room view (others'
 * joins, leaves and nick changes; the account's own role and affiliation)
 * and forks it to joined sessions. The account's own `unavailable` ends the
 * membership (kick, ban, affiliation or members-only loss, destruction) or,
 * for 332/333, starts a silent rejoin; a join every asking session took
 * back meanwhile is left at once. Errors go to the session whose stanza
 * caused them; errors answering nothing a session sent are not forwarded.
 *
 * References: account-rooms spec, "Traffic from the room", "Session joins a
 * room" 1, "Nicknames"; XEP-0045 §7.2 (entering), §7.6 (nick change, 303),
 * §8.2 (kick, 307), §9.1 (ban, 301), §9.4 (321), §10.9 (destroy), §15.6
 * (321, 322, 332, 333).
 */
import type { Element } from '../../core/xml/element.js';
import type { JID } from '../../core/jid/jid.js';
import { MUC_NS } from '../muc/ns.js';
import { addressedTo, type AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { forkToJoined, statusCodes, waitingSessions } from './fork.js';
import { joinFailed, joinSucceeded } from './join-outcome.js';
import { finishLeave, leaveIfAbandoned, membershipLost, scheduleRejoin } from './leave.js';
import { updateRoomPresence } from './presence.js';
import { markJoined } from './bookmark-sync.js';

const NOT_FINAL = ['332', '333'];

export async function handleRoomPresence(service: AccountRooms, membership: Membership, stanza: Element, from: JID): Promise<void> {
  membership.lastVerified = Date.now();
  if (stanza.attrs.type === 'error') return presenceError(service, membership, stanza);
  if (from.resource === undefined) return;
  const codes = statusCodes(stanza, MUC_NS.user);
  const isSelf = codes.has('110') || (membership.state === 'joined' && from.resource === membership.nick && !membership.silentRejoin);
  if (isSelf) return selfPresence(service, membership, stanza, from.resource, codes);
  othersPresence(service, membership, stanza, from.resource);
}

function othersPresence(service: AccountRooms, membership: Membership, stanza: Element, nick: string): void {
  const changed = membership.view.applyOccupant(nick, stanza);
  if (membership.silentRejoin) {
    membership.seenDuringRejoin?.add(nick);
    if (changed) forkToJoined(service, membership, stanza);
    return;
  }
  if (membership.state === 'joining') service.forward(stanza, waitingSessions(membership));
  else forkToJoined(service, membership, stanza);
}

/** The account's own presence: a join's outcome, a change of nick, role or affiliation, or the account being out. */
async function selfPresence(service: AccountRooms, membership: Membership, stanza: Element, nick: string, codes: Set<string>): Promise<void> {
  if (stanza.attrs.type !== 'unavailable') {
    if (membership.state !== 'joining') return selfChanged(service, membership, stanza, nick);
    if (await leaveIfAbandoned(service, membership, stanza, nick)) return;
    return joinSucceeded(service, membership, stanza, nick);
  }
  if (codes.has('303')) {
    forkToJoined(service, membership, stanza);
    return;
  }
  if (membership.state === 'leaving') return finishLeave(service, membership, stanza);
  if (NOT_FINAL.some((code) => codes.has(code))) return scheduleRejoin(service, membership);
  await membershipLost(service, membership, stanza, codes);
}

/**
 * The room shows the account anew (role, affiliation, or the second half of
 * a nick change): the view and every joined session follow; a new nick is
 * saved and written to the bookmark, which every device reads it from.
 */
async function selfChanged(service: AccountRooms, membership: Membership, stanza: Element, nick: string): Promise<void> {
  const nickChanged = nick !== membership.nick;
  membership.nick = nick;
  membership.view.self = stanza;
  forkToJoined(service, membership, stanza);
  if (!nickChanged) return;
  await service.save(membership.username);
  await markJoined(service, membership);
  // The renaming session's own presence (held back during the change) now counts.
  await updateRoomPresence(service, membership);
}

/** Conditions that say the account is not (or no longer) an occupant. */
const NOT_AN_OCCUPANT = new Set(['not-acceptable']);

/**
 * An error presence: while joining, the join failed; one answering a
 * session's stanza (a nick change) goes to that session; "not an occupant"
 * starts a quiet rejoin. Any other error answers the server's own presence
 * updates, which no session asked for: sessions are not told, since
 * clients read an error presence from a room as being out of it.
 */
async function presenceError(service: AccountRooms, membership: Membership, stanza: Element): Promise<void> {
  if (membership.state === 'joining') return joinFailed(service, membership, stanza);
  const sent = membership.sentWithId(stanza.attrs.id);
  if (sent) {
    if (!sent.session.closed) sent.session.send(addressedTo(stanza, sent.session.jid!.toString()));
    return;
  }
  const condition = stanza.getChild('error')?.elements()[0]?.name;
  if (condition && NOT_AN_OCCUPANT.has(condition)) return scheduleRejoin(service, membership);
  service.log.debug({ room: membership.room, error: stanza.toString() }, 'room error presence answering nothing a session sent');
}
