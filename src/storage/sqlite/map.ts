/** SQLite MapStore: one JSON value per (host, store, user, key) row. */

import type { MapStore } from '../../core/storage/stores.js';
import type { Prepare } from './statements.js';

export function createSqliteMap<T>(prepare: Prepare, host: string, store: string): MapStore<T> {
  return {
    async get(user, key) {
      const row = prepare('SELECT value FROM map WHERE host = ? AND store = ? AND user = ? AND key = ?').get(
        host,
        store,
        user,
        key,
      ) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    async set(user, key, value) {
      prepare(
        `INSERT INTO map (host, store, user, key, value) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (host, store, user, key) DO UPDATE SET value = excluded.value`,
      ).run(host, store, user, key, JSON.stringify(value));
    },
    async delete(user, key) {
      prepare('DELETE FROM map WHERE host = ? AND store = ? AND user = ? AND key = ?').run(host, store, user, key);
    },
    async all(user) {
      const rows = prepare('SELECT key, value FROM map WHERE host = ? AND store = ? AND user = ?').all(
        host,
        store,
        user,
      ) as { key: string; value: string }[];
      // Sorted in JS so both drivers agree on order (SQLite sorts by UTF-8 bytes).
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return new Map(rows.map((r) => [r.key, JSON.parse(r.value) as T]));
    },
    async deleteAll(user) {
      prepare('DELETE FROM map WHERE host = ? AND store = ? AND user = ?').run(host, store, user);
    },
  };
}
