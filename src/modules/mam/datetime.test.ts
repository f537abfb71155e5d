import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime } from './datetime.js';

describe('XEP-0082 DateTime', () => {
  it('parses UTC, offsets and fractions to epoch milliseconds', () => {
    expect(parseDateTime('2010-06-07T00:00:00Z')).toBe(Date.UTC(2010, 5, 7));
    expect(parseDateTime('2010-07-07T13:23:54.123Z')).toBe(Date.UTC(2010, 6, 7, 13, 23, 54, 123));
    expect(parseDateTime('2010-07-07T13:23:54.123456Z')).toBe(Date.UTC(2010, 6, 7, 13, 23, 54, 123));
    expect(parseDateTime('2010-07-07T15:23:54+02:00')).toBe(Date.UTC(2010, 6, 7, 13, 23, 54));
    expect(parseDateTime('2010-07-07T08:53:54-04:30')).toBe(Date.UTC(2010, 6, 7, 13, 23, 54));
    expect(parseDateTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('rejects what is not a DateTime', () => {
    for (const bad of ['', 'yesterday', '2010-06-07', '2010-06-07T00:00:00', '2010-13-01T00:00:00Z', '2023-02-29T00:00:00Z',
      '2010-06-07T24:00:00Z', '2010-06-07T00:60:00Z', '2010-06-07 00:00:00Z', '2010-06-07T00:00:00+2:00', '1700000000000']) {
      expect(parseDateTime(bad), bad).toBeUndefined();
    }
  });

  it('formats in UTC with milliseconds and round-trips', () => {
    const ms = Date.UTC(2026, 10, 20, 23, 59, 1, 7);
    expect(formatDateTime(ms)).toBe('2026-11-20T23:59:01.007Z');
    expect(parseDateTime(formatDateTime(ms))).toBe(ms);
  });
});
