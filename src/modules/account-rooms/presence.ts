/**
 * The one presence a room sees for an account: the most available of its
 * joined, connected sessions' presences (chat, available, dnd, away, xa,
 * with the winner's status text), or the configured absent presence when
 * none is connected — never `unavailable`. A change reaches the room only
 * when the aggregate changes; a drop in availability waits for the grace
 * period, so a phone that reconnects causes no flapping.
 *
 * References: account-rooms spec, "What the room sees"; RFC 6121 §4.7.2.1
 * (show values); XEP-0045 §7.7 (changing availability status).
 */
import { x, type Element } from '../../core/xml/element.js';
import type { Session } from '../../core/session/session.js';
import type { AccountShow } from '../../core/config/schema.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';

const RANK: Record<AccountShow, number> = { chat: 0, available: 1, dnd: 2, away: 3, xa: 4 };

export interface AccountPresence {
  show: AccountShow;
  status?: string;
}

export function showOf(presence: Element | undefined): AccountShow {
  const show = presence?.getChildText('show')?.trim() as AccountShow | undefined;
  return show !== undefined && show in RANK && show !== 'available' ? show : 'available';
}

/** The most available presence among `presences`; `absent` when there is none. */
export function aggregate(presences: Element[], absent: AccountShow): AccountPresence {
  let best: AccountPresence | undefined;
  for (const presence of presences) {
    const candidate = { show: showOf(presence), status: presence.getChildText('status') };
    if (!best || RANK[candidate.show] < RANK[best.show]) best = candidate;
  }
  return best ?? { show: absent };
}

export function presenceKey(p: AccountPresence): string {
  return `${p.show}\0${p.status ?? ''}`;
}

export function fromKey(key: string): AccountPresence {
  const [show, status] = key.split('\0');
  return { show: (show in RANK ? show : 'available') as AccountShow, status: status === '' ? undefined : status };
}

/** The `<show/>` and `<status/>` children of a presence to the room. */
export function presenceChildren(p: AccountPresence): Element[] {
  const children: Element[] = [];
  if (p.show !== 'available') children.push(x('show', {}, p.show));
  if (p.status !== undefined) children.push(x('status', {}, p.status));
  return children;
}

/**
 * A session's presence toward one room: the latest of what it sent that
 * room (its join presence, then updates to the room) and its broadcast
 * presence (a broadcast change clears the per-room ones, see
 * `broadcastChanged`).
 */
function roomPresenceOf(session: Session, room: string): Element | undefined {
  return session.state.roomPresence?.get(room) ?? session.presence;
}

/** Presence a session addressed to a room it joins or joined (only `<show/>` and `<status/>` matter). */
export function rememberRoomPresence(session: Session, room: string, stanza: Element): void {
  const shown = stanza.elements().filter((el) => el.name === 'show' || el.name === 'status');
  (session.state.roomPresence ??= new Map()).set(room, x('presence', {}, ...shown.map((el) => el.clone())));
}

/** The session's broadcast presence changed: from now on it is its presence in every room too. */
export function broadcastChanged(session: Session): void {
  session.state.roomPresence?.clear();
}

export function currentAggregate(service: AccountRooms, membership: Membership): AccountPresence {
  // A hibernating (detached) session is not connected: it counts again once resumed.
  const connected = [...membership.sessions].filter((s) => !s.detached && !s.closed);
  const presences = connected.map((s) => roomPresenceOf(s, membership.room)).filter((p): p is Element => p !== undefined);
  return aggregate(presences, service.config.absent_presence);
}

const graceTimers = new WeakMap<Membership, NodeJS.Timeout>();

/**
 * Re-evaluates the membership's presence: more available (or a new status
 * at the same level) goes to the room now, less available after the grace
 * period, unless it recovers meanwhile.
 */
export async function updateRoomPresence(service: AccountRooms, membership: Membership): Promise<void> {
  if (membership.state !== 'joined' || service.stopping) return;
  const target = currentAggregate(service, membership);
  const key = presenceKey(target);
  const pending = graceTimers.get(membership);
  if (key === membership.shownPresence) {
    if (pending) clearTimeout(pending);
    graceTimers.delete(membership);
    return;
  }
  const shownShow = membership.shownPresence?.split('\0')[0] as AccountShow | undefined;
  const drop = shownShow !== undefined && RANK[target.show] > RANK[shownShow];
  if (drop && service.config.presence_grace > 0) {
    if (!pending) graceTimers.set(membership, setTimeout(() => afterGrace(service, membership), service.config.presence_grace * 1000).unref());
    return;
  }
  if (pending) clearTimeout(pending);
  graceTimers.delete(membership);
  await sendPresence(service, membership, target);
}

function afterGrace(service: AccountRooms, membership: Membership): void {
  graceTimers.delete(membership);
  if (membership.state !== 'joined' || service.stopping) return;
  const target = currentAggregate(service, membership);
  if (presenceKey(target) === membership.shownPresence) return;
  sendPresence(service, membership, target).catch((err) => service.log.warn({ err }, 'room presence update failed'));
}

async function sendPresence(service: AccountRooms, membership: Membership, target: AccountPresence): Promise<void> {
  membership.shownPresence = presenceKey(target);
  await service.sendToRoom(membership, x('presence', { to: membership.occupantJid }, ...presenceChildren(target)));
}

export function cancelPresenceTimer(membership: Membership): void {
  const pending = graceTimers.get(membership);
  if (pending) clearTimeout(pending);
  graceTimers.delete(membership);
}
