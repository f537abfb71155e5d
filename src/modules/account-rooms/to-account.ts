/**
 * Room traffic arriving for the account (the destination events on its
 * host): stanzas from a room the account is a member of, addressed to its
 * bare JID (or the full JID it occupies a room from when the room refused
 * the bare one). While a membership exists such traffic is never bounced,
 * whatever its type and whether or not a session is online; what is not
 * room traffic (invitations, forms) falls through to ordinary delivery.
 *
 * References: account-rooms spec, "Traffic from the room"; RFC 6121
 * §8.5.2.1.1 (groupchat to a bare JID would bounce; rooms treat bounces as
 * ghosts, XEP-0045 §18.1.2 / status 333); RFC 6120 §8.2.3 (IQ types: only
 * get and set are requests).
 */
import type { StanzaEvent } from '../../core/events/event-map.js';
import { answerIq } from '../../core/router/reply.js';
import { ACCOUNT_IDENTITY, infoQuery } from '../disco/info.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { handleRoomPresence } from './room-presence.js';
import { handleRoomMessage } from './room-messages.js';
import { iqFromRoom } from './room-iq.js';

/** The membership this stanza is room traffic of, if any. */
function membershipFor(service: AccountRooms, { from, to }: StanzaEvent): Membership | undefined {
  if (to.local === undefined) return undefined;
  const membership = service.get(to.local, from.bareString());
  if (!membership) return undefined;
  if (to.resource === undefined) return membership.fromFullJid ? undefined : membership;
  return membership.fromFullJid && to.resource === service.config.resource ? membership : undefined;
}

export async function presenceToAccount(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const membership = membershipFor(service, event);
  if (!membership) return undefined;
  const type = event.stanza.attrs.type;
  if (type !== undefined && type !== 'unavailable' && type !== 'error') return undefined;
  await handleRoomPresence(service, membership, event.stanza, event.from);
  return true;
}

export async function messageToAccount(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const membership = membershipFor(service, event);
  if (!membership) return undefined;
  return (await handleRoomMessage(service, membership, event.stanza, event.from)) || undefined;
}

export async function iqToAccount(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const membership = membershipFor(service, event);
  if (!membership) return undefined;
  const type = event.stanza.attrs.type;
  // Answers to the server's own requests were taken by the iq module already;
  // other answers, and IQs of no valid type, are dropped (never bounced).
  if (type === 'get' || type === 'set') await iqFromRoom(service, membership, event.stanza);
  return true;
}

/**
 * Disco#info a room relays from an occupant to the account: answered for
 * the account (its identity and features), though a room is no contact the
 * disco module would show the account to.
 */
export async function discoInfoToAccount(service: AccountRooms, event: StanzaEvent): Promise<boolean | undefined> {
  const { disco } = service.deps;
  const query = event.stanza.elements()[0];
  if (!disco || !membershipFor(service, event) || query?.attrs.node !== undefined) return undefined;
  const identities = [ACCOUNT_IDENTITY, ...disco.accountIdentities];
  return answerIq(event, infoQuery({ identities, features: disco.accountFeatures }));
}
