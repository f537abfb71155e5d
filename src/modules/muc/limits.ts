/**
 * Limits that keep one occupant from harming a room: a token bucket per
 * occupant on groupchat messages (over it, the sender gets a
 * `resource-constraint` wait error and the room carries on), and the
 * room's own rule on nick length on top of resourceprep.
 *
 * References: XEP-0045 §7.4 (sending a message to all occupants), §7.2.9
 * (nick rules are the service's), §17.2 (the service may limit traffic);
 * RFC 6120 §8.3.3.18 (resource-constraint); RFC 7622 §3.4 (resourcepart).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { prepResourcepart } from '../../core/jid/prep.js';
import type { Occupant } from './occupant.js';

/** Sustained groupchat messages per second per occupant. */
export const MESSAGES_PER_SECOND = 10;
/** Messages an occupant may send at once before the sustained rate applies. */
export const MESSAGE_BURST = 20;
/** Longest nick the rooms accept, in characters. */
export const MAX_NICK_LENGTH = 64;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Buckets live as long as the occupant does. */
const buckets = new WeakMap<Occupant, TokenBucket>();

/** Throws resource-constraint when `occupant` sends groupchat faster than allowed. */
export function checkMessageRate(occupant: Occupant, now = Date.now()): void {
  let bucket = buckets.get(occupant);
  if (!bucket) buckets.set(occupant, (bucket = new TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST, now)));
  if (!bucket.take(now)) throw new StanzaError('resource-constraint', 'you are sending messages too fast');
}

/** Refuses nicks that are empty, too long or fail resourceprep (jid-malformed). */
export function checkNick(nick: string | undefined): string {
  if (!nick || nick.trim() === '' || [...nick].length > MAX_NICK_LENGTH) throw new StanzaError('jid-malformed', 'that nickname is not acceptable');
  try {
    return prepResourcepart(nick);
  } catch {
    throw new StanzaError('jid-malformed', 'that nickname is not acceptable');
  }
}
