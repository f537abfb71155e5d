/**
 * Forking room traffic to the account's sessions: every joined session, and
 * sessions still being answered locally get it held until their history is
 * out (local-join.ts).
 *
 * References: account-rooms spec, "Traffic from the room".
 */
import type { Element } from '../../core/xml/element.js';
import type { Session } from '../../core/session/session.js';
import { addressedTo, type AccountRooms } from './service.js';
import type { Membership } from './membership.js';

export function forkToJoined(service: AccountRooms, membership: Membership, stanza: Element): void {
  service.forward(stanza, membership.sessions);
  if (membership.replaying.size === 0) return;
  for (const [session, held] of membership.replaying) held.push(addressedTo(stanza, session.jid!.toString()));
}

export function waitingSessions(membership: Membership): Session[] {
  return membership.waiting.map((w) => w.session).filter((s) => !s.closed);
}

/** XEP-0045 status codes of a room presence or message. */
export function statusCodes(stanza: Element, userNs: string): Set<string> {
  const userX = stanza.getChild('x', userNs);
  return new Set((userX?.getChildren('status') ?? []).map((s) => s.attrs.code ?? ''));
}
