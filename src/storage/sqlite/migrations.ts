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
