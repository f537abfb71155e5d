/**
 * Ending a membership, or only one session's part in it. A joined session's
 * `unavailable` to the room: with other sessions still joined (policy
 * `last-session`) only that session leaves, answered locally; otherwise the
 * account leaves and the room's confirmation reaches the sessions that were
 * joined. The room removing the account (kick, ban, affiliation change,
 * destruction) ends it too; 332/333 only start a silent rejoin with backoff.
 * A session may take back its join before the room answered it.
 *
 * References: account-rooms spec, "Leaving", "Traffic from the room";
 * XEP-0045 §7.14 (exiting a room), §8.2, §9.1, §9.4, §10.9, §15.6.
 */
import { x, type Element } from '../../core/xml/element.js';
import type { Session } from '../../core/session/session.js';
import { MUC_NS } from '../muc/ns.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { forkToJoined, waitingSessions } from './fork.js';
import { cancelPresenceTimer, updateRoomPresence } from './presence.js';
import { joinAsAccount, joinsWaitingForLeave } from './join.js';
import { markLeft } from './bookmark-sync.js';
import { prepareRejoin } from './gap-fill.js';

/** A room that never confirms a leave is left anyway after this long. */
const LEAVE_TIMEOUT_MS = 10_000;
/** Removals after which the bookmark stops auto-joining (kick, ban, destruction). */
const UNBOOKMARKING_CODES = ['307', '301'];

export async function handleSessionLeave(service: AccountRooms, membership: Membership, session: Session, stanza: Element): Promise<void> {
  const others = [...membership.sessions].filter((s) => s !== session);
  if (service.config.leave === 'last-session' && others.length > 0) {
    service.detach(membership, session);
    session.send(selfUnavailable(membership, session.jid!.toString(), ['110']));
    await updateRoomPresence(service, membership);
    return;
  }
  await leaveRoom(service, membership, stanza.getChildText('status'));
}

/** The account leaves; the sessions joined now get the room's confirmation. */
export async function leaveRoom(service: AccountRooms, membership: Membership, status?: string): Promise<void> {
  if (membership.state === 'leaving') return;
  membership.state = 'leaving';
  membership.leaving = [...membership.sessions, ...waitingSessions(membership)];
  membership.waiting = [];
  for (const session of [...membership.sessions]) service.detach(membership, session);
  cancelPresenceTimer(membership);
  const timer = setTimeout(() => {
    if (membership.state === 'leaving') void finishLeave(service, membership, undefined);
  }, LEAVE_TIMEOUT_MS).unref();
  leaveTimers.set(membership, timer);
  await markLeft(service, membership);
  await service.sendToRoom(membership, x('presence', { to: membership.occupantJid, type: 'unavailable' }, status !== undefined ? x('status', {}, status) : undefined));
}

const leaveTimers = new WeakMap<Membership, NodeJS.Timeout>();

/** Session-started joins every asking session took back before the room answered. */
const abandoned = new WeakSet<Membership>();

/**
 * A session leaves before the room answered its join: it stops waiting and
 * gets its self-unavailable at once. When nothing else wants the membership
 * (no joined or waiting session, no bookmark, no quiet rejoin) the account
 * leaves as soon as the room lets it in.
 */
export function abandonJoin(membership: Membership, session: Session): void {
  membership.waiting = membership.waiting.filter((w) => w.session !== session);
  session.send(selfUnavailable(membership, session.jid!.toString(), ['110']));
  const wanted = membership.waiting.length > 0 || membership.sessions.size > 0 || membership.bookmarked || membership.silentRejoin;
  if (!wanted) abandoned.add(membership);
}

/** The room let the account in: it leaves at once when every asking session gave up meanwhile (and none asked since). */
export async function leaveIfAbandoned(service: AccountRooms, membership: Membership, self: Element, nick: string): Promise<boolean> {
  if (!abandoned.delete(membership) || membership.waiting.length > 0) return false;
  membership.state = 'joined';
  membership.nick = nick;
  membership.view.self = self;
  await leaveRoom(service, membership);
  return true;
}

/** The room confirmed the leave (or never answered): the leaving sessions hear it, joins queued meanwhile start over. */
export async function finishLeave(service: AccountRooms, membership: Membership, confirmation: Element | undefined): Promise<void> {
  clearTimeout(leaveTimers.get(membership));
  for (const session of membership.leaving) {
    if (session.closed) continue;
    const to = session.jid!.toString();
    session.send(confirmation ? addressed(confirmation, to) : selfUnavailable(membership, to, ['110']));
  }
  membership.leaving = [];
  service.drop(membership);
  await service.save(membership.username);
  await joinsWaitingForLeave(service, membership);
}

/** The room removed the account for good: every joined session gets the stanza as the room sent it. */
export async function membershipLost(service: AccountRooms, membership: Membership, stanza: Element, codes: Set<string>): Promise<void> {
  forkToJoined(service, membership, stanza);
  cancelPresenceTimer(membership);
  service.drop(membership);
  await service.save(membership.username);
  const destroyed = stanza.getChild('x', MUC_NS.user)?.getChild('destroy') !== undefined;
  if (destroyed || UNBOOKMARKING_CODES.some((code) => codes.has(code))) await markLeft(service, membership);
}

/**
 * Not final (332, 333, a stale membership): the account rejoins quietly,
 * after a backoff that grows with each failed attempt.
 */
export function scheduleRejoin(service: AccountRooms, membership: Membership): void {
  if (service.stopping) return;
  membership.state = 'joining';
  membership.silentRejoin = true;
  membership.seenDuringRejoin = new Set();
  // Only the latest schedule joins: an earlier attempt may still be waiting for the room's disco#info.
  const attempt = (rejoinSchedules.get(membership) ?? 0) + 1;
  rejoinSchedules.set(membership, attempt);
  const current = () => rejoinSchedules.get(membership) === attempt && membership.silentRejoin && service.get(membership.username, membership.room) === membership;
  const delay = membership.rejoinAttempts === 0 ? 0 : Math.min(60_000, 1000 * 2 ** (membership.rejoinAttempts - 1));
  setTimeout(() => {
    if (!current() || service.stopping) return;
    prepareRejoin(service, membership)
      .then((history) => (current() ? joinAsAccount(service, membership, { history }) : undefined))
      .catch((err) => service.log.warn({ err, room: membership.room }, 'rejoin failed'));
  }, delay).unref();
}

const rejoinSchedules = new WeakMap<Membership, number>();

export function selfUnavailable(membership: Membership, to: string, codes: string[]): Element {
  const affiliation = membership.view.self?.getChild('x', MUC_NS.user)?.getChild('item')?.attrs.affiliation ?? 'none';
  return x(
    'presence',
    { from: membership.occupantJid, to, type: 'unavailable' },
    x('x', { xmlns: MUC_NS.user }, x('item', { affiliation, role: 'none' }), ...codes.map((code) => x('status', { code }))),
  );
}

function addressed(stanza: Element, to: string): Element {
  const copy = stanza.clone();
  copy.attrs.to = to;
  return copy;
}
