/**
 * Dialback keys: a per-start random secret, and keys derived from it with
 * HMAC-SHA256 so that only this server can produce (and later recognise) the
 * key it sent for a given stream.
 *
 * References: XEP-0185 §2 (recommended algorithm: HMAC-SHA256 keyed with the
 * hex SHA-256 of the secret over "Receiving Originating StreamID"), §3
 * (the secret); XEP-0220 §2.1.1 and §2.2.2 (worked examples).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A fresh secret for this run. Keys of streams opened before a restart stop
 * verifying, which only makes those peers dial back again (XEP-0185 §3).
 */
export function newDialbackSecret(): string {
  return randomBytes(32).toString('hex');
}

/** The key the Originating Server sends on the stream the Receiving Server opened with `streamId`. */
export function dialbackKey(secret: string, receiving: string, originating: string, streamId: string): string {
  const hmacKey = createHash('sha256').update(secret).digest('hex');
  return createHmac('sha256', hmacKey).update(`${receiving} ${originating} ${streamId}`).digest('hex');
}

/** Constant-time comparison of a presented key with the expected one (whitespace around it ignored). */
export function keysMatch(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented.trim());
  return a.length === b.length && timingSafeEqual(a, b);
}
