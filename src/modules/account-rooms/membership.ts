/**
 * One account's occupancy of one room: its state, nick and password, the
 * account's sessions that joined it, sessions waiting for the room's answer,
 * the cached room view, and what durability needs (the last room stanza-id
 * and when traffic last came).
 *
 * References: account-rooms spec, "Words" (membership states, joined
 * sessions, room view) and "Durability".
 */
import type { Element } from '../../core/xml/element.js';
import type { Session } from '../../core/session/session.js';
import { RoomView } from './room-view.js';

export type MembershipState = 'joining' | 'joined' | 'leaving';

/** A session that sent a join and waits for the room's answer. */
export interface WaitingSession {
  session: Session;
  /** Its join presence (for `<history>` and the nick it asked for). */
  join: Element;
}

export interface SentStanza {
  session: Session;
  stanza: Element;
  /** Sent again once after a rejoin already. */
  retried: boolean;
}

/** What is stored per membership (see store.ts). */
export interface StoredMembership {
  room: string;
  nick: string;
  password?: string;
  /** Occupy the room from `user@host/<resource>` (the room refused the bare JID). */
  fromFullJid?: boolean;
  lastStanzaId?: string;
  /** Milliseconds since the epoch of the last room message received. */
  lastReceived?: number;
  bookmarked?: boolean;
  /** The presence key the room showed (see presence.ts), restored so a restart changes nothing visible. */
  shownPresence?: string;
}

/** Remembered ids of stanzas sessions sent to the room, so errors reach the sender. */
const MAX_TRACKED_IDS = 200;

export class Membership {
  state: MembershipState = 'joining';
  readonly sessions = new Set<Session>();
  waiting: WaitingSession[] = [];
  /** Sessions whose leave ended the membership: they get the room's confirmation. */
  leaving: Session[] = [];
  readonly view = new RoomView();
  /** Sessions being answered locally, and the live room traffic held for each until their history is out. */
  readonly replaying = new Map<Session, Element[]>();
  password?: string;
  fromFullJid = false;
  lastStanzaId?: string;
  lastReceived?: number;
  /** When traffic from the room last proved the account is an occupant. */
  lastVerified = 0;
  /** When the last joined session left (for `idle_leave_after`). */
  idleSince = Date.now();
  /** The session that most recently sent something to the room. */
  lastActive?: Session;
  /** The presence key the room currently shows (see presence.ts). */
  shownPresence?: string;
  /** A rejoin the sessions must not notice (restart, 332, stale). */
  silentRejoin = false;
  /** Join attempts of the current silent rejoin (for backoff). */
  rejoinAttempts = 0;
  /** Stanzas waiting for a silent rejoin to finish, then sent again once. */
  retryAfterRejoin: Element[] = [];
  /** Bookmarked with autojoin: retracting the bookmark or clearing autojoin ends the membership. */
  bookmarked = false;
  /** Nicks seen during a silent rejoin: occupants of the old view not among them have left. */
  seenDuringRejoin?: Set<string>;
  private readonly sent = new Map<string, SentStanza>();

  constructor(
    readonly username: string,
    readonly room: string,
    public nick: string,
  ) {}

  get occupantJid(): string {
    return `${this.room}/${this.nick}`;
  }

  /** Remembers which session sent this stanza to the room, so an error answering it reaches that session. */
  trackSent(stanza: Element, session: Session): void {
    const id = stanza.attrs.id;
    if (id === undefined) return;
    this.sent.delete(id);
    this.sent.set(id, { session, stanza, retried: false });
    if (this.sent.size > MAX_TRACKED_IDS) this.sent.delete(this.sent.keys().next().value!);
  }

  sentWithId(id: string | undefined): SentStanza | undefined {
    return id === undefined ? undefined : this.sent.get(id);
  }

  toStored(): StoredMembership {
    const { room, nick, password, lastStanzaId, lastReceived, shownPresence } = this;
    const flags = { fromFullJid: this.fromFullJid || undefined, bookmarked: this.bookmarked || undefined };
    return { room, nick, password, lastStanzaId, lastReceived, shownPresence, ...flags };
  }
}
