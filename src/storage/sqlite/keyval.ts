/** SQLite KeyValStore: one JSON document per (host, store, user) row. */

import type { KeyValStore } from '../../core/storage/stores.js';
import type { Prepare } from './statements.js';

export function createSqliteKeyVal<T>(prepare: Prepare, host: string, store: string): KeyValStore<T> {
  return {
    async get(user) {
      const row = prepare('SELECT value FROM keyval WHERE host = ? AND store = ? AND user = ?').get(host, store, user) as
        | { value: string }
        | undefined;
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    async set(user, value) {
      prepare(
        `INSERT INTO keyval (host, store, user, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (host, store, user) DO UPDATE SET value = excluded.value`,
      ).run(host, store, user, JSON.stringify(value));
    },
    async delete(user) {
      prepare('DELETE FROM keyval WHERE host = ? AND store = ? AND user = ?').run(host, store, user);
    },
    async users() {
      const rows = prepare('SELECT user FROM keyval WHERE host = ? AND store = ?').all(host, store) as { user: string }[];
      // Sorted in JS so both drivers agree on order (SQLite sorts by UTF-8 bytes).
      return rows.map((r) => r.user).sort();
    },
  };
}
