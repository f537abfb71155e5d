/**
 * The `http://jabber.org/protocol/pubsub` requests of PEP: the owner
 * publishes, retracts, creates nodes and lists affiliations; the owner and
 * contacts retrieve items, within the node's access model. Anyone but the
 * owner is refused any change.
 *
 * References: XEP-0060 §5.7 (affiliations), §6.5 (retrieve items, max_items,
 * item ids), §7.1 (publish, publish-options), §7.2 (retract, notify), §8.1
 * (create, create-and-configure); XEP-0163 §3, §4; XEP-0223 §4.
 */
import { x, type Element } from '../../core/xml/element.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import {
  checkRead,
  expectFormType,
  itemsElement,
  parseBoolean,
  parseForm,
  pubsubError,
  PUBSUB,
  readPublishedItem,
  type Requester,
} from '../pubsub/index.js';
import type { PepService } from './service.js';

/** Actions of the pubsub namespace we do not offer in PEP, with their XEP-0060 feature names. */
const UNSUPPORTED: Record<string, string> = {
  subscribe: 'subscribe',
  unsubscribe: 'subscribe',
  options: 'subscription-options',
  subscriptions: 'retrieve-subscriptions',
};

function nodeOf(el: Element): string {
  const node = el.attrs.node;
  if (!node) throw pubsubError('nodeid-required', 'a node is required');
  return node;
}

/** The request's action element, ignoring the option elements that may accompany it. */
function actionOf(pubsub: Element): Element {
  const actions = pubsub.elements().filter((el) => el.name !== 'publish-options' && el.name !== 'configure');
  if (actions.length !== 1) throw pubsubError('bad-request', 'exactly one pubsub action expected');
  const action = actions[0];
  const feature = UNSUPPORTED[action.name];
  if (feature) throw pubsubError('unsupported', `${action.name} is not supported`, feature);
  return action;
}

/** publish-options (§7.1.5) or create's configure (§8.1.3): a submitted form of the given type, if present. */
export function optionsForm(container: Element | undefined, formType: string): Map<string, string[]> | undefined {
  const formEl = container?.getChild('x', 'jabber:x:data');
  if (!container || (!formEl && container.elements().length === 0)) return undefined;
  const form = parseForm(formEl);
  if (form.type !== 'submit') throw pubsubError('bad-request', 'a submitted form is expected');
  expectFormType(form, formType);
  return form.fields;
}

export async function handlePubsubSet(event: StanzaEvent, service: PepService, owner: string): Promise<true> {
  const pubsub = iqPayload(event.stanza);
  const action = actionOf(pubsub);
  switch (action.name) {
    case 'publish': {
      const node = nodeOf(action);
      const item = readPublishedItem(action, service.limits);
      const options = optionsForm(pubsub.getChild('publish-options'), PUBSUB.publishOptions);
      await service.publish(owner, node, item, { options });
      return answerIq(event, x('pubsub', { xmlns: PUBSUB.main }, x('publish', { node }, x('item', { id: item.id }))));
    }
    case 'retract': {
      const node = nodeOf(action);
      const id = action.getChild('item')?.attrs.id;
      if (!id) throw pubsubError('item-required', 'retract needs an item id');
      await service.retract(owner, node, id, { notify: parseBoolean(action.attrs.notify) });
      return answerIq(event);
    }
    case 'create': {
      if (!action.attrs.node) throw pubsubError('instant-node-refused', 'PEP nodes are named by namespace');
      await service.create(owner, action.attrs.node, optionsForm(pubsub.getChild('configure'), PUBSUB.nodeConfig));
      return answerIq(event);
    }
    default:
      throw pubsubError('bad-request', `unknown pubsub action ${action.name}`);
  }
}

export async function handlePubsubGet(event: StanzaEvent, service: PepService, owner: string, requester: Requester): Promise<true> {
  const action = actionOf(iqPayload(event.stanza));
  if (action.name === 'affiliations') {
    // The owner is the only affiliate of a PEP node (XEP-0163 §1.2); others have none.
    const names = requester.isOwner ? [...(await service.store.configs(owner)).keys()] : [];
    const list = names.map((node) => x('affiliation', { node, affiliation: 'owner' }));
    return answerIq(event, x('pubsub', { xmlns: PUBSUB.main }, x('affiliations', {}, ...list)));
  }
  if (action.name !== 'items') throw pubsubError('bad-request', `unknown pubsub request ${action.name}`);
  const node = await service.node(owner, nodeOf(action));
  checkRead(node.config, requester);
  const ids = action.getChildren('item').map((i) => i.attrs.id);
  if (ids.some((id) => !id)) throw pubsubError('bad-request', 'an item without id');
  const max = parseMaxItems(action.attrs.max_items);
  const items = node.select({ max, ids: ids.length > 0 ? (ids as string[]) : undefined });
  return answerIq(event, x('pubsub', { xmlns: PUBSUB.main }, itemsElement(node.name, items)));
}

function parseMaxItems(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw pubsubError('bad-request', 'max_items must be a positive integer');
  return Number(value);
}
