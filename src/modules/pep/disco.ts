/**
 * How an account shows its PEP service in service discovery: the
 * pubsub/pep identity and the XEP-0060 features it supports on the bare
 * JID, and its nodes as disco#items, each listed only to those who may read
 * it.
 *
 * References: XEP-0163 §6.1 (account owner service discovery: identity
 * pubsub/pep and the supported features), §6.2 (items listed by access
 * model); XEP-0060 §5.2 (discover nodes), §10 (feature names); XEP-0223 §5
 * (publish-options feature).
 */
import type { DiscoApi } from '../disco/index.js';
import type { RosterApi } from '../roster/index.js';
import { mayRead, PUBSUB, pubsubFeature } from '../pubsub/index.js';
import type { NodeStore } from './node-store.js';
import { requesterFor } from './relation.js';

/** XEP-0060 features this service implements (not subscriptions, which PEP gets from presence). */
const FEATURES = [
  'access-open',
  'access-presence',
  'access-roster',
  'access-whitelist',
  'auto-create',
  'auto-subscribe',
  'config-node',
  'config-node-max',
  'create-and-configure',
  'create-nodes',
  'delete-items',
  'delete-nodes',
  'filtered-notifications',
  'item-ids',
  'last-published',
  'persistent-items',
  'presence-notifications',
  'publish',
  'publish-options',
  'purge-nodes',
  'retract-items',
  'retrieve-affiliations',
  'retrieve-default',
  'retrieve-items',
];

export function advertisePep(disco: DiscoApi, store: NodeStore, roster: RosterApi, hostName: string): void {
  disco.accountIdentities.push({ category: 'pubsub', type: 'pep' });
  disco.accountFeatures.add(PUBSUB.main);
  for (const feature of FEATURES) disco.accountFeatures.add(pubsubFeature(feature));
  disco.addAccountItems(async (user, requester) => {
    const who = await requesterFor(roster, hostName, user, requester);
    const jid = `${user}@${hostName}`;
    const items = [];
    for (const [node, config] of await store.configs(user)) if (mayRead(config, who)) items.push({ jid, node, name: config.title || undefined });
    return items;
  });
}
