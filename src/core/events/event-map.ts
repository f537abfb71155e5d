/**
 * The typed map of event names to payloads. Routing events follow Prosody's
 * grammar (`message/bare`, `pre-presence/full`, `iq-get/self/<ns>:<name>`);
 * modules that own events add them by declaration merging:
 *
 *   declare module '../../core/events/event-map.js' {
 *     interface EventMap { 'roster-push': RosterPushEvent }
 *   }
 *
 * so a mistyped hook name is a compile error.
 */
import type { Element } from '../xml/element.js';
import type { JID } from '../jid/jid.js';
import type { Session } from '../session/session.js';
import type { Host } from '../host.js';
import type { StreamError } from '../errors/stream-error.js';

/** Where a destination sits relative to the host handling it. */
export type DestinationKind = 'full' | 'bare' | 'host' | 'self';
export type StanzaName = 'message' | 'presence' | 'iq';

export interface StanzaEvent {
  stanza: Element;
  /** The local client session it came from; undefined for server-made or remote stanzas. */
  origin?: Session;
  from: JID;
  /** The destination; for stanzas without `to`, the sender's bare JID. */
  to: JID;
  /** The host the event fires on. */
  host: Host;
}

export interface SessionEvent {
  session: Session;
}

export interface NonzaEvent {
  session: Session;
  element: Element;
}

export interface StreamFeaturesEvent {
  session: Session;
  features: Element;
}

export interface UnbindEvent {
  session: Session;
  error?: StreamError;
}

export interface UserEvent {
  username: string;
  host: Host;
}

type RoutingEvents = {
  [K in `pre-${StanzaName}/${DestinationKind}` | `${StanzaName}/${DestinationKind}`]: StanzaEvent;
};

export interface EventMap extends RoutingEvents {
  /** IQ get/set by payload, e.g. `iq-get/self/jabber:iq:roster:query`; falls back to `iq/<kind>`. */
  [name: `iq-get/${string}`]: StanzaEvent;
  [name: `iq-set/${string}`]: StanzaEvent;
  /** Stream-level elements that are not stanzas, e.g. `nonza/urn:ietf:params:xml:ns:xmpp-sasl:auth`. */
  [name: `nonza/${string}`]: NonzaEvent;
  /** IQs from an authenticated session before resource binding (bind itself). */
  [name: `unbound-iq/${string}`]: NonzaEvent;
  /** IQs before authentication (in-band registration); unhandled ones close the stream. */
  [name: `unauthenticated-iq/${string}`]: NonzaEvent;
  /** A stanza for a domain this server does not serve. */
  'route/remote': StanzaEvent;
  /** Collects `<stream:features/>` children for a session at its current stage. */
  'stream-features': StreamFeaturesEvent;
  /** A session has bound a resource and is routable. */
  'resource-bind': SessionEvent;
  /** A bound session has ended (after it stops being routable). */
  'resource-unbind': UnbindEvent;
  /**
   * A bound session's connection died without a closing `</stream:stream>`
   * (socket gone, idle timeout). A handler returning true keeps the session
   * bound and available, `detached`, and becomes responsible for closing it
   * or resuming it (`session.adoptConnection`); unhandled, it ends now.
   */
  'session-connection-lost': SessionEvent;
  /**
   * A session sent its initial available presence (RFC 6121 §4.2); fired by
   * the presence module once per session. Offline delivery hooks it.
   */
  'initial-presence': SessionEvent;
  /** An account was removed; modules drop its data. */
  'user-deleted': UserEvent;
  'user-created': UserEvent;
  /** Every host and component is loaded and listening (modules that talk to other hosts start here). */
  'server-started': { host: Host };
  /** The host is stopping. */
  'host-stopping': { host: Host };
}

export type EventName = keyof EventMap & string;
