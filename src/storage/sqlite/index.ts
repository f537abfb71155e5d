/**
 * SQLite storage driver (better-sqlite3): one database file holds every
 * host's keyval, map and archive stores. better-sqlite3 is synchronous; the
 * async interface is kept so network databases can implement it too.
 * Archive appends are group-committed once per event-loop turn
 * (group-commit.ts).
 */

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Json, StorageDriver } from '../../core/storage/stores.js';
import { createSqliteArchive } from './archive.js';
import { ArchiveCounts } from './archive-counts.js';
import { DerivedIds } from './archive-ids.js';
import { ArchiveOwners } from './archive-owners.js';
import { GroupCommit } from './group-commit.js';
import { createSqliteKeyVal } from './keyval.js';
import { createSqliteMap } from './map.js';
import { migrate } from './migrations.js';
import { createStatementCache } from './statements.js';

/** How long a writer waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

export function createSqliteDriver(path: string): StorageDriver {
  const db = open(path);
  const prepare = createStatementCache(db);
  const counts = new ArchiveCounts(prepare);
  const archiveDeps = {
    db,
    prepare,
    counts,
    owners: new ArchiveOwners(prepare),
    // One writer per database: archive appends of every host and store share its transactions.
    commits: new GroupCommit(db, {
      beforeCommit: () => counts.sync(),
      onAbort: () => counts.discard(),
      onError: (err) => process.emitWarning(`archive appends lost: ${(err as Error).message}`, 'PerchStorageWarning'),
    }),
    ids: new DerivedIds(db.prepare('SELECT key FROM archive_key').pluck().get() as Buffer),
  };
  const { commits } = archiveDeps;

  const deleteUser = db.transaction((host: string, user: string) => {
    for (const table of ['keyval', 'map', 'archive_count', 'archive_type_count']) {
      prepare(`DELETE FROM ${table} WHERE host = ? AND user = ?`).run(host, user);
    }
    prepare('DELETE FROM archive WHERE owner IN (SELECT owner FROM archive_owner WHERE host = ? AND user = ?)').run(host, user);
  });

  return {
    keyval: <T = Json>(host: string, store: string) => createSqliteKeyVal<T>(prepare, host, store),
    map: <T = Json>(host: string, store: string) => createSqliteMap<T>(prepare, host, store),
    archive: (host, store) => createSqliteArchive(archiveDeps, host, store),
    async deleteUser(host, user) {
      counts.sync();
      deleteUser(host, user);
    },
    async close() {
      if (!db.open) return;
      commits.flush();
      db.close();
    },
  };
}

function open(path: string): Database.Database {
  if (!isInMemory(path)) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    // WAL lets readers run alongside the writer; NORMAL is durable enough under WAL.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function isInMemory(path: string): boolean {
  return path === '' || path === ':memory:' || path.startsWith('file::memory:');
}
