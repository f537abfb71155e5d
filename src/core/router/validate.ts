/**
 * Structural checks the router applies before any module sees a stanza.
 *
 * References: RFC 6120 §8.2.3 (IQ semantics).
 */
import type { Element } from '../xml/element.js';
import { StanzaError } from '../errors/stanza-error.js';

const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

/** An IQ get/set carries exactly one payload; the type must be known. */
export function checkIq(iq: Element): StanzaError | undefined {
  const type = iq.attrs.type;
  if (type === undefined || !IQ_TYPES.has(type)) return new StanzaError('bad-request', 'missing or unknown iq type');
  if (iq.attrs.id === undefined) return new StanzaError('bad-request', 'iq without id');
  if ((type === 'get' || type === 'set') && iq.elements().length !== 1) {
    return new StanzaError('bad-request', 'iq get/set must have exactly one child');
  }
  return undefined;
}
