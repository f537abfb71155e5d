/** Opens the storage driver the config names. */
import type { PerchConfig } from '../core/config/config.js';
import type { StorageDriver } from '../core/storage/stores.js';
import { createMemoryDriver } from './memory/index.js';
import { createSqliteDriver } from './sqlite/index.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function openStorage(config: PerchConfig): StorageDriver {
  if (config.storage.driver === 'memory') return createMemoryDriver();
  mkdirSync(dirname(config.storage.path), { recursive: true });
  return createSqliteDriver(config.storage.path);
}
