/**
 * Persistent rooms: what of a room survives a restart (configuration,
 * affiliations, subject), saved whenever it changes and loaded when the
 * service starts; and the small record a destroyed persistent room leaves
 * behind so later joins learn it is gone, with its alternate venue, until
 * it expires (tombstones.ts). Temporary rooms are never stored. At
 * shutdown the occupants are saved too (restore.ts), and the service's
 * occupant-id secret lives in the same store under a key no room JID can
 * take.
 *
 * References: XEP-0045 §10.1.3 (muc#roomconfig_persistentroom), §10.9
 * (destroying a room; `<gone/>` for later joins), §7.2 (entering);
 * XEP-0421 §4 (occupant ids stable across restarts).
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '../../core/xml/element.js';
import type { KeyValStore } from '../../core/storage/stores.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { MucService } from './service.js';
import { DEFAULT_ROOM_CONFIG, Room, type RoomConfig, type Subject } from './room.js';
import type { Affiliation } from './occupant.js';
import { restoreOccupants, saveOccupants, type StoredOccupant } from './restore.js';
import { GoneError, Tombstones, tombstoneOf, type Tombstone, type TombstoneOptions } from './tombstones.js';

// Tombstones and their `gone` error lived here first; existing importers keep working.
export { GoneError, type Tombstone };

/** Not a bare JID, so no room can collide with it. */
const SECRET_KEY = '#occupant-id-secret';

/** A persistent room as stored, keyed by the room's bare JID. */
export interface StoredRoom {
  kind: 'room';
  config: RoomConfig;
  affiliations: [string, Affiliation][];
  /** Registered nicks by bare JID (§7.10); absent in rooms saved before registration existed. */
  reservedNicks?: [string, string][];
  subject?: Subject;
  /** Occupants at the last shutdown (restore.ts). */
  occupants?: StoredOccupant[];
}

/** The per-service secret behind occupant ids (XEP-0421), base64. */
export interface StoredSecret {
  kind: 'secret';
  value: string;
}

export type StoredRecord = StoredRoom | Tombstone | StoredSecret;

export function snapshot(room: Room, withOccupants = false): StoredRoom {
  return {
    kind: 'room',
    config: { ...room.config },
    affiliations: [...room.affiliations.entries()],
    reservedNicks: [...room.reservedNicks.entries()],
    subject: room.subject ? { ...room.subject } : undefined,
    occupants: withOccupants ? saveOccupants(room) : undefined,
  };
}

export function restore(jid: string, stored: StoredRoom): Room {
  // Defaults first, so keys added to the model since the room was saved get a value.
  const room = new Room(jid, { ...DEFAULT_ROOM_CONFIG, ...stored.config });
  for (const [bareJid, affiliation] of stored.affiliations) room.affiliations.set(bareJid, affiliation);
  for (const [bareJid, nick] of stored.reservedNicks ?? []) room.reservedNicks.set(bareJid, nick);
  if (stored.subject) room.subject = stored.subject;
  restoreOccupants(room, stored.occupants ?? []);
  return room;
}

/** Saves persistent rooms when they changed, forgets rooms turned temporary, keeps tombstones. */
export class RoomPersistence {
  /** Last saved form of each room, so an unchanged room is not written again. */
  private readonly saved = new Map<string, string>();
  private readonly tombstones: Tombstones;

  constructor(
    private readonly store: KeyValStore<StoredRecord>,
    tombstoneOptions: TombstoneOptions = {},
  ) {
    this.tombstones = new Tombstones(tombstoneOptions);
  }

  /** Every stored persistent room; live tombstones are kept for `gone` answers, expired ones deleted. */
  async load(): Promise<Room[]> {
    const rooms: Room[] = [];
    for (const jid of await this.store.users()) {
      const record = await this.store.get(jid);
      if (record?.kind === 'destroyed') await this.loadTombstone(jid, record);
      else if (record?.kind === 'room') {
        rooms.push(restore(jid, record));
        this.saved.set(jid, JSON.stringify(record));
      }
    }
    return rooms;
  }

  private async loadTombstone(jid: string, tombstone: Tombstone): Promise<void> {
    if (this.tombstones.isExpired(tombstone)) return this.store.delete(jid);
    // Tombstones from before expiry existed start their time now.
    if (tombstone.at === undefined) await this.store.set(jid, (tombstone = { ...tombstone, at: this.tombstones.now() }));
    this.tombstones.set(jid, tombstone);
  }

  /** The occupant-id secret of earlier runs, or a new one kept for later runs. */
  async secret(): Promise<Buffer> {
    const stored = await this.store.get(SECRET_KEY);
    if (stored?.kind === 'secret') return Buffer.from(stored.value, 'base64');
    const fresh = randomBytes(32);
    await this.store.set(SECRET_KEY, { kind: 'secret', value: fresh.toString('base64') });
    return fresh;
  }

  /** `withOccupants` at shutdown only: occupants change too often to save otherwise. */
  async save(room: Room, withOccupants = false): Promise<void> {
    if (!room.config.persistent) {
      if (this.saved.delete(room.jid)) await this.store.delete(room.jid);
      return;
    }
    const record = snapshot(room, withOccupants);
    const serialised = JSON.stringify(record);
    if (this.saved.get(room.jid) === serialised) return;
    this.saved.set(room.jid, serialised);
    this.tombstones.delete(room.jid);
    await this.store.set(room.jid, record);
  }

  /** A destroyed persistent room leaves a tombstone; a temporary one leaves nothing. */
  async destroyed(room: Room, request?: Element): Promise<void> {
    if (!room.config.persistent) return;
    this.saved.delete(room.jid);
    const tombstone = tombstoneOf(request, this.tombstones.now());
    this.tombstones.set(room.jid, tombstone);
    await this.store.set(room.jid, tombstone);
  }

  /** Throws `gone` for a join to a destroyed persistent room (§10.9) while its tombstone lasts. */
  async checkNotDestroyed(roomJid: string): Promise<void> {
    const { live, expired } = this.tombstones.state(roomJid);
    if (live) throw new GoneError(live.alternate);
    if (expired) await this.store.delete(roomJid);
  }
}

/**
 * Wraps a hook handler that may change a room's lasting state (owner and
 * admin IQs, subject changes) so the room is saved once it succeeded.
 */
export function savingRoom<R>(handler: (event: StanzaEvent, mod: { api: MucService }) => Promise<R> | R) {
  return async (event: StanzaEvent, mod: { api: MucService }): Promise<R> => {
    const result = await handler(event, mod);
    await mod.api.saveRoom(event.to.bareString());
    return result;
  };
}
