/** Small helpers for building replies to stanzas. */
import { Element, x, type Attrs, type XmlNode } from './element.js';

/** The `result` reply to an IQ get/set, addressed back to its sender. */
export function iqResult(iq: Element, payload?: Element): Element {
  return x('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to, to: iq.attrs.from }, payload);
}

export function iq(attrs: Attrs, ...children: (XmlNode | undefined)[]): Element {
  return x('iq', attrs, ...children);
}

/** The single payload element of an IQ get/set (checked by the router). */
export function iqPayload(iq: Element): Element {
  return iq.elements()[0];
}
