/**
 * What the bookmarks module offers other modules (account rooms): the
 * account's bookmarks on demand, and an event after every change, whichever
 * protocol made it.
 */
import type { Host } from '../../core/host.js';
import type { Bookmark } from './bookmark.js';

export interface BookmarksChangedEvent {
  host: Host;
  username: string;
  /** The account's bookmarks after the change. */
  bookmarks: Bookmark[];
}

export interface BookmarksApi {
  /** The account's bookmarks (XEP-0402 items), in publication order. */
  list(username: string): Promise<Bookmark[]>;
  /** Changes one bookmark from the server side (see BookmarkSync.update). */
  update(username: string, room: string, change: (current: Bookmark | undefined) => Bookmark | undefined): Promise<void>;
}

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /** An account's bookmarks changed (XEP-0402, legacy PEP or private storage). */
    'bookmarks-changed': BookmarksChangedEvent;
  }
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    bookmarks: BookmarksApi;
  }
}
