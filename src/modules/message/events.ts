/** Events the message module fires for others to hook. */
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';

export interface MessageDeliveredEvent {
  event: StanzaEvent;
  /** The local sessions the message was sent to (never empty). */
  sessions: Session[];
}

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /**
     * A chat or normal message for an existing account with no session that
     * can take it. The offline module stores it; unhandled, the sender gets
     * `service-unavailable`.
     */
    'message-offline': StanzaEvent;
    /**
     * A message was delivered to sessions of a local account (carbons copy
     * it to the account's other sessions).
     */
    'message-delivered': MessageDeliveredEvent;
  }
}
