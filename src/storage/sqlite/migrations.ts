/**
 * Schema migrations for the SQLite driver. The schema version lives in
 * `PRAGMA user_version`; migration N brings the database to version N + 1.
 * Append new migrations, never edit shipped ones.
 */

import type Database from 'better-sqlite3';

export interface Migration {
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    description: 'keyval, map and archive tables',
    sql: `
      CREATE TABLE keyval (
        host  TEXT NOT NULL,
        store TEXT NOT NULL,
        user  TEXT NOT NULL,
        value TEXT NOT NULL, -- JSON
        PRIMARY KEY (host, store, user)
      ) WITHOUT ROWID;

      CREATE TABLE map (
        host  TEXT NOT NULL,
        store TEXT NOT NULL,
        user  TEXT NOT NULL,
        key   TEXT NOT NULL,
        value TEXT NOT NULL, -- JSON
        PRIMARY KEY (host, store, user, key)
      ) WITHOUT ROWID;

      -- AUTOINCREMENT so rowids are never reused: RSM ids are positions.
      CREATE TABLE archive (
        rowid    INTEGER PRIMARY KEY AUTOINCREMENT,
        id       TEXT NOT NULL,
        host     TEXT NOT NULL,
        store    TEXT NOT NULL,
        user     TEXT NOT NULL,
        when_ms  INTEGER NOT NULL,
        with_jid TEXT NOT NULL,
        payload  TEXT NOT NULL,
        UNIQUE (host, store, user, id)
      );
      CREATE INDEX archive_by_time ON archive (host, store, user, when_ms);
      CREATE INDEX archive_by_with ON archive (host, store, user, with_jid, when_ms);
    `,
  },
  {
    description: 'archive: item type, external id, ids derived from rowids, rowid-ordered indexes, per-user counts',
    sql: `
      -- Rebuilt because id becomes nullable: NULL means the id is the
      -- encrypted rowid (archive-ids.ts), so generated ids need no index.
      -- Ids stored so far stay as they are, and so do positions.
      -- Owners get integer ids (archive-owners.ts): every index starts with
      -- the owner, and an integer keeps index entries small.
      ALTER TABLE archive RENAME TO archive_v1;
      CREATE TABLE archive_owner (
        owner INTEGER PRIMARY KEY,
        host  TEXT NOT NULL,
        store TEXT NOT NULL,
        user  TEXT NOT NULL,
        UNIQUE (host, store, user)
      );
      INSERT INTO archive_owner (host, store, user) SELECT DISTINCT host, store, user FROM archive_v1;
      CREATE TABLE archive (
        rowid       INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT, -- given ids only
        owner       INTEGER NOT NULL,
        when_ms     INTEGER NOT NULL,
        with_jid    TEXT NOT NULL,
        payload     TEXT NOT NULL,
        type        TEXT,
        external_id TEXT
      );
      INSERT INTO archive (rowid, id, owner, when_ms, with_jid, payload)
        SELECT a.rowid, a.id, o.owner, a.when_ms, a.with_jid, a.payload
        FROM archive_v1 a JOIN archive_owner o USING (host, store, user);
      -- Rowids of deleted items are never reused: carry the counter over.
      DELETE FROM sqlite_sequence WHERE name = 'archive';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'archive', seq FROM sqlite_sequence WHERE name = 'archive_v1';
      DROP TABLE archive_v1;

      CREATE TABLE archive_key (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        key BLOB NOT NULL
      );
      INSERT INTO archive_key (one, key) VALUES (1, randomblob(16));

      -- An index ends with the rowid, so the owner and with indexes keep
      -- each user's log and each conversation in archive order: "everything
      -- after id X" and "the last N with X" are range scans with no sort.
      CREATE INDEX archive_by_owner ON archive (owner);
      CREATE INDEX archive_by_with ON archive (owner, with_jid);
      CREATE INDEX archive_by_time ON archive (owner, when_ms);
      CREATE UNIQUE INDEX archive_by_id ON archive (owner, id) WHERE id IS NOT NULL;
      -- A room's own stanza-id: the same room message archived twice is one item.
      CREATE UNIQUE INDEX archive_by_external ON archive (owner, with_jid, external_id)
        WHERE external_id IS NOT NULL;

      -- Items per user (archive-counts.ts keeps it, one write per batch):
      -- an unfiltered query's total, the RSM count of a client syncing
      -- "everything after id X", is then one lookup instead of a walk over
      -- the user's whole archive.
      CREATE TABLE archive_count (
        host  TEXT NOT NULL,
        store TEXT NOT NULL,
        user  TEXT NOT NULL,
        n     INTEGER NOT NULL,
        PRIMARY KEY (host, store, user)
      ) WITHOUT ROWID;
      INSERT INTO archive_count (host, store, user, n)
        SELECT o.host, o.store, o.user, COUNT(*) FROM archive a JOIN archive_owner o USING (owner) GROUP BY a.owner;
    `,
  },
  {
    description: 'archive: per-user counts by item type',
    sql: `
      -- Items per user and type (archive-counts.ts keeps it with the counts
      -- above): a query leaving types out (MAM include-groupchat false) then
      -- takes its total from two lookups instead of reading every row of
      -- the user's archive. Untyped items have no row here.
      CREATE TABLE archive_type_count (
        host  TEXT NOT NULL,
        store TEXT NOT NULL,
        user  TEXT NOT NULL,
        type  TEXT NOT NULL,
        n     INTEGER NOT NULL,
        PRIMARY KEY (host, store, user, type)
      ) WITHOUT ROWID;
      INSERT INTO archive_type_count (host, store, user, type, n)
        SELECT o.host, o.store, o.user, a.type, COUNT(*) FROM archive a JOIN archive_owner o USING (owner)
        WHERE a.type IS NOT NULL GROUP BY a.owner, a.type;
    `,
  },
];

/** Brings the database up to the newest schema; refuses newer schemas. */
export function migrate(db: Database.Database): void {
  const latest = migrations.length;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this Perch supports (${latest})`);
  }
  for (let version = current; version < latest; version++) applyMigration(db, version);
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function applyMigration(db: Database.Database, version: number): void {
  // IMMEDIATE + re-check: another process may have migrated while we waited.
  db.transaction(() => {
    if (schemaVersion(db) !== version) return;
    db.exec(migrations[version]!.sql);
    db.pragma(`user_version = ${version + 1}`);
  }).immediate();
}
