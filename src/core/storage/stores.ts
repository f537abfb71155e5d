/**
 * Storage interfaces: the three generic store kinds every feature is built on.
 * Features never see a database; drivers (memory, sqlite, later postgres)
 * implement these once.
 *
 * All methods are async so a network database can implement them; values are
 * JSON-serialisable plain data.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** One document per user (roster, vCard, account credentials). */
export interface KeyValStore<T = Json> {
  get(user: string): Promise<T | undefined>;
  set(user: string, value: T): Promise<void>;
  delete(user: string): Promise<void>;
  /** Every user that has a document in this store, sorted. */
  users(): Promise<string[]>;
}

/** Per-user keyed items (private XML fragments, PEP items, affiliations). */
export interface MapStore<T = Json> {
  get(user: string, key: string): Promise<T | undefined>;
  set(user: string, key: string, value: T): Promise<void>;
  delete(user: string, key: string): Promise<void>;
  /** Every key/value of the user, sorted by key. */
  all(user: string): Promise<Map<string, T>>;
  deleteAll(user: string): Promise<void>;
}

/** One archived item: a time-ordered log entry owned by a user. */
export interface ArchiveItem {
  /** Unique, opaque, assigned by the store on append unless given. */
  id: string;
  /** Milliseconds since the epoch. */
  when: number;
  /** The bare JID of the conversation partner (for `with` filters). */
  with: string;
  /** Serialised payload, usually a stanza's XML. */
  payload: string;
  /** What kind of entry this is, e.g. a message type (`chat`, `groupchat`); absent when not given. */
  type?: string;
  /**
   * An id another entity gave the item (a MUC room's stanza-id), unique per
   * (user, with): appending an item whose (with, externalId) pair is already
   * stored stores nothing and returns the stored item's id, so a message
   * that arrives twice (several devices in one room) is archived once.
   */
  externalId?: string;
}

export interface ArchiveQuery {
  with?: string;
  /** Inclusive bounds, ms since the epoch. */
  start?: number;
  end?: number;
  /** Items strictly after / before the item with this id (RSM). */
  afterId?: string;
  beforeId?: string;
  /** Only these ids. */
  ids?: string[];
  /**
   * Leaves out items whose type is one of these (a user's archive queried
   * without room messages); items without a type are kept. Totals, pages
   * and `complete` count only the items left.
   */
  excludeTypes?: string[];
  /** Page size; undefined means no limit. */
  limit?: number;
  /**
   * When true the page is taken from the newest end (RSM `<before/>`), but
   * items are still returned oldest first.
   */
  reverse?: boolean;
}

export interface ArchivePage {
  items: ArchiveItem[];
  /** True when no item matching the query lies beyond this page. */
  complete: boolean;
  /** Number of items matching the query ignoring paging. */
  total: number;
}

/** A time-ordered per-user log (MAM, offline messages, MUC history). */
export interface ArchiveStore {
  /**
   * Stores an item and returns its id; when an item with the same (with,
   * externalId) is already stored, stores nothing and returns that item's id.
   * A given id already used by the user fails with code `conflict`.
   */
  append(user: string, item: Omit<ArchiveItem, 'id'> & { id?: string }): Promise<string>;
  query(user: string, query?: ArchiveQuery): Promise<ArchivePage>;
  /** Deletes matching items (all of the user's items without a query); returns how many. */
  delete(user: string, query?: Pick<ArchiveQuery, 'ids' | 'with' | 'start' | 'end'>): Promise<number>;
  deleteAll(user: string): Promise<void>;
  /** Retention: deletes every user's items with `when` before this time (ms); returns how many. */
  deleteOlderThan(when: number): Promise<number>;
}

export type StoreKind = 'keyval' | 'map' | 'archive';

export interface StoreOfKind {
  keyval: KeyValStore<any>;
  map: MapStore<any>;
  archive: ArchiveStore;
}

/**
 * A storage driver opens named stores per virtual host. Store names are
 * chosen by modules (`roster`, `offline`…), so a module's data is
 * `(host, store, user[, key])`.
 */
export interface StorageDriver {
  keyval<T = Json>(host: string, store: string): KeyValStore<T>;
  map<T = Json>(host: string, store: string): MapStore<T>;
  archive(host: string, store: string): ArchiveStore;
  /** Removes every item of one user across all stores of a host. */
  deleteUser(host: string, user: string): Promise<void>;
  close(): Promise<void>;
}
