/**
 * Events the s2s module fires on the local host concerned, so that other
 * modules can react to federation trouble: account-level room membership
 * keeps room traffic it can recover (rejoin, gap fill) instead of letting it
 * bounce, and self-pings rooms when the link to their server drops. Stanzas
 * arriving from other servers are offered to `s2s-stanza-in` first, since
 * the sender-side `pre-*` events never fire here for them (blocking uses it).
 *
 * References: RFC 6120 §8.3.3.15–16 (the bounce that happens otherwise),
 * §8.3.3.18 (resource-constraint for a full queue); XEP-0191 §3.3.
 */
import type { StanzaError } from '../../core/errors/stanza-error.js';
import type { Host } from '../../core/host.js';
import type { JID } from '../../core/jid/jid.js';
import type { Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';

export type S2sAuthMethod = 'sasl-external' | 'dialback' | 'dialback-certificate';

export interface S2sUndeliverableEvent {
  /** The host of the sending domain. */
  host: Host;
  stanza: Element;
  from: JID;
  to: JID;
  localDomain: string;
  remoteDomain: string;
  /** The error the sender gets unless a handler returns true. */
  error: StanzaError;
}

export interface S2sLinkEvent {
  host: Host;
  localDomain: string;
  remoteDomain: string;
  /** `out`: our stream to the peer (our stanzas); `in`: the peer's stream to us (theirs). */
  direction: 'in' | 'out';
  /**
   * Why it went down, when known: a stream error condition, `idle`,
   * `shutdown`, `cut`, `ping-timeout` (the peer did not answer a liveness
   * ping, XEP-0199).
   */
  reason?: string;
}

declare module '../../core/events/event-map.js' {
  interface EventMap {
    /**
     * A stanza to a remote domain cannot be delivered (connection refused,
     * timed out, authentication failed, peer in backoff, `s2s.max_queue`
     * stanzas already waiting: resource-constraint). Fired once per
     * stanza before it is bounced; a handler returning true takes it over
     * and no error is sent.
     */
    's2s-stanza-undeliverable': S2sUndeliverableEvent;
    /** A domain pair became usable: stanzas now flow in `direction`. */
    's2s-link-up': S2sLinkEvent & { method: S2sAuthMethod };
    /**
     * An authenticated domain pair's stream ended. Stanzas still queued on
     * it are retried on a new link; those already written may be lost.
     */
    's2s-link-down': S2sLinkEvent;
    /**
     * A stanza from an authenticated remote domain to a local one, before
     * the destination events (`origin` is undefined). A handler returning
     * true drops it; one throwing a StanzaError bounces it with that error.
     */
    's2s-stanza-in': Omit<StanzaEvent, 'origin'>;
  }
}
