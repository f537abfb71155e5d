/**
 * A bounded memory of recent carbon-eligible messages, so an error reply can
 * be matched to the message it answers: XEP-0280 copies a `type='error'`
 * message only when it answers a message that was itself eligible. The
 * match is by account, direction, peer (bare JID) and stanza id, the same
 * fields RFC 6120 makes an error reply carry back.
 *
 * Only accounts with a carbons-enabled session are remembered (the caller
 * checks), and the oldest entries go first past the capacity, so memory
 * stays flat however busy the host is.
 *
 * References: XEP-0280 §6.1 (errors in response to eligible messages);
 * RFC 6120 §8.3.1 (an error reply keeps the id and swaps from and to).
 */
import type { Direction } from './eligibility.js';

/** Enough for minutes of traffic on a busy host; an entry is about 100 bytes. */
export const DEFAULT_CAPACITY = 10_000;

export class RecentMessages {
  /** Insertion-ordered, so the first key is the oldest. */
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Notes that `account` sent an eligible message to `peer`, or received one from it. */
  remember(account: string, direction: Direction, peer: string, id: string): void {
    const key = keyOf(account, direction, peer, id);
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!);
  }

  /**
   * Whether an error between `account` and `peer` with this id answers an
   * eligible message: an error the account receives answers one it sent,
   * an error it sends answers one it received.
   */
  answersEligible(account: string, errorDirection: Direction, peer: string, id: string): boolean {
    const original: Direction = errorDirection === 'received' ? 'sent' : 'received';
    return this.keys.has(keyOf(account, original, peer, id));
  }

  get size(): number {
    return this.keys.size;
  }
}

/** NUL cannot occur in a JID or in XML, so the fields cannot run into each other. */
function keyOf(account: string, direction: Direction, peer: string, id: string): string {
  return `${direction}\0${account}\0${peer}\0${id}`;
}
