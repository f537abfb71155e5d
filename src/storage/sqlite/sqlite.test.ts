/**
 * Runs the shared storage contract against the SQLite driver on temp files,
 * plus the SQLite-only guarantees: persistence, pragmas, schema versioning.
 */

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storageContract } from '../../core/storage/contract.js';
import { createSqliteDriver } from './index.js';
import { migrations } from './migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'perch-sqlite-'));
let counter = 0;
const freshPath = (): string => join(dir, `db-${++counter}.sqlite`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

storageContract('sqlite', () => createSqliteDriver(freshPath()));

describe('sqlite driver', () => {
  it('keeps data across reopening the same file', async () => {
    const path = freshPath();
    const first = createSqliteDriver(path);
    await first.keyval('example.org', 'roster').set('alice', { items: [{ jid: 'bob@example.org' }] });
    await first.map('example.org', 'private').set('alice', 'storage:bookmarks', '<storage/>');
    const id = await first.archive('example.org', 'mam').append('alice', { when: 5, with: 'bob@example.org', payload: '<m/>' });
    await first.close();

    const second = createSqliteDriver(path);
    expect(await second.keyval('example.org', 'roster').get('alice')).toEqual({ items: [{ jid: 'bob@example.org' }] });
    expect(await second.map('example.org', 'private').get('alice', 'storage:bookmarks')).toBe('<storage/>');
    expect((await second.archive('example.org', 'mam').query('alice')).items).toEqual([
      { id, when: 5, with: 'bob@example.org', payload: '<m/>' },
    ]);
    // Positions survive too: later appends page after earlier ones.
    const next = await second.archive('example.org', 'mam').append('alice', { when: 6, with: 'x', payload: '' });
    expect((await second.archive('example.org', 'mam').query('alice', { afterId: id })).items.map((i) => i.id)).toEqual([next]);
    await second.close();
  });

  it('uses WAL and records the schema version', async () => {
    const path = freshPath();
    await createSqliteDriver(path).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    db.close();
  });

  it('refuses a database from a newer Perch', () => {
    const path = freshPath();
    const db = new Database(path);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    expect(() => createSqliteDriver(path)).toThrow(/newer/);
  });

  it('creates missing parent directories', async () => {
    const driver = createSqliteDriver(join(dir, 'nested', 'deeper', 'perch.sqlite'));
    await driver.keyval('h', 's').set('u', 1);
    await driver.close();
  });

  it('close is idempotent', async () => {
    const driver = createSqliteDriver(freshPath());
    await driver.close();
    await expect(driver.close()).resolves.toBeUndefined();
  });
});
