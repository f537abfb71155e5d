/**
 * Which stanzas an inactive client must get at once and which can wait.
 * Urgent: anything a person would notice or a request waits on (IQs,
 * errors, messages with a body or encrypted payload, subjects, invitations,
 * call proposals, subscription requests and answers, our own MUC join).
 * Everything else (presence updates, chat states, receipts and markers,
 * PEP notifications) waits, and presence is kept only in its latest form
 * per sender.
 *
 * References: XEP-0352 §3.2 (example optimisations: hold presence, defer
 * chat states and PEP); RFC 6121 §3 (subscription stanzas); XEP-0085;
 * XEP-0045 §7.2.2 (status 110); XEP-0249; XEP-0353; XEP-0384; XEP-0373.
 */
import type { Element } from '../../core/xml/element.js';

export type Importance = 'urgent' | 'presence' | 'deferrable';

const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'error']);
const MUC_USER = 'http://jabber.org/protocol/muc#user';
/** Payloads that make a message worth waking the client for, by namespace. */
const URGENT_NAMESPACES = new Set([
  'jabber:x:conference',
  'urn:xmpp:jingle-message:0',
  'eu.siacs.conversations.axolotl',
  'urn:xmpp:omemo:2',
  'urn:xmpp:openpgp:0',
  'jabber:x:encrypted',
]);
const FORWARD_WRAPPERS = ['urn:xmpp:carbons:2', 'urn:xmpp:mam:2', 'urn:xmpp:mam:1', 'urn:xmpp:forward:0'];

export function importanceOf(stanza: Element): Importance {
  if (stanza.name === 'presence') {
    if (SUBSCRIPTION_TYPES.has(stanza.attrs.type ?? '') || isOwnMucPresence(stanza)) return 'urgent';
    return 'presence';
  }
  if (stanza.name === 'message') return isUrgentMessage(stanza, 0) ? 'urgent' : 'deferrable';
  return 'urgent';
}

function isUrgentMessage(message: Element, depth: number): boolean {
  if (message.attrs.type === 'error' || message.getChild('body') || message.getChild('subject')) return true;
  for (const payload of message.elements()) {
    const ns = payload.attrs.xmlns ?? '';
    if (URGENT_NAMESPACES.has(ns)) return true;
    if (ns === MUC_USER && payload.getChild('invite')) return true;
    // A carbon or archive result is as urgent as the message it wraps.
    if (depth < 2 && FORWARD_WRAPPERS.includes(ns) && isUrgentMessage(forwardedMessage(payload) ?? payload, depth + 1)) {
      return true;
    }
  }
  return false;
}

function forwardedMessage(wrapper: Element): Element | undefined {
  const forwarded = wrapper.name === 'forwarded' ? wrapper : wrapper.getChild('forwarded');
  return forwarded?.getChild('message');
}

/** The client's own join result in a room must not wait (status code 110). */
function isOwnMucPresence(presence: Element): boolean {
  const user = presence.getChild('x', MUC_USER);
  return user?.getChildren('status').some((s) => s.attrs.code === '110') ?? false;
}
