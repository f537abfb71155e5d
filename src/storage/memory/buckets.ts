/**
 * Nested host → store → user maps shared by the in-memory stores, so each
 * store kind only deals with one (host, store) bucket at a time.
 */

export class Buckets<V> {
  private readonly hosts = new Map<string, Map<string, Map<string, V>>>();

  /** The user → value map of one store, created on first use. */
  bucket(host: string, store: string): Map<string, V> {
    let stores = this.hosts.get(host);
    if (!stores) {
      stores = new Map();
      this.hosts.set(host, stores);
    }
    let users = stores.get(store);
    if (!users) {
      users = new Map();
      stores.set(store, users);
    }
    return users;
  }

  /** Drops the user from every store of the host. */
  deleteUser(host: string, user: string): void {
    for (const users of this.hosts.get(host)?.values() ?? []) users.delete(user);
  }

  clear(): void {
    this.hosts.clear();
  }
}
