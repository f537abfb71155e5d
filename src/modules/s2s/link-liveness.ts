/**
 * Whether an outgoing link still reaches its peer. Bytes written to a TCP
 * connection whose peer vanished (a crash, a partition, NAT state lost) are
 * taken by the kernel and lost, and nothing comes back on an outgoing
 * stream once it is set up (streams are one-way). So a link that has heard
 * nothing from its peer for `s2s.ping_after` proves itself with an XEP-0199
 * ping before it carries new stanzas: they wait (queued, not written) until
 * the answer, which comes back on the peer's own stream to us; any result
 * or error will do. Without an answer in time the link is given up and the
 * waiting stanzas go over a new one.
 *
 * References: XEP-0199 §4 (server-to-server ping), §6 (any answer, even an
 * error, shows the peer is there); RFC 6120 §2.5 (one-way streams), §4.6.1
 * (detecting dead connections).
 */
import { randomBytes } from 'node:crypto';

export const PING_ID_PREFIX = 's2s-ping-';

export interface LivenessOptions {
  /** Silence after which the link must answer a ping before it carries more. */
  afterMs: number;
  /** How long the peer has to answer. */
  timeoutMs: number;
  now?: () => number;
}

export interface LivenessEvents {
  /** Writes a ping with this id on the link. */
  ping(id: string): void;
  /** The peer answered: the held stanzas may go. */
  alive(): void;
  /** No answer in time: the link is dead. */
  dead(): void;
}

export class LinkLiveness {
  private heardAt: number;
  private pending?: { id: string; timer: NodeJS.Timeout };
  private readonly now: () => number;

  constructor(
    private readonly options: LivenessOptions,
    private readonly events: LivenessEvents,
  ) {
    this.now = options.now ?? Date.now;
    this.heardAt = this.now();
  }

  /** A ping is out and unanswered. */
  get checking(): boolean {
    return this.pending !== undefined;
  }

  /** The peer showed it is there (stream set up, dialback answer, pong). */
  heard(): void {
    this.heardAt = this.now();
  }

  /** Whether stanzas may be written now; if not, a check is under way (started here when due). */
  mayWrite(): boolean {
    if (this.pending) return false;
    if (this.now() - this.heardAt < this.options.afterMs) return true;
    this.start();
    return false;
  }

  /** Takes the answer to our ping; false when `id` is not the one we wait for. */
  answer(id: string | undefined): boolean {
    if (!this.pending || id !== this.pending.id) return false;
    clearTimeout(this.pending.timer);
    this.pending = undefined;
    this.heard();
    this.events.alive();
    return true;
  }

  stop(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private start(): void {
    const id = `${PING_ID_PREFIX}${randomBytes(9).toString('base64url')}`;
    const timer = setTimeout(() => {
      this.pending = undefined;
      this.events.dead();
    }, this.options.timeoutMs);
    this.pending = { id, timer };
    this.events.ping(id);
  }
}
