/**
 * Blocking Command (XEP-0191): each account keeps a list of blocked JIDs;
 * nothing from them reaches the account and nothing from the account
 * reaches them, on this server or another. The checks hook the routing
 * events at priority 100, ahead of the delivery modules (message, iq,
 * presence, offline) and of federation (`route/remote`) at 0.
 *
 * References: XEP-0191 §3 (use cases), §6 (JID matching).
 */
import { defineModule, type HookSpec, type ModuleInstance } from '../../core/module/define-module.js';
import { NS } from '../../core/xml/ns.js';
import type { JID } from '../../core/jid/jid.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { Blocklists, isBlockedBy } from './blocklist.js';
import { checkInbound, checkOutbound, checkOutboundIqToBare, checkPresence, checkPresenceToRemote, checkRemoteIqToBare } from './enforcement.js';
import { handleBlock, handleBlocklistGet, handleUnblock } from './commands.js';

export interface BlockingApi {
  /** Whether the local account `user` blocked `jid`. */
  isBlocked(user: string, jid: JID): Promise<boolean>;
  readonly lists: Blocklists;
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    blocking: BlockingApi;
  }
}

const PRIORITY = 100;
type Instance = ModuleInstance<{ blocklist: 'keyval' }, BlockingApi>;
type Check = (event: StanzaEvent, api: BlockingApi) => unknown;
const early = (check: Check): HookSpec<StanzaEvent, Instance> => ({ priority: PRIORITY, handler: (event, mod) => check(event, mod.api) });

export default defineModule({
  name: 'blocking',
  features: [NS.blocking],
  stores: { blocklist: 'keyval' },
  setup(ctx): BlockingApi {
    const lists = new Blocklists(ctx.stores.blocklist);
    return { lists, isBlocked: async (user, jid) => isBlockedBy(await lists.get(user), jid) };
  },
  hooks: {
    'iq-get/self/urn:xmpp:blocking:blocklist': (event, mod) => handleBlocklistGet(event, mod.api.lists),
    'iq-set/self/urn:xmpp:blocking:block': (event, mod) => handleBlock(event, mod.api.lists),
    'iq-set/self/urn:xmpp:blocking:unblock': (event, mod) => handleUnblock(event, mod.api.lists),
    // Inbound: from a blocked JID to the user.
    'message/bare': early(checkInbound),
    'message/full': early(checkInbound),
    'iq/bare': early(checkInbound),
    'iq/full': early(checkInbound),
    'presence/bare': early(checkPresence),
    'presence/full': early(checkPresence),
    // From other servers: IQs to a bare JID, which no other inbound hook sees first.
    's2s-stanza-in': early(checkRemoteIqToBare),
    // Outbound: from the user to a blocked JID.
    'pre-message/bare': early(checkOutbound),
    'pre-message/full': early(checkOutbound),
    'pre-message/host': early(checkOutbound),
    'pre-presence/bare': early(checkOutbound),
    'pre-presence/full': early(checkOutbound),
    'pre-presence/host': early(checkOutbound),
    'pre-iq/bare': early(checkOutboundIqToBare),
    'pre-iq/full': early(checkOutbound),
    'pre-iq/host': early(checkOutbound),
    // The server's presence for the user, leaving for another server.
    'route/remote': early(checkPresenceToRemote),
    'user-deleted': ({ username }, mod) => mod.api.lists.forget(username),
  },
});
