/**
 * The router: every stanza passes through here. Three steps, as in Prosody's
 * stanza_router: `fromClient` checks and stamps a client's stanza and fires
 * `pre-<kind>/<dest>` on the sender's host; `post` fires `<kind>/<dest>` on
 * the destination host (or `route/remote`); anything no module handled gets
 * the RFC 6120 answer (`unhandled.ts`).
 *
 * References: RFC 6120 §8.1 (stanza attributes), §10 (server rules for
 * processing XML stanzas); RFC 6121 §8 (handling by the server).
 */
import type { Element } from '../xml/element.js';
import { tryParseJid, type JID } from '../jid/jid.js';
import { StanzaError, errorReply, mayReplyWithError } from '../errors/stanza-error.js';
import { StreamError } from '../errors/stream-error.js';
import type { DestinationKind, StanzaEvent } from '../events/event-map.js';
import type { Session } from '../session/session.js';
import type { Server } from '../server.js';
import { handleUnhandled } from './unhandled.js';
import { checkIq } from './validate.js';

export class Router {
  constructor(private readonly server: Server) {}

  /** A stanza from a bound client session. */
  async fromClient(session: Session, stanza: Element): Promise<void> {
    const from = session.jid!;
    const claimed = stanza.attrs.from;
    if (claimed !== undefined && claimed !== from.toString() && claimed !== from.bareString()) {
      throw new StreamError('invalid-from', 'from does not match the session');
    }
    stanza.attrs.from = from.toString();
    const toAttr = stanza.attrs.to;
    const to = toAttr === undefined ? from.bare() : tryParseJid(toAttr);
    if (!to) return this.bounce(stanza, new StanzaError('jid-malformed', 'invalid to address'), session);
    if (toAttr !== undefined) stanza.attrs.to = to.toString();
    const invalid = stanza.name === 'iq' ? checkIq(stanza) : undefined;
    if (invalid) return this.bounce(stanza, invalid, session);
    const kind = clientDestinationKind(stanza, from, to, toAttr === undefined);
    const event: StanzaEvent = { stanza, origin: session, from, to, host: session.host! };
    try {
      if (await session.host!.bus.fire(`pre-${stanza.name as 'message'}/${kind}`, event)) return;
    } catch (err) {
      return this.fail(event, err);
    }
    return this.post(stanza, from, to, kind, session);
  }

  /**
   * Routes a server-made stanza (roster push, probe, error reply, module
   * output). `from` and `to` are taken from the stanza's attributes.
   */
  async route(stanza: Element, origin?: Session): Promise<void> {
    const from = tryParseJid(stanza.attrs.from ?? '');
    const to = tryParseJid(stanza.attrs.to ?? '');
    if (!from || !to) {
      this.server.log.warn({ stanza: stanza.toString() }, 'dropping server stanza without valid from/to');
      return;
    }
    return this.post(stanza, from, to, destinationKind(to), origin);
  }

  /** Fires the destination events; the stanza is already checked and stamped. */
  async post(stanza: Element, from: JID, to: JID, kind: DestinationKind, origin?: Session): Promise<void> {
    const host = this.server.hosts.get(to.domain);
    if (!host) return this.routeRemote(stanza, from, to, origin);
    const event: StanzaEvent = { stanza, origin, from, to, host };
    try {
      if (await this.fireDestination(event, kind)) return;
      handleUnhandled(this, event);
    } catch (err) {
      this.fail(event, err);
    }
  }

  /** Sends the error reply to a stanza unless it is itself an error or result. */
  bounce(stanza: Element, error: StanzaError, origin?: Session): void {
    if (!mayReplyWithError(stanza)) return;
    const reply = errorReply(stanza, error);
    if (origin && !reply.attrs.to) reply.attrs.to = origin.jid?.toString();
    if (origin?.jid && reply.attrs.to === origin.jid.toString()) {
      // Straight back to the sender's own session: no routing needed.
      if (reply.attrs.from === undefined) delete reply.attrs.from;
      origin.send(reply);
      return;
    }
    void this.route(reply);
  }

  private async fireDestination(event: StanzaEvent, kind: DestinationKind): Promise<boolean> {
    const { stanza, host } = event;
    const type = stanza.attrs.type;
    if (stanza.name === 'iq' && kind !== 'full' && (type === 'get' || type === 'set')) {
      const payload = stanza.elements()[0];
      const name = `iq-${type}/${kind}/${payload.attrs.xmlns ?? ''}:${payload.name}` as const;
      if (await host.bus.fire(name, event)) return true;
    }
    return host.bus.fire(`${stanza.name as 'message'}/${kind}`, event);
  }

  private async routeRemote(stanza: Element, from: JID, to: JID, origin?: Session): Promise<void> {
    const host = origin?.host ?? this.server.hosts.get(from.domain) ?? this.server.defaultHost;
    const event: StanzaEvent = { stanza, origin, from, to, host };
    if (await host.bus.fire('route/remote', event)) return;
    this.bounce(stanza, new StanzaError('remote-server-not-found', `${to.domain} is not reachable`), origin);
  }

  private fail(event: StanzaEvent, err: unknown): void {
    if (err instanceof StreamError) throw err;
    if (err instanceof StanzaError) return this.bounce(event.stanza, err, event.origin);
    this.server.log.error({ err, stanza: event.stanza.toString() }, 'handler failed');
    this.bounce(event.stanza, new StanzaError('internal-server-error'), event.origin);
  }
}

export function destinationKind(to: JID): DestinationKind {
  if (to.local === undefined) return 'host';
  return to.resource === undefined ? 'bare' : 'full';
}

/**
 * `self` is an IQ to the account itself (no `to`, or its own bare JID), or a
 * presence without `to` (a broadcast). A message without `to` is for the
 * sender's bare JID (RFC 6120 §10.3.1).
 */
function clientDestinationKind(stanza: Element, from: JID, to: JID, noTo: boolean): DestinationKind {
  if (stanza.name === 'presence') return noTo ? 'self' : destinationKind(to);
  if (stanza.name === 'iq' && (noTo || (to.resource === undefined && to.equals(from.bare())))) return 'self';
  return destinationKind(to);
}
