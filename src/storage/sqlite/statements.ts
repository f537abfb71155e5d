/**
 * Prepared-statement cache: each distinct SQL text is compiled once per
 * connection. Archive queries build SQL from which filters are present, so
 * the set of texts is small and bounded.
 */

import type Database from 'better-sqlite3';

export type Prepare = (sql: string) => Database.Statement;

export function createStatementCache(db: Database.Database): Prepare {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}
