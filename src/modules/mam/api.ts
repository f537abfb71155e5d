/**
 * The archive module's exports and per-host state: the archive store (the
 * one account rooms write room messages into too), how a message is stored
 * (as the `jabber:client` stanza results will forward), the cached
 * preferences, and the ids the sender's archive gave outgoing messages so a
 * sent carbon can carry them.
 *
 * References: XEP-0313 §3.5 (stanza-id: not on the copy to the contact, but
 * SHOULD be on sent carbons), §5.1.1 (each message stored once per archive);
 * XEP-0359 §3.
 */
import { Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { JID } from '../../core/jid/jid.js';
import type { Host } from '../../core/host.js';
import type { ArchiveStore, KeyValStore } from '../../core/storage/stores.js';
import type { RosterApi } from '../roster/api.js';
import { DEFAULT_PREFS, prefsAllow, type ArchivePrefs } from './prefs.js';

/** Outgoing messages and the id the sender's archive gave them (set by archiving.ts). */
export const sentIds = new WeakMap<Element, string>();

export interface AppendOptions {
  /** The bare JID of the other party (a room's bare JID for room messages). */
  with: string;
  /** The id the sender's service gave the message (a room's stanza-id), to store it once. */
  externalId?: string;
  /** When it was received; now by default. */
  when?: number;
}

export interface MamApi {
  readonly store: ArchiveStore;
  /** Stores a message in a local user's archive and returns its archive id. */
  append(username: string, message: Element, options: AppendOptions): Promise<string>;
  /** The id the sender's own archive gave an outgoing message, for the stanza-id of its sent carbon. */
  sentId(message: Element): string | undefined;
  getPrefs(username: string): Promise<ArchivePrefs>;
  setPrefs(username: string, prefs: ArchivePrefs): Promise<void>;
  /** Whether the user's preferences let messages with `other` into the archive. */
  mayArchive(username: string, other: JID): Promise<boolean>;
  forget(username: string): Promise<void>;
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    mam: MamApi;
  }
}

/** Preferences of this many users are kept in memory; beyond that the cache starts over. */
const PREFS_CACHE_SIZE = 10_000;

export function createMamApi(host: Host, store: ArchiveStore, prefsStore: KeyValStore<ArchivePrefs>, roster: RosterApi): MamApi {
  const prefsCache = new Map<string, ArchivePrefs>();

  const getPrefs = async (username: string): Promise<ArchivePrefs> => {
    const cached = prefsCache.get(username);
    if (cached) return cached;
    const prefs = (await prefsStore.get(username)) ?? DEFAULT_PREFS;
    if (prefsCache.size >= PREFS_CACHE_SIZE) prefsCache.clear();
    prefsCache.set(username, prefs);
    return prefs;
  };

  return {
    store,
    async append(username, message, options) {
      // Stored as it would be forwarded: a jabber:client stanza (XEP-0297 §3).
      const stored = new Element(message.name, { ...message.attrs, xmlns: NS.client }, message.children);
      const type = message.attrs.type ?? 'normal';
      const item = { when: options.when ?? Date.now(), with: options.with, payload: stored.toString(), type, externalId: options.externalId };
      return store.append(username, item);
    },
    sentId: (message) => sentIds.get(message),
    getPrefs,
    async setPrefs(username, prefs) {
      await prefsStore.set(username, prefs);
      prefsCache.set(username, prefs);
    },
    async mayArchive(username, other) {
      const own = other.bareString() === `${username}@${host.name}`;
      const inRoster = async () => own || (await roster.getItem(username, other.bareString())) !== undefined;
      return prefsAllow(await getPrefs(username), other, inRoster);
    },
    async forget(username) {
      prefsCache.delete(username);
      await Promise.all([store.deleteAll(username), prefsStore.delete(username)]);
    },
  };
}
