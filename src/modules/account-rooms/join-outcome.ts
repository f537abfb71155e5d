/**
 * How a join by the account ends. Success (the room's self-presence): the
 * waiting sessions get it and become joined (the history and subject the
 * room sends next reach them as joined sessions); after a silent rejoin the
 * joined sessions hear only what changed, late joiners are answered
 * locally, the gap is filled and stanzas refused meanwhile are sent again.
 * Failure: a bare-JID join refused as such is retried once from the full
 * JID; otherwise the error reaches every waiting session and the membership
 * is dropped (a failing silent rejoin is retried with backoff first, for as
 * long as the room's server cannot be reached).
 *
 * References: account-rooms spec, "Session joins a room" 1, "What the room
 * sees" (bare-JID retry), "Durability"; XEP-0045 §7.2.
 */
import { x, type Element } from '../../core/xml/element.js';
import { MUC_NS } from '../muc/ns.js';
import { addressedTo, type AccountRooms } from './service.js';
import type { Membership, WaitingSession } from './membership.js';
import { waitingSessions, forkToJoined } from './fork.js';
import { answerLocally } from './local-join.js';
import { updateRoomPresence } from './presence.js';
import { resendJoin } from './join.js';
import { markJoined } from './bookmark-sync.js';
import { fillGap } from './gap-fill.js';
import { membershipLost, scheduleRejoin, selfUnavailable } from './leave.js';
import { expectRejoinSubject } from './room-messages.js';

export async function joinSucceeded(service: AccountRooms, membership: Membership, self: Element, nick: string): Promise<void> {
  const silent = membership.silentRejoin;
  const selfChanged = membership.view.self?.toString() !== self.toString();
  membership.state = 'joined';
  membership.nick = nick;
  membership.view.self = self;
  membership.rejoinAttempts = 0;
  const waiting = membership.waiting;
  membership.waiting = [];
  if (silent) {
    membership.silentRejoin = false;
    expectRejoinSubject(membership);
    announceVanished(service, membership);
    if (selfChanged) forkToJoined(service, membership, self);
  } else {
    for (const { session } of waiting) {
      if (session.closed) continue;
      session.send(addressedTo(self, session.jid!.toString()));
      service.attach(membership, session);
    }
  }
  await service.save(membership.username);
  await markJoined(service, membership);
  if (!silent) return updateRoomPresence(service, membership);
  // Not awaited: the room's archive answers over the same s2s stream as this
  // self-presence, and a peer's stream is handled one stanza at a time.
  void catchUpAfterRejoin(service, membership, waiting, nick).catch((err) => service.log.warn({ err, room: membership.room }, 'catching up after a rejoin failed'));
}

/** After a quiet rejoin, the gap first: sessions that joined meanwhile then get it as history, in order, before the subject. */
async function catchUpAfterRejoin(service: AccountRooms, membership: Membership, waiting: WaitingSession[], nick: string): Promise<void> {
  await fillGap(service, membership);
  for (const { session, join } of waiting) {
    if (!session.closed) await answerLocally(service, membership, session, join, nick);
  }
  await resendRefused(service, membership);
  await updateRoomPresence(service, membership);
}

/** Occupants the old view held that the room no longer lists: the joined sessions see them leave. */
function announceVanished(service: AccountRooms, membership: Membership): void {
  const seen = membership.seenDuringRejoin ?? new Set();
  membership.seenDuringRejoin = undefined;
  for (const [nick, presence] of [...membership.view.occupants]) {
    if (seen.has(nick)) continue;
    membership.view.occupants.delete(nick);
    const gone = x('presence', { from: presence.attrs.from, to: presence.attrs.to, type: 'unavailable' }, presence.getChild('x', MUC_NS.user)?.clone());
    forkToJoined(service, membership, gone);
  }
}

async function resendRefused(service: AccountRooms, membership: Membership): Promise<void> {
  const stanzas = membership.retryAfterRejoin;
  membership.retryAfterRejoin = [];
  for (const stanza of stanzas) await service.sendToRoom(membership, stanza);
}

/** Conditions a room may answer a bare-JID occupant with; the full JID is tried once. */
const BARE_JID_REFUSALS = new Set(['bad-request', 'jid-malformed', 'not-acceptable', 'feature-not-implemented']);
const MAX_SILENT_ATTEMPTS = 5;
/** Refusals worth another try later (the room or its server is away); a ban or a members-only refusal is final. */
const TRANSIENT = new Set(['remote-server-not-found', 'remote-server-timeout', 'service-unavailable', 'internal-server-error', 'resource-constraint', 'recipient-unavailable', 'conflict']);

/** The room's server could not be reached: the room said nothing, so a quiet rejoin keeps trying for as long as it takes. */
const UNREACHABLE = new Set(['remote-server-not-found', 'remote-server-timeout']);

export async function joinFailed(service: AccountRooms, membership: Membership, error: Element): Promise<void> {
  const condition = error.getChild('error')?.elements()[0]?.name ?? '';
  if (!membership.fromFullJid && BARE_JID_REFUSALS.has(condition)) {
    membership.fromFullJid = true;
    return resendJoin(service, membership);
  }
  const retry = membership.silentRejoin && TRANSIENT.has(condition) && (++membership.rejoinAttempts < MAX_SILENT_ATTEMPTS || UNREACHABLE.has(condition));
  if (retry) return scheduleRejoin(service, membership);
  for (const session of waitingSessions(membership)) session.send(addressedTo(error, session.jid!.toString()));
  membership.waiting = [];
  // Joined sessions of a rejoin that finally failed see the account removed by a technical problem (333).
  for (const session of [...membership.sessions]) {
    session.send(selfUnavailable(membership, session.jid!.toString(), ['110', '333']));
    service.detach(membership, session);
  }
  await membershipLost(service, membership, error, new Set());
}

