/**
 * The last published item of each node, sent to a resource that just became
 * available (or changed its caps): the account's own resources and its
 * contacts' alike, each node only if the resource may read it and asked for
 * `<node>+notify`. The notification carries a delay stamp with the original
 * publication time.
 *
 * References: XEP-0163 §4.3.3 (when to generate notifications: initial
 * presence with caps), §4.3.4 (sending the last published item, with
 * XEP-0203 delay); XEP-0060 §12.3 (send_last_published_item
 * on_sub_and_presence).
 */
import { delayElement, mayRead, publishEvent, type Requester } from '../pubsub/index.js';
import type { Caps } from '../caps/feature-cache.js';
import type { NodeStore } from './node-store.js';
import type { Notifier } from './notifier.js';

export async function sendLastItems(
  store: NodeStore,
  notifier: Notifier,
  owner: { username: string; bare: string },
  to: string,
  caps: Caps | undefined,
  requester: Requester,
): Promise<void> {
  if (!caps) return;
  for (const [name, config] of await store.configs(owner.username)) {
    if (config.send_last_published_item !== 'on_sub_and_presence' || !config.deliver_notifications) continue;
    if (!mayRead(config, requester)) continue;
    if (!(await notifier.wants(to, caps, name, requester.isOwner ? undefined : owner.username))) continue;
    const item = await store.lastItem(owner.username, name);
    if (!item) continue;
    notifier.send(owner.username, to, config, publishEvent(name, [item], config), delayElement(item.published, owner.bare));
  }
}
