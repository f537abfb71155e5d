/**
 * Keeps an account's three views of its bookmarks the same: the XEP-0402
 * node (one item per room, the source of truth), the legacy XEP-0048 PEP
 * node (one `<storage/>` item) and XEP-0049 private storage (answered from
 * the XEP-0402 items, never stored apart). A change through any one of
 * them rewrites the others, with notifications on both nodes; changes are
 * applied one at a time per account.
 *
 * References: XEP-0402 §5.3 (compatibility: collate items into
 * storage:bookmarks; a replacement list from the old protocols updates the
 * individual items, without notifications for unchanged ones), §6
 * (`#compat`, `#compat-pep`); XEP-0048 §3.3 (PEP storage, item `current`);
 * XEP-0049 §2.
 */
import type { Element } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { Logger } from '../../core/log.js';
import { KeyedLock } from '../roster/keyed-lock.js';
import { samePayload, type Item, type PublishedItem } from '../pubsub/index.js';
import type { PepApi } from '../pep/index.js';
import {
  BOOKMARKS_NODE,
  fromConference,
  fromLegacyStorage,
  LEGACY_NS,
  legacyUrls,
  sameLegacyFields,
  toConference,
  toLegacyStorage,
  type Bookmark,
} from './bookmark.js';

/** The legacy PEP node is named after its namespace (XEP-0048 §3.3). */
export const LEGACY_NODE = LEGACY_NS;
const LEGACY_ITEM_ID = 'current';

interface Entry {
  bookmark: Bookmark;
  item: Item;
}

export class BookmarkSync {
  private readonly lock = new KeyedLock();

  constructor(
    private readonly host: Host,
    private readonly pep: PepApi,
    private readonly log: Logger,
  ) {}

  async list(user: string): Promise<Bookmark[]> {
    return (await this.entries(user)).map((e) => e.bookmark);
  }

  /** A client changed the XEP-0402 node: the legacy node follows. */
  async fromNative(user: string): Promise<void> {
    await this.lock.run(user, async () => this.writeLegacyNode(user, await this.list(user)));
    await this.changed(user);
  }

  /**
   * A legacy list replaces the XEP-0402 items. Bookmarks XEP-0048 cannot
   * tell apart from the stored ones keep their item (extensions included),
   * so only real changes are published and notified.
   */
  async fromLegacy(user: string, storage: Element, options: { writeLegacyNode: boolean }): Promise<void> {
    await this.lock.run(user, async () => {
      const current = new Map((await this.entries(user)).map((e) => [e.bookmark.jid, e]));
      const wanted = fromLegacyStorage(storage);
      const items: PublishedItem[] = wanted.map((bookmark) => {
        const old = current.get(bookmark.jid);
        if (old && sameLegacyFields(old.bookmark, bookmark)) return { id: bookmark.jid, payload: old.item.payload! };
        return { id: bookmark.jid, payload: toConference({ ...bookmark, extensions: old?.bookmark.extensions }) };
      });
      await this.pep.replaceItems(user, BOOKMARKS_NODE, items, { internal: true });
      if (options.writeLegacyNode) await this.writeLegacyNode(user, await this.list(user), legacyUrls(storage));
    });
    await this.changed(user);
  }

  /**
   * The server changes one bookmark (account rooms: a room joined, left or
   * lost): `change` gets the current bookmark or undefined and returns the
   * new one, or undefined to leave it as it is. Both nodes follow and the
   * account's sessions are notified.
   */
  async update(user: string, room: string, change: (current: Bookmark | undefined) => Bookmark | undefined): Promise<void> {
    const changed = await this.lock.run(user, async () => {
      const current = (await this.entries(user)).find((e) => e.bookmark.jid === room)?.bookmark;
      const next = change(current);
      if (!next) return false;
      await this.pep.publish(user, BOOKMARKS_NODE, { id: room, payload: toConference(next) }, { internal: true });
      await this.writeLegacyNode(user, await this.list(user));
      return true;
    });
    if (changed) await this.changed(user);
  }

  /** The legacy `<storage/>` a private-storage get is answered with. */
  async legacyStorage(user: string): Promise<Element> {
    return toLegacyStorage(await this.list(user), legacyUrls(await this.legacyItem(user)));
  }

  /**
   * Bookmarks kept before this module existed (in the legacy PEP node or in
   * private storage) become XEP-0402 items the first time the account is seen
   * without an XEP-0402 node.
   */
  async adoptLegacy(user: string, readPrivate: () => Promise<Element | undefined>): Promise<boolean> {
    if (await this.pep.hasNode(user, BOOKMARKS_NODE)) return false;
    const legacy = (await this.legacyItem(user)) ?? (await readPrivate());
    if (!legacy || legacy.getChildren('conference').length === 0) return false;
    this.log.info({ user }, 'converting legacy bookmarks to XEP-0402');
    await this.fromLegacy(user, legacy, { writeLegacyNode: true });
    return true;
  }

  private async entries(user: string): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const item of (await this.pep.items(user, BOOKMARKS_NODE)) ?? []) {
      try {
        if (item.payload) out.push({ bookmark: fromConference(item.id, item.payload), item });
      } catch {
        // Items are checked on publish; one stored before that is skipped, not fatal.
      }
    }
    return out;
  }

  private async legacyItem(user: string): Promise<Element | undefined> {
    const items = await this.pep.items(user, LEGACY_NODE);
    return items?.[items.length - 1]?.payload;
  }

  private async writeLegacyNode(user: string, bookmarks: Bookmark[], urls?: Element[]): Promise<void> {
    const current = await this.legacyItem(user);
    const storage = toLegacyStorage(bookmarks, urls ?? legacyUrls(current));
    if (current && samePayload(current, storage)) return;
    await this.pep.publish(user, LEGACY_NODE, { id: LEGACY_ITEM_ID, payload: storage }, { internal: true });
  }

  private async changed(user: string): Promise<void> {
    if (!this.host.bus.has('bookmarks-changed')) return;
    await this.host.bus.fire('bookmarks-changed', { host: this.host, username: user, bookmarks: await this.list(user) });
  }
}
