/**
 * The MUC service on its component host: rooms by bare JID, who may create
 * them, stable occupant ids, and sending stanzas out in order.
 *
 * References: XEP-0045 §10.1 (creating a room), §6 (service discovery);
 * XEP-0421 §4 (occupant ids must be stable and not reveal the real JID).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Room } from './room.js';
import type { Element } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { JID } from '../../core/jid/jid.js';

export class MucService {
  readonly rooms = new Map<string, Room>();
  /** Rooms are temporary for now, so a per-run secret keeps ids stable enough. */
  private readonly secret = randomBytes(32);
  private readonly admins: Set<string>;

  constructor(readonly host: Host) {
    this.admins = new Set(host.config.muc.admins.map((jid) => jid.toLowerCase()));
  }

  get domain(): string {
    return this.host.name;
  }

  /** Creation policy: any account of a local user host, or a service admin. */
  mayCreate(from: JID): boolean {
    if (this.admins.has(from.bareString())) return true;
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
    return room;
  }

  /** Temporary rooms vanish with their last occupant (§10.9 for persistent ones, later). */
  forgetIfEmpty(room: Room): void {
    if (room.isEmpty && !room.config.persistent) this.rooms.delete(room.jid);
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
