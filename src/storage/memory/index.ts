/**
 * In-memory storage driver: plain Maps, for tests and throwaway servers.
 * Values are deep-copied on the way in and out so callers can never mutate
 * stored state behind the store's back (the SQLite driver gets this for free
 * by serialising).
 */

import type { Json, KeyValStore, MapStore, StorageDriver } from '../../core/storage/stores.js';
import { createMemoryArchive, UserLog } from './archive.js';
import { Buckets } from './buckets.js';

export function createMemoryDriver(): StorageDriver {
  const docs = new Buckets<Json>();
  const maps = new Buckets<Map<string, Json>>();
  const logs = new Buckets<UserLog>();

  return {
    keyval: <T = Json>(host: string, store: string) => memoryKeyVal<T>(docs.bucket(host, store) as Map<string, T>),
    map: <T = Json>(host: string, store: string) => memoryMap<T>(maps.bucket(host, store) as Map<string, Map<string, T>>),
    archive: (host, store) => createMemoryArchive(logs, host, store),
    async deleteUser(host, user) {
      for (const kind of [docs, maps, logs]) kind.deleteUser(host, user);
    },
    async close() {
      for (const kind of [docs, maps, logs]) kind.clear();
    },
  };
}

function memoryKeyVal<T>(users: Map<string, T>): KeyValStore<T> {
  return {
    async get(user) {
      return users.has(user) ? structuredClone(users.get(user)) : undefined;
    },
    async set(user, value) {
      users.set(user, structuredClone(value));
    },
    async delete(user) {
      users.delete(user);
    },
    async users() {
      return [...users.keys()].sort();
    },
  };
}

function memoryMap<T>(users: Map<string, Map<string, T>>): MapStore<T> {
  return {
    async get(user, key) {
      const items = users.get(user);
      return items?.has(key) ? structuredClone(items.get(key)) : undefined;
    },
    async set(user, key, value) {
      let items = users.get(user);
      if (!items) {
        items = new Map();
        users.set(user, items);
      }
      items.set(key, structuredClone(value));
    },
    async delete(user, key) {
      const items = users.get(user);
      items?.delete(key);
      if (items?.size === 0) users.delete(user);
    },
    async all(user) {
      const items = users.get(user) ?? new Map<string, T>();
      const keys = [...items.keys()].sort();
      return new Map(keys.map((k) => [k, structuredClone(items.get(k) as T)]));
    },
    async deleteAll(user) {
      users.delete(user);
    },
  };
}
