/**
 * Changing nickname: everyone sees the occupant leave with the new nick and
 * 303, then arrive under the new nick; a nick held by someone else is a
 * conflict, answered from the requested occupant JID.
 *
 * References: XEP-0045 §7.6 (changing nickname), §15.6 (status 303).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { STATUS } from './ns.js';
import { presenceToAll } from './presence.js';
import { checkNick } from './limits.js';
import { checkReservedNick } from './registration.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

export async function handleNickChange(service: MucService, room: Room, event: StanzaEvent): Promise<void> {
  const session = event.from.toString();
  const occupant = room.occupantOf(session)!;
  const newNick = checkNick(event.to.resource);
  checkReservedNick(room, occupant.bareJid, newNick);
  const holder = room.occupants.get(newNick);
  if (holder && holder !== occupant) throw new StanzaError('conflict', 'that nickname is in use');
  const leaving = presenceToAll(room, occupant, { type: 'unavailable', newNick, statuses: [STATUS.nickChanged], session });
  room.rename(occupant, newNick);
  occupant.setPresence(session, event.stanza.clone());
  await service.send(...leaving, ...presenceToAll(room, occupant, { session }));
}
