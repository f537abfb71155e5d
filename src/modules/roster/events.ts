/** Events the roster module fires for others to hook. */
import type { Host } from '../../core/host.js';
import type { RosterItem } from './roster-state.js';

export interface RosterItemRemovedEvent {
  host: Host;
  username: string;
  /** The removed item's JID string. */
  jid: string;
  /** The item as it was before removal. */
  item: RosterItem;
}

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /**
     * A client removed a roster item (RFC 6121 §2.5), after the roster module
     * cancelled the subscriptions it held; presence drops any pending request.
     */
    'roster-item-removed': RosterItemRemovedEvent;
  }
}
