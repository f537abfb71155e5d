/**
 * The per-user item counts of the archive (table `archive_count`), so an
 * unfiltered query's total is one lookup. Appends are tallied in memory and
 * written once per group-commit batch, inside its transaction (a trigger
 * updating the count row for every inserted row halved the insert rate),
 * or earlier when a count is read or rows are deleted. Deletes adjust the
 * count by the rows they removed.
 */

import type { Prepare } from './statements.js';

export interface Owner {
  host: string;
  store: string;
  user: string;
}

export class ArchiveCounts {
  private tally = new Map<string, Owner & { n: number }>();

  constructor(private readonly prepare: Prepare) {}

  /** One row was inserted in the current batch. */
  added(owner: Owner): void {
    const key = `${owner.host}\n${owner.store}\n${owner.user}`;
    const entry = this.tally.get(key);
    if (entry) entry.n++;
    else this.tally.set(key, { ...owner, n: 1 });
  }

  /** Writes the tally; runs inside the transaction of the rows it counts. */
  sync(): void {
    if (this.tally.size === 0) return;
    const upsert = this.prepare(
      `INSERT INTO archive_count (host, store, user, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (host, store, user) DO UPDATE SET n = n + excluded.n`,
    );
    for (const { host, store, user, n } of this.tally.values()) upsert.run(host, store, user, n);
    this.tally.clear();
  }

  /** The batch's transaction failed: its rows were not stored. */
  discard(): void {
    this.tally.clear();
  }

  removed({ host, store, user }: Owner, n: number): void {
    if (n === 0) return;
    this.sync();
    this.prepare('UPDATE archive_count SET n = n - ? WHERE host = ? AND store = ? AND user = ?').run(n, host, store, user);
  }

  get({ host, store, user }: Owner): number {
    this.sync();
    return (this.prepare('SELECT n FROM archive_count WHERE host = ? AND store = ? AND user = ?').pluck().get(host, store, user) as
      | number
      | undefined) ?? 0;
  }

  /** Users of a store that have items. */
  users(host: string, store: string): string[] {
    this.sync();
    return this.prepare('SELECT user FROM archive_count WHERE host = ? AND store = ? AND n > 0').pluck().all(host, store) as string[];
  }
}
