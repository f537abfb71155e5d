/**
 * The account-rooms state of one host: every membership by account and
 * room, which of them each session joined, and the small helpers every
 * feature file shares (the JID the account occupies rooms from, sending to
 * a room, forking to sessions, saving an account's memberships).
 *
 * The module talks to rooms only through stanzas routed like any other, so
 * a room on this server's MUC service and one across federation behave the
 * same.
 *
 * References: account-rooms spec, "What the room sees", "Where it applies".
 */
import { Element, shareChildren } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { Logger } from '../../core/log.js';
import type { Session } from '../../core/session/session.js';
import type { KeyValStore } from '../../core/storage/stores.js';
import type { PerchConfig } from '../../core/config/config.js';
import type { MamApi } from '../mam/index.js';
import type { IqApi } from '../iq/index.js';
import type { BookmarksApi } from '../bookmarks/index.js';
import type { DiscoApi } from '../disco/index.js';
import { Membership, type StoredMembership } from './membership.js';
import { globMatcher } from './glob.js';

declare module '../../core/session/session.js' {
  interface SessionState {
    /** Memberships this session joined, by room JID. */
    accountRooms?: Map<string, Membership>;
    /** The last presence the session sent each joined room, by room JID. */
    roomPresence?: Map<string, Element>;
  }
}

/** How long per-message membership updates wait to be saved together. */
const SAVE_DELAY_MS = 2000;

export type AccountRoomsConfig = PerchConfig['account_rooms'];

export interface AccountRoomsDeps {
  mam: MamApi;
  iq: IqApi;
  bookmarks?: BookmarksApi;
  disco?: DiscoApi;
}

export class AccountRooms {
  private readonly byUser = new Map<string, Map<string, Membership>>();
  private readonly excluded: (resource: string) => boolean;
  /** Set when the host stops: nothing more is said to rooms. */
  stopping = false;
  /** MAM queries to rooms awaiting results, by queryid (a session's query or a gap fill). */
  private readonly mamResults = new Map<string, (message: Element) => void>();
  /** Accounts whose memberships changed only in what saveSoon covers (last stanza-id). */
  private readonly unsaved = new Set<string>();
  private saveTimer?: NodeJS.Timeout;

  constructor(
    readonly host: Host,
    readonly config: AccountRoomsConfig,
    readonly deps: AccountRoomsDeps,
    readonly store: KeyValStore<StoredMembership[]>,
    readonly log: Logger,
  ) {
    this.excluded = globMatcher(config.exclude_resources);
  }

  get(username: string, room: string): Membership | undefined {
    return this.byUser.get(username)?.get(room);
  }

  of(username: string): Membership[] {
    return [...(this.byUser.get(username)?.values() ?? [])];
  }

  users(): string[] {
    return [...this.byUser.keys()];
  }

  add(membership: Membership): void {
    let rooms = this.byUser.get(membership.username);
    if (!rooms) this.byUser.set(membership.username, (rooms = new Map()));
    rooms.set(membership.room, membership);
  }

  /** Forgets a membership: no session stays joined to it. */
  drop(membership: Membership): void {
    for (const session of membership.sessions) this.detach(membership, session);
    const rooms = this.byUser.get(membership.username);
    if (rooms?.get(membership.room) !== membership) return;
    rooms.delete(membership.room);
    if (rooms.size === 0) this.byUser.delete(membership.username);
  }

  /** Whether a session's stanza to this room goes through account rooms at all. */
  applies(session: Session, roomDomain: string): boolean {
    const { enabled, services } = this.config;
    if (!enabled || this.excluded(session.jid!.resource!)) return false;
    return services.length === 0 || services.includes(roomDomain);
  }

  /** The membership of `room` this session joined, if any. */
  joinedBy(session: Session, room: string): Membership | undefined {
    return session.state.accountRooms?.get(room);
  }

  attach(membership: Membership, session: Session): void {
    membership.sessions.add(session);
    (session.state.accountRooms ??= new Map()).set(membership.room, membership);
  }

  detach(membership: Membership, session: Session): void {
    membership.sessions.delete(session);
    if (session.state.accountRooms?.get(membership.room) === membership) session.state.accountRooms.delete(membership.room);
    session.state.roomPresence?.delete(membership.room);
    if (membership.lastActive === session) membership.lastActive = undefined;
    if (membership.sessions.size === 0) membership.idleSince = Date.now();
  }

  /** The JID the account occupies the room from. */
  occupantFrom(membership: Membership): string {
    const bare = `${membership.username}@${this.host.name}`;
    return membership.fromFullJid ? `${bare}/${this.config.resource}` : bare;
  }

  /** Routes a stanza to the room as the account. */
  async sendToRoom(membership: Membership, stanza: Element): Promise<void> {
    if (this.stopping) return;
    stanza.attrs.from = this.occupantFrom(membership);
    await this.host.route(stanza);
  }

  /** Sends a copy of `stanza` to each session, addressed to it. */
  forward(stanza: Element, sessions: Iterable<Session>): void {
    for (const session of sessions) session.send(addressedTo(stanza, session.jid!.toString()));
  }

  /** Routes MAM results with this queryid to `handler` until the returned function is called. */
  expectMamResults(queryId: string, handler: (message: Element) => void): () => void {
    this.mamResults.set(queryId, handler);
    return () => {
      if (this.mamResults.get(queryId) === handler) this.mamResults.delete(queryId);
    };
  }

  /** A MAM result from a room; one nobody waits for is dropped (never bounced). */
  takeMamResult(queryId: string | undefined, message: Element): true {
    if (queryId !== undefined) this.mamResults.get(queryId)?.(message);
    return true;
  }

  /** Saves the account's memberships within a few seconds (per-message updates are batched). */
  saveSoon(username: string): void {
    this.unsaved.add(username);
    this.saveTimer ??= setTimeout(() => void this.flush(), SAVE_DELAY_MS).unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const users = [...this.unsaved];
    this.unsaved.clear();
    for (const username of users) {
      await this.save(username).catch((err) => this.log.warn({ err, username }, 'saving room memberships failed'));
    }
  }

  async save(username: string): Promise<void> {
    const memberships = this.of(username).filter((m) => m.state !== 'joining' || m.silentRejoin);
    if (memberships.length === 0) await this.store.delete(username);
    else await this.store.set(username, memberships.map((m) => m.toStored()));
  }
}

/** A shallow copy with a new `to`; the children are shared (frozen, serialised once for every copy). */
export function addressedTo(stanza: Element, to: string): Element {
  return new Element(stanza.name, { ...stanza.attrs, to }, shareChildren(stanza.children));
}
