/**
 * Tests for the liveness check of outgoing links: a link heard from within
 * `ping_after` writes at once; after a silence it pings first and holds
 * stanzas until any answer with the ping's id, or declares the link dead
 * when none comes in time.
 *
 * References: XEP-0199 §4, §6.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LinkLiveness, PING_ID_PREFIX } from './link-liveness.js';

function setup() {
  let now = 0;
  const pings: string[] = [];
  const seen: string[] = [];
  const liveness = new LinkLiveness(
    { afterMs: 1000, timeoutMs: 500, now: () => now },
    { ping: (id) => void pings.push(id), alive: () => void seen.push('alive'), dead: () => void seen.push('dead') },
  );
  return { liveness, pings, seen, advance: (ms: number) => (now += ms) };
}

describe('LinkLiveness', () => {
  afterEach(() => void vi.useRealTimers());

  it('writes at once while the peer was heard from recently', () => {
    const { liveness, pings, advance } = setup();
    advance(999);
    expect(liveness.mayWrite()).toBe(true);
    advance(900);
    liveness.heard();
    advance(500);
    expect(liveness.mayWrite()).toBe(true);
    expect(pings).toEqual([]);
  });

  it('pings once after a silence, holds writes, and lets them go on the answer', () => {
    vi.useFakeTimers();
    const { liveness, pings, seen, advance } = setup();
    advance(1000);
    expect(liveness.mayWrite()).toBe(false);
    expect(liveness.mayWrite()).toBe(false);
    expect(pings).toHaveLength(1);
    expect(pings[0].startsWith(PING_ID_PREFIX)).toBe(true);
    expect(liveness.checking).toBe(true);
    expect(liveness.answer('someone-else')).toBe(false);
    expect(liveness.answer(pings[0])).toBe(true);
    expect(seen).toEqual(['alive']);
    expect(liveness.mayWrite()).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual(['alive']); // the timeout was cleared
  });

  it('declares the link dead when the answer does not come in time', () => {
    vi.useFakeTimers();
    const { liveness, pings, seen, advance } = setup();
    advance(5000);
    liveness.mayWrite();
    vi.advanceTimersByTime(499);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['dead']);
    expect(liveness.checking).toBe(false);
    expect(liveness.answer(pings[0])).toBe(false); // too late
  });

  it('stops without firing anything', () => {
    vi.useFakeTimers();
    const { liveness, seen, advance } = setup();
    advance(5000);
    liveness.mayWrite();
    liveness.stop();
    vi.advanceTimersByTime(10_000);
    expect(seen).toEqual([]);
  });
});
