/**
 * A session's join presence to a room, by membership state: none → the
 * account joins and the session waits for the room's answer; `joining` →
 * the session waits with the others; `joined` → answered locally
 * (local-join.ts); `leaving` → the join waits for the leave to finish.
 * Also the account's own joins, made by the server (bookmark autojoin,
 * silent rejoins after a restart or a removal that is not final).
 *
 * References: account-rooms spec, "Session joins a room" 1–4; XEP-0045
 * §7.2.1 (entering: presence with the MUC `<x/>`), §7.2.6 (password),
 * §7.2.15 (history).
 */
import { x, type Element } from '../../core/xml/element.js';
import type { JID } from '../../core/jid/jid.js';
import type { Session } from '../../core/session/session.js';
import { MUC_NS } from '../muc/ns.js';
import type { AccountRooms } from './service.js';
import { Membership } from './membership.js';
import { aggregate, currentAggregate, fromKey, presenceChildren, presenceKey, rememberRoomPresence, type AccountPresence } from './presence.js';
import { answerLocally } from './local-join.js';

/** Joins wanted while the account is leaving: they start over once the room confirms the leave. */
const joinsAfterLeave = new WeakMap<Membership, { session: Session; join: Element; to: JID }[]>();

export async function handleSessionJoin(service: AccountRooms, session: Session, join: Element, to: JID): Promise<void> {
  const room = to.bareString();
  // The join's <show/> and <status/> are the session's presence in the room (XEP-0045 §7.2.1).
  rememberRoomPresence(session, room, join);
  const membership = service.get(session.username!, room);
  if (!membership) return startJoin(service, session, join, to);
  if (membership.state === 'leaving') {
    const queued = joinsAfterLeave.get(membership) ?? [];
    joinsAfterLeave.set(membership, [...queued, { session, join, to }]);
    return;
  }
  if (membership.state === 'joining' || membership.silentRejoin) {
    membership.waiting.push({ session, join });
    return;
  }
  await answerLocally(service, membership, session, join, to.resource!);
}

/** After a leave finished: the joins that waited for it. */
export async function joinsWaitingForLeave(service: AccountRooms, membership: Membership): Promise<void> {
  const queued = joinsAfterLeave.get(membership) ?? [];
  joinsAfterLeave.delete(membership);
  for (const { session, join, to } of queued) {
    if (!session.closed) await handleSessionJoin(service, session, join, to);
  }
}

/** A session that left again before the leave it waited for finished: its queued join is dropped. */
export function cancelJoinAfterLeave(membership: Membership, session: Session): boolean {
  const queued = joinsAfterLeave.get(membership) ?? [];
  const rest = queued.filter((q) => q.session !== session);
  joinsAfterLeave.set(membership, rest);
  return rest.length < queued.length;
}

async function startJoin(service: AccountRooms, session: Session, join: Element, to: JID): Promise<void> {
  const membership = new Membership(session.username!, to.bareString(), to.resource!);
  const mucX = join.getChild('x', MUC_NS.muc);
  membership.password = mucX?.getChildText('password');
  membership.waiting.push({ session, join });
  service.add(membership);
  const presence = aggregate([join], service.config.absent_presence);
  await sendJoin(service, membership, presence, mucX?.clone() ?? x('x', { xmlns: MUC_NS.muc }));
}

/**
 * The account joins on its own (no session asked): with the bookmark's nick,
 * or again after a restart or removal, without history (gap fill brings
 * what was missed).
 */
export async function joinAsAccount(
  service: AccountRooms,
  membership: Membership,
  /**
   * `history`: the join's `<history/>`: none asked (undefined) means `maxstanzas=0`, null means the room's default.
   * `presence`: what the room is shown (by default the aggregate, or what it showed before a quiet rejoin).
   */
  options: { history?: Element | null; presence?: AccountPresence } = {},
): Promise<void> {
  membership.state = 'joining';
  const mucX = x(
    'x',
    { xmlns: MUC_NS.muc },
    membership.password !== undefined ? x('password', {}, membership.password) : undefined,
    options.history === undefined ? x('history', { maxstanzas: '0' }) : (options.history ?? undefined),
  );
  // A quiet rejoin shows what the room showed before, so nobody sees a change; the grace rules apply after.
  const shownBefore = membership.silentRejoin && membership.shownPresence !== undefined ? fromKey(membership.shownPresence) : undefined;
  const presence = options.presence ?? shownBefore ?? currentAggregate(service, membership);
  await sendJoin(service, membership, presence, mucX);
}

/** The `<x/>` of each membership's last join, so a retry asks for the same history and password. */
const lastJoinX = new WeakMap<Membership, Element>();

/** Sends the last join again (the room refused the bare JID; now from the full one), showing what it showed. */
export async function resendJoin(service: AccountRooms, membership: Membership): Promise<void> {
  const mucX = lastJoinX.get(membership)?.clone() ?? x('x', { xmlns: MUC_NS.muc });
  const presence = membership.shownPresence !== undefined ? fromKey(membership.shownPresence) : currentAggregate(service, membership);
  membership.state = 'joining';
  await sendJoin(service, membership, presence, mucX);
}

async function sendJoin(service: AccountRooms, membership: Membership, presence: AccountPresence, mucX: Element): Promise<void> {
  lastJoinX.set(membership, mucX);
  membership.shownPresence = presenceKey(presence);
  const stanza = x('presence', { to: membership.occupantJid }, ...presenceChildren(presence), mucX);
  await service.sendToRoom(membership, stanza);
}
