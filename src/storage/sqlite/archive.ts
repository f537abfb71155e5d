/**
 * SQLite ArchiveStore. Order is rowid (insertion) order; RSM after/before ids
 * are resolved to rowids so paging stays correct even when the referenced
 * item does not match the current filters.
 */

import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { ArchiveItem, ArchivePage, ArchiveQuery, ArchiveStore } from '../../core/storage/stores.js';
import type { Prepare } from './statements.js';

type Filter = Pick<ArchiveQuery, 'ids' | 'with' | 'start' | 'end'>;

interface Row {
  id: string;
  when_ms: number;
  with_jid: string;
  payload: string;
}

/** A WHERE clause and its positional parameters. */
interface Where {
  sql: string;
  params: unknown[];
}

export function createSqliteArchive(db: Database.Database, prepare: Prepare, host: string, store: string): ArchiveStore {
  const owner = (user: string): Where => ({ sql: 'host = ? AND store = ? AND user = ?', params: [host, store, user] });

  // A read transaction gives total and page the same snapshot.
  const runQuery = db.transaction((user: string, query: ArchiveQuery) => queryPage(prepare, owner(user), query));

  return {
    async append(user, item) {
      const id = item.id ?? newArchiveId();
      try {
        prepare(
          'INSERT INTO archive (id, host, store, user, when_ms, with_jid, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(id, host, store, user, item.when, item.with, item.payload);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw conflict(id);
        throw err;
      }
      return id;
    },
    async query(user, query = {}) {
      return runQuery(user, query);
    },
    async delete(user, filter = {}) {
      const where = withFilters(owner(user), filter);
      return prepare(`DELETE FROM archive WHERE ${where.sql}`).run(...where.params).changes;
    },
    async deleteAll(user) {
      const where = owner(user);
      prepare(`DELETE FROM archive WHERE ${where.sql}`).run(...where.params);
    },
  };
}

function queryPage(prepare: Prepare, owner: Where, query: ArchiveQuery): ArchivePage {
  const matching = withFilters(owner, query);
  const window = withPosition(prepare, owner, matching, query);
  const total = (prepare(`SELECT COUNT(*) AS n FROM archive WHERE ${matching.sql}`).get(...matching.params) as {
    n: number;
  }).n;
  const limit = query.limit === undefined ? undefined : Math.max(0, Math.floor(query.limit));
  // Fetch one extra row to learn whether anything lies beyond the page.
  const rows = prepare(
    `SELECT id, when_ms, with_jid, payload FROM archive WHERE ${window.sql}
     ORDER BY rowid ${query.reverse ? 'DESC' : 'ASC'} LIMIT ?`,
  ).all(...window.params, limit === undefined ? -1 : limit + 1) as Row[];
  const complete = limit === undefined || rows.length <= limit;
  const page = complete ? rows : rows.slice(0, limit);
  if (query.reverse) page.reverse();
  return { items: page.map(toItem), complete, total };
}

function withFilters(base: Where, filter: Filter): Where {
  let where = base;
  if (filter.with !== undefined) where = and(where, 'with_jid = ?', filter.with);
  if (filter.start !== undefined) where = and(where, 'when_ms >= ?', filter.start);
  if (filter.end !== undefined) where = and(where, 'when_ms <= ?', filter.end);
  // json_each keeps one statement text whatever the number of ids.
  if (filter.ids !== undefined) where = and(where, 'id IN (SELECT value FROM json_each(?))', JSON.stringify(filter.ids));
  return where;
}

function withPosition(prepare: Prepare, owner: Where, where: Where, query: ArchiveQuery): Where {
  if (query.afterId !== undefined) where = and(where, 'rowid > ?', rowidOf(prepare, owner, query.afterId));
  if (query.beforeId !== undefined) where = and(where, 'rowid < ?', rowidOf(prepare, owner, query.beforeId));
  return where;
}

function and(where: Where, clause: string, param: unknown): Where {
  return { sql: `${where.sql} AND ${clause}`, params: [...where.params, param] };
}

function rowidOf(prepare: Prepare, owner: Where, id: string): number {
  const row = prepare(`SELECT rowid FROM archive WHERE ${owner.sql} AND id = ?`).get(...owner.params, id) as
    | { rowid: number }
    | undefined;
  if (!row) throw itemNotFound(id);
  return row.rowid;
}

function toItem(row: Row): ArchiveItem {
  return { id: row.id, when: row.when_ms, with: row.with_jid, payload: row.payload };
}

/** 12 url-safe characters, 72 random bits. */
function newArchiveId(): string {
  return randomBytes(9).toString('base64url');
}

function itemNotFound(id: string): Error {
  // MAM maps `code` straight onto the XMPP error condition.
  return Object.assign(new Error(`archive item not found: ${id}`), { code: 'item-not-found' });
}

function conflict(id: string): Error {
  return Object.assign(new Error(`archive id already used: ${id}`), { code: 'conflict' });
}
