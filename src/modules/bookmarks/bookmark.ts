/**
 * Bookmarks as plain data, and their two XML forms: one XEP-0402 item per
 * room (`<conference xmlns='urn:xmpp:bookmarks:1'/>`, the room JID as item
 * id) and the legacy XEP-0048 `<storage xmlns='storage:bookmarks'/>` that
 * holds the whole list. No I/O.
 *
 * References: XEP-0402 §2 (conference element: name, autojoin, nick,
 * password, extensions; item id is the room JID), §5.3 (compatibility:
 * casting items into storage:bookmarks with the jid attribute); XEP-0048
 * §3 (storage, conference and url elements, autojoin boolean).
 */
import { x, type Element } from '../../core/xml/element.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { parseBoolean, pubsubError } from '../pubsub/index.js';

export const BOOKMARKS_NODE = 'urn:xmpp:bookmarks:1';
export const LEGACY_NS = 'storage:bookmarks';

export interface Bookmark {
  /** The room's bare JID (the XEP-0402 item id). */
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
  /** XEP-0402 `<extensions/>`, kept as is. */
  extensions?: Element;
}

/** The room JID a bookmark may have: a bare JID with a localpart, normalised; undefined otherwise. */
export function roomJid(text: string | undefined): string | undefined {
  const jid = text === undefined ? undefined : tryParseJid(text);
  return jid && jid.local !== undefined && jid.resource === undefined ? jid.toString() : undefined;
}

/** Reads one XEP-0402 item; refuses a payload that is not a conference or an id that is not a room JID. */
export function fromConference(itemId: string, payload: Element): Bookmark {
  if (payload.name !== 'conference' || payload.attrs.xmlns !== BOOKMARKS_NODE) {
    throw pubsubError('invalid-payload', `bookmarks are <conference xmlns='${BOOKMARKS_NODE}'/>`);
  }
  const jid = roomJid(itemId);
  if (!jid) throw pubsubError('invalid-payload', 'a bookmark item id is the room JID');
  return {
    jid,
    name: payload.attrs.name,
    autojoin: parseBoolean(payload.attrs.autojoin) ?? false,
    nick: payload.getChildText('nick'),
    password: payload.getChildText('password'),
    extensions: payload.getChild('extensions')?.clone(),
  };
}

export function toConference(bookmark: Bookmark): Element {
  return x(
    'conference',
    { xmlns: BOOKMARKS_NODE, name: bookmark.name, autojoin: bookmark.autojoin ? 'true' : undefined },
    bookmark.nick !== undefined ? x('nick', {}, bookmark.nick) : undefined,
    bookmark.password !== undefined ? x('password', {}, bookmark.password) : undefined,
    bookmark.extensions?.clone(),
  );
}

/** Checks a legacy `<storage/>` payload (XEP-0048 §3). */
export function checkLegacyStorage(payload: Element): void {
  if (payload.name !== 'storage' || payload.attrs.xmlns !== LEGACY_NS) {
    throw pubsubError('invalid-payload', `legacy bookmarks are <storage xmlns='${LEGACY_NS}'/>`);
  }
}

/** The conferences of a legacy `<storage/>`; entries without a usable room JID are dropped, the last of duplicates wins. */
export function fromLegacyStorage(storage: Element): Bookmark[] {
  const byJid = new Map<string, Bookmark>();
  for (const conference of storage.getChildren('conference')) {
    const jid = roomJid(conference.attrs.jid);
    if (!jid) continue;
    byJid.delete(jid);
    byJid.set(jid, {
      jid,
      name: conference.attrs.name,
      autojoin: parseBoolean(conference.attrs.autojoin) ?? false,
      nick: conference.getChildText('nick'),
      password: conference.getChildText('password'),
    });
  }
  return [...byJid.values()];
}

/** The legacy `<storage/>` for a list of bookmarks, with any `<url/>` bookmarks kept from before. */
export function toLegacyStorage(bookmarks: Bookmark[], urls: Element[] = []): Element {
  const conferences = bookmarks.map((b) =>
    x(
      'conference',
      { jid: b.jid, name: b.name, autojoin: b.autojoin ? 'true' : 'false' },
      b.nick !== undefined ? x('nick', {}, b.nick) : undefined,
      b.password !== undefined ? x('password', {}, b.password) : undefined,
    ),
  );
  return x('storage', { xmlns: LEGACY_NS }, ...conferences, ...urls.map((u) => u.clone()));
}

/** The `<url/>` bookmarks of a legacy storage, which XEP-0402 has no place for. */
export function legacyUrls(storage: Element | undefined): Element[] {
  return storage?.getChildren('url').map((u) => u.clone()) ?? [];
}

/** Same bookmark as far as XEP-0048 can tell (extensions are XEP-0402 only). */
export function sameLegacyFields(a: Bookmark, b: Bookmark): boolean {
  return a.jid === b.jid && a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password;
}
