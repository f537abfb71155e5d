/**
 * The server-wide federation service: one per Server, shared by the s2s
 * module instances of every host. It owns the outgoing links (by remote
 * domain, each carrying one or more local domains), the incoming streams,
 * the dialback secret, the routes, and the failure memory that keeps a down
 * peer from being hammered. At most `s2s.max_queue` stanzas wait for one
 * remote domain. Stanzas a link hands back (it went without a refusal) get
 * one more try on a new link. Stanzas that cannot be delivered are offered
 * to `s2s-stanza-undeliverable` handlers, then bounced.
 *
 * References: RFC 6120 §8.3.3.15–16 (bounces), §8.3.3.18 (resource-constraint
 * for a full queue), §10.4 (remote domains); XEP-0220 §2.6 (multiplexing),
 * §2.1.2 (db:verify over outgoing streams); XEP-0178 §3 and RFC 6120 §6.4.5
 * (after a refused SASL EXTERNAL, dialback on a new connection).
 */
import type { Socket } from 'node:net';
import type { Server } from '../../core/server.js';
import type { Host } from '../../core/host.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Element } from '../../core/xml/element.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { newDialbackSecret } from './dialback-key.js';
import { loadS2sTls, type S2sTls } from './certificates.js';
import { FailureMemory } from './failure-memory.js';
import { resolveTargets, type ConnectTarget, type SrvResolver } from './resolve.js';
import { XmlStream, type XmlStreamHandlers } from './xml-stream.js';
import { OutgoingLink } from './outgoing-link.js';
import { SASL_REFUSED } from './outgoing-stream.js';
import { PING_ID_PREFIX } from './link-liveness.js';
import { IncomingStream } from './incoming-stream.js';
import type { IncomingOwner } from './dialback.js';
import type { LinkOwner, VerifyOutcome } from './link-types.js';
import type { S2sAuthMethod, S2sLinkEvent } from './events.js';

const services = new WeakMap<Server, S2sService>();

/** After the last host stops, how long stanzas of the shutdown (unavailable presence) may still leave. */
const SHUTDOWN_GRACE_MS = 200;

/** How long a peer that refused our SASL EXTERNAL gets dialback straight away. */
const NO_SASL_MS = 60 * 60_000;

/** The service of `server`, created on first use. */
export function s2sService(server: Server): S2sService {
  let service = services.get(server);
  if (!service) services.set(server, (service = new S2sService(server)));
  return service;
}

export class S2sService implements LinkOwner, IncomingOwner {
  readonly secret = newDialbackSecret();
  /** `s2s.routes`, changeable at run time (tests, operators). */
  readonly routes: Map<string, string>;
  readonly failures = new FailureMemory();
  readonly links = new Map<string, OutgoingLink[]>();
  readonly incoming = new Set<IncomingStream>();
  /** Injectable for tests. */
  resolver?: SrvResolver;
  tls!: S2sTls;
  private loading?: Promise<void>;
  private readonly hooked = new Set<Host>();
  /** Stanzas already handed back by a link once: a second time, they bounce. */
  private readonly retried = new WeakSet<Element>();
  /** Remote domain → until when links to it skip SASL EXTERNAL. */
  private readonly noSasl = new Map<string, number>();
  private liveHosts = 0;
  private stopping = false;

  constructor(readonly server: Server) {
    this.routes = new Map(Object.entries(server.config.s2s.routes));
  }

  get config() {
    return this.server.config;
  }

  get log() {
    return this.server.log;
  }

  /** Loads the certificates and trust anchors once (module setup awaits it, before listeners open). */
  init(): Promise<void> {
    return (this.loading ??= loadS2sTls(this.server.certificate, this.config.s2s.ca_file).then((tls) => {
      this.tls = tls;
    }));
  }

  isLocal(domain: string): boolean {
    return this.server.hosts.has(domain);
  }

  targets(domain: string): Promise<ConnectTarget[]> {
    return resolveTargets(domain, this.routes, this.resolver);
  }

  createStream(socket: Socket, handlers: XmlStreamHandlers, onIdle: () => void): XmlStream {
    const { limits, s2s } = this.config;
    return new XmlStream(
      socket,
      {
        maxStanzaSize: limits.max_stanza_size,
        rate: { bytesPerSecond: limits.rate_bytes_per_second, burst: limits.rate_burst_bytes },
        idleMs: s2s.idle_timeout * 1000,
        onIdle,
        keepAliveMs: s2s.ping_after * 1000,
      },
      handlers,
    );
  }

  /** A peer connected to one of our s2s listeners (after TLS, for direct TLS). */
  accept(socket: Socket): void {
    if (this.stopping) return void socket.destroy();
    this.incoming.add(new IncomingStream(this, socket));
  }

  /** A host loaded the module; the last one to stop closes every stream (`hostStopping`). */
  attachHost(): void {
    this.liveHosts++;
  }

  /**
   * Component hosts (MUC) load a short module list without s2s; their
   * stanzas to remote occupants come here too.
   */
  hookComponents(): void {
    for (const host of this.server.hosts.values()) {
      if (host.acceptsClients || this.hooked.has(host)) continue;
      this.hooked.add(host);
      host.bus.on('route/remote', (event) => this.route(event));
    }
  }

  /** `route/remote`: queue on the link to the remote domain, or bounce at once during a backoff. */
  route(event: StanzaEvent): boolean {
    const local = event.from.domain;
    const remote = event.to.domain;
    if (!this.isLocal(local)) {
      this.log.warn({ from: event.from.toString(), to: event.to.toString() }, 'not relaying a stanza between two remote domains');
      return true;
    }
    if (this.stopping) return true;
    const refusal = this.failures.check(remote) ?? this.queueFull(remote);
    if (refusal) {
      void this.undeliverable(local, remote, [event.stanza], refusal);
      return true;
    }
    this.linkFor(local, remote).send(local, event.stanza);
    return true;
  }

  /** resource-constraint once `s2s.max_queue` stanzas wait for `remote` (RFC 6120 §8.3.3.18). */
  private queueFull(remote: string): StanzaError | undefined {
    const max = this.config.s2s.max_queue;
    const waiting = this.liveLinks(remote).reduce((sum, link) => sum + link.queued, 0);
    return waiting >= max ? new StanzaError('resource-constraint', `${max} stanzas already wait for ${remote}`) : undefined;
  }

  /** An answer to a link's liveness ping, from the peer's stream to us; true when it was one. */
  takePong(remoteDomain: string, id: string | undefined): boolean {
    if (!id?.startsWith(PING_ID_PREFIX)) return false;
    return (this.links.get(remoteDomain) ?? []).some((link) => link.takePong(id));
  }

  verifyKey(localDomain: string, remoteDomain: string, streamId: string, key: string): Promise<VerifyOutcome> {
    // The peer is connecting to us, so it is likely back: a failure remembered from before must not refuse it.
    this.failures.forget(remoteDomain);
    const live = this.liveLinks(remoteDomain);
    const link = live.find((l) => l.localDomain === localDomain) ?? live[0] ?? this.newLink(localDomain, remoteDomain);
    return link.verify(localDomain, streamId, key);
  }

  pairUp(link: OutgoingLink, localDomain: string, method: S2sAuthMethod): void {
    this.failures.forget(link.remoteDomain);
    this.fireLinkUp({ localDomain, remoteDomain: link.remoteDomain, direction: 'out' }, method);
  }

  pairFailed(link: OutgoingLink, localDomain: string, queue: Element[], error: StanzaError): void {
    this.log.info({ local: localDomain, remote: link.remoteDomain, reason: error.text }, 's2s connection failed');
    this.failures.remember(link.remoteDomain, error);
    void this.undeliverable(localDomain, link.remoteDomain, queue, error);
  }

  requeue(link: OutgoingLink, localDomain: string, queue: Element[], error: StanzaError): void {
    const remote = link.remoteDomain;
    const again = this.stopping ? [] : queue.filter((stanza) => !this.retried.has(stanza));
    const spent = queue.filter((stanza) => !again.includes(stanza));
    if (spent.length > 0) {
      // A second link went the same way: back off as for any failure.
      this.failures.remember(remote, error);
      void this.undeliverable(localDomain, remote, spent, error);
    }
    if (again.length === 0) return;
    this.log.info({ local: localDomain, remote, stanzas: again.length, after: error.text }, 'retrying queued stanzas on a new s2s connection');
    const next = this.linkFor(localDomain, remote);
    for (const stanza of again) {
      this.retried.add(stanza);
      next.send(localDomain, stanza);
    }
  }

  linkClosed(link: OutgoingLink, up: string[], reason?: string): void {
    if (reason === SASL_REFUSED) this.noSasl.set(link.remoteDomain, Date.now() + NO_SASL_MS);
    const list = (this.links.get(link.remoteDomain) ?? []).filter((l) => l !== link);
    if (list.length > 0) this.links.set(link.remoteDomain, list);
    else this.links.delete(link.remoteDomain);
    for (const localDomain of up) this.fireLinkDown({ localDomain, remoteDomain: link.remoteDomain, direction: 'out', reason });
  }

  incomingUp(_stream: IncomingStream, localDomain: string, peerDomain: string, method: S2sAuthMethod): void {
    // The peer just authenticated to us (SASL EXTERNAL never reaches verifyKey): it is back, stop refusing it.
    this.failures.forget(peerDomain);
    this.fireLinkUp({ localDomain, remoteDomain: peerDomain, direction: 'in' }, method);
  }

  incomingClosed(stream: IncomingStream): void {
    this.incoming.delete(stream);
    for (const domain of stream.authenticated.keys()) {
      this.fireLinkDown({ localDomain: stream.localDomain!, remoteDomain: domain, direction: 'in', reason: stream.closeReason });
    }
  }

  /** A host is stopping; shortly after the last one (its sessions' unavailable presence sent), close every stream. */
  hostStopping(): void {
    if (--this.liveHosts > 0) return;
    setTimeout(() => this.shutdown(), SHUTDOWN_GRACE_MS);
  }

  shutdown(): void {
    this.stopping = true;
    for (const link of [...this.links.values()].flat()) link.close('shutdown');
    for (const stream of this.incoming) stream.closeWithError(new StreamError('system-shutdown'));
  }

  /** Drops every connection with `remoteDomain`, both directions; returns how many. */
  cut(remoteDomain: string): number {
    const links = this.liveLinks(remoteDomain);
    const streams = [...this.incoming].filter((s) => s.peerDomain === remoteDomain || s.authenticated.has(remoteDomain));
    for (const link of links) link.destroy();
    for (const stream of streams) stream.destroy();
    return links.length + streams.length;
  }

  private liveLinks(remoteDomain: string): OutgoingLink[] {
    return (this.links.get(remoteDomain) ?? []).filter((l) => !l.closed);
  }

  /** The link carrying (local, remote), another we can multiplex onto, or a new one. */
  private linkFor(localDomain: string, remoteDomain: string): OutgoingLink {
    const live = this.liveLinks(remoteDomain);
    return live.find((l) => l.pairs.has(localDomain)) ?? live.find((l) => l.canMultiplex) ?? this.newLink(localDomain, remoteDomain);
  }

  private newLink(localDomain: string, remoteDomain: string): OutgoingLink {
    const sasl = (this.noSasl.get(remoteDomain) ?? 0) <= Date.now();
    const link = new OutgoingLink(this, localDomain, remoteDomain, { sasl });
    this.links.set(remoteDomain, [...(this.links.get(remoteDomain) ?? []), link]);
    link.start();
    return link;
  }

  /** Offers each stanza to `s2s-stanza-undeliverable` handlers, then bounces the rest (RFC 6120 §8.3.3). */
  private async undeliverable(localDomain: string, remoteDomain: string, stanzas: Element[], error: StanzaError): Promise<void> {
    const host = this.server.hosts.get(localDomain);
    for (const stanza of stanzas) {
      const from = tryParseJid(stanza.attrs.from ?? '');
      const to = tryParseJid(stanza.attrs.to ?? '');
      try {
        if (host && from && to && (await host.bus.fire('s2s-stanza-undeliverable', { host, stanza, from, to, localDomain, remoteDomain, error }))) continue;
      } catch (err) {
        this.log.error({ err }, 's2s-stanza-undeliverable handler failed');
      }
      this.server.router.bounce(stanza, error);
    }
  }

  private fireLinkUp(event: Omit<S2sLinkEvent, 'host'>, method: S2sAuthMethod): void {
    const host = this.server.hosts.get(event.localDomain);
    if (!host) return;
    host.bus.fire('s2s-link-up', { ...event, host, method }).catch((err) => this.log.error({ err }, 's2s-link-up handler failed'));
  }

  private fireLinkDown(event: Omit<S2sLinkEvent, 'host'>): void {
    const host = this.server.hosts.get(event.localDomain);
    if (!host) return;
    host.bus.fire('s2s-link-down', { ...event, host }).catch((err) => this.log.error({ err }, 's2s-link-down handler failed'));
  }
}
