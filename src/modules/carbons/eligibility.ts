/**
 * Which messages are carbon-copied: the recommended rules of XEP-0280 §6.1,
 * applied to a message seen on its way out of an account ('sent') or into
 * it ('received'). Pure functions over the stanza; whether an error answers
 * an eligible message needs memory of earlier traffic, so errors come back
 * as 'if-answer' and the caller checks its log (see recent-messages.ts).
 *
 * References: XEP-0280 §6 (messages eligible for carbons delivery), §6.1
 * (recommended rules, MUC-related messages), §9 (avoiding carbons: private
 * and no-copy), §11 (security: carbons are only ever made by the server);
 * XEP-0334 §4.3 (no-copy hint); XEP-0045 §7.5 (private messages), §7.8.2
 * (mediated invitations); XEP-0249 (direct invitations); XEP-0085,
 * XEP-0184, XEP-0333 (payloads used in instant messaging).
 */
import type { Element } from '../../core/xml/element.js';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_HINTS = 'urn:xmpp:hints';
const NS_CLIENT = 'jabber:client';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_CONFERENCE = 'jabber:x:conference';

/** 'sent': from one of the account's sessions; 'received': delivered to the account. */
export type Direction = 'sent' | 'received';

/** 'if-answer': an error, copied only when it answers a message that was itself eligible. */
export type Eligibility = 'copy' | 'skip' | 'if-answer';

/** Namespaces of payloads typically used in instant messaging (XEP-0280 §6.1). */
const IM_PAYLOADS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['http://jabber.org/protocol/chatstates', new Set(['active', 'inactive', 'gone', 'composing', 'paused'])],
  ['urn:xmpp:receipts', new Set(['request', 'received'])],
  ['urn:xmpp:chat-markers:0', new Set(['markable', 'received', 'displayed', 'acknowledged'])],
]);

function hasChild(message: Element, name: string, xmlns: string): boolean {
  return message.elements().some((el) => el.name === name && el.attrs.xmlns === xmlns);
}

/** `<body/>` in the stanza's own namespace (jabber:client, written or inherited). */
function hasBody(message: Element): boolean {
  return message.elements().some((el) => el.name === 'body' && (el.attrs.xmlns === undefined || el.attrs.xmlns === NS_CLIENT));
}

/** The sender asked for no copies: `<private/>` (XEP-0280 §9) or the `<no-copy/>` hint (XEP-0334). */
export function isPrivate(message: Element): boolean {
  return hasChild(message, 'private', NS_CARBONS) || hasChild(message, 'no-copy', NS_HINTS);
}

/**
 * A message that itself carries a carbon (`<sent/>` or `<received/>` of any
 * carbons version): copying it would hand the account's other clients a
 * carbon inside a server-made carbon, which a careless client could take
 * for genuine (XEP-0280 §11). Only the server makes carbons.
 */
export function carriesCarbon(message: Element): boolean {
  return message
    .elements()
    .some((el) => (el.name === 'sent' || el.name === 'received') && (el.attrs.xmlns ?? '').startsWith('urn:xmpp:carbons:'));
}

function isInvitation(message: Element): boolean {
  if (hasChild(message, 'x', NS_CONFERENCE)) return true;
  return message.elements().some((el) => el.name === 'x' && el.attrs.xmlns === NS_MUC_USER && el.getChild('invite') !== undefined);
}

function hasImPayload(message: Element): boolean {
  return message.elements().some((el) => IM_PAYLOADS.get(el.attrs.xmlns ?? '')?.has(el.name) === true);
}

/**
 * MUC traffic: invitations are copied; a private message from an occupant
 * (marked with `<x xmlns='…muc#user'/>`) is not, since the room already
 * sends it to every client that joined; a private message the user sends
 * to an occupant is, so the user's other clients see their side of it.
 * Undefined when the message is not MUC-related.
 */
function mucRule(message: Element, direction: Direction): Eligibility | undefined {
  if (isInvitation(message)) return 'copy';
  if (!hasChild(message, 'x', NS_MUC_USER)) return undefined;
  return direction === 'received' ? 'skip' : undefined;
}

export function carbonEligibility(message: Element, direction: Direction): Eligibility {
  if (isPrivate(message) || carriesCarbon(message)) return 'skip';
  const type = message.attrs.type ?? 'normal';
  if (type === 'groupchat' || type === 'headline') return 'skip';
  // An error is judged by the message it answers, MUC rules included.
  if (type === 'error') return 'if-answer';
  const muc = mucRule(message, direction);
  if (muc) return muc;
  if (type === 'chat') return 'copy';
  if (type === 'normal' && (hasBody(message) || hasImPayload(message))) return 'copy';
  return 'skip';
}
