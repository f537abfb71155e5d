/**
 * The roster module's exports: read a user's roster and change one item at a
 * time, with the change serialised per user, stored, and pushed to every
 * interested resource of the account with the new version. Presence uses it
 * for subscription state; the roster IQ handlers use it for client edits.
 *
 * References: RFC 6121 §2.1.6 (roster push), §2.6 and XEP-0237 (versions).
 */
import { randomBytes } from 'node:crypto';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { Host } from '../../core/host.js';
import type { Session } from '../../core/session/session.js';
import type { KeyValStore } from '../../core/storage/stores.js';
import { KeyedLock } from './keyed-lock.js';
import { itemElement } from './roster-xml.js';
import { emptyRoster, sameItem, storeItem, versionString, type RosterData, type RosterItem } from './roster-state.js';

/** Computes an item's new value (undefined removes it); may throw a StanzaError to refuse. */
export type ItemChange = (
  item: RosterItem | undefined,
  roster: Readonly<RosterData>,
) => RosterItem | undefined | Promise<RosterItem | undefined>;

export interface ItemChangeResult {
  before?: RosterItem;
  after?: RosterItem;
  changed: boolean;
}

export interface RosterApi {
  /** The user's roster; empty (version 0) when nothing is stored. */
  get(username: string): Promise<RosterData>;
  getItem(username: string, jid: string): Promise<RosterItem | undefined>;
  /**
   * Changes one item under the user's roster lock; when it differs, stores
   * it with a new version and pushes it. `change` must not route stanzas
   * (a reply could need the same lock).
   */
  update(username: string, jid: string, change: ItemChange): Promise<ItemChangeResult>;
  /** Sessions of the account that requested the roster (RFC 6121 §2.1.1). */
  interestedSessions(username: string): Session[];
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    roster: RosterApi;
  }
}

export function createRosterApi(host: Host, store: KeyValStore<RosterData>): RosterApi {
  const lock = new KeyedLock();
  const load = async (username: string) => (await store.get(username)) ?? emptyRoster();
  const interestedSessions = (username: string) => host.sessions.ofUser(username).filter((s) => s.interested);

  const push = (username: string, jid: string, item: RosterItem | undefined, ver: string): void => {
    const pushed = itemElement(jid, item ?? 'remove');
    const bare = `${username}@${host.name}`;
    for (const session of interestedSessions(username)) {
      const id = `push-${randomBytes(6).toString('base64url')}`;
      session.send(x('iq', { type: 'set', id, from: bare, to: session.jid!.toString() }, x('query', { xmlns: NS.roster, ver }, pushed.clone())));
    }
  };

  return {
    get: load,
    async getItem(username, jid) {
      return (await load(username)).items[jid];
    },
    async update(username, jid, change) {
      const outcome = await lock.run(username, async () => {
        const roster = await load(username);
        const before = roster.items[jid];
        const after = await change(before && structuredClone(before), roster);
        if (sameItem(before, after)) return { before, after: before, changed: false, ver: '' };
        storeItem(roster, jid, after);
        await store.set(username, roster);
        return { before, after, changed: true, ver: versionString(roster) };
      });
      if (outcome.changed) push(username, jid, outcome.after, outcome.ver);
      return { before: outcome.before, after: outcome.after, changed: outcome.changed };
    },
    interestedSessions,
  };
}
