/**
 * JIDs: parsing, canonical form, comparison. A JID instance always holds
 * prepared (canonical) parts, so equality is plain string equality.
 *
 * Parsed JIDs are memoised in a small bounded cache because the router
 * parses every stanza's `to` and `from`; JID objects are immutable, so
 * sharing them is safe.
 *
 * References:
 * - RFC 7622 §3.1 (fundamentals: splitting a JID into parts)
 * - RFC 7622 §3.2–3.4 (domainpart, localpart, resourcepart; see prep.ts)
 * - RFC 7622 §3.5 (examples)
 * - RFC 6120 §1.4 (bare and full JIDs)
 */

import { InvalidJidError, prepDomainpart, prepLocalpart, prepResourcepart } from './prep.js';

export { InvalidJidError } from './prep.js';

export class JID {
  readonly local: string | undefined;
  readonly domain: string;
  readonly resource: string | undefined;
  #string: string | undefined;
  #bare: JID | undefined;

  /** Parts must already be prepared; use parseJid() or JID.create(). */
  private constructor(local: string | undefined, domain: string, resource: string | undefined) {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
  }

  /**
   * Builds a JID from separate (unprepared) parts, preparing each one.
   * Unlike parseJid this allows '@' and '/' inside the resource and does not
   * split on separators. Throws InvalidJidError.
   */
  static create(local: string | undefined, domain: string, resource?: string): JID {
    return new JID(
      local === undefined ? undefined : prepLocalpart(local),
      prepDomainpart(domain),
      resource === undefined ? undefined : prepResourcepart(resource),
    );
  }

  /** Parses a JID string (uncached); prefer parseJid(). Throws InvalidJidError. */
  static parse(input: string): JID {
    // RFC 7622 §3.1: the first '/' starts the resourcepart, then the first
    // '@' before it ends the localpart; the rest is the domainpart.
    const slash = input.indexOf('/');
    const head = slash === -1 ? input : input.slice(0, slash);
    const at = head.indexOf('@');
    let local: string | undefined;
    let resource: string | undefined;
    if (slash !== -1) {
      resource = input.slice(slash + 1);
      if (resource.length === 0) throw new InvalidJidError('resourcepart is empty', 'resourcepart');
      resource = prepResourcepart(resource);
    }
    if (at !== -1) {
      local = head.slice(0, at);
      if (local.length === 0) throw new InvalidJidError('localpart is empty', 'localpart');
      local = prepLocalpart(local);
    }
    const domain = prepDomainpart(at === -1 ? head : head.slice(at + 1));
    return new JID(local, domain, resource);
  }

  /** The JID without its resource (the same instance when already bare). */
  bare(): JID {
    if (this.resource === undefined) return this;
    return (this.#bare ??= new JID(this.local, this.domain, undefined));
  }

  get isBare(): boolean {
    return this.resource === undefined;
  }

  /** The canonical string form, computed once. */
  toString(): string {
    if (this.#string === undefined) {
      let s = this.local === undefined ? this.domain : `${this.local}@${this.domain}`;
      if (this.resource !== undefined) s += `/${this.resource}`;
      this.#string = s;
    }
    return this.#string;
  }

  /** The canonical string of the bare JID. */
  bareString(): string {
    return this.bare().toString();
  }

  /** Parts are canonical, so component-wise equality is JID equality. */
  equals(other: JID): boolean {
    return (
      this === other ||
      (this.domain === other.domain && this.local === other.local && this.resource === other.resource)
    );
  }

  /** A new JID with the same bare part and the given (unprepared) resource. */
  withResource(resource: string): JID {
    return new JID(this.local, this.domain, prepResourcepart(resource));
  }

  toJSON(): string {
    return this.toString();
  }
}

// --- cache ------------------------------------------------------------------

/**
 * Two-generation cache: lookups never reorder anything (cheap on the hot
 * path), and when the young generation fills up the old one is dropped
 * wholesale. Entries used since the last rotation survive it, which
 * approximates LRU with at most 2 × GENERATION entries in total.
 */
const GENERATION = 5000;
let young = new Map<string, JID>();
let old = new Map<string, JID>();

function cachePut(key: string, jid: JID): void {
  if (young.size >= GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(key, jid);
}

/**
 * Parses and prepares a JID string, throwing InvalidJidError if it is
 * invalid. Repeated calls with the same string (or with a JID's canonical
 * string) return the same instance while it is cached.
 */
export function parseJid(input: string): JID {
  let jid = young.get(input);
  if (jid !== undefined) return jid;
  jid = old.get(input);
  if (jid !== undefined) {
    cachePut(input, jid);
    return jid;
  }
  jid = JID.parse(input);
  cachePut(input, jid);
  const canonical = jid.toString();
  if (canonical !== input) cachePut(canonical, jid);
  return jid;
}

/** parseJid that returns undefined instead of throwing. */
export function tryParseJid(input: string): JID | undefined {
  try {
    return parseJid(input);
  } catch (err) {
    if (err instanceof InvalidJidError) return undefined;
    throw err;
  }
}

/** Number of cached entries (for tests and metrics). */
export function jidCacheSize(): number {
  return young.size + old.size;
}

/** Empties the parse cache (for tests). */
export function clearJidCache(): void {
  young = new Map();
  old = new Map();
}
