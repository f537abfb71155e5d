/**
 * Checks of a stanza arriving over an authenticated server-to-server stream:
 * both addresses present and well-formed, `from` in a domain this stream
 * authenticated, `to` in a domain served here. A failure is a stream error,
 * since a peer that sends such a stanza is broken or lying.
 *
 * References: RFC 6120 §4.9.3.6 (host-unknown), §4.9.3.9 (invalid-from),
 * §4.9.3.14 (improper-addressing), §8.1.1.1 and §8.1.2.1 (to and from on
 * server-to-server streams), §13.5 (no spoofed from).
 */
import { StreamError } from '../../core/errors/stream-error.js';
import { tryParseJid, type JID } from '../../core/jid/jid.js';
import type { Element } from '../../core/xml/element.js';

export interface CheckedAddresses {
  from: JID;
  to: JID;
}

/**
 * The parsed addresses of `stanza`, or the stream error to close with.
 * `authenticated` holds the peer domains this stream may speak for.
 */
export function checkStanzaAddresses(
  stanza: Element,
  authenticated: { has(domain: string): boolean },
  isLocal: (domain: string) => boolean,
): CheckedAddresses | StreamError {
  const { from: fromAttr, to: toAttr } = stanza.attrs;
  if (!fromAttr || !toAttr) return new StreamError('improper-addressing', 'stanzas between servers need from and to');
  const from = tryParseJid(fromAttr);
  if (!from) return new StreamError('invalid-from', 'from is not a valid JID');
  if (!authenticated.has(from.domain)) return new StreamError('invalid-from', `${from.domain} is not authenticated on this stream`);
  const to = tryParseJid(toAttr);
  if (!to) return new StreamError('improper-addressing', 'to is not a valid JID');
  if (!isLocal(to.domain)) return new StreamError('host-unknown', `${to.domain} is not served here`);
  return { from, to };
}
