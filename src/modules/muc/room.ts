/**
 * A room's state, with no I/O: occupants by nick (and by session), roles and
 * affiliations, subject, recent history and whether it is still locked
 * awaiting its owner's configuration. Handlers turn this into stanzas.
 *
 * References: XEP-0045 §5 (roles and affiliations), §7.2 (entering, nick
 * conflicts, multiple sessions), §7.6 (nick changes), §8.1 (subject),
 * §10.1 (creation and locking).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { Occupant, type Affiliation, type Role } from './occupant.js';
import type { HistoryEntry } from './history.js';
import type { Element } from '../../core/xml/element.js';

// The configuration model lives in config.ts; re-exported for existing importers.
import { DEFAULT_ROOM_CONFIG, type RoomConfig } from './config.js';
export { DEFAULT_ROOM_CONFIG, type RoomConfig };

export interface Subject {
  text: string;
  /** The nick that set it, if set by an occupant. */
  nick?: string;
}

export interface Entered {
  occupant: Occupant;
  isNew: boolean;
  /** For a restored occupant's first returning session: the presence the others saw until now. */
  returnedFrom?: Element;
}

export class Room {
  readonly occupants = new Map<string, Occupant>();
  private readonly bySession = new Map<string, Occupant>();
  readonly affiliations = new Map<string, Affiliation>();
  /** Bare JID → the nick it registered with the room (§7.10, registration.ts). */
  readonly reservedNicks = new Map<string, string>();
  readonly history: HistoryEntry[] = [];
  subject?: Subject;
  /** A new room stays locked until its owner submits a configuration (§10.1.1). */
  locked = false;

  constructor(
    readonly jid: string,
    readonly config: RoomConfig = { ...DEFAULT_ROOM_CONFIG },
  ) {}

  get isEmpty(): boolean {
    return this.occupants.size === 0;
  }

  get name(): string {
    return this.config.name ?? this.jid.split('@')[0];
  }

  occupantOf(fullJid: string): Occupant | undefined {
    return this.bySession.get(fullJid);
  }

  affiliationOf(bareJid: string): Affiliation {
    return this.affiliations.get(bareJid) ?? 'none';
  }

  /** Default role for an affiliation (§5.1.2): in a moderated room, newcomers without membership are visitors. */
  static roleFor(affiliation: Affiliation, moderated = false): Role {
    if (affiliation === 'owner' || affiliation === 'admin') return 'moderator';
    if (affiliation === 'none' && moderated) return 'visitor';
    return affiliation === 'outcast' ? 'none' : 'participant';
  }

  /**
   * Adds a session under `nick`. A nick held by another account is a
   * conflict; the same account joins the existing occupant (multi-session).
   */
  enter(nick: string, fullJid: string, bareJid: string, presence: Element, occupantId: string): Entered {
    const holder = this.occupants.get(nick);
    if (holder && holder.bareJid !== bareJid) throw new StanzaError('conflict', 'that nickname is in use');
    if (holder) {
      // A restored occupant (after a restart) is back: the others already see it.
      const returnedFrom = holder.restored?.presence;
      holder.restored = undefined;
      holder.setPresence(fullJid, presence);
      this.bySession.set(fullJid, holder);
      return { occupant: holder, isNew: false, returnedFrom };
    }
    const affiliation = this.affiliationOf(bareJid);
    const occupant = new Occupant(nick, bareJid, Room.roleFor(affiliation, this.config.moderated), affiliation, occupantId);
    occupant.setPresence(fullJid, presence);
    this.occupants.set(nick, occupant);
    this.bySession.set(fullJid, occupant);
    return { occupant, isNew: true };
  }

  /** Removes a session; `gone` when it was the occupant's last one. */
  leave(fullJid: string): { occupant: Occupant; gone: boolean } | undefined {
    const occupant = this.bySession.get(fullJid);
    if (!occupant) return undefined;
    this.bySession.delete(fullJid);
    occupant.removeSession(fullJid);
    const gone = occupant.sessions.size === 0;
    if (gone) this.occupants.delete(occupant.nick);
    return { occupant, gone };
  }

  /** Takes an occupant out with all its sessions (kicks, bans, restored occupants that never came back). */
  remove(occupant: Occupant): void {
    for (const session of occupant.sessions.keys()) this.bySession.delete(session);
    occupant.sessions.clear();
    if (this.occupants.get(occupant.nick) === occupant) this.occupants.delete(occupant.nick);
  }

  /** Puts back an occupant saved at shutdown (restore.ts), with no live session yet. */
  restoreOccupant(occupant: Occupant): void {
    this.occupants.set(occupant.nick, occupant);
  }

  rename(occupant: Occupant, nick: string): void {
    const holder = this.occupants.get(nick);
    if (holder && holder !== occupant) throw new StanzaError('conflict', 'that nickname is in use');
    this.occupants.delete(occupant.nick);
    occupant.nick = nick;
    this.occupants.set(nick, occupant);
  }

  /** Moderators always; participants when the room allows it (§8.1). */
  mayChangeSubject(occupant: Occupant): boolean {
    if (occupant.isModerator) return true;
    return this.config.changeSubject && occupant.role === 'participant';
  }

  /** May `viewer` see the real JIDs of occupants? */
  showsRealJidsTo(viewer: Occupant | undefined): boolean {
    return this.config.whois === 'anyone' || viewer?.isModerator === true;
  }

  addHistory(stanza: Element, at = new Date()): void {
    this.history.push({ stanza, at });
    const excess = this.history.length - this.config.historyLength;
    if (excess > 0) this.history.splice(0, excess);
  }
}
