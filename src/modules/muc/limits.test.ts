/** Flood limits and nick rules (XEP-0045 §7.4, §7.2.9). */
import { describe, expect, it } from 'vitest';
import { Occupant } from './occupant.js';
import { MESSAGE_BURST, TokenBucket, checkMessageRate, checkNick } from './limits.js';
import { conditionOf } from '../../core/testing/condition-of.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
  });
});

describe('checkMessageRate', () => {
  it('refuses with resource-constraint past the burst and recovers later', () => {
    const occupant = new Occupant('A', 'a@h', 'participant', 'none', 'id');
    for (let i = 0; i < MESSAGE_BURST; i++) checkMessageRate(occupant, 1000);
    expect(conditionOf(() => checkMessageRate(occupant, 1000))).toBe('resource-constraint');
    expect(conditionOf(() => checkMessageRate(occupant, 2000))).toBeUndefined();
  });
});

describe('checkNick', () => {
  it('accepts ordinary nicks and refuses empty, blank, long and unpreparable ones', () => {
    expect(checkNick('Romeo')).toBe('Romeo');
    for (const bad of [undefined, '', '   ', 'x'.repeat(65), 'a\u0007b']) expect(conditionOf(() => checkNick(bad))).toBe('jid-malformed');
  });
});
