/**
 * An outgoing link to one remote domain: the stream (`outgoing-stream.ts`)
 * plus the local domains ("pairs") with stanzas for the peer. Each pair is
 * authorized once the stream is open — by SASL EXTERNAL for the stream's
 * own domain, by dialback otherwise, further local domains multiplexed on
 * the same stream with their own `db:result` — and its stanzas wait in a
 * queue until then. The link also carries our `db:verify` requests when we
 * check a key as the receiving server. After a silence, stanzas wait for
 * the peer to answer a ping (`link-liveness.ts`). When the link goes without
 * a refusal (the connection dropped, the ping went unanswered, SASL
 * EXTERNAL was refused by a peer that offers dialback), the stanzas still
 * queued are handed back for a new link instead of being bounced.
 *
 * References: XEP-0220 §2.1.1 (db:result and its answers; invalid →
 * internal-server-error, dialback error → remote-server-timeout), §2.1.2
 * (db:verify), §2.6.1 (multiplexing sender domains), §4.1 (unsolicited
 * answers are ignored); XEP-0178 §3; XEP-0199 §4; RFC 6120 §6.4.5 (SASL
 * failure), §8.3.3.
 */
import type { Element } from '../../core/xml/element.js';
import { x } from '../../core/xml/element.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { dialbackKey } from './dialback-key.js';
import { domainOf } from './stream-header.js';
import { NS } from '../../core/xml/ns.js';
import { OutgoingStream, SASL_REFUSED } from './outgoing-stream.js';
import { PendingVerifies } from './pending-verifies.js';
import { LinkLiveness } from './link-liveness.js';
import { asServerStanza, dialbackFailure, type LinkOwner, type OutgoingInfo, type VerifyOutcome } from './link-types.js';
import type { S2sAuthMethod } from './events.js';

export const PING_TIMEOUT_REASON = 'ping-timeout';

export interface LinkOptions {
  /** Try SASL EXTERNAL for the stream's own domain (off after a peer refused it). */
  sasl: boolean;
}

interface Pair {
  status: 'waiting' | 'authorizing' | 'ready';
  queue: Element[];
  method?: S2sAuthMethod;
  timer?: NodeJS.Timeout;
}

export class OutgoingLink {
  readonly pairs = new Map<string, Pair>();
  private readonly verifies: PendingVerifies;
  private readonly stream: OutgoingStream;
  private readonly liveness: LinkLiveness;
  private peerDialback = false;
  private failure?: StanzaError;

  constructor(
    private readonly owner: LinkOwner,
    /** The local domain the stream is opened from (and SASL would authenticate). */
    readonly localDomain: string,
    readonly remoteDomain: string,
    options: LinkOptions = { sasl: true },
  ) {
    const { limits, s2s } = owner.config;
    this.verifies = new PendingVerifies(limits.handshake_timeout * 1000);
    this.stream = new OutgoingStream(owner, localDomain, remoteDomain, {
      open: (peerDialback, saslDomain) => this.onOpen(peerDialback, saslDomain),
      dialback: (name, el) => this.onDialback(name, el),
      closed: (failure, reason) => this.onClosed(failure, reason),
      idle: () => this.onIdle(),
      wantsSasl: () => options.sasl && this.pairs.get(localDomain)?.status === 'waiting',
    });
    this.liveness = new LinkLiveness(
      { afterMs: s2s.ping_after * 1000, timeoutMs: s2s.connect_timeout * 1000 },
      { ping: (id) => this.ping(id), alive: () => this.flushReady(), dead: () => this.stream.destroy(PING_TIMEOUT_REASON) },
    );
  }

  /** Stanzas waiting on this link (for authorization or a liveness check). */
  get queued(): number {
    let count = 0;
    for (const pair of this.pairs.values()) count += pair.queue.length;
    return count;
  }

  /** Closed or closing: new stanzas go to a new link. */
  get closed(): boolean {
    return this.stream.closing;
  }

  /** Another local domain may be authorized on this stream (dialback sender multiplexing). */
  get canMultiplex(): boolean {
    return this.stream.phase === 'open' && this.peerDialback && !this.stream.closing;
  }

  start(): void {
    this.stream.start();
  }

  /** Sends now if `localDomain` is authorized here and the peer is known to be there, else queues it until then. */
  send(localDomain: string, stanza: Element): void {
    let pair = this.pairs.get(localDomain);
    if (!pair) {
      pair = { status: 'waiting', queue: [] };
      this.pairs.set(localDomain, pair);
      if (this.stream.phase === 'open') this.authorize(localDomain, pair);
    }
    if (pair.status === 'ready' && pair.queue.length === 0 && this.liveness.mayWrite()) this.stream.send(asServerStanza(stanza));
    else pair.queue.push(stanza);
  }

  /** Takes the peer's answer to our liveness ping (it arrives on the peer's stream to us). */
  takePong(id: string | undefined): boolean {
    return this.liveness.answer(id);
  }

  /** Asks the peer (as Authoritative Server) whether `key` is one it issued. */
  verify(localDomain: string, streamId: string, key: string): Promise<VerifyOutcome> {
    if (this.closed) return Promise.resolve(this.failure ?? new StanzaError('remote-server-not-found'));
    const answer = this.verifies.add(localDomain, this.remoteDomain, streamId, key);
    if (this.stream.phase === 'open') this.verifies.flush((el) => this.stream.send(el));
    return answer;
  }

  /** Ends the stream gracefully (idle, shutdown). */
  close(reason: string): void {
    this.stream.close(reason);
  }

  /** Drops the TCP connection without closing the stream (tests: a cut mid-stream). */
  destroy(): void {
    this.stream.destroy('cut');
  }

  info(): OutgoingInfo {
    return {
      localDomain: this.localDomain,
      remoteDomain: this.remoteDomain,
      phase: this.stream.phase,
      secure: this.stream.secure,
      directTls: this.stream.directTls,
      peerCertificateTrusted: this.stream.peerTrusted,
      pairs: [...this.pairs].map(([localDomain, p]) => ({ localDomain, status: p.status, method: p.method })),
    };
  }

  private onOpen(peerDialback: boolean, saslDomain?: string): void {
    this.peerDialback = peerDialback;
    this.liveness.heard();
    for (const [localDomain, pair] of this.pairs) {
      if (localDomain === saslDomain) this.ready(localDomain, pair, 'sasl-external');
      else if (pair.status === 'waiting') this.authorize(localDomain, pair);
    }
    this.verifies.flush((el) => this.stream.send(el));
  }

  private authorize(localDomain: string, pair: Pair): void {
    if (!this.peerDialback) {
      return this.failPair(localDomain, new StanzaError('remote-server-not-found', `no authentication method in common with ${this.remoteDomain}`));
    }
    pair.status = 'authorizing';
    const key = dialbackKey(this.owner.secret, this.remoteDomain, localDomain, this.stream.streamId);
    this.stream.send(x('db:result', { from: localDomain, to: this.remoteDomain }, key));
    pair.timer = setTimeout(
      () => this.failPair(localDomain, new StanzaError('remote-server-timeout', `${this.remoteDomain} did not answer dialback`)),
      this.owner.config.limits.handshake_timeout * 1000,
    );
  }

  private onDialback(name: 'result' | 'verify', el: Element): void {
    const to = domainOf(el.attrs.to);
    // Only answers to requests made on this stream count.
    if (domainOf(el.attrs.from) !== this.remoteDomain || !to) return;
    const type = el.attrs.type;
    this.liveness.heard();
    if (name === 'verify') {
      const outcome = type === 'valid' || type === 'invalid' ? type : dialbackFailure(el, this.remoteDomain);
      return this.verifies.settle(`${to} ${el.attrs.id ?? ''}`, outcome);
    }
    const pair = this.pairs.get(to);
    if (pair?.status !== 'authorizing') return;
    if (type === 'valid') return this.ready(to, pair, 'dialback');
    const error = type === 'invalid' ? new StanzaError('internal-server-error', `${this.remoteDomain} refused ${to}`) : dialbackFailure(el, this.remoteDomain);
    this.failPair(to, error);
  }

  private ready(localDomain: string, pair: Pair, method: S2sAuthMethod): void {
    clearTimeout(pair.timer);
    pair.status = 'ready';
    pair.method = method;
    this.liveness.heard();
    this.flushReady();
    this.owner.pairUp(this, localDomain, method);
  }

  private flush(pair: Pair): void {
    const queued = pair.queue;
    pair.queue = [];
    for (const stanza of queued) this.stream.send(asServerStanza(stanza));
  }

  /** The peer answered the ping (or just authorized a pair): what waited on ready pairs goes now. */
  private flushReady(): void {
    for (const pair of this.pairs.values()) if (pair.status === 'ready') this.flush(pair);
  }

  /** XEP-0199 §4, from a domain authorized on this stream (anything else would be invalid-from). */
  private ping(id: string): void {
    const from = [...this.pairs].find(([, pair]) => pair.status === 'ready')?.[0] ?? this.localDomain;
    this.stream.send(x('iq', { type: 'get', id, from, to: this.remoteDomain }, x('ping', { xmlns: NS.ping })));
  }

  private failPair(localDomain: string, error: StanzaError): void {
    const pair = this.pairs.get(localDomain);
    if (!pair) return;
    clearTimeout(pair.timer);
    this.pairs.delete(localDomain);
    this.owner.pairFailed(this, localDomain, pair.queue, error);
  }

  private onIdle(): void {
    const busy = this.verifies.size > 0 || this.liveness.checking || [...this.pairs.values()].some((p) => p.status !== 'ready');
    if (!busy) this.stream.close('idle');
  }

  /**
   * Whether stanzas still queued deserve a new link: the connection went
   * without the peer refusing anything, or it refused SASL EXTERNAL but
   * offers dialback.
   */
  private retryable(failure: StanzaError | undefined, reason: string | undefined): boolean {
    if (reason === SASL_REFUSED) return this.stream.peerDialback;
    if (reason === PING_TIMEOUT_REASON) return true;
    return failure === undefined && this.stream.wasOpen;
  }

  /** The link is gone first (so a retry gets a new one), then what was still queued is handed back or bounced. */
  private onClosed(failure: StanzaError | undefined, reason: string | undefined): void {
    this.liveness.stop();
    const error = (this.failure = failure ?? new StanzaError('remote-server-not-found', `connection to ${this.remoteDomain} closed`));
    const up = [...this.pairs].filter(([, pair]) => pair.status === 'ready').map(([localDomain]) => localDomain);
    const waiting = [...this.pairs].filter(([, pair]) => pair.status !== 'ready' || pair.queue.length > 0);
    for (const [localDomain, pair] of waiting) {
      clearTimeout(pair.timer);
      this.pairs.delete(localDomain);
    }
    this.verifies.failAll(error);
    this.owner.linkClosed(this, up, reason);
    const retry = this.retryable(failure, reason);
    for (const [localDomain, pair] of waiting) {
      if (retry) this.owner.requeue(this, localDomain, pair.queue, error);
      else this.owner.pairFailed(this, localDomain, pair.queue, error);
    }
  }
}
