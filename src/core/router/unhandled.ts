/**
 * What happens to a stanza no module handled: an IQ get/set or a message gets
 * `service-unavailable` (RFC 6120 §8.3.3.19 and RFC 6121 §8.5, which avoid
 * revealing more); presence is dropped silently; errors and results never
 * get an answer.
 */
import { StanzaError } from '../errors/stanza-error.js';
import type { StanzaEvent } from '../events/event-map.js';
import type { Router } from './route.js';

export function handleUnhandled(router: Router, event: StanzaEvent): void {
  const { stanza } = event;
  if (stanza.name === 'presence') return;
  router.bounce(stanza, new StanzaError('service-unavailable'), event.origin);
}
