/**
 * Blocklists: JID matching and a per-user in-memory cache in front of the
 * `blocklist` keyval store. The cache matters because every message,
 * presence and IQ to or from a local account consults it.
 *
 * References: XEP-0191 §6 (JID matching, as in XEP-0016 §2.1).
 */
import { parseJid, type JID } from '../../core/jid/jid.js';
import type { KeyValStore } from '../../core/storage/stores.js';

/** Beyond this many cached lists the least recently loaded is dropped. */
const MAX_CACHED = 10_000;

/**
 * The blocklist entries that match a JID: the full JID, the bare JID,
 * domain/resource, the domain and every parent domain (XEP-0191 §6: a
 * blocked domain also covers its subdomains).
 */
export function matchingEntries(jid: JID): string[] {
  const entries: string[] = [];
  if (jid.resource !== undefined && jid.local !== undefined) entries.push(jid.toString());
  if (jid.local !== undefined) entries.push(jid.bareString());
  if (jid.resource !== undefined) entries.push(`${jid.domain}/${jid.resource}`);
  const domain = jid.domain;
  entries.push(domain);
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) entries.push(domain.slice(dot + 1));
  return entries;
}

export function isBlockedBy(list: ReadonlySet<string>, jid: JID): boolean {
  if (list.size === 0) return false;
  return matchingEntries(jid).some((entry) => list.has(entry));
}

/** Canonical form of an item's `jid` attribute; throws InvalidJidError. */
export function canonicalEntry(jid: string): string {
  return parseJid(jid).toString();
}

export class Blocklists {
  private readonly cache = new Map<string, Promise<ReadonlySet<string>>>();
  /** Per-user chain so concurrent changes from two sessions do not lose one another. */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(private readonly store: KeyValStore<string[]>) {}

  get(user: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(user);
    if (cached) return cached;
    const loading = this.store.get(user).then((items) => new Set(items ?? []));
    loading.catch(() => this.cache.delete(user));
    this.cache.set(user, loading);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return loading;
  }

  /** Applies a change, stores the result and returns the list before and after. */
  update(user: string, change: (list: Set<string>) => void): Promise<{ before: ReadonlySet<string>; after: ReadonlySet<string> }> {
    const run = async () => {
      const before = await this.get(user);
      const after = new Set(before);
      change(after);
      await this.store.set(user, [...after].sort());
      this.cache.set(user, Promise.resolve(after));
      return { before, after };
    };
    const next = (this.writes.get(user) ?? Promise.resolve()).then(run, run);
    this.writes.set(user, next);
    void next.finally(() => {
      if (this.writes.get(user) === next) this.writes.delete(user);
    }).catch(() => {});
    return next;
  }

  forget(user: string): void {
    this.cache.delete(user);
  }
}
