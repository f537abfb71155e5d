/**
 * Items on the wire: checking the item of a publish request, and the
 * `<item/>`, `<items/>` and `<event/>` elements the service sends back.
 *
 * References: XEP-0060 §7.1.1 (one item, its optional ItemID), §7.1.3.4
 * (payload-too-big), §7.1.3.5 (invalid-payload), §7.1.3.6 (item-required,
 * payload-required), §7.1.2.1 (event notifications), §7.2.2.1 (retract
 * notifications), §8.4.2 (delete), §8.5.2 (purge), §8.2.5.3 (configuration
 * notifications); XEP-0203 (delayed delivery stamp).
 */
import { randomUUID } from 'node:crypto';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { pubsubError } from './errors.js';
import { PUBSUB } from './namespaces.js';
import type { NodeConfig, ServiceLimits } from './config.js';
import type { Item } from './node.js';

/** Item ids are opaque, but unbounded ones would let a client grow storage keys at will. */
export const MAX_ITEM_ID_LENGTH = 1024;

export interface PublishedItem {
  id: string;
  payload: Element;
}

/** The single item of a `<publish/>`, with a generated id when none was given. */
export function readPublishedItem(publish: Element, limits: ServiceLimits): PublishedItem {
  const items = publish.getChildren('item');
  if (items.length === 0) throw pubsubError('item-required', 'publish needs an item');
  if (items.length > 1) throw pubsubError('bad-request', 'one item per publish');
  const item = items[0];
  const id = item.attrs.id || randomUUID();
  if (id.length > MAX_ITEM_ID_LENGTH) throw pubsubError('bad-request', 'item id too long');
  const payloads = item.elements();
  if (payloads.length === 0) throw pubsubError('payload-required', 'the item has no payload');
  if (payloads.length > 1) throw pubsubError('invalid-payload', 'one payload element per item');
  const payload = payloads[0];
  if (Buffer.byteLength(payload.toString()) > limits.maxPayloadBytes) {
    throw pubsubError('payload-too-big', `payloads are limited to ${limits.maxPayloadBytes} bytes`);
  }
  return { id, payload };
}

/** A node restricted to one payload namespace (`pubsub#type`) refuses others (§7.1.3.5). */
export function checkPayloadType(config: NodeConfig, payload: Element): void {
  if (config.type !== '' && payload.attrs.xmlns !== config.type) {
    throw pubsubError('invalid-payload', `this node takes ${config.type} payloads`);
  }
}

/**
 * `<item id>` with its payload. The publisher is kept on record but not sent
 * (XEP-0060 §7.1.2.3 makes it a node option): in PEP it is always the owner.
 */
export function itemElement(item: Item, withPayload = true): Element {
  return x('item', { id: item.id }, withPayload ? item.payload?.clone() : undefined);
}

/** `<items node>` with the given items, for a retrieval result. */
export function itemsElement(node: string, items: Item[]): Element {
  return x('items', { node }, ...items.map((item) => itemElement(item)));
}

export function event(child: Element): Element {
  return x('event', { xmlns: PUBSUB.event }, child);
}

export function publishEvent(node: string, items: Item[], config: NodeConfig): Element {
  return event(x('items', { node }, ...items.map((item) => itemElement(item, config.deliver_payloads))));
}

export function retractEvent(node: string, ids: string[]): Element {
  return event(x('items', { node }, ...ids.map((id) => x('retract', { id }))));
}

export function deleteEvent(node: string): Element {
  return event(x('delete', { node }));
}

export function purgeEvent(node: string): Element {
  return event(x('purge', { node }));
}

export function configurationEvent(node: string, form?: Element): Element {
  return event(x('configuration', { node }, form));
}

/** XEP-0203 stamp for a last published item sent later than it was published. */
export function delayElement(published: number, from?: string): Element {
  return x('delay', { xmlns: NS.delay, stamp: new Date(published).toISOString(), from });
}
