/**
 * Small integer ids for archive owners (host, store, user). Every archive
 * index starts with the owner; an integer there instead of three strings
 * makes each index entry a fraction of the size, which is most of the cost
 * of an append (each message is archived twice, once per account).
 */
import type { Prepare } from './statements.js';

export class ArchiveOwners {
  private readonly cache = new Map<string, number>();

  constructor(private readonly prepare: Prepare) {}

  /** The owner's id, created on first use. */
  idFor(host: string, store: string, user: string): number {
    return this.find(host, store, user) ?? this.create(host, store, user);
  }

  /** The owner's id, or undefined when it never archived anything. */
  find(host: string, store: string, user: string): number | undefined {
    const key = `${host}\n${store}\n${user}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const id = this.prepare('SELECT owner FROM archive_owner WHERE host = ? AND store = ? AND user = ?')
      .pluck()
      .get(host, store, user) as number | undefined;
    if (id !== undefined) this.cache.set(key, id);
    return id;
  }

  private create(host: string, store: string, user: string): number {
    const { lastInsertRowid } = this.prepare('INSERT INTO archive_owner (host, store, user) VALUES (?, ?, ?)').run(host, store, user);
    const id = Number(lastInsertRowid);
    this.cache.set(`${host}\n${store}\n${user}`, id);
    return id;
  }
}
