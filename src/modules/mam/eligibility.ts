/**
 * Which messages go into a user's archive, and the XEP-0359 ids on them.
 * One-to-one `chat` and `normal` messages with a body are archived, and so
 * are bodiless ones that still carry conversation content (encrypted
 * payloads, retractions, reactions, read markers other devices sync from,
 * call signalling); XEP-0334 hints override both ways. Errors, headlines and
 * groupchat are not (a room's messages are archived by the room, and
 * account rooms write them in separately).
 *
 * References: XEP-0313 §5.1.1 (user archives), §3.5 (stanza-id on archived
 * messages); XEP-0334 §4 (store, no-store, no-permanent-store); XEP-0359 §4
 * (one stanza-id per `by`, generating entities override forged ones).
 */
import { x, type Element, type XmlNode } from '../../core/xml/element.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { MAM } from './ns.js';

/** Payload namespaces that make a bodiless message part of the conversation. */
const CONTENT_NAMESPACES = new Set([
  'eu.siacs.conversations.axolotl', // OMEMO (legacy namespace)
  'urn:xmpp:omemo:2', // XEP-0384
  'urn:xmpp:openpgp:0', // XEP-0373
  'urn:xmpp:eme:0', // XEP-0380: some other end-to-end encryption
  'urn:xmpp:message-retract:1', // XEP-0424
  'urn:xmpp:reactions:0', // XEP-0444
  'urn:xmpp:jingle-message:0', // XEP-0353
]);

/** `type`: the message's own by default; a caller judging its content as another type passes one. */
export function isArchivable(message: Element, type = message.attrs.type ?? 'normal'): boolean {
  if (type !== 'chat' && type !== 'normal') return false;
  if (message.getChild('no-store', MAM.hints) || message.getChild('no-permanent-store', MAM.hints)) return false;
  if (message.getChild('store', MAM.hints) || message.getChild('body')) return true;
  if (message.getChild('displayed', 'urn:xmpp:chat-markers:0')) return true;
  return message.elements().some((child) => child.attrs.xmlns !== undefined && CONTENT_NAMESPACES.has(child.attrs.xmlns));
}

/**
 * Removes every `<stanza-id/>` claiming to come from `archiveJid`: only
 * that archive may say under which id it stored a message.
 */
export function stripStanzaIds(message: Element, archiveJid: string): void {
  const forged = (child: XmlNode) =>
    typeof child !== 'string' &&
    child.name === 'stanza-id' &&
    (child.attrs.xmlns ?? message.attrs.xmlns) === MAM.stanzaIds &&
    tryParseJid(child.attrs.by ?? '')?.toString() === archiveJid;
  // Left as it is when there is nothing to strip: copies of a room message share their children (shareChildren).
  if (message.children.some(forged)) message.children = message.children.filter((child) => !forged(child));
}

export function stampStanzaId(message: Element, archiveJid: string, id: string): void {
  message.append(x('stanza-id', { xmlns: MAM.stanzaIds, by: archiveJid, id }));
}
