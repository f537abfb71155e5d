/**
 * Personal Eventing via Pubsub: every account is a pubsub service at its
 * bare JID. The owner publishes (nodes are created on first publish, with
 * publish-options as preconditions or initial configuration), configures,
 * purges and deletes; contacts read items as the access model allows;
 * notifications go to the owner's resources and to contacts' resources that
 * advertise `<node>+notify` in their caps, and each newly available
 * resource gets the last published items. Private nodes (XEP-0223) are
 * whitelist nodes only the owner reads. Built on the pure pubsub core.
 *
 * References: XEP-0163 (PEP); XEP-0060 (the parts PEP uses); XEP-0223
 * (private PEP nodes); XEP-0115 (caps-based notification filtering).
 */
import './events.js';
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { DEFAULT_LIMITS, OWNER } from '../pubsub/index.js';
import { NodeStore } from './node-store.js';
import { Notifier } from './notifier.js';
import { RecipientTracker } from './recipients.js';
import { PepService } from './service.js';
import { handlePubsubGet, handlePubsubSet } from './iq-user.js';
import { handleOwnerGet, handleOwnerSet } from './iq-owner.js';
import { onContactPresence, onOwnPresence, onSessionEnded, type PresenceContext } from './presence.js';
import { advertisePep } from './disco.js';
import { requesterFor } from './relation.js';

export type { PepApi, PublishCheck, PublishOptions } from './service.js';
export type { PepNodeEvent, PepPublishedEvent, PepRetractedEvent } from './events.js';

type Stores = { pep_nodes: 'map'; pep_items: 'archive' };
type Pep = ModuleInstance<Stores, PepModuleState>;

interface PepModuleState extends PresenceContext {
  service: PepService;
}

/** Runs before the presence module (priority 0), which stops these events; PEP only observes. */
const OBSERVE_PRESENCE = 20;

function forbidden(): never {
  throw new StanzaError('forbidden', 'only the account owner may change its PEP nodes');
}

/** A contact reading an account's nodes: the account must exist (RFC 6121 §8.5.1). */
async function contactGet(event: StanzaEvent, mod: Pep): Promise<true> {
  const owner = event.to.local!;
  if (!(await mod.server.accounts.exists(owner, mod.host.name))) throw new StanzaError('service-unavailable');
  const requester = await requesterFor(mod.api.roster, mod.host.name, owner, event.from);
  return handlePubsubGet(event, mod.api.service, owner, requester);
}

export default defineModule({
  name: 'pep',
  depends: ['roster', 'disco', 'caps'],
  stores: { pep_nodes: 'map', pep_items: 'archive' } as Stores,
  setup(ctx): PepModuleState {
    const roster = ctx.dep('roster');
    const store = new NodeStore(ctx.stores.pep_nodes, ctx.stores.pep_items);
    const tracker = new RecipientTracker();
    const notifier = new Notifier(ctx.host, ctx.dep('caps'), roster, tracker, ctx.log);
    const service = new PepService(ctx.host, store, notifier, DEFAULT_LIMITS);
    advertisePep(ctx.dep('disco'), store, roster, ctx.host.name);
    // Dependents see the service as PepApi; the hooks also need the rest.
    return Object.assign(service, { service, tracker, roster, log: ctx.log });
  },
  hooks: {
    'iq-set/self/http://jabber.org/protocol/pubsub:pubsub': (event, mod) => handlePubsubSet(event, mod.api.service, event.to.local!),
    'iq-get/self/http://jabber.org/protocol/pubsub:pubsub': (event, mod) => handlePubsubGet(event, mod.api.service, event.to.local!, OWNER),
    'iq-get/bare/http://jabber.org/protocol/pubsub:pubsub': contactGet,
    'iq-set/bare/http://jabber.org/protocol/pubsub:pubsub': forbidden,
    'iq-get/self/http://jabber.org/protocol/pubsub#owner:pubsub': (event, mod) => handleOwnerGet(event, mod.api.service, event.to.local!),
    'iq-set/self/http://jabber.org/protocol/pubsub#owner:pubsub': (event, mod) => handleOwnerSet(event, mod.api.service, event.to.local!),
    'iq-get/bare/http://jabber.org/protocol/pubsub#owner:pubsub': forbidden,
    'iq-set/bare/http://jabber.org/protocol/pubsub#owner:pubsub': forbidden,
    'presence/bare': { priority: OBSERVE_PRESENCE, handler: (event, mod) => onContactPresence(mod.api, event) },
    'presence/self': { priority: OBSERVE_PRESENCE, handler: (event, mod) => onOwnPresence(mod.api, event) },
    'resource-unbind': ({ session }, mod) => onSessionEnded(mod.api, session),
    'user-deleted': async ({ username }, mod) => {
      mod.api.tracker.forget(username);
      await mod.api.service.store.deleteUser(username);
    },
  },
});
