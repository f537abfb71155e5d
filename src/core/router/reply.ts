/**
 * Answering an IQ get/set: straight back to the local session it came from,
 * or routed when it came from elsewhere (another host, later s2s).
 */
import type { Element } from '../xml/element.js';
import { iqResult } from '../xml/stanza.js';
import type { StanzaEvent } from '../events/event-map.js';

/** Sends the `result` with an optional payload; returns true so hooks can `return answerIq(...)`. */
export function answerIq({ stanza, origin, host }: StanzaEvent, payload?: Element): true {
  const result = iqResult(stanza, payload);
  if (origin) origin.send(result);
  else void host.route(result);
  return true;
}
