/**
 * The groupchat 1.0 rule of the current XEP-0045: entering a room takes a
 * presence carrying `<x xmlns='http://jabber.org/protocol/muc'/>`. A
 * presence without it from a session that is not an occupant is either an
 * old groupchat 1.0 join or the presence update of a client that believes
 * it is still in the room (after a restart or a lost leave); the two look
 * the same, and treating either as a join would leave the client half in
 * the room. So, as the XEP recommends since version 1.32, the service
 * answers with an explicit kick (110 and 307) and changes nothing. An
 * occupant's own later presences (updates, nick changes) never carry
 * `<x/>` and are handled as usual (leave.ts, nick.ts).
 *
 * References: XEP-0045 §7.2.1 (the MUC join signals itself with `<x/>`),
 * §7.2 "Groupchat 1.0 Protocol" (respond with a kick, version 1.32),
 * §15.6 (status codes 110, 307).
 */
import { x, type Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS, STATUS } from './ns.js';
import type { Room } from './room.js';

export const NOT_IN_ROOM = 'You are not in the room.';

/** Does this available presence ask to enter with the MUC protocol? */
export function isMucJoin(presence: Element): boolean {
  return presence.getChild('x', MUC_NS.muc) !== undefined;
}

/**
 * The kick a non-occupant's presence without `<x/>` gets: unavailable,
 * from the occupant JID it addressed, with no role, to that session only.
 */
export function notInRoomKick(event: StanzaEvent, room: Room | undefined): Element {
  const affiliation = room?.affiliationOf(event.from.bareString()) ?? 'none';
  const item = x('item', { affiliation, role: 'none' }, x('reason', {}, NOT_IN_ROOM));
  const user = x('x', { xmlns: MUC_NS.user }, item, x('status', { code: String(STATUS.self) }), x('status', { code: String(STATUS.kicked) }));
  return x('presence', { from: event.to.toString(), to: event.from.toString(), type: 'unavailable' }, user);
}
