/** Events the stream-management module fires for others to hook. */
import type { SessionEvent } from '../../core/events/event-map.js';

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /**
     * A hibernating (or replaced) session carries on over a new connection,
     * after what it queued was sent again. A new stream starts in the
     * default state, so per-stream modes reset here (client state
     * indication goes back to active, XEP-0352 §4).
     */
    'stream-resumed': SessionEvent;
  }
}
