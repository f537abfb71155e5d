/**
 * An occupant: one nick in a room, held by one bare JID, possibly from
 * several sessions (full JIDs) of that account, each with its last presence.
 *
 * References: XEP-0045 §5.1 (roles), §5.2 (affiliations), §7.2 (multiple
 * sessions under one nick).
 */
import type { Element } from '../../core/xml/element.js';

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
export type Affiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';

export class Occupant {
  /** Full JID of each session → the last presence it sent to the room. */
  readonly sessions = new Map<string, Element>();
  /** The session whose presence the room shows (the latest to speak). */
  private primary?: string;
  /**
   * Set on an occupant restored after a restart (restore.ts) until one of
   * its sessions rejoins: the session and presence it had, shown to others
   * meanwhile. A restored occupant has no live sessions.
   */
  restored?: { jid: string; presence: Element };

  constructor(
    public nick: string,
    readonly bareJid: string,
    public role: Role,
    public affiliation: Affiliation,
    /** XEP-0421: stable per room and bare JID, opaque to others. */
    readonly occupantId: string,
  ) {}

  setPresence(fullJid: string, presence: Element): void {
    this.sessions.set(fullJid, presence);
    this.primary = fullJid;
  }

  removeSession(fullJid: string): void {
    this.sessions.delete(fullJid);
    if (this.primary === fullJid) this.primary = this.sessions.keys().next().value;
  }

  get presence(): Element | undefined {
    return this.primary === undefined ? this.restored?.presence : this.sessions.get(this.primary);
  }

  /** The real JID shown to those who may see it: the primary session, or the restored one. */
  get realJid(): string | undefined {
    return this.primary ?? this.restored?.jid;
  }

  get primaryJid(): string | undefined {
    return this.primary;
  }

  get isModerator(): boolean {
    return this.role === 'moderator';
  }
}
