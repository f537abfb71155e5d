/**
 * Service discovery (XEP-0030): the host answers disco#info with its
 * identities and the features of every loaded module, and disco#items with
 * the services registered through `addItem` (a MUC component, say). An
 * account's bare JID answers as `account/registered` to the account itself
 * and to subscribed contacts only. Other modules extend the answers through
 * the exported API: extension forms (XEP-0128), extra info nodes (the caps
 * `node#ver`), account features.
 *
 * References: XEP-0030 §3 (info), §4 (items), §5 (security); XEP-0128 §2;
 * RFC 6121 §8.5.2 (no information leak for unknown or unrelated accounts).
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { DiscoIdentity, Host } from '../../core/host.js';
import type { JID } from '../../core/jid/jid.js';
import { ACCOUNT_IDENTITY, infoQuery, itemsQuery, type DiscoItem } from './info.js';
import { mayDiscoverAccount } from './contact-access.js';

export type { DiscoItem } from './info.js';

export interface DiscoApi {
  /** Lists a service (e.g. a MUC component) in the host's disco#items. */
  addItem(jid: string, name?: string): void;
  removeItem(jid: string): void;
  items(): DiscoItem[];
  /** XEP-0128: a data form (FORM_TYPE first) appended to the host's disco#info. */
  addExtension(form: () => Element): void;
  /** Makes a node answer disco#info with the host's own info (the caps `node#ver`). */
  addInfoNode(matches: (node: string) => boolean): void;
  /** The host's disco#info `<query/>`, as answered for `node`. */
  hostInfo(node?: string): Element;
  /** Features every account's bare JID advertises (added by PEP, MAM…). */
  readonly accountFeatures: Set<string>;
  /** Identities every account's bare JID advertises besides account/registered (PEP's pubsub/pep). */
  readonly accountIdentities: DiscoIdentity[];
  /** Adds items to an account's disco#items (PEP nodes), given the account and who asks. */
  addAccountItems(provider: AccountItemsProvider): void;
}

export type AccountItemsProvider = (user: string, requester: JID) => Promise<DiscoItem[]>;

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    disco: DiscoApi;
  }
}

/** The API plus the account item providers, which only this module reads. */
type DiscoState = DiscoApi & { accountItemProviders: AccountItemsProvider[] };

function createApi(host: Host): DiscoState {
  const items = new Map<string, DiscoItem>();
  const accountItemProviders: AccountItemsProvider[] = [];
  const extensions: (() => Element)[] = [];
  const infoNodes: ((node: string) => boolean)[] = [];
  return {
    addItem: (jid, name) => void items.set(jid, { jid, name }),
    removeItem: (jid) => void items.delete(jid),
    items: () => [...items.values()],
    addExtension: (form) => void extensions.push(form),
    addInfoNode: (matches) => void infoNodes.push(matches),
    hostInfo(node) {
      if (node !== undefined && !infoNodes.some((matches) => matches(node))) throw new StanzaError('item-not-found');
      return infoQuery({ identities: host.identities, features: host.features, extensions: extensions.map((f) => f()) }, node);
    },
    accountFeatures: new Set([NS.discoInfo, NS.discoItems]),
    accountIdentities: [],
    addAccountItems: (provider) => void accountItemProviders.push(provider),
    accountItemProviders,
  };
}


/** Unknown accounts and unrelated requesters get the same answer (no leak). */
async function checkAccountAccess({ host, to, from }: StanzaEvent): Promise<void> {
  const user = to.local!;
  if (!(await host.server.accounts.exists(user, host.name))) throw new StanzaError('service-unavailable');
  if (!(await mayDiscoverAccount(host, user, from))) throw new StanzaError('service-unavailable');
}

async function accountInfo(event: StanzaEvent, api: DiscoState): Promise<true> {
  await checkAccountAccess(event);
  const node = iqPayload(event.stanza).attrs.node;
  if (node !== undefined) throw new StanzaError('item-not-found');
  const identities = [ACCOUNT_IDENTITY, ...api.accountIdentities];
  return answerIq(event, infoQuery({ identities, features: api.accountFeatures }));
}

async function accountItems(event: StanzaEvent, api: DiscoState): Promise<true> {
  await checkAccountAccess(event);
  const node = iqPayload(event.stanza).attrs.node;
  if (node !== undefined) throw new StanzaError('item-not-found');
  const items: DiscoItem[] = [];
  for (const provider of api.accountItemProviders) items.push(...(await provider(event.to.local!, event.from)));
  return answerIq(event, itemsQuery(items));
}

export default defineModule({
  name: 'disco',
  features: [NS.discoInfo, NS.discoItems],
  setup: (ctx) => createApi(ctx.host),
  hooks: {
    'iq-get/host/http://jabber.org/protocol/disco#info:query': (event, mod) =>
      answerIq(event, mod.api.hostInfo(iqPayload(event.stanza).attrs.node)),
    'iq-get/host/http://jabber.org/protocol/disco#items:query': (event, mod) => {
      if (iqPayload(event.stanza).attrs.node !== undefined) throw new StanzaError('item-not-found');
      return answerIq(event, itemsQuery(mod.api.items()));
    },
    'iq-get/bare/http://jabber.org/protocol/disco#info:query': (event, mod) => accountInfo(event, mod.api),
    'iq-get/self/http://jabber.org/protocol/disco#info:query': (event, mod) => accountInfo(event, mod.api),
    'iq-get/bare/http://jabber.org/protocol/disco#items:query': (event, mod) => accountItems(event, mod.api),
    'iq-get/self/http://jabber.org/protocol/disco#items:query': (event, mod) => accountItems(event, mod.api),
  },
});
