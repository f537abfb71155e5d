/**
 * A stream another server opened to us: header checks, STARTTLS (required
 * before anything but `db:verify`), SASL EXTERNAL when the peer's
 * certificate is valid for its domain, dialback (`dialback.ts`), then its
 * stanzas, checked (`addressing.ts`), offered to `s2s-stanza-in` handlers
 * (blocking, say, which cannot rely on a sender-side `pre-*` event here) and
 * handed to the router exactly as a local server's stanzas are: the
 * destination events on the local host. Answers to our links' liveness
 * pings stop here. Elements are handled in order, one at a time; a
 * misbehaving peer gets the matching stream error, never a crash.
 *
 * References: RFC 6120 §4.3 (negotiation), §4.9.3 (stream errors), §5.4
 * (STARTTLS), §6.4 (SASL), §6.4.5 (failure), §8.1 (stanza addresses),
 * §13.7.2 (certificates); XEP-0178 §3 (EXTERNAL between servers: authzid
 * equal to the stream's from); XEP-0220 §2.4 (dialback errors feature);
 * XEP-0199 §4 (server-to-server ping).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { JID } from '../../core/jid/jid.js';
import { destinationKind } from '../../core/router/route.js';
import { checkIq } from '../../core/router/validate.js';
import { checkStanzaAddresses } from './addressing.js';
import { certificateNames } from './certificates.js';
import { handleDialbackResult, handleDialbackVerify, type IncomingOwner } from './dialback.js';
import { HeaderPrefixes, NS_DIALBACK_FEATURE, checkIncomingHeader, classify, domainOf } from './stream-header.js';
import type { XmlStream } from './xml-stream.js';
import type { IncomingInfo } from './link-types.js';
import type { S2sAuthMethod } from './events.js';

/** Elements waiting to be handled before we stop reading the socket. */
const MAX_QUEUED = 256;

const isAnswer = (el: Element) => el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error');

export class IncomingStream {
  /** Peer domains this stream may send stanzas from, and how each was authenticated. */
  readonly authenticated = new Map<string, S2sAuthMethod>();
  /** The local domain in the peer's header (`to`). */
  localDomain?: string;
  /** The domain in the peer's header (`from`), when it gave one. */
  peerDomain?: string;
  /** The id of our current stream header: dialback keys are bound to it. */
  streamId = '';
  /** Why we ended the stream, when we did (`idle`, `cut`). */
  closeReason?: string;
  private readonly stream: XmlStream;
  private prefixes = new HeaderPrefixes();
  private saslDone = false;
  private offeredExternal = false;
  private inbound: Promise<void> = Promise.resolve();
  private queued = 0;
  private handshakeTimer?: NodeJS.Timeout;

  constructor(
    private readonly owner: IncomingOwner,
    socket: Socket,
  ) {
    this.stream = owner.createStream(
      socket,
      {
        header: (name, attrs) => this.onHeader(name, attrs),
        element: (el) => this.enqueue(el),
        end: () => this.stream.close(),
        closed: () => this.onClosed(),
      },
      () => this.close('idle'),
    );
    this.handshakeTimer = setTimeout(
      () => this.stream.closeWithError(new StreamError('connection-timeout', 'stream negotiation took too long')),
      owner.config.limits.handshake_timeout * 1000,
    );
  }

  get secure(): boolean {
    return this.stream.secure;
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.stream.tlsSocket;
  }

  get closing(): boolean {
    return this.stream.closing;
  }

  send(el: Element): void {
    this.stream.send(el);
  }

  close(reason?: string): void {
    if (!this.stream.closing) this.closeReason ??= reason;
    this.stream.close();
  }

  closeWithError(error: StreamError): void {
    this.stream.closeWithError(error);
  }

  /** Drops the TCP connection without closing the stream (tests: a cut mid-stream). */
  destroy(): void {
    this.closeReason ??= 'cut';
    this.stream.destroy();
  }

  /** `domain` may send stanzas on this stream from now on. */
  authenticate(domain: string, method: S2sAuthMethod, localDomain = this.localDomain!): void {
    if (this.authenticated.has(domain)) return;
    this.authenticated.set(domain, method);
    clearTimeout(this.handshakeTimer);
    this.owner.incomingUp(this, localDomain, domain, method);
  }

  info(): IncomingInfo {
    return {
      localDomain: this.localDomain,
      peerDomain: this.peerDomain,
      secure: this.secure,
      authenticated: [...this.authenticated].map(([domain, method]) => ({ domain, method })),
    };
  }

  private onHeader(name: string, attrs: Record<string, string>): void {
    const header = checkIncomingHeader(name, attrs, (d) => this.owner.isLocal(d), this.localDomain);
    this.localDomain ??= header.to;
    this.peerDomain = header.from ?? this.peerDomain;
    this.prefixes = new HeaderPrefixes(attrs);
    this.streamId = randomBytes(12).toString('base64url');
    this.stream.openStream({ from: header.to, to: header.from, id: this.streamId });
    if (header.error) return this.stream.closeWithError(header.error);
    this.stream.send(this.features());
  }

  private features(): Element {
    const features = x('stream:features');
    if (!this.secure) return features.append(x('starttls', { xmlns: NS.tls }, x('required')));
    // XEP-0178 §3: EXTERNAL only when we expect it to succeed.
    this.offeredExternal = !this.saslDone && this.peerDomain !== undefined && certificateNames(this.tlsSocket, this.peerDomain);
    if (this.offeredExternal) features.append(x('mechanisms', { xmlns: NS.sasl }, x('mechanism', {}, 'EXTERNAL')));
    return features.append(x('dialback', { xmlns: NS_DIALBACK_FEATURE }, x('errors')));
  }

  /** In order, one at a time, like a client session's inbound queue. */
  private enqueue(el: Element): void {
    this.queued++;
    if (this.queued === MAX_QUEUED) this.stream.pause();
    this.inbound = this.inbound
      .then(() => this.handle(el))
      .catch((err) => this.onHandlerError(err))
      .finally(() => {
        this.queued--;
        if (this.queued === MAX_QUEUED - 1) this.stream.resume();
      });
  }

  private onHandlerError(err: unknown): void {
    if (err instanceof StreamError) return this.stream.closeWithError(err);
    this.owner.log.error({ err, peer: this.peerDomain }, 'unexpected error on incoming s2s stream');
    this.stream.closeWithError(new StreamError('internal-server-error'));
  }

  private async handle(el: Element): Promise<void> {
    if (this.stream.closing) return;
    const kind = classify(el, this.prefixes);
    if (kind.kind === 'stanza') return this.handleStanza(el);
    if (kind.kind === 'dialback' && kind.name === 'verify') return handleDialbackVerify(this, this.owner, el);
    if (kind.kind === 'dialback') return handleDialbackResult(this, this.owner, el);
    if (kind.kind === 'other' && kind.ns === NS.tls && kind.name === 'starttls') return this.startTls();
    if (kind.kind === 'other' && kind.ns === NS.sasl && kind.name === 'auth') return this.handleAuth(el);
    if (kind.kind === 'stream' && kind.name === 'error') return this.stream.close();
    throw new StreamError('unsupported-stanza-type', `<${el.name}/> is not supported here`);
  }

  private async handleStanza(el: Element): Promise<void> {
    if (this.authenticated.size === 0) throw new StreamError('not-authorized', 'authenticate first');
    const checked = checkStanzaAddresses(el, this.authenticated, (d) => this.owner.isLocal(d));
    if (checked instanceof StreamError) throw checked;
    const { from, to } = checked;
    // Canonical addresses, and no explicit jabber:server: delivered to a client, the stanza is jabber:client.
    el.attrs.from = from.toString();
    el.attrs.to = to.toString();
    delete el.attrs.xmlns;
    const router = this.owner.server.router;
    const invalid = el.name === 'iq' ? checkIq(el) : undefined;
    if (invalid) return router.bounce(el, invalid);
    if (isAnswer(el) && this.owner.takePong(from.domain, el.attrs.id)) return;
    if (await this.offer(el, from, to)) return;
    await router.post(el, from, to, destinationKind(to));
  }

  /** `s2s-stanza-in` on the local host: true when a handler took the stanza; a StanzaError bounces it. */
  private async offer(stanza: Element, from: JID, to: JID): Promise<boolean> {
    const host = this.owner.server.hosts.get(to.domain);
    if (!host) return false;
    try {
      return await host.bus.fire('s2s-stanza-in', { stanza, from, to, host });
    } catch (err) {
      if (err instanceof StreamError) throw err;
      if (!(err instanceof StanzaError)) this.owner.log.error({ err, peer: from.domain }, 's2s-stanza-in handler failed');
      this.owner.server.router.bounce(stanza, err instanceof StanzaError ? err : new StanzaError('internal-server-error'));
      return true;
    }
  }

  private async startTls(): Promise<void> {
    if (this.secure) {
      this.stream.send(x('failure', { xmlns: NS.tls }));
      return this.stream.close();
    }
    this.stream.send(x('proceed', { xmlns: NS.tls }));
    try {
      await this.stream.acceptTls(this.owner.tls.serverOptions);
    } catch (err) {
      this.owner.log.debug({ err: (err as Error).message }, 'incoming s2s TLS handshake failed');
      this.stream.destroy();
    }
  }

  /** SASL EXTERNAL (XEP-0178 §3): the authzid, if any, must be the stream's from. */
  private handleAuth(el: Element): void {
    const refuse = (condition: string) => {
      this.stream.send(x('failure', { xmlns: NS.sasl }, x(condition)));
      this.stream.close();
    };
    if (!this.offeredExternal || el.attrs.mechanism !== 'EXTERNAL') return refuse('invalid-mechanism');
    const text = el.text().trim();
    const authzid = text === '' || text === '=' ? this.peerDomain : Buffer.from(text, 'base64').toString('utf8');
    if (domainOf(authzid) !== this.peerDomain) return refuse('invalid-authzid');
    if (!certificateNames(this.tlsSocket, this.peerDomain!)) return refuse('not-authorized');
    this.stream.send(x('success', { xmlns: NS.sasl }));
    this.saslDone = true;
    this.authenticate(this.peerDomain!, 'sasl-external');
    this.stream.restart();
  }

  private onClosed(): void {
    clearTimeout(this.handshakeTimer);
    this.owner.incomingClosed(this);
  }
}
