/**
 * What happens to stanzas the client never acknowledged when its session
 * ends for good (hibernation over, queue overflow, a graceful close that
 * left some unacked): they are treated like stanzas for a resource that is
 * gone. Messages go to offline storage through the message module's
 * `message-offline` event (the offline module stamps them with a delay;
 * an archive module has already kept its copy when they were routed), or
 * bounce to the sender when nothing stores them. IQ requests get
 * `recipient-unavailable`. Presence is dropped: the next login probes for
 * it anew.
 *
 * Not stored, because they are copies of something kept elsewhere or have
 * no lasting content: carbons copies, archive query results, groupchat and
 * headline messages, and chat-state-only notifications.
 *
 * References: XEP-0198 §4 ("treat unacknowledged stanzas in the same way
 * as a stanza sent to an unavailable resource"); RFC 6121 §8.5.3.2.1;
 * XEP-0160; XEP-0280 §6; XEP-0313 §4; XEP-0085 §5.
 */
import '../message/events.js';
import type { Element } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { Session } from '../../core/session/session.js';
import { StanzaError, errorReply, mayReplyWithError } from '../../core/errors/stanza-error.js';
import { JID, tryParseJid } from '../../core/jid/jid.js';
import type { QueuedStanza } from './session-state.js';

const CHAT_STATES = 'http://jabber.org/protocol/chatstates';
const COPY_NAMESPACES = ['urn:xmpp:carbons:', 'urn:xmpp:mam:'];

/** Handles a finished session's unacknowledged stanzas, oldest first. */
export async function handleUnacked(session: Session, queue: QueuedStanza[], accountGone = false): Promise<void> {
  const host = session.host!;
  for (const { stanza } of queue) {
    try {
      if (stanza.name === 'message') await storeOrBounce(host, session, stanza, accountGone);
      else if (stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set')) {
        bounce(host, stanza, new StanzaError('recipient-unavailable'));
      }
    } catch (err) {
      host.log.error({ err, session: session.id }, 'handling an unacknowledged stanza failed');
    }
  }
}

/** Messages worth keeping for the account's next session. */
export function isStorable(message: Element): boolean {
  const type = message.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  const payloads = message.elements();
  if (payloads.some((el) => COPY_NAMESPACES.some((ns) => el.attrs.xmlns?.startsWith(ns)))) return false;
  if (message.getChild('body')) return true;
  return payloads.some((el) => el.attrs.xmlns !== CHAT_STATES);
}

async function storeOrBounce(host: Host, session: Session, message: Element, accountGone: boolean): Promise<void> {
  if (!isStorable(message)) return;
  if (accountGone) return bounce(host, message, new StanzaError('service-unavailable'));
  const from = tryParseJid(message.attrs.from ?? '') ?? JID.create(undefined, host.name);
  const event = { stanza: message, from, to: session.jid!.bare(), host };
  try {
    if (await host.bus.fire('message-offline', event)) return;
    bounce(host, message, new StanzaError('service-unavailable'));
  } catch (err) {
    if (!(err instanceof StanzaError)) throw err;
    bounce(host, message, err);
  }
}

function bounce(host: Host, stanza: Element, error: StanzaError): void {
  if (!mayReplyWithError(stanza) || stanza.attrs.from === undefined) return;
  void host.route(errorReply(stanza, error));
}
