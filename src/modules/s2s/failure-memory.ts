/**
 * Remembers that a remote domain could not be reached so that, for a short
 * and growing while, stanzas to it are bounced at once instead of each one
 * opening another connection to a server that is down (no hammering).
 *
 * References: RFC 6120 §8.3.3.15–16 (remote-server-not-found /
 * remote-server-timeout, what the bounce carries).
 */
import type { StanzaError } from '../../core/errors/stanza-error.js';

interface Failure {
  error: StanzaError;
  until: number;
  /** The window used this time; the next failure doubles it. */
  windowMs: number;
}

export const FIRST_WINDOW_MS = 5_000;
export const MAX_WINDOW_MS = 5 * 60_000;

export class FailureMemory {
  private readonly failures = new Map<string, Failure>();

  constructor(
    private readonly firstWindowMs = FIRST_WINDOW_MS,
    private readonly maxWindowMs = MAX_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure: the window grows with each failure that follows an expired one. */
  remember(domain: string, error: StanzaError): void {
    const previous = this.failures.get(domain);
    const windowMs = previous ? Math.min(previous.windowMs * 2, this.maxWindowMs) : this.firstWindowMs;
    this.failures.set(domain, { error, until: this.now() + windowMs, windowMs });
  }

  /** The remembered error while `domain` is inside its window; undefined once a new attempt is due. */
  check(domain: string): StanzaError | undefined {
    const failure = this.failures.get(domain);
    return failure && this.now() < failure.until ? failure.error : undefined;
  }

  /** A connection succeeded (or an operator asked): the next failure starts from the first window. */
  forget(domain?: string): void {
    if (domain === undefined) this.failures.clear();
    else this.failures.delete(domain);
  }
}
