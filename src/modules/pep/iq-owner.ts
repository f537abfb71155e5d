/**
 * The `http://jabber.org/protocol/pubsub#owner` requests of PEP, for the
 * account owner only: get and submit a node's configuration, get the
 * default configuration, delete a node, purge its items.
 *
 * References: XEP-0060 §8.2 (configure a node: form, submit, cancel, errors),
 * §8.3 (default configuration), §8.4 (delete), §8.5 (purge).
 */
import { x, type Element } from '../../core/xml/element.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { configForm, expectFormType, parseForm, pubsubError, PUBSUB } from '../pubsub/index.js';
import type { PepService } from './service.js';

function onlyAction(pubsub: Element): Element {
  const actions = pubsub.elements();
  if (actions.length !== 1) throw pubsubError('bad-request', 'exactly one owner action expected');
  return actions[0];
}

function nodeOf(el: Element): string {
  const node = el.attrs.node;
  if (!node) throw pubsubError('nodeid-required', 'a node is required');
  return node;
}

export async function handleOwnerGet(event: StanzaEvent, service: PepService, owner: string): Promise<true> {
  const action = onlyAction(iqPayload(event.stanza));
  if (action.name === 'default') {
    const form = configForm(service.defaultsFor(''));
    return answerIq(event, x('pubsub', { xmlns: PUBSUB.owner }, x('default', {}, form)));
  }
  if (action.name !== 'configure') throw pubsubError('unsupported', `${action.name} is not supported`, 'config-node');
  const node = await service.node(owner, nodeOf(action));
  return answerIq(event, x('pubsub', { xmlns: PUBSUB.owner }, x('configure', { node: node.name }, configForm(node.config))));
}

export async function handleOwnerSet(event: StanzaEvent, service: PepService, owner: string): Promise<true> {
  const action = onlyAction(iqPayload(event.stanza));
  const node = nodeOf(action);
  switch (action.name) {
    case 'configure': {
      const form = parseForm(action.getChild('x', 'jabber:x:data'));
      // A cancelled form keeps the configuration as it is (§8.2.4).
      if (form.type === 'cancel') await service.node(owner, node);
      else if (form.type !== 'submit') throw pubsubError('bad-request', 'a submitted form is expected');
      else {
        expectFormType(form, PUBSUB.nodeConfig);
        await service.configure(owner, node, form.fields);
      }
      return answerIq(event);
    }
    case 'delete':
      await service.deleteNode(owner, node);
      return answerIq(event);
    case 'purge':
      await service.purge(owner, node);
      return answerIq(event);
    default:
      throw pubsubError('unsupported', `${action.name} is not supported`, action.name === 'affiliations' ? 'modify-affiliations' : 'manage-subscriptions');
  }
}
