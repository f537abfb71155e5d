/** Events the message module fires for others to hook. */
import type { StanzaEvent } from '../../core/events/event-map.js';

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /**
     * A chat or normal message for an existing account with no session that
     * can take it. The offline module stores it; unhandled, the sender gets
     * `service-unavailable`.
     */
    'message-offline': StanzaEvent;
  }
}
