/**
 * Server-made IQ requests and their answers: `request` sends an IQ get/set
 * (a disco#info query to a client, say) and resolves with the `result` or
 * `error` that comes back with the same id from the entity it was sent to.
 * Answers nobody waits for are left to the router (dropped, never answered).
 *
 * References: RFC 6120 §8.2.3 (an IQ get/set gets exactly one result or
 * error, with the same id, from the addressee).
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '../../core/xml/element.js';
import { tryParseJid } from '../../core/jid/jid.js';

export const DEFAULT_IQ_TIMEOUT_MS = 10_000;

interface Pending {
  /** The addressee, as a JID string; the answer must come from it. */
  to: string;
  resolve(el: Element): void;
  timer: NodeJS.Timeout;
}

export class IqTimeoutError extends Error {
  readonly code = 'remote-server-timeout';
}

export class IqRequestTracker {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly send: (stanza: Element) => void | Promise<void>) {}

  /**
   * Sends `stanza` (type get or set, with `to`; an id is assigned when
   * missing) and resolves with the answering result or error element;
   * rejects with IqTimeoutError when none arrives in time.
   */
  request(stanza: Element, timeoutMs = DEFAULT_IQ_TIMEOUT_MS): Promise<Element> {
    const to = stanza.attrs.to;
    if (stanza.name !== 'iq' || !to || (stanza.attrs.type !== 'get' && stanza.attrs.type !== 'set')) {
      return Promise.reject(new Error('request() takes an iq get/set with a to address'));
    }
    const id = (stanza.attrs.id ??= `perch-${randomBytes(9).toString('base64url')}`);
    if (this.pending.has(id)) return Promise.reject(new Error(`an iq with id ${id} is already pending`));
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new IqTimeoutError(`no answer from ${to} to iq ${id}`));
      }, timeoutMs);
      this.pending.set(id, { to: normalise(to), resolve, timer });
      Promise.resolve(this.send(stanza)).catch((err: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  /** Takes an IQ result or error that answers a pending request; returns whether it did. */
  handleAnswer(stanza: Element): boolean {
    const type = stanza.attrs.type;
    if (type !== 'result' && type !== 'error') return false;
    const id = stanza.attrs.id;
    const entry = id === undefined ? undefined : this.pending.get(id);
    // An answer must come from the addressee, or anyone could forge it.
    if (!entry || !answersFrom(entry.to, stanza.attrs.from)) return false;
    this.pending.delete(id!);
    clearTimeout(entry.timer);
    entry.resolve(stanza);
    return true;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Stops every timer (host shutdown); pending requests never settle. */
  clear(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
  }
}

function normalise(jid: string): string {
  return tryParseJid(jid)?.toString() ?? jid;
}

/** From the addressee itself; a request to a bare JID may be answered by the account. */
function answersFrom(to: string, from: string | undefined): boolean {
  if (from === undefined) return false;
  const sender = tryParseJid(from);
  if (!sender) return false;
  return sender.toString() === to || sender.bareString() === to;
}
