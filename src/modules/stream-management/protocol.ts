/**
 * Stream management's wire vocabulary and counter arithmetic: the elements
 * the server writes, the `handled-count-too-high` stream error, and how an
 * acknowledged count `h` compares with what was sent. Counters are unsigned
 * 32-bit and wrap to 0 after 2^32 - 1, so every comparison is modular.
 *
 * References: XEP-0198 §3 (enable/enabled), §4 (acks, wrapping), §5
 * (resume/resumed), §6 (error handling, handled-count-too-high).
 */
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StreamError } from '../../core/errors/stream-error.js';
import type { StanzaErrorCondition } from '../../core/errors/stanza-error.js';

export const SM = 'urn:xmpp:sm:3';

const WRAP = 2 ** 32;

/** `n + 1` in the 32-bit counter space. */
export function increment(n: number): number {
  return (n + 1) % WRAP;
}

/** `a - b` in the 32-bit counter space (always 0 … 2^32 - 1). */
export function distance(a: number, b: number): number {
  return (((a - b) % WRAP) + WRAP) % WRAP;
}

/** A decimal `h` in range, or undefined for anything else. */
export function parseCounter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n < WRAP ? n : undefined;
}

/**
 * How a peer's `h` relates to what we sent: `ok` with how many queued
 * stanzas it newly acknowledges; `stale` when it is behind an earlier ack
 * (nothing to drop); `too-high` when it claims more than we ever sent.
 */
export type AckVerdict = { kind: 'ok'; count: number } | { kind: 'stale' } | { kind: 'too-high' };

export function judgeAck(h: number, acked: number, unackedCount: number): AckVerdict {
  const ahead = distance(h, acked);
  if (ahead <= unackedCount) return { kind: 'ok', count: ahead };
  // Half the counter space behind the last ack counts as "behind".
  return distance(acked, h) < WRAP / 2 ? { kind: 'stale' } : { kind: 'too-high' };
}

export function enabled(id: string | undefined, max: number | undefined): Element {
  return x('enabled', { xmlns: SM, id, resume: id ? 'true' : undefined, max: max === undefined ? undefined : String(max) });
}

export function failed(condition: StanzaErrorCondition, h?: number, extra?: Element): Element {
  return x('failed', { xmlns: SM, h: h === undefined ? undefined : String(h) }, x(condition, { xmlns: NS.stanzaErrors }), extra);
}

export function handledCountTooHigh(h: number, sendCount: number): Element {
  return x('handled-count-too-high', { xmlns: SM, h: String(h), 'send-count': String(sendCount) });
}

export const ackRequest = (): Element => x('r', { xmlns: SM });
export const ack = (h: number): Element => x('a', { xmlns: SM, h: String(h) });
export const resumed = (previd: string, h: number): Element => x('resumed', { xmlns: SM, previd, h: String(h) });

/** The stream error for an `h` above what was sent, with its XEP-0198 detail. */
export class HandledCountTooHigh extends StreamError {
  constructor(
    readonly h: number,
    readonly sendCount: number,
  ) {
    super('undefined-condition', `acknowledged ${h} stanzas, but only ${sendCount} were sent`);
  }

  override toElement(): Element {
    const el = super.toElement();
    el.children.splice(1, 0, handledCountTooHigh(this.h, this.sendCount));
    return el;
  }
}
