/**
 * The owner's `muc#owner` IQs: the `muc#roomconfig` form (get), submitting
 * it (an empty form accepts the defaults: the instant room), cancelling the
 * initial configuration (which destroys a locked new room), and destroying
 * a room with an optional reason and alternate venue. The configuration
 * model itself is in config.ts.
 *
 * A temporary room simply stops existing once destroyed, so a later join
 * creates a new one; a destroyed persistent room leaves a tombstone so later
 * joins get `gone` (persistence.ts).
 *
 * References: XEP-0045 §10.1.2 (instant room), §10.1.3 (reserved room,
 * cancelling), §10.2 (subsequent configuration), §10.2.1 (notification of
 * configuration changes), §10.9 (destroying a room).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS, STATUS } from './ns.js';
import { applyConfigForm, changeStatusCodes, configForm } from './config.js';
import { copiesToAll } from './messages.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

export function roomFor(service: MucService, event: StanzaEvent): Room {
  const room = service.rooms.get(event.to.bareString());
  if (!room) throw new StanzaError('item-not-found', 'no such room');
  return room;
}

function requireOwner(room: Room, event: StanzaEvent): void {
  const occupant = room.occupantOf(event.from.toString());
  const affiliation = occupant?.affiliation ?? room.affiliationOf(event.from.bareString());
  if (affiliation !== 'owner') throw new StanzaError('forbidden', 'only owners may configure the room');
}

export async function handleOwnerSet(service: MucService, event: StanzaEvent): Promise<true> {
  const room = roomFor(service, event);
  requireOwner(room, event);
  const query = iqPayload(event.stanza);
  const destroy = query.getChild('destroy');
  if (destroy) {
    await destroyRoom(service, room, destroy);
    return answerIq(event);
  }
  const form = query.getChild('x', NS.dataForms);
  if (!form) throw new StanzaError('bad-request', 'expected a configuration form or a destroy request');
  if (form.attrs.type === 'cancel') {
    // Cancelling the initial configuration destroys the new room (§10.1.3); later it changes nothing.
    if (room.locked) await destroyRoom(service, room);
    return answerIq(event);
  }
  if (form.attrs.type !== 'submit') throw new StanzaError('bad-request', 'the form must be submitted or cancelled');
  await submitConfig(service, room, form);
  return answerIq(event);
}

/** Validates everything first (a bad form changes nothing), then applies and announces. */
async function submitConfig(service: MucService, room: Room, form: Element): Promise<void> {
  const next = applyConfigForm(room.config, form);
  const codes = changeStatusCodes(room.config, next);
  Object.assign(room.config, next);
  if (next.name === undefined) delete room.config.name;
  const wasLocked = room.locked;
  room.locked = false;
  // The initial configuration is no change anyone in the room needs telling about.
  if (wasLocked || codes.length === 0) return;
  await service.send(...configChangeMessages(room, codes));
}

/** The room's message to every occupant listing what kind of change happened (§10.2.1). */
function configChangeMessages(room: Room, codes: number[]): Element[] {
  const user = x('x', { xmlns: MUC_NS.user }, ...codes.map((code) => x('status', { code: String(code) })));
  const message = x('message', { from: room.jid, type: 'groupchat', id: `config-${Date.now()}` }, user);
  return copiesToAll(room, message);
}

export function handleOwnerGet(service: MucService, event: StanzaEvent): true {
  const room = roomFor(service, event);
  requireOwner(room, event);
  return answerIq(event, x('query', { xmlns: MUC_NS.owner }, configForm(room.config, room.name)));
}

/**
 * Destroys the room: every session of every occupant gets its unavailable
 * presence carrying `<destroy>` (reason, alternate venue and its password
 * as the owner gave them), then the room is forgotten (§10.9).
 */
export async function destroyRoom(service: MucService, room: Room, request?: Element): Promise<void> {
  const notice = x('destroy', { jid: request?.attrs.jid });
  for (const name of ['reason', 'password']) {
    const child = request?.getChild(name);
    if (child) notice.append(x(name, {}, child.text()));
  }
  const presences: Element[] = [];
  for (const occupant of room.occupants.values()) {
    for (const to of occupant.sessions.keys()) {
      const user = x('x', { xmlns: MUC_NS.user }, x('item', { affiliation: 'none', role: 'none' }), notice.clone());
      user.append(x('status', { code: String(STATUS.self) }));
      presences.push(x('presence', { from: `${room.jid}/${occupant.nick}`, to, type: 'unavailable' }, user));
    }
  }
  service.rooms.delete(room.jid);
  await service.roomDestroyed(room, request);
  await service.send(...presences);
}
