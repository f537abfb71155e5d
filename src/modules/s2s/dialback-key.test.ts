/**
 * Tests for dialback key generation against the XEP-0220 worked examples.
 *
 * References: XEP-0185 §2; XEP-0220 §2.1.1 (Example 1 key), §2.2.2.
 */
import { describe, expect, it } from 'vitest';
import { dialbackKey, keysMatch, newDialbackSecret } from './dialback-key.js';

describe('dialbackKey', () => {
  it('matches the key of XEP-0220 Example 1', () => {
    expect(dialbackKey('s3cr3tf0rd14lb4ck', 'montague.example', 'capulet.example', 'D60000229F')).toBe(
      'b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3',
    );
  });

  it('matches the key of the XEP-0220 verification example', () => {
    expect(dialbackKey('d14lb4ck43v3r', 'capulet.example', 'montague.example', '417GAF25')).toBe(
      '225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d',
    );
  });

  it('depends on the secret, both domains and the stream id', () => {
    const base = dialbackKey('s', 'a.example', 'b.example', 'id1');
    expect(dialbackKey('t', 'a.example', 'b.example', 'id1')).not.toBe(base);
    expect(dialbackKey('s', 'b.example', 'a.example', 'id1')).not.toBe(base);
    expect(dialbackKey('s', 'a.example', 'b.example', 'id2')).not.toBe(base);
  });
});

describe('keysMatch', () => {
  it('accepts the same key with surrounding whitespace and rejects others', () => {
    const key = dialbackKey(newDialbackSecret(), 'a.example', 'b.example', 'x');
    expect(keysMatch(key, `\n  ${key}\n`)).toBe(true);
    expect(keysMatch(key, key.slice(1))).toBe(false);
    expect(keysMatch(key, key.replace(/^./, key[0] === 'a' ? 'b' : 'a'))).toBe(false);
  });

  it('makes a different secret each time', () => {
    expect(newDialbackSecret()).not.toBe(newDialbackSecret());
  });
});
