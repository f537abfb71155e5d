/**
 * SQLite ArchiveStore. Order is rowid (insertion) order; RSM after/before ids
 * are resolved to rowids so paging stays correct even when the referenced
 * item does not match the current filters. Generated ids are encrypted
 * rowids (archive-ids.ts); given ids are stored. The indexes end in the rowid
 * (migrations.ts), so "after id X" and "the last N with X" are index range
 * scans without a sort. Appends are group-committed (group-commit.ts); an
 * item whose (with, externalId) is already stored is not stored again.
 * Leaving types out is a condition on the rows an index range yields; the
 * total of a query that only leaves types out comes from per-type counts.
 */

import type Database from 'better-sqlite3';
import type { ArchiveItem, ArchivePage, ArchiveQuery, ArchiveStore } from '../../core/storage/stores.js';
import type { ArchiveCounts, Owner } from './archive-counts.js';
import type { DerivedIds } from './archive-ids.js';
import type { ArchiveOwners } from './archive-owners.js';
import type { GroupCommit } from './group-commit.js';
import type { Prepare } from './statements.js';

type Filter = Pick<ArchiveQuery, 'ids' | 'with' | 'start' | 'end' | 'excludeTypes'>;
type NewItem = Omit<ArchiveItem, 'id'> & { id?: string };

interface Row {
  rowid: number;
  id: string | null;
  when_ms: number;
  with_jid: string;
  payload: string;
  type: string | null;
  external_id: string | null;
}

/** A WHERE clause and its positional parameters. */
interface Where {
  sql: string;
  params: unknown[];
}

export interface ArchiveDeps {
  db: Database.Database;
  prepare: Prepare;
  commits: GroupCommit;
  ids: DerivedIds;
  counts: ArchiveCounts;
  owners: ArchiveOwners;
}

/** What the helpers below need about one user's log. */
interface Log extends Omit<ArchiveDeps, 'db' | 'commits' | 'owners'> {
  who: Owner;
  owner: Where;
}

export function createSqliteArchive(deps: ArchiveDeps, host: string, store: string): ArchiveStore {
  const { db, prepare, commits, counts, ids, owners } = deps;
  // Reads of an owner that never archived anything match no row (-1).
  const log = (user: string, create = false): Log => ({
    prepare,
    ids,
    counts,
    who: { host, store, user },
    owner: {
      sql: 'owner = ?',
      params: [create ? owners.idFor(host, store, user) : (owners.find(host, store, user) ?? -1)],
    },
  });
  const deleteWhere = (user: string, where: Where): number => {
    // The removed rows' types keep the per-type counts right.
    let removed = 0;
    const byType = new Map<string, number>();
    const returning = prepare(`DELETE FROM archive WHERE ${where.sql} RETURNING type`).pluck();
    for (const type of returning.iterate(...where.params) as Iterable<string | null>) {
      removed++;
      if (type !== null) byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    counts.removed({ host, store, user }, removed, byType);
    return removed;
  };

  // A read transaction gives total and page the same snapshot.
  const runQuery = db.transaction((user: string, query: ArchiveQuery) => queryPage(log(user), query));
  // Appends reuse one Log per user (owner ids are never taken back): no owner lookup and no
  // new objects per append, and the same `who` lets the counts tally by identity.
  const writers = new Map<string, Log>();
  const writerFor = (user: string): Log => {
    let writer = writers.get(user);
    if (!writer) writers.set(user, (writer = log(user, true)));
    return writer;
  };

  return {
    async append(user, item) {
      return commits.write(() => appendRow(writerFor(user), item));
    },
    async query(user, query = {}) {
      return runQuery(user, query);
    },
    async delete(user, filter = {}) {
      return deleteWhere(user, withFilters(log(user), filter));
    },
    async deleteAll(user) {
      deleteWhere(user, log(user).owner);
    },
    async deleteOlderThan(when) {
      let removed = 0;
      for (const user of counts.users(host, store)) {
        // One user per statement (a range of the time index), yielding in
        // between so a large purge does not stall the server.
        removed += deleteWhere(user, and(log(user).owner, 'when_ms < ?', when));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return removed;
    },
  };
}

/**
 * Runs inside the batch transaction, synchronously: the duplicate check and
 * the insert cannot interleave. The INSERT comes first and the unique index
 * on (owner, with, external id) rejects a duplicate, so only that rare case
 * pays for a lookup (live room messages never repeat; history and gap fills
 * may).
 */
function appendRow(log: Log, item: NewItem): string {
  // A given id spelled like one of ours could one day shadow a generated one.
  if (item.id !== undefined && log.ids.decode(item.id) !== undefined) return externalDuplicate(log, item) ?? throwConflict(item.id);
  try {
    const { lastInsertRowid } = log
      .prepare(
        `INSERT INTO archive (id, owner, when_ms, with_jid, payload, type, external_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(item.id ?? null, ...log.owner.params, item.when, item.with, item.payload, item.type ?? null, item.externalId ?? null);
    log.counts.added(log.who, item.type);
    return item.id ?? log.ids.encode(Number(lastInsertRowid));
  } catch (err) {
    if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
    // The external id is stored already (it wins over a given id), or the given id is taken.
    return externalDuplicate(log, item) ?? throwConflict(item.id ?? '');
  }
}

function externalDuplicate(log: Log, item: NewItem): string | undefined {
  if (item.externalId === undefined) return undefined;
  const row = log
    .prepare(`SELECT rowid, id FROM archive WHERE ${log.owner.sql} AND with_jid = ? AND external_id = ?`)
    .get(...log.owner.params, item.with, item.externalId) as Pick<Row, 'rowid' | 'id'> | undefined;
  return row && (row.id ?? log.ids.encode(row.rowid));
}

function queryPage(log: Log, query: ArchiveQuery): ArchivePage {
  const matching = withFilters(log, query);
  const window = withPosition(log, matching, query);
  const total = countMatching(log, matching, query);
  const limit = query.limit === undefined ? undefined : Math.max(0, Math.floor(query.limit));
  // Fetch one extra row to learn whether anything lies beyond the page.
  const rows = log
    .prepare(
      `SELECT rowid, id, when_ms, with_jid, payload, type, external_id FROM archive WHERE ${window.sql}
       ORDER BY rowid ${query.reverse ? 'DESC' : 'ASC'} LIMIT ?`,
    )
    .all(...window.params, limit === undefined ? -1 : limit + 1) as Row[];
  const complete = limit === undefined || rows.length <= limit;
  const page = complete ? rows : rows.slice(0, limit);
  if (query.reverse) page.reverse();
  return { items: page.map((row) => toItem(log, row)), complete, total };
}

/**
 * Unfiltered totals come from the per-user counters, less the counts of the
 * types left out; filtered ones walk an index range (reading each row's type
 * when types are left out too).
 */
function countMatching(log: Log, matching: Where, filter: Filter): number {
  const unfiltered = filter.with === undefined && filter.start === undefined && filter.end === undefined && filter.ids === undefined;
  if (!unfiltered) return log.prepare(`SELECT COUNT(*) FROM archive WHERE ${matching.sql}`).pluck().get(...matching.params) as number;
  const all = log.counts.get(log.who);
  return excludesTypes(filter) ? all - log.counts.ofTypes(log.who, filter.excludeTypes!) : all;
}

function withFilters(log: Log, filter: Filter): Where {
  let where = log.owner;
  if (filter.with !== undefined) where = and(where, 'with_jid = ?', filter.with);
  if (filter.start !== undefined) where = and(where, 'when_ms >= ?', filter.start);
  if (filter.end !== undefined) where = and(where, 'when_ms <= ?', filter.end);
  if (filter.ids !== undefined) {
    const rowids = filter.ids.flatMap((id) => rowidOf(log, id) ?? []);
    // json_each keeps one statement text whatever the number of ids.
    where = and(where, 'rowid IN (SELECT value FROM json_each(?))', JSON.stringify(rowids));
  }
  // Checked on the rows the index range yields: the page stays a range scan
  // of the owner or with index, stopping once it has limit + 1 rows. An
  // untyped row is kept (NOT IN alone would drop it: NULL NOT IN is NULL).
  if (excludesTypes(filter)) {
    where = and(where, '(type IS NULL OR type NOT IN (SELECT value FROM json_each(?)))', JSON.stringify(filter.excludeTypes));
  }
  return where;
}

function excludesTypes(filter: Filter): boolean {
  return filter.excludeTypes !== undefined && filter.excludeTypes.length > 0;
}

function withPosition(log: Log, where: Where, query: ArchiveQuery): Where {
  if (query.afterId !== undefined) where = and(where, 'rowid > ?', knownRowid(log, query.afterId));
  if (query.beforeId !== undefined) where = and(where, 'rowid < ?', knownRowid(log, query.beforeId));
  return where;
}

function and(where: Where, clause: string, param: unknown): Where {
  return { sql: `${where.sql} AND ${clause}`, params: [...where.params, param] };
}

/** The rowid of one of the user's items, by generated or given id. */
function rowidOf({ prepare, ids, owner }: Log, id: string): number | undefined {
  const derived = ids.decode(id);
  const sql =
    derived === undefined
      ? `SELECT rowid FROM archive WHERE ${owner.sql} AND id = ?`
      : `SELECT rowid FROM archive WHERE ${owner.sql} AND rowid = ? AND id IS NULL`;
  return prepare(sql).pluck().get(...owner.params, derived ?? id) as number | undefined;
}

function knownRowid(log: Log, id: string): number {
  const rowid = rowidOf(log, id);
  if (rowid === undefined) throw itemNotFound(id);
  return rowid;
}

function toItem(log: Log, row: Row): ArchiveItem {
  const item: ArchiveItem = { id: row.id ?? log.ids.encode(row.rowid), when: row.when_ms, with: row.with_jid, payload: row.payload };
  if (row.type !== null) item.type = row.type;
  if (row.external_id !== null) item.externalId = row.external_id;
  return item;
}

function itemNotFound(id: string): Error {
  // MAM maps `code` straight onto the XMPP error condition.
  return Object.assign(new Error(`archive item not found: ${id}`), { code: 'item-not-found' });
}

function throwConflict(id: string): never {
  throw Object.assign(new Error(`archive id already used: ${id}`), { code: 'conflict' });
}
