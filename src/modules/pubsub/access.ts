/**
 * Who may retrieve a node's items and receive its notifications, from the
 * requester's relation to the owner. The owner always may; the access model
 * decides for everyone else, with the error XEP-0060 names for a refusal.
 *
 * References: XEP-0060 §4.5 (access models), §6.5.2 (retrieval
 * permissions), §6.5.9.6–§6.5.9.8 (presence, roster and whitelist errors);
 * XEP-0163 §4.3 (contacts sharing presence); XEP-0223 §3 (whitelist: the
 * owner only).
 */
import { pubsubError, type PubsubError } from './errors.js';
import type { AccessModel } from './config.js';

/** The part of a node's configuration access depends on. */
export interface AccessConfig {
  access_model: AccessModel;
  roster_groups_allowed: readonly string[];
}

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface Requester {
  isOwner: boolean;
  /** The owner's roster subscription state for the requester. */
  subscription: Subscription;
  /** The owner's roster groups the requester is in. */
  groups: string[];
}

export const OWNER: Requester = { isOwner: true, subscription: 'both', groups: [] };
export const STRANGER: Requester = { isOwner: false, subscription: 'none', groups: [] };

/** Why the requester may not read, or undefined when it may. */
export function accessDenial(config: AccessConfig, requester: Requester): PubsubError | undefined {
  if (requester.isOwner) return undefined;
  // The requester receives the owner's presence: subscription from or both.
  const subscribed = requester.subscription === 'from' || requester.subscription === 'both';
  switch (config.access_model) {
    case 'open':
      return undefined;
    case 'presence':
      return subscribed ? undefined : pubsubError('presence-subscription-required');
    case 'roster': {
      if (!subscribed) return pubsubError('presence-subscription-required');
      const allowed = new Set(config.roster_groups_allowed);
      return requester.groups.some((g) => allowed.has(g)) ? undefined : pubsubError('not-in-roster-group');
    }
    case 'whitelist':
      // No whitelist affiliations are kept: only the owner is on it.
      return pubsubError('closed-node');
  }
}

export function mayRead(config: AccessConfig, requester: Requester): boolean {
  return accessDenial(config, requester) === undefined;
}

export function checkRead(config: AccessConfig, requester: Requester): void {
  const denial = accessDenial(config, requester);
  if (denial) throw denial;
}
