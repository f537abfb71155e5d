/**
 * SQLite-only archive guarantees beyond the shared contract: the query plans
 * that keep "the last N with X" and "everything after id X" range scans of
 * an index (no table scan, no sort), group commit, derived ids, and the
 * migration of archives written by the first schema.
 */

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteArchive } from './archive.js';
import { ArchiveCounts } from './archive-counts.js';
import { DerivedIds } from './archive-ids.js';
import { ArchiveOwners } from './archive-owners.js';
import { GroupCommit } from './group-commit.js';
import { createSqliteDriver } from './index.js';
import { migrate, migrations } from './migrations.js';
import { createStatementCache, type Prepare } from './statements.js';

const dir = mkdtempSync(join(tmpdir(), 'perch-sqlite-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An archive over a database (in memory by default) whose statements are recorded. */
function recordedArchive(path = ':memory:') {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  migrate(db);
  const cache = createStatementCache(db);
  const statements: string[] = [];
  const prepare: Prepare = (sql) => {
    statements.push(sql);
    return cache(sql);
  };
  const counts = new ArchiveCounts(prepare);
  const errors: unknown[] = [];
  const commits = new GroupCommit(db, { beforeCommit: () => counts.sync(), onAbort: () => counts.discard(), onError: (err) => errors.push(err) });
  const owners = new ArchiveOwners(prepare);
  const archive = createSqliteArchive({ db, prepare, counts, commits, owners, ids: new DerivedIds(randomBytes(16)) }, 'h', 'mam');
  /** The plan of each statement run by `action`, parameters bound to NULL. */
  const plansOf = async (action: () => Promise<unknown>): Promise<Map<string, string[]>> => {
    statements.length = 0;
    await action();
    const plans = new Map<string, string[]>();
    for (const sql of statements) {
      const nulls = Array.from(sql.matchAll(/\?/g), () => null);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...nulls) as { detail: string }[];
      plans.set(sql.replace(/\s+/g, ' '), rows.map((r) => r.detail));
    }
    return plans;
  };
  return { db, archive, plansOf, errors };
}

async function seed(archive: ReturnType<typeof recordedArchive>['archive']): Promise<string[]> {
  const appends = Array.from({ length: 300 }, (_, i) =>
    archive.append(i % 3 === 0 ? 'bob' : 'alice', { when: 1000 + i, with: `c${i % 7}@example.org`, payload: `<m>${i}</m>` }),
  );
  return Promise.all(appends);
}

/** Asserts every statement is an index search: no full scan of the table, no sort step. */
function expectRangeScans(plans: Map<string, string[]>, pageIndex: RegExp): void {
  for (const [sql, details] of plans) {
    for (const detail of details) {
      expect(detail, sql).not.toMatch(/^SCAN archive|TEMP B-TREE/);
    }
  }
  const page = [...plans].find(([sql]) => sql.includes('ORDER BY rowid'))!;
  expect(page[1].join(' | '), page[0]).toMatch(pageIndex);
}

describe('sqlite archive query plans', () => {
  it('"the last 50 with X" is a range of the with-index, newest first, counted on the same index', async () => {
    const { archive, plansOf } = recordedArchive();
    await seed(archive);
    const plans = await plansOf(() => archive.query('alice', { with: 'c3@example.org', limit: 50, reverse: true }));
    expectRangeScans(plans, /^SEARCH archive USING INDEX archive_by_with \(owner=\? AND with_jid=\?\)$/);
    const count = [...plans].find(([sql]) => sql.includes('COUNT(*)'))!;
    expect(count[1]).toEqual(['SEARCH archive USING COVERING INDEX archive_by_with (owner=? AND with_jid=?)']);
  });

  it('"everything after id X" is a rowid range of the owner index, with a counted total', async () => {
    const { archive, plansOf } = recordedArchive();
    const ids = await seed(archive);
    const plans = await plansOf(() => archive.query('alice', { afterId: ids[100], limit: 50 }));
    expectRangeScans(plans, /^SEARCH archive USING INDEX archive_by_owner \(owner=\? AND rowid>\?\)$/);
    expect([...plans.keys()].some((sql) => sql.includes('COUNT(*)'))).toBe(false);
    const withPlans = await plansOf(() => archive.query('alice', { with: 'c1@example.org', afterId: ids[100], limit: 50 }));
    expectRangeScans(withPlans, /archive_by_with \(owner=\? AND with_jid=\? AND rowid>\?\)/);
  });

  it('"the last 50 with X" and "after id X" stay range scans when types are excluded, rows checked as the range yields them', async () => {
    const { archive, plansOf } = recordedArchive();
    const ids = await seed(archive);
    const excludeTypes = ['groupchat'];
    const last = await plansOf(() => archive.query('alice', { with: 'c3@example.org', limit: 50, reverse: true, excludeTypes }));
    expectRangeScans(last, /^SEARCH archive USING INDEX archive_by_with \(owner=\? AND with_jid=\?\)/);
    const count = [...last].find(([sql]) => sql.includes('COUNT(*)'))!;
    expect(count[1][0]).toBe('SEARCH archive USING INDEX archive_by_with (owner=? AND with_jid=?)');
    const after = await plansOf(() => archive.query('alice', { afterId: ids[100], limit: 50, excludeTypes }));
    expectRangeScans(after, /^SEARCH archive USING INDEX archive_by_owner \(owner=\? AND rowid>\?\)/);
    // Its total is the user's count less the type counts: no walk over the archive.
    expect([...after.keys()].some((sql) => sql.includes('COUNT(*)'))).toBe(false);
    expect([...after.keys()].some((sql) => sql.includes('archive_type_count'))).toBe(true);
  });

  it('looks ids up by primary key', async () => {
    const { archive, plansOf } = recordedArchive();
    const ids = await seed(archive);
    const plans = await plansOf(() => archive.query('alice', { ids: [ids[1]!, ids[2]!], beforeId: ids[200] }));
    expectRangeScans(plans, /^SEARCH archive USING INDEX archive_by_owner \(owner=\? AND rowid=\?\)/);
    expect([...plans.values()].flat()).toContain('SEARCH archive USING INTEGER PRIMARY KEY (rowid=?)');
  });
});

describe('sqlite archive writes', () => {
  it('appends an item with an external id by one INSERT, looking the stored one up only for a repeat', async () => {
    const { archive, plansOf } = recordedArchive();
    const room = 'room@muc.example.org';
    await archive.append('alice', { when: 1, with: room, payload: 'warm-up', externalId: 'r0' });
    const lookups = (plans: Map<string, string[]>) => [...plans.keys()].filter((sql) => sql.startsWith('SELECT') && sql.includes('external_id'));
    let first = '';
    const fresh = await plansOf(async () => (first = await archive.append('alice', { when: 2, with: room, payload: 'live', externalId: 'r1' })));
    expect(lookups(fresh)).toEqual([]);
    let again = '';
    const repeat = await plansOf(async () => (again = await archive.append('alice', { when: 3, with: room, payload: 'history', externalId: 'r1' })));
    expect(lookups(repeat)).toHaveLength(1);
    expect(again).toBe(first);
  });

  it('commits concurrent appends together, failing only the duplicate', async () => {
    const { archive } = recordedArchive();
    await archive.append('alice', { id: 'taken', when: 1, with: 'x', payload: '' });
    const results = await Promise.allSettled([
      archive.append('alice', { when: 2, with: 'x', payload: 'a' }),
      archive.append('alice', { id: 'taken', when: 3, with: 'x', payload: 'dup' }),
      archive.append('alice', { when: 4, with: 'x', payload: 'b' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    const page = await archive.query('alice');
    expect(page.items.map((i) => i.payload)).toEqual(['', 'a', 'b']);
    expect(page.total).toBe(3);
  });

  it("commits a turn's appends together on the next turn", async () => {
    const path = join(dir, 'turns.sqlite');
    const { archive, errors } = recordedArchive(path);
    const reader = new Database(path, { readonly: true });
    const stored = () => reader.prepare('SELECT COUNT(*) FROM archive').pluck().get();
    await Promise.all([1, 2, 3].map((n) => archive.append('alice', { when: n, with: 'x', payload: '' })));
    expect(stored()).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stored()).toBe(3);
    expect(reader.prepare('SELECT n FROM archive_count').pluck().get()).toBe(3);
    expect(errors).toEqual([]);
    reader.close();
  });

  it('lets a query see appends not yet committed', async () => {
    const { archive } = recordedArchive();
    const pending = archive.append('alice', { when: 1, with: 'x', payload: 'early' });
    expect((await archive.query('alice')).items.map((i) => i.payload)).toEqual(['early']);
    expect((await archive.query('alice')).items[0]!.id).toBe(await pending);
  });

  it('refuses given ids spelled like generated ones', async () => {
    const { archive } = recordedArchive();
    const generated = await archive.append('alice', { when: 1, with: 'x', payload: '' });
    await archive.delete('alice', { ids: [generated] });
    await expect(archive.append('bob', { id: generated, when: 1, with: 'x', payload: '' })).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('derived ids', () => {
  const ids = new DerivedIds(randomBytes(16));

  it('round-trips rowids and rejects made-up or re-spelled ids', () => {
    for (const rowid of [1, 2, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      const id = ids.encode(rowid);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(ids.decode(id)).toBe(rowid);
    }
    expect(ids.encode(1)).not.toBe(new DerivedIds(randomBytes(16)).encode(1));
    expect(ids.decode('AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(ids.decode('short')).toBeUndefined();
    const id = ids.encode(7);
    // The last character carries 2 unused bits: flipping one spells the same bytes differently.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = id.slice(0, -1) + alphabet[alphabet.indexOf(id.at(-1)!) ^ 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(id, 'base64url'));
    expect(ids.decode(respelled)).toBeUndefined();
  });
});

describe('per-type counts', () => {
  it('are filled from the archive by the migration, and kept by appends and deletes', async () => {
    const path = join(dir, 'v2.sqlite');
    const db = new Database(path);
    for (const migration of migrations.slice(0, 2)) db.exec(migration.sql);
    db.pragma('user_version = 2');
    db.exec("INSERT INTO archive_owner (owner, host, store, user) VALUES (1, 'h', 'mam', 'alice')");
    const insert = db.prepare("INSERT INTO archive (id, owner, when_ms, with_jid, payload, type) VALUES (?, 1, ?, 'x', '', ?)");
    ['groupchat', 'chat', null, 'groupchat', 'chat'].forEach((type, i) => insert.run(`old-${i}`, i, type));
    db.exec("INSERT INTO archive_count (host, store, user, n) VALUES ('h', 'mam', 'alice', 5)");
    db.close();

    const driver = createSqliteDriver(path);
    const archive = driver.archive('h', 'mam');
    const left = async () => (await archive.query('alice', { limit: 0, excludeTypes: ['groupchat'] })).total;
    expect(await left()).toBe(3);
    await archive.append('alice', { when: 9, with: 'x', payload: '', type: 'groupchat' });
    await archive.append('alice', { when: 9, with: 'x', payload: '', type: 'chat' });
    expect(await left()).toBe(4);
    expect(await archive.delete('alice', { ids: ['old-0', 'old-1', 'old-2'] })).toBe(3);
    expect(await left()).toBe(2);
    expect(await archive.deleteOlderThan(9)).toBe(2);
    expect([await left(), (await archive.query('alice')).total]).toEqual([1, 2]);
    await driver.deleteUser('h', 'alice');
    await archive.append('alice', { id: 'again', when: 10, with: 'x', payload: '', type: 'chat' });
    expect((await archive.query('alice', { excludeTypes: ['groupchat'] })).total).toBe(1);
    await driver.close();
  });
});

describe('migration of a first-schema archive', () => {
  it('keeps ids, order and positions of deleted items, and counts', async () => {
    const path = join(dir, 'v1.sqlite');
    const db = new Database(path);
    db.exec(migrations[0]!.sql);
    db.pragma('user_version = 1');
    const insert = db.prepare("INSERT INTO archive (id, host, store, user, when_ms, with_jid, payload) VALUES (?, 'h', 'mam', ?, ?, 'x', '')");
    for (let i = 0; i < 5; i++) insert.run(`old-${i}`, 'alice', i);
    insert.run('bobs', 'bob', 9);
    db.prepare("DELETE FROM archive WHERE id = 'bobs'").run();
    db.close();

    const driver = createSqliteDriver(path);
    const archive = driver.archive('h', 'mam');
    const page = await archive.query('alice', { afterId: 'old-1' });
    expect(page.items.map((i) => i.id)).toEqual(['old-2', 'old-3', 'old-4']);
    expect(page.total).toBe(5);
    const fresh = await archive.append('bob', { when: 10, with: 'x', payload: '' });
    expect((await archive.query('bob')).items.map((i) => i.id)).toEqual([fresh]);
    await driver.close();
    const check = new Database(path, { readonly: true });
    // The deleted item's rowid (6) was not reused.
    expect(
      check.prepare('SELECT MIN(rowid) FROM archive JOIN archive_owner USING (owner) WHERE user = ?').pluck().get('bob'),
    ).toBe(7);
    expect(check.prepare('SELECT n FROM archive_count WHERE user = ?').pluck().get('alice')).toBe(5);
    check.close();
  });
});
