/**
 * Events the PEP module fires after a change to a node is stored, for
 * modules that keep other data in step (bookmarks mirrors its nodes).
 * `internal` marks changes another module made through the PEP API, so a
 * module can ignore the echo of its own writes.
 */
import type { Host } from '../../core/host.js';
import type { Item, NodeConfig } from '../pubsub/index.js';

export interface PepNodeEvent {
  host: Host;
  username: string;
  node: string;
  internal: boolean;
}

export interface PepPublishedEvent extends PepNodeEvent {
  item: Item;
  config: NodeConfig;
}

export interface PepRetractedEvent extends PepNodeEvent {
  id: string;
}

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /** An item was published (or republished) to an account's node. */
    'pep-item-published': PepPublishedEvent;
    /** An item was retracted from an account's node. */
    'pep-item-retracted': PepRetractedEvent;
    /** A node was purged of all its items. */
    'pep-node-purged': PepNodeEvent;
    /** A node and its items were deleted. */
    'pep-node-deleted': PepNodeEvent;
  }
}
