/**
 * A requester's relation to an account, as the pubsub access models need
 * it: the owner itself, or a contact with the owner's roster subscription
 * state and groups for it.
 *
 * References: XEP-0060 §4.5 (access models); XEP-0163 §4 (every account a
 * pubsub service, contacts by presence subscription); RFC 6121 §2.1.2.5.
 */
import type { JID } from '../../core/jid/jid.js';
import type { RosterApi } from '../roster/index.js';
import { OWNER, STRANGER, type Requester } from '../pubsub/index.js';

export async function requesterFor(roster: RosterApi, hostName: string, owner: string, requester: JID): Promise<Requester> {
  if (requester.local === owner && requester.domain === hostName) return OWNER;
  const item = await roster.getItem(owner, requester.bareString());
  if (!item) return STRANGER;
  return { isOwner: false, subscription: item.subscription, groups: item.groups };
}
