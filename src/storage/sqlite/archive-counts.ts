/**
 * The per-user item counts of the archive (table `archive_count`), so an
 * unfiltered query's total is one lookup, and the per-user counts by item
 * type (table `archive_type_count`), so is the total of a query that only
 * leaves types out. Appends are tallied in memory and written once per
 * group-commit batch, inside its transaction (a trigger updating the count
 * row for every inserted row halved the insert rate), or earlier when a
 * count is read or rows are deleted. Deletes adjust the counts by the rows
 * they removed.
 */

import type { Prepare } from './statements.js';

export interface Owner {
  host: string;
  store: string;
  user: string;
}

interface Tally extends Owner {
  n: number;
  byType: Map<string, number>;
}

export class ArchiveCounts {
  /**
   * By the Owner object the appends pass (one per user and store, see
   * archive.ts): no key string per append. Two objects for one owner would
   * only mean two upserts, both adding.
   */
  private tally = new Map<Owner, Tally>();

  constructor(private readonly prepare: Prepare) {}

  /** One row was inserted in the current batch. */
  added(owner: Owner, type: string | undefined): void {
    let entry = this.tally.get(owner);
    if (!entry) this.tally.set(owner, (entry = { ...owner, n: 0, byType: new Map() }));
    entry.n++;
    if (type !== undefined) entry.byType.set(type, (entry.byType.get(type) ?? 0) + 1);
  }

  /** Writes the tally; runs inside the transaction of the rows it counts. */
  sync(): void {
    if (this.tally.size === 0) return;
    const upsert = this.prepare(
      `INSERT INTO archive_count (host, store, user, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (host, store, user) DO UPDATE SET n = n + excluded.n`,
    );
    const upsertType = this.prepare(
      `INSERT INTO archive_type_count (host, store, user, type, n) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (host, store, user, type) DO UPDATE SET n = n + excluded.n`,
    );
    for (const { host, store, user, n, byType } of this.tally.values()) {
      upsert.run(host, store, user, n);
      for (const [type, typed] of byType) upsertType.run(host, store, user, type, typed);
    }
    this.tally.clear();
  }

  /** The batch's transaction failed: its rows were not stored. */
  discard(): void {
    this.tally.clear();
  }

  /** Rows were deleted: how many, and how many of each type. */
  removed({ host, store, user }: Owner, n: number, byType: Map<string, number>): void {
    if (n === 0) return;
    this.sync();
    this.prepare('UPDATE archive_count SET n = n - ? WHERE host = ? AND store = ? AND user = ?').run(n, host, store, user);
    const update = this.prepare('UPDATE archive_type_count SET n = n - ? WHERE host = ? AND store = ? AND user = ? AND type = ?');
    for (const [type, typed] of byType) update.run(typed, host, store, user, type);
  }

  get({ host, store, user }: Owner): number {
    this.sync();
    return (this.prepare('SELECT n FROM archive_count WHERE host = ? AND store = ? AND user = ?').pluck().get(host, store, user) as
      | number
      | undefined) ?? 0;
  }

  /** How many of the user's items have one of these types (each type counted once). */
  ofTypes({ host, store, user }: Owner, types: string[]): number {
    this.sync();
    return this.prepare(
      `SELECT COALESCE(SUM(n), 0) FROM archive_type_count
       WHERE host = ? AND store = ? AND user = ? AND type IN (SELECT value FROM json_each(?))`,
    )
      .pluck()
      .get(host, store, user, JSON.stringify(types)) as number;
  }

  /** Users of a store that have items. */
  users(host: string, store: string): string[] {
    this.sync();
    return this.prepare('SELECT user FROM archive_count WHERE host = ? AND store = ? AND n > 0').pluck().all(host, store) as string[];
  }
}
