/**
 * The owner's room configuration, first step: accepting the default
 * configuration of a new room (the "instant room", an empty submitted form),
 * which unlocks it. The full `muc#roomconfig` form is a later step.
 *
 * References: XEP-0045 §10.1.2 (creating an instant room), §10.1.3
 * (reserved rooms), §10.2 (subsequent configuration).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
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

export function handleOwnerSet(service: MucService, event: StanzaEvent): true {
  const room = roomFor(service, event);
  requireOwner(room, event);
  const form = iqPayload(event.stanza).getChild('x', NS.dataForms);
  if (!form) throw new StanzaError('feature-not-implemented', 'only the instant-room form is supported yet');
  const fields = form.getChildren('field').filter((f) => f.attrs.var !== 'FORM_TYPE');
  if (form.attrs.type !== 'submit' || fields.length > 0) {
    throw new StanzaError('feature-not-implemented', 'only the instant-room form is supported yet');
  }
  room.locked = false;
  return answerIq(event);
}

export function handleOwnerGet(service: MucService, event: StanzaEvent): never {
  requireOwner(roomFor(service, event), event);
  throw new StanzaError('feature-not-implemented', 'the configuration form is not available yet');
}
