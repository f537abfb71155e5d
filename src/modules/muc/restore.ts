/**
 * Occupants of persistent rooms across a restart. At shutdown each
 * persistent room's occupants are saved with the room; at start they are
 * put back without live sessions, still visible to everyone. A session of
 * the same account rejoining with the same nick takes its place quietly
 * (join.ts: the others see no new join), so a restart causes no leave/join
 * storm. Occupants nobody came back for within a grace period are removed
 * as ghosts, with 333.
 *
 * References: XEP-0045 §7.2 (entering), §7.14 (exiting), §15.6 (status
 * 333: removed because of a technical problem); XEP-0421 §4 (stable ids).
 */
import { serialize, type Element } from '../../core/xml/element.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { GHOST_STATUS } from './ghosts.js';
import { Occupant, type Affiliation, type Role } from './occupant.js';
import { presenceToAll } from './presence.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';

/** How long restored occupants wait for a session to rejoin; `PERCH_MUC_RESTORE_GRACE_MS` overrides it. */
export const RESTORE_GRACE_MS = 120_000;

export function restoreGraceMs(): number {
  const fromEnv = Number(process.env.PERCH_MUC_RESTORE_GRACE_MS);
  return Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.PERCH_MUC_RESTORE_GRACE_MS ? fromEnv : RESTORE_GRACE_MS;
}

/** An occupant as saved at shutdown; the first session is the one the room showed. */
export interface StoredOccupant {
  nick: string;
  bareJid: string;
  role: Role;
  affiliation: Affiliation;
  occupantId: string;
  /** Full JID → last presence, serialised. */
  sessions: [string, string][];
}

export function saveOccupants(room: Room): StoredOccupant[] {
  return [...room.occupants.values()].map((occupant) => {
    const shown = occupant.realJid;
    const sessions: [string, string][] = [...occupant.sessions].map(([jid, presence]) => [jid, serialize(presence)]);
    // A restored occupant nobody came back for yet keeps its restored session.
    if (occupant.restored) sessions.push([occupant.restored.jid, serialize(occupant.restored.presence)]);
    sessions.sort(([a], [b]) => Number(b === shown) - Number(a === shown));
    const { nick, bareJid, role, affiliation, occupantId } = occupant;
    return { nick, bareJid, role, affiliation, occupantId, sessions };
  });
}

export function restoreOccupants(room: Room, stored: readonly StoredOccupant[]): void {
  for (const saved of stored) {
    const [first] = saved.sessions;
    const presence = first && parseXml(first[1]);
    if (!first || !presence) continue;
    const occupant = new Occupant(saved.nick, saved.bareJid, saved.role, saved.affiliation, saved.occupantId);
    occupant.restored = { jid: first[0], presence };
    room.restoreOccupant(occupant);
  }
}

/** Did the returning session come back with a presence other than the one the room showed? */
export function presenceChanged(before: Element, after: Element): boolean {
  const shown = (el: Element) => ['show', 'status', 'priority'].map((name) => el.getChildText(name) ?? '').join('\0');
  return shown(before) !== shown(after);
}

/** Restored occupants still without a session are ghosts: the others see them go with 333. */
export async function expireRestored(service: MucService): Promise<void> {
  for (const room of service.rooms.values()) {
    for (const occupant of [...room.occupants.values()]) {
      if (!occupant.restored || occupant.sessions.size > 0) continue;
      const toOthers = presenceToAll(room, occupant, { type: 'unavailable', statuses: [GHOST_STATUS] });
      room.remove(occupant);
      await service.send(...toOthers);
    }
  }
}
