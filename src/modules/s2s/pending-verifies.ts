/**
 * Our `db:verify` requests on one outgoing stream, waiting to be sent (the
 * stream is not set up yet) or answered. Each answer must match a request
 * made on this stream, by local domain and stream id; anything else is
 * ignored.
 *
 * References: XEP-0220 §2.1.2 (Receiving Server sends db:verify), §4.1
 * (unsolicited answers are ignored); XEP-0220 §2.1.2 note (a closed
 * connection fails pending requests).
 */
import { x, type Element } from '../../core/xml/element.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { VerifyOutcome } from './link-types.js';

interface PendingVerify {
  request: Element;
  sent: boolean;
  resolve(outcome: VerifyOutcome): void;
  timer: NodeJS.Timeout;
}

export class PendingVerifies {
  private readonly pending = new Map<string, PendingVerify>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Registers a request; its promise settles with the peer's answer, a timeout or the link's failure. */
  add(localDomain: string, remoteDomain: string, streamId: string, key: string): Promise<VerifyOutcome> {
    const id = `${localDomain} ${streamId}`;
    // A repeated request for the same stream replaces the older one.
    this.settle(id, new StanzaError('conflict'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, new StanzaError('remote-server-timeout')), this.timeoutMs);
      const request = x('db:verify', { from: localDomain, to: remoteDomain, id: streamId }, key);
      this.pending.set(id, { request, sent: false, resolve, timer });
    });
  }

  /** Sends the requests not sent yet. */
  flush(send: (el: Element) => void): void {
    for (const pending of this.pending.values()) {
      if (pending.sent) continue;
      pending.sent = true;
      send(pending.request);
    }
  }

  /** The answer to the request `localDomain`/`streamId`, if there is one. */
  settle(id: string, outcome: VerifyOutcome): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  failAll(error: StanzaError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}
