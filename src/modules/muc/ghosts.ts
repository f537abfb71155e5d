/**
 * Ghost removal: when traffic the room sent to an occupant's session comes
 * back as an error saying that session is unreachable (the core bouncing a
 * message to a session that ended without telling the room, or a client
 * bouncing it), the session is removed as if it had left, and the others
 * see its unavailable presence with status 333.
 *
 * References: XEP-0045 §7.13 / §15.6 (status 333: removed because of a
 * technical problem), §7.14 (exiting a room); XEP-0410 §3.2 (which errors
 * mean the session is no longer joined).
 */
import type { StanzaEvent } from '../../core/events/event-map.js';
import { presenceToAll } from './presence.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

/** Registrar code: "user is being removed from the room because of an error". */
export const GHOST_STATUS = 333;

/** Conditions meaning the addressee's session is gone or unreachable. */
const GHOST_CONDITIONS = new Set([
  'service-unavailable',
  'remote-server-not-found',
  'remote-server-timeout',
  'recipient-unavailable',
  'item-not-found',
  'gone',
  'jid-malformed',
]);

const STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

function errorCondition(event: StanzaEvent): string | undefined {
  const error = event.stanza.getChild('error');
  return error?.elements().find((el) => el.attrs.xmlns === STANZAS_NS)?.name;
}

/**
 * An error stanza to the room or an occupant JID: if it comes from an
 * occupant's session with a ghost condition, that session is removed.
 * Any other error is swallowed (errors are never answered).
 */
export async function handleBounce(service: MucService, event: StanzaEvent): Promise<true> {
  const room = service.rooms.get(event.to.bareString());
  const condition = errorCondition(event);
  if (!room || condition === undefined || !GHOST_CONDITIONS.has(condition)) return true;
  await removeGhost(service, room, event.from.toString());
  return true;
}

export async function removeGhost(service: MucService, room: Room, session: string): Promise<void> {
  const occupant = room.occupantOf(session);
  if (!occupant) return;
  // Built before removal, while the session's presence is still known; the
  // ghost itself is unreachable, so only the others hear of it.
  const toOthers = presenceToAll(room, occupant, { type: 'unavailable', session, statuses: [GHOST_STATUS] }).filter(
    (p) => !occupant.sessions.has(p.attrs.to!),
  );
  const left = room.leave(session)!;
  // Like a session leaving (leave.ts): others only notice when the last one goes.
  if (left.gone) await service.send(...toOthers);
  service.forgetIfEmpty(room);
}
