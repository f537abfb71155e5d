/**
 * Bookmarks: XEP-0402 natively (one private PEP item per room on
 * `urn:xmpp:bookmarks:1`, checked on publish), kept in step with the legacy
 * XEP-0048 forms so old and new clients of one account see the same list:
 * private XML storage (`#compat`) and the legacy `storage:bookmarks` PEP
 * node (`#compat-pep`). Exports the list and fires `bookmarks-changed` for
 * account rooms.
 *
 * References: XEP-0402 (PEP native bookmarks; §4 node configuration, §5.3
 * compatibility, §6 features); XEP-0048 §3 (legacy format, PEP and private
 * storage); XEP-0049; XEP-0223 (private PEP nodes).
 */
import './events.js';
import '../pep/events.js';
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import { x, type Element } from '../../core/xml/element.js';
import { parseXml } from '../../core/xml/parse-one.js';
import type { MapStore } from '../../core/storage/stores.js';
import { fragmentKey } from '../private/index.js';
import { BOOKMARKS_NODE, checkLegacyStorage, fromConference, LEGACY_NS } from './bookmark.js';
import { BookmarkSync, LEGACY_NODE } from './sync.js';
import { privateGet, privateSet } from './private-compat.js';

export type { Bookmark } from './bookmark.js';
export type { BookmarksApi, BookmarksChangedEvent } from './events.js';

type Bookmarks = ModuleInstance<{}, BookmarkSync>;

/** Before the private storage module (priority 0), which would store the fragment apart. */
const BEFORE_PRIVATE = 10;

/** XEP-0402 §4 and XEP-0223: the owner's alone, persistent, never pushed on presence. */
const PRIVATE_NODE = { access_model: 'whitelist', persist_items: true, send_last_published_item: 'never' } as const;

/** The private storage module's fragment of legacy bookmarks, read once to adopt them. */
function privateFragments(mod: Bookmarks): MapStore<string> {
  // The private module's own store (see private/index.ts), read only to adopt old data.
  return mod.server.storage.map(mod.host.name, 'fragments');
}

const LEGACY_FRAGMENT = fragmentKey(x('storage', { xmlns: LEGACY_NS }));

async function readPrivateBookmarks(mod: Bookmarks, user: string): Promise<Element | undefined> {
  const stored = await privateFragments(mod).get(user, LEGACY_FRAGMENT);
  return stored === undefined ? undefined : parseXml(stored);
}

export default defineModule({
  name: 'bookmarks',
  depends: ['pep', 'private', 'disco'],
  setup(ctx): BookmarkSync {
    const pep = ctx.dep('pep');
    pep.setNodeDefaults(BOOKMARKS_NODE, { ...PRIVATE_NODE, max_items: 'max' });
    pep.setNodeDefaults(LEGACY_NODE, { ...PRIVATE_NODE, max_items: 1 });
    pep.addPublishCheck(BOOKMARKS_NODE, (payload, id) => void fromConference(id, payload));
    pep.addPublishCheck(LEGACY_NODE, checkLegacyStorage);
    const features = ctx.dep('disco').accountFeatures;
    features.add(`${BOOKMARKS_NODE}#compat`);
    features.add(`${BOOKMARKS_NODE}#compat-pep`);
    return new BookmarkSync(ctx.host, pep, ctx.log);
  },
  hooks: {
    'pep-item-published': async ({ username, node, item, internal }, mod) => {
      if (internal) return;
      if (node === BOOKMARKS_NODE) await mod.api.fromNative(username);
      else if (node === LEGACY_NODE && item.payload) await mod.api.fromLegacy(username, item.payload, { writeLegacyNode: false });
    },
    // Removing the legacy item or node is not read as "no bookmarks": that would
    // let a cleanup of the old node wipe the list.
    'pep-item-retracted': ({ username, node, internal }, mod) => (node === BOOKMARKS_NODE && !internal ? mod.api.fromNative(username) : undefined),
    'pep-node-purged': ({ username, node, internal }, mod) => (node === BOOKMARKS_NODE && !internal ? mod.api.fromNative(username) : undefined),
    'pep-node-deleted': ({ username, node, internal }, mod) => (node === BOOKMARKS_NODE && !internal ? mod.api.fromNative(username) : undefined),
    'iq-get/self/jabber:iq:private:query': { priority: BEFORE_PRIVATE, handler: (event, mod) => privateGet(event, mod.api) },
    'iq-set/self/jabber:iq:private:query': { priority: BEFORE_PRIVATE, handler: (event, mod) => privateSet(event, mod.api) },
    'resource-bind': async ({ session }, mod) => {
      const user = session.username!;
      try {
        if (await mod.api.adoptLegacy(user, () => readPrivateBookmarks(mod, user))) {
          await privateFragments(mod).delete(user, LEGACY_FRAGMENT);
        }
      } catch (err) {
        mod.log.error({ err, user }, 'could not convert legacy bookmarks');
      }
    },
  },
});
