/**
 * A token bucket over bytes read from one connection: a burst is allowed,
 * a sustained flood over the rate is not.
 */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Spends `bytes`; false when the bucket is exhausted. */
  take(bytes: number): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= bytes;
    return this.tokens >= 0;
  }
}
