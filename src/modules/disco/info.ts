/**
 * Builds disco#info and disco#items answers: the host's identities, features
 * and XEP-0128 extension forms, and the account identity of a user's bare JID.
 *
 * References: XEP-0030 §3.1 (info), §4.1 (items); XEP-0128 §2 (extended
 * info); XEP-0030 registry (account/registered identity).
 */
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { DiscoIdentity } from '../../core/host.js';

export interface DiscoItem {
  jid: string;
  name?: string;
  node?: string;
}

export interface InfoParts {
  identities: Iterable<DiscoIdentity>;
  features: Iterable<string>;
  extensions?: Element[];
}

/** `<query xmlns=disco#info>` with identities, features (deduplicated, sorted) and forms. */
export function infoQuery(parts: InfoParts, node?: string): Element {
  const query = x('query', { xmlns: NS.discoInfo, node });
  for (const { category, type, name } of parts.identities) query.append(x('identity', { category, type, name }));
  for (const feature of [...new Set(parts.features)].sort()) query.append(x('feature', { var: feature }));
  query.append(...(parts.extensions ?? []));
  return query;
}

export function itemsQuery(items: Iterable<DiscoItem>, node?: string): Element {
  const query = x('query', { xmlns: NS.discoItems, node });
  for (const { jid, name, node: itemNode } of items) query.append(x('item', { jid, name, node: itemNode }));
  return query;
}

/** An account's bare JID answers as a registered account (XEP-0030 §3.1, Example 8). */
export const ACCOUNT_IDENTITY: DiscoIdentity = { category: 'account', type: 'registered' };
