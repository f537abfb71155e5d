/**
 * A leaf node: its configuration and its items, oldest first. Publishing
 * replaces an item with the same id and moves it to the newest position,
 * and the oldest items beyond the node's capacity are evicted (first in,
 * first out). No I/O: callers persist what each operation reports.
 *
 * References: XEP-0060 §7.1.2 (success case: overwrite on the same ItemID,
 * FIFO eviction at max_items), §7.2 (retract), §6.5.7 (most recent N
 * items), §6.5.8 (items by id), §8.5 (purge).
 */
import type { Element } from '../../core/xml/element.js';
import { pubsubError } from './errors.js';
import type { NodeConfig } from './config.js';

export interface Item {
  id: string;
  /** The publisher's JID, stamped by the service (never taken from the request). */
  publisher?: string;
  payload?: Element;
  /** Publication time, ms since the epoch. */
  published: number;
}

export interface PublishResult {
  item: Item;
  /** The item with the same id this one replaced. */
  replaced?: Item;
  /** Older items dropped to stay within capacity. */
  evicted: Item[];
}

export interface ItemSelection {
  /** The N most recent items (XEP-0060 §6.5.7). */
  max?: number;
  /** Only these ids, in the node's order (§6.5.8). */
  ids?: string[];
}

export class Node {
  private list: Item[];

  constructor(
    readonly name: string,
    public config: NodeConfig,
    items: Item[] = [],
  ) {
    this.list = [...items];
  }

  /** Items oldest first. */
  get items(): readonly Item[] {
    return this.list;
  }

  last(): Item | undefined {
    return this.list[this.list.length - 1];
  }

  find(id: string): Item | undefined {
    return this.list.find((item) => item.id === id);
  }

  publish(item: Item, capacity: number): PublishResult {
    const replaced = this.find(item.id);
    if (replaced) this.list = this.list.filter((i) => i !== replaced);
    this.list.push(item);
    return { item, replaced, evicted: this.trim(capacity) };
  }

  /** Removes one item; item-not-found when there is none with this id (§7.2.3.2). */
  retract(id: string): Item {
    const item = this.find(id);
    if (!item) throw pubsubError('item-not-found', `no item ${id}`);
    this.list = this.list.filter((i) => i !== item);
    return item;
  }

  /** Removes every item and returns them. */
  purge(): Item[] {
    const removed = this.list;
    this.list = [];
    return removed;
  }

  /** A new configuration; returns the items a smaller capacity evicts. */
  reconfigure(config: NodeConfig, capacity: number): Item[] {
    this.config = config;
    return this.trim(capacity);
  }

  select({ max, ids }: ItemSelection = {}): Item[] {
    let items = this.list;
    if (ids !== undefined) {
      const wanted = new Set(ids);
      items = items.filter((item) => wanted.has(item.id));
    }
    if (max !== undefined) items = items.slice(Math.max(0, items.length - max));
    return [...items];
  }

  private trim(capacity: number): Item[] {
    const excess = this.list.length - capacity;
    if (excess <= 0) return [];
    const evicted = this.list.slice(0, excess);
    this.list = this.list.slice(excess);
    return evicted;
  }
}
