import { describe, expect, it } from 'vitest';
import { HandledCountTooHigh, distance, increment, judgeAck, parseCounter } from './protocol.js';

const MAX = 2 ** 32 - 1;

describe('stream management counters', () => {
  it('wrap to 0 after 2^32 - 1', () => {
    expect(increment(MAX)).toBe(0);
    expect(increment(41)).toBe(42);
    expect(distance(2, MAX)).toBe(3);
    expect(distance(MAX, 2)).toBe(MAX - 2);
  });

  it('parse only decimal counters in range', () => {
    expect(parseCounter('0')).toBe(0);
    expect(parseCounter(String(MAX))).toBe(MAX);
    expect(parseCounter(String(MAX + 1))).toBeUndefined();
    for (const bad of [undefined, '', '-1', '1.5', ' 3', '0x10', '12345678901']) expect(parseCounter(bad)).toBeUndefined();
  });

  it('judge an h against the last ack and the queue', () => {
    expect(judgeAck(5, 2, 3)).toEqual({ kind: 'ok', count: 3 });
    expect(judgeAck(2, 2, 3)).toEqual({ kind: 'ok', count: 0 });
    expect(judgeAck(6, 2, 3)).toEqual({ kind: 'too-high' });
    expect(judgeAck(1, 2, 3)).toEqual({ kind: 'stale' });
  });

  it('judge across the wrap', () => {
    // Acked up to 2^32 - 2, three queued: numbers 2^32 - 1, 0, 1.
    expect(judgeAck(1, MAX - 1, 3)).toEqual({ kind: 'ok', count: 3 });
    expect(judgeAck(0, MAX - 1, 3)).toEqual({ kind: 'ok', count: 2 });
    expect(judgeAck(2, MAX - 1, 3)).toEqual({ kind: 'too-high' });
    expect(judgeAck(MAX - 5, MAX - 1, 3)).toEqual({ kind: 'stale' });
    expect(judgeAck(MAX, 3, 0)).toEqual({ kind: 'stale' });
  });

  it('writes handled-count-too-high inside the undefined-condition stream error', () => {
    expect(new HandledCountTooHigh(9, 6).toElement().toString()).toBe(
      "<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
        "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='9' send-count='6'/>" +
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>acknowledged 9 stanzas, but only 6 were sent</text></stream:error>",
    );
  });
});
