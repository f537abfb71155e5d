/**
 * Account rooms in storage, for the `perch rooms` CLI while no server runs:
 * the stored memberships of an account, and ending one by hand (the stored
 * membership removed, the XEP-0402 bookmark's autojoin cleared, the legacy
 * XEP-0048 PEP copy kept in step). The room itself is not told: it notices
 * when its occupant's traffic bounces, or drops occupants a restart did not
 * bring back (the local MUC service's restore grace).
 *
 * References: account-rooms spec, "Durability", "Leaving" (bookmark-driven);
 * XEP-0402 §2 (conference, autojoin); XEP-0048 §3.3 (legacy PEP item
 * `current`); XEP-0060 §7.1.2 (an item published again replaces the old).
 */
import type { StorageDriver } from '../../core/storage/stores.js';
import type { Item } from '../pubsub/index.js';
import { NodeStore, type StoredNode } from '../pep/node-store.js';
import { BOOKMARKS_NODE, LEGACY_NS, fromConference, legacyUrls, toConference, toLegacyStorage, type Bookmark } from '../bookmarks/bookmark.js';
import type { StoredMembership } from './membership.js';

/** The module's store (index.ts, `roomMemberships`) and the PEP module's (pep/index.ts). */
const MEMBERSHIPS_STORE = 'roomMemberships';
const LEGACY_ITEM_ID = 'current';

export async function storedMemberships(storage: StorageDriver, host: string, username: string): Promise<StoredMembership[]> {
  return (await storage.keyval<StoredMembership[]>(host, MEMBERSHIPS_STORE).get(username)) ?? [];
}

/** Removes the stored membership and clears the bookmark's autojoin; false when there was no such membership. */
export async function leaveOffline(storage: StorageDriver, host: string, username: string, room: string): Promise<boolean> {
  const store = storage.keyval<StoredMembership[]>(host, MEMBERSHIPS_STORE);
  const memberships = (await store.get(username)) ?? [];
  const rest = memberships.filter((m) => m.room !== room);
  if (rest.length === memberships.length) return false;
  if (rest.length === 0) await store.delete(username);
  else await store.set(username, rest);
  await clearAutojoin(storage, host, username, room);
  return true;
}

/** The bookmark of `room` no longer auto-joins; the legacy node's list follows. */
async function clearAutojoin(storage: StorageDriver, host: string, username: string, room: string): Promise<void> {
  const pep = new NodeStore(storage.map<StoredNode>(host, 'pep_nodes'), storage.archive(host, 'pep_items'));
  const node = await pep.load(username, BOOKMARKS_NODE);
  const item = node?.find(room);
  if (!node || !item?.payload) return;
  const bookmark = fromConference(item.id, item.payload);
  if (!bookmark.autojoin) return;
  await replaceItem(pep, username, BOOKMARKS_NODE, item, toConference({ ...bookmark, autojoin: false }));
  const legacy = (await pep.load(username, LEGACY_NS))?.last();
  if (!legacy) return;
  const bookmarks = (await pep.load(username, BOOKMARKS_NODE))!.items.flatMap((i) => readable(i));
  await replaceItem(pep, username, LEGACY_NS, legacy, toLegacyStorage(bookmarks, legacyUrls(legacy.payload)), LEGACY_ITEM_ID);
}

async function replaceItem(pep: NodeStore, username: string, node: string, old: Item, payload: Item['payload'], id = old.id): Promise<void> {
  await pep.removeItems(username, node, [old]);
  await pep.addItem(username, node, { id, publisher: old.publisher, payload, published: Date.now() });
}

function readable(item: Item): Bookmark[] {
  try {
    return item.payload ? [fromConference(item.id, item.payload)] : [];
  } catch {
    return [];
  }
}
