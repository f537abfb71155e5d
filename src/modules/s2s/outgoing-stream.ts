/**
 * Setting up an outgoing server-to-server stream: connect to the first
 * reachable target, STARTTLS (required) unless the target is direct TLS,
 * judge the peer's certificate against `s2s.secure`, and try SASL EXTERNAL
 * for the stream's own domain when the peer offers it and our certificate
 * names that domain. Once the stream is secure and settled it reports
 * `open`; what flows then (dialback, stanzas) is the link's business.
 *
 * References: RFC 6120 §4.3 (stream negotiation), §4.3.3 (restarts),
 * §5.4 (STARTTLS), §6.4 (SASL), §13.7.2 (certificate validation);
 * XEP-0178 §3 (EXTERNAL between servers, authzid = our domain);
 * XEP-0220 §2.4 (dialback advertised in the header or as a feature);
 * XEP-0368 (direct TLS).
 */
import { TLSSocket } from 'node:tls';
import { domainToASCII } from 'node:url';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { certificateNames, certificateProblem, ownCertificateNames } from './certificates.js';
import { connectToPeer, ConnectError } from './connect.js';
import type { XmlStream } from './xml-stream.js';
import { HeaderPrefixes, NS_DIALBACK_FEATURE, checkResponseHeader, classify, declaresDialback } from './stream-header.js';
import type { LinkOwner } from './link-types.js';

export type OutgoingPhase = 'connecting' | 'tls' | 'negotiating' | 'sasl' | 'open' | 'closed';

/** The `closed` reason when the peer refused SASL EXTERNAL. */
export const SASL_REFUSED = 'sasl-refused';

export interface OutgoingStreamEvents {
  /** Secure and settled: dialback and stanzas may flow. `saslDomain` was authenticated by SASL EXTERNAL. */
  open(peerDialback: boolean, saslDomain?: string): void;
  dialback(name: 'result' | 'verify', el: Element): void;
  /** The connection is gone; `failure` is why it never opened or broke, `reason` a short cause. */
  closed(failure: StanzaError | undefined, reason: string | undefined): void;
  /** No traffic for `s2s.idle_timeout`. */
  idle(): void;
  /** Whether SASL EXTERNAL for our domain is still wanted (its pair waits for authorization). */
  wantsSasl(): boolean;
}

export class OutgoingStream {
  phase: OutgoingPhase = 'connecting';
  /** The id of the peer's current header: our dialback keys are bound to it. */
  streamId = '';
  peerTrusted = false;
  /** Connected with TLS from the first byte (XEP-0368) rather than STARTTLS. */
  directTls = false;
  /** The stream got as far as `open` at some point. */
  wasOpen = false;
  /** The peer declared or advertised dialback. */
  peerDialback = false;
  private xml?: XmlStream;
  private prefixes = new HeaderPrefixes();
  private saslTried = false;
  private saslDomain?: string;
  private setupTimer?: NodeJS.Timeout;
  private failure?: StanzaError;
  private reason?: string;

  constructor(
    private readonly owner: LinkOwner,
    private readonly localDomain: string,
    private readonly remoteDomain: string,
    private readonly events: OutgoingStreamEvents,
  ) {}

  get secure(): boolean {
    return this.xml?.secure ?? false;
  }

  get closing(): boolean {
    return this.phase === 'closed' || (this.xml?.closing ?? false);
  }

  start(): void {
    const { s2s, limits } = this.owner.config;
    const budget = (s2s.connect_timeout + limits.handshake_timeout) * 1000;
    this.setupTimer = setTimeout(() => this.fail(new StanzaError('remote-server-timeout', `${this.remoteDomain}: setup took too long`)), budget);
    void this.connect();
  }

  send(el: Element): void {
    this.xml?.send(el);
  }

  /** Ends the stream gracefully. */
  close(reason: string): void {
    this.reason ??= reason;
    if (this.xml) this.xml.close();
    else this.fail(new StanzaError('remote-server-not-found', reason));
  }

  /** Drops the connection without closing the stream. */
  destroy(reason: string): void {
    this.reason ??= reason;
    if (this.xml) this.xml.destroy();
    else this.fail(new StanzaError('remote-server-not-found', reason));
  }

  /** The stream cannot be used: close it (with `streamError` if given); `closed` reports `error`. */
  fail(error: StanzaError, streamError?: StreamError): void {
    if (this.phase === 'closed') return;
    this.failure ??= error;
    if (!this.xml || this.xml.isGone) return this.onClosed();
    if (streamError) this.xml.closeWithError(streamError);
    else this.xml.close();
  }

  private async connect(): Promise<void> {
    try {
      const targets = await this.owner.targets(this.remoteDomain);
      const options = { timeoutMs: this.owner.config.s2s.connect_timeout * 1000, context: this.owner.tls.context };
      const socket = await connectToPeer(this.remoteDomain, targets, options);
      if (this.phase === 'closed') return void socket.destroy();
      this.xml = this.owner.createStream(
        socket,
        { header: (n, a) => this.onHeader(n, a), element: (el) => this.onElement(el), end: () => this.xml?.close(), closed: () => this.onClosed() },
        () => this.events.idle(),
      );
      this.directTls = socket instanceof TLSSocket;
      if (this.directTls && !this.checkPeer()) return;
      this.restart();
    } catch (err) {
      this.fail(err instanceof ConnectError ? new StanzaError(err.condition, err.message) : new StanzaError('remote-server-not-found', String(err)));
    }
  }

  private restart(): void {
    this.phase = 'negotiating';
    this.xml!.openStream({ from: this.localDomain, to: this.remoteDomain });
  }

  private onHeader(name: string, attrs: Record<string, string>): void {
    const error = checkResponseHeader(name, attrs);
    if (error) return this.fail(new StanzaError('remote-server-not-found', `bad stream header from ${this.remoteDomain}`), error);
    this.streamId = attrs.id;
    this.prefixes = new HeaderPrefixes(attrs);
    this.peerDialback = declaresDialback(attrs);
  }

  private onElement(el: Element): void {
    const kind = classify(el, this.prefixes);
    if (kind.kind === 'stream' && kind.name === 'features') return this.onFeatures(el);
    if (kind.kind === 'stream' && kind.name === 'error') return this.onStreamError(el);
    if (kind.kind === 'dialback' && this.phase === 'open') return this.events.dialback(kind.name, el);
    if (kind.kind === 'other' && kind.ns === NS.tls && this.phase === 'tls') {
      if (kind.name === 'proceed') return void this.upgrade();
      return this.fail(new StanzaError('remote-server-not-found', `${this.remoteDomain} refused STARTTLS`));
    }
    if (kind.kind === 'other' && kind.ns === NS.sasl && this.phase === 'sasl') return this.onSaslOutcome(kind.name);
    // Streams are one-way (RFC 6120 §2.5): the peer sends its stanzas on its own stream.
    this.owner.log.debug({ remote: this.remoteDomain, element: el.name }, 'ignoring element on outgoing s2s stream');
  }

  private onFeatures(features: Element): void {
    if (!this.xml!.secure) {
      if (!features.getChild('starttls', NS.tls)) {
        const error = new StanzaError('remote-server-not-found', `${this.remoteDomain} does not offer TLS`);
        return this.fail(error, new StreamError('policy-violation', 'TLS is required'));
      }
      this.phase = 'tls';
      return this.xml!.send(x('starttls', { xmlns: NS.tls }));
    }
    this.peerDialback ||= features.getChild('dialback', NS_DIALBACK_FEATURE) !== undefined;
    if (this.trySasl(features)) return;
    this.open();
  }

  private open(): void {
    this.phase = 'open';
    this.wasOpen = true;
    clearTimeout(this.setupTimer);
    const saslDomain = this.saslDomain;
    this.saslDomain = undefined;
    this.events.open(this.peerDialback, saslDomain);
  }

  private async upgrade(): Promise<void> {
    try {
      await this.xml!.startTls({
        servername: domainToASCII(this.remoteDomain) || this.remoteDomain,
        secureContext: this.owner.tls.context,
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
    } catch (err) {
      return this.fail(new StanzaError('remote-server-not-found', `TLS with ${this.remoteDomain} failed: ${(err as Error).message}`));
    }
    if (this.checkPeer()) this.restart();
  }

  /** With `s2s.secure`, a peer whose certificate does not verify for its domain is not talked to. */
  private checkPeer(): boolean {
    const socket = this.xml!.tlsSocket;
    this.peerTrusted = certificateNames(socket, this.remoteDomain);
    if (this.peerTrusted || !this.owner.config.s2s.secure) return true;
    const problem = certificateProblem(socket, this.remoteDomain);
    this.fail(new StanzaError('remote-server-not-found', `cannot authenticate ${this.remoteDomain}: ${problem}`), new StreamError('policy-violation', problem));
    return false;
  }

  private trySasl(features: Element): boolean {
    if (this.saslTried || !this.events.wantsSasl()) return false;
    const mechanisms = features.getChild('mechanisms', NS.sasl)?.getChildren('mechanism').map((m) => m.text().trim()) ?? [];
    if (!mechanisms.includes('EXTERNAL') || !ownCertificateNames(this.owner.tls.own, this.localDomain)) return false;
    this.saslTried = true;
    this.phase = 'sasl';
    this.xml!.send(x('auth', { xmlns: NS.sasl, mechanism: 'EXTERNAL' }, Buffer.from(this.localDomain).toString('base64')));
    return true;
  }

  private onSaslOutcome(name: string): void {
    if (name === 'success') {
      this.saslDomain = this.localDomain;
      this.xml!.restart();
      return this.restart();
    }
    // Refused. Peers commonly close the stream after a SASL failure (Perch
    // does), so the link retries on a new connection without EXTERNAL,
    // with dialback if this peer offers it (`reason` tells it why).
    this.owner.log.debug({ remote: this.remoteDomain, offersDialback: this.peerDialback }, 'SASL EXTERNAL refused');
    this.reason ??= SASL_REFUSED;
    this.fail(new StanzaError('remote-server-not-found', `${this.remoteDomain} refused SASL EXTERNAL`));
  }

  private onStreamError(el: Element): void {
    const condition = el.elements()[0]?.name ?? 'undefined-condition';
    this.reason ??= condition;
    const bounce = condition === 'connection-timeout' ? 'remote-server-timeout' : 'remote-server-not-found';
    this.failure ??= new StanzaError(bounce, `${this.remoteDomain} closed the stream: ${condition}`);
    this.xml!.close();
  }

  private onClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.setupTimer);
    this.events.closed(this.failure, this.reason ?? this.failure?.text);
  }
}
