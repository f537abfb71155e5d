/**
 * In-memory ArchiveStore with the same ordering and paging semantics as the
 * SQLite driver: order is insertion order, RSM ids are positions in it.
 */

import { randomBytes } from 'node:crypto';
import type { ArchiveItem, ArchivePage, ArchiveQuery, ArchiveStore } from '../../core/storage/stores.js';
import type { Buckets } from './buckets.js';

type Filter = Pick<ArchiveQuery, 'ids' | 'with' | 'start' | 'end' | 'excludeTypes'>;

interface Entry {
  /** Insertion position; never reused, so ids stay comparable after deletes. */
  seq: number;
  item: ArchiveItem;
}

/** One user's log in one store. */
export class UserLog {
  entries: Entry[] = [];
  byId = new Map<string, Entry>();
  /** Entries that carry an externalId, by `with` + externalId. */
  byExternal = new Map<string, Entry>();
  nextSeq = 1;
}

const externalKey = (withJid: string, externalId: string): string => `${withJid}\n${externalId}`;

export function createMemoryArchive(logs: Buckets<UserLog>, host: string, store: string): ArchiveStore {
  const users = logs.bucket(host, store);
  const logOf = (user: string): UserLog | undefined => users.get(user);

  return {
    async append(user, item) {
      let log = logOf(user);
      if (!log) {
        log = new UserLog();
        users.set(user, log);
      }
      return appendTo(log, item);
    },
    async query(user, query = {}) {
      return queryLog(logOf(user) ?? new UserLog(), query);
    },
    async delete(user, filter = {}) {
      const log = logOf(user);
      return log ? deleteFrom(log, filter) : 0;
    },
    async deleteAll(user) {
      users.delete(user);
    },
    async deleteOlderThan(when) {
      let removed = 0;
      for (const log of users.values()) removed += removeWhere(log, (e) => e.item.when < when);
      return removed;
    },
  };
}

function appendTo(log: UserLog, item: Omit<ArchiveItem, 'id'> & { id?: string }): string {
  const key = item.externalId === undefined ? undefined : externalKey(item.with, item.externalId);
  const duplicate = key === undefined ? undefined : log.byExternal.get(key);
  if (duplicate) return duplicate.item.id;
  const id = item.id ?? newArchiveId();
  if (log.byId.has(id)) throw conflict(id);
  const entry: Entry = { seq: log.nextSeq++, item: copyItem({ ...item, id }) };
  log.entries.push(entry);
  log.byId.set(id, entry);
  if (key !== undefined) log.byExternal.set(key, entry);
  return id;
}

/** A stored or returned copy, without keys for absent optional fields. */
function copyItem(item: ArchiveItem): ArchiveItem {
  const copy: ArchiveItem = { id: item.id, when: item.when, with: item.with, payload: item.payload };
  if (item.type !== undefined) copy.type = item.type;
  if (item.externalId !== undefined) copy.externalId = item.externalId;
  return copy;
}

function queryLog(log: UserLog, query: ArchiveQuery): ArchivePage {
  // Resolve RSM ids first so an unknown id fails even when nothing matches.
  const after = query.afterId === undefined ? -Infinity : seqOf(log, query.afterId);
  const before = query.beforeId === undefined ? Infinity : seqOf(log, query.beforeId);
  const matching = log.entries.filter(matcher(query));
  const window = matching.filter((e) => e.seq > after && e.seq < before);
  const limit = query.limit === undefined ? Infinity : Math.max(0, Math.floor(query.limit));
  const page = query.reverse ? window.slice(Math.max(0, window.length - limit)) : window.slice(0, limit);
  return {
    items: page.map((e) => copyItem(e.item)),
    complete: page.length === window.length,
    total: matching.length,
  };
}

function deleteFrom(log: UserLog, filter: Filter): number {
  return removeWhere(log, matcher(filter));
}

function removeWhere(log: UserLog, doomed: (e: Entry) => boolean): number {
  const kept = log.entries.filter((e) => !doomed(e));
  const removed = log.entries.length - kept.length;
  for (const e of log.entries) {
    if (!doomed(e)) continue;
    log.byId.delete(e.item.id);
    if (e.item.externalId !== undefined) log.byExternal.delete(externalKey(e.item.with, e.item.externalId));
  }
  log.entries = kept;
  return removed;
}

function matcher(filter: Filter): (e: Entry) => boolean {
  const ids = filter.ids && new Set(filter.ids);
  const excluded = filter.excludeTypes && new Set(filter.excludeTypes);
  return ({ item }) =>
    (filter.with === undefined || item.with === filter.with) &&
    (filter.start === undefined || item.when >= filter.start) &&
    (filter.end === undefined || item.when <= filter.end) &&
    (ids === undefined || ids.has(item.id)) &&
    (excluded === undefined || item.type === undefined || !excluded.has(item.type));
}

function seqOf(log: UserLog, id: string): number {
  const entry = log.byId.get(id);
  if (!entry) throw itemNotFound(id);
  return entry.seq;
}

/** 12 url-safe characters, 72 random bits. */
export function newArchiveId(): string {
  return randomBytes(9).toString('base64url');
}

function itemNotFound(id: string): Error {
  // MAM maps `code` straight onto the XMPP error condition.
  return Object.assign(new Error(`archive item not found: ${id}`), { code: 'item-not-found' });
}

function conflict(id: string): Error {
  return Object.assign(new Error(`archive id already used: ${id}`), { code: 'conflict' });
}
