/**
 * Replacing a node's whole item set in one stored step (a legacy bookmarks
 * client rewrites its whole list): items that are new or changed are
 * published, items no longer present are retracted, unchanged ones stay as
 * they are and cause no notification.
 *
 * References: XEP-0402 §5.3.2 (publishing via the old specification: update
 * individual items, no notifications for unchanged items).
 */
import {
  capacity,
  Node,
  samePayload,
  type Item,
  type NodeConfig,
  type PublishedItem,
  type ServiceLimits,
} from '../pubsub/index.js';
import type { NodeStore } from './node-store.js';

export interface ItemSetChange {
  config: NodeConfig;
  published: Item[];
  retracted: string[];
}

export async function replaceNodeItems(
  store: NodeStore,
  owner: string,
  name: string,
  items: PublishedItem[],
  context: { defaults: NodeConfig; limits: ServiceLimits; publisher: string },
): Promise<ItemSetChange | undefined> {
  const existing = await store.load(owner, name);
  if (!existing && items.length === 0) return undefined;
  const node = existing ?? new Node(name, context.defaults);
  const before = new Set(node.items);
  const wanted = new Set(items.map((i) => i.id));
  const retracted = node.items.filter((i) => !wanted.has(i.id)).map((i) => i.id);
  for (const id of retracted) node.retract(id);
  const now = Date.now();
  for (const { id, payload } of items) {
    if (samePayload(node.find(id)?.payload, payload)) continue;
    node.publish({ id, payload, publisher: context.publisher, published: now }, capacity(node.config, context.limits));
  }
  // Store the difference between the items before and after, by identity.
  const after = new Set(node.items);
  const published = node.items.filter((i) => !before.has(i));
  if (!existing) await store.saveConfig(owner, node);
  await store.removeItems(owner, name, [...before].filter((i) => !after.has(i)));
  for (const item of published) await store.addItem(owner, name, item);
  return { config: node.config, published, retracted };
}
