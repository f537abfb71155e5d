/**
 * Leaving a room and presence updates while in it. The leaving session gets
 * its unavailable presence with 110; the others see it only when the
 * occupant's last session left. An empty temporary room is destroyed.
 *
 * References: XEP-0045 §7.7 (changing availability status), §7.14 (exiting
 * a room), §10.9 (temporary rooms end with their last occupant).
 */
import type { StanzaEvent } from '../../core/events/event-map.js';
import { occupantPresence, presenceToAll } from './presence.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

export async function handleLeave(service: MucService, room: Room, event: StanzaEvent): Promise<void> {
  const session = event.from.toString();
  const occupant = room.occupantOf(session);
  if (!occupant) return;
  // Keep the status text of the exit presence for everyone to see.
  occupant.setPresence(session, event.stanza.clone());
  const own = occupantPresence(room, occupant, session, { viewer: occupant, type: 'unavailable', session });
  const toOthers = presenceToAll(room, occupant, { type: 'unavailable', session }).filter((p) => !occupant.sessions.has(p.attrs.to!));
  const left = room.leave(session)!;
  await service.send(own, ...(left.gone ? toOthers : []));
  service.forgetIfEmpty(room);
}

/** A new presence from an occupant's session: shown to every occupant (§7.7). */
export async function handlePresenceUpdate(service: MucService, room: Room, event: StanzaEvent): Promise<void> {
  const session = event.from.toString();
  const occupant = room.occupantOf(session)!;
  occupant.setPresence(session, event.stanza.clone());
  await service.send(...presenceToAll(room, occupant, { session }));
}
