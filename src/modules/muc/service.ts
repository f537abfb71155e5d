/**
 * The MUC service on its component host: rooms by bare JID, who may create
 * them, stable occupant ids, shutdown, and sending stanzas out in order.
 *
 * References: XEP-0045 §10.1 (creating a room), §6 (service discovery);
 * XEP-0421 §4 (occupant ids must be stable and not reveal the real JID);
 * XEP-0045 §7.14 (shutdown keeps occupants of persistent rooms, restore.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Room } from './room.js';
import type { Element } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { JID } from '../../core/jid/jid.js';
import type { RoomPersistence } from './persistence.js';
import type { RoomArchive } from './room-archive.js';
import type { HistoryEntry } from './history.js';
import { expireRestored } from './restore.js';

export class MucService {
  readonly rooms = new Map<string, Room>();
  /** Replaced at setup by the stored secret, so occupant ids survive restarts (XEP-0421 §4). */
  private secret: Buffer = randomBytes(32);
  /** Set once the host is stopping: leaves caused by the shutdown must not empty saved rooms. */
  stopping = false;
  private expiry?: NodeJS.Timeout;
  private readonly admins: Set<string>;
  /** Set by the module's setup when the host has storage (persistence.ts, room-archive.ts). */
  persistence?: RoomPersistence;
  archive?: RoomArchive;

  constructor(readonly host: Host) {
    this.admins = new Set(host.config.muc.admins.map((jid) => jid.toLowerCase()));
  }

  get domain(): string {
    return this.host.name;
  }

  /** Creation policy (`muc.restrict_creation`): any account of a local user host, or service admins only. */
  mayCreate(from: JID): boolean {
    if (this.admins.has(from.bareString())) return true;
    if (this.host.config.muc.restrict_creation === 'admins') return false;
    const userHost = this.host.server.hosts.get(from.domain);
    return userHost !== undefined && userHost.acceptsClients && from.local !== undefined;
  }

  isAdmin(bareJid: string): boolean {
    return this.admins.has(bareJid);
  }

  create(roomJid: string, owner: string): Room {
    const room = new Room(roomJid);
    room.affiliations.set(owner, 'owner');
    for (const admin of this.admins) if (admin !== owner) room.affiliations.set(admin, 'owner');
    room.locked = true;
    this.rooms.set(roomJid, room);
    // A new room starts with an empty archive, whatever an earlier temporary room of this name left.
    this.dropArchive(room);
    return room;
  }

  /** Temporary rooms vanish with their last occupant, archive and all; persistent ones stay (§10.9). */
  forgetIfEmpty(room: Room): void {
    if (!room.isEmpty || room.config.persistent) return;
    this.rooms.delete(room.jid);
    this.dropArchive(room);
  }

  /** Callers are synchronous; a failed delete only leaves old messages behind. */
  private dropArchive(room: Room): void {
    this.archive?.forget(room).catch(() => undefined);
  }

  /** Saves a persistent room after a change (unchanged rooms are not written). */
  async saveRoom(roomJid: string): Promise<void> {
    const room = this.rooms.get(roomJid);
    if (room) await this.persistence?.save(room);
  }

  /** Whether the room's discussion is archived (logged, in XEP-0045's terms: status 170 on entry). */
  archives(room: Room): boolean {
    return this.archive !== undefined && room.config.archive;
  }

  /** Join history: from the archive when the room archives, else the room's memory. */
  async historyOf(room: Room): Promise<readonly HistoryEntry[]> {
    if (this.archive && room.config.archive) return this.archive.history(room);
    return room.history;
  }

  /** A reflected groupchat message: kept in memory and, when archiving, in the archive. */
  async recordMessage(room: Room, message: Element): Promise<void> {
    room.addHistory(message);
    await this.archive?.append(room, message);
  }

  /** After §10.9: a persistent room leaves a tombstone, its archive goes. */
  async roomDestroyed(room: Room, request?: Element): Promise<void> {
    await this.persistence?.destroyed(room, request);
    await this.archive?.forget(room);
  }

  async useStoredSecret(): Promise<void> {
    if (this.persistence) this.secret = await this.persistence.secret();
  }

  /** (Re)schedules the removal of restored occupants nobody came back for (restore.ts); tests shorten it. */
  expireRestoredAfter(ms: number): void {
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => void expireRestored(this).catch(() => undefined), ms);
    this.expiry.unref();
  }

  /** Shutdown: saves persistent rooms with their occupants before the streams close. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.expiry);
    for (const room of this.rooms.values()) await this.persistence?.save(room, true);
  }

  occupantId(roomJid: string, bareJid: string): string {
    return createHmac('sha256', this.secret).update(`${roomJid}\0${bareJid}`).digest('base64url');
  }

  newStanzaId(): string {
    return randomBytes(12).toString('base64url');
  }

  /** Sends stanzas one after another so clients see them in this order. */
  async send(...stanzas: Element[]): Promise<void> {
    for (const stanza of stanzas) await this.host.route(stanza);
  }
}
