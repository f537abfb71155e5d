import { describe, expect, it } from 'vitest';
import { formatTzo, formatUtc } from './index.js';

describe('XEP-0082 formats for entity time', () => {
  it('formats offsets east and west of UTC', () => {
    expect(formatTzo(0)).toBe('+00:00');
    expect(formatTzo(330)).toBe('+05:30');
    expect(formatTzo(-360)).toBe('-06:00');
  });

  it('formats UTC without milliseconds', () => {
    expect(formatUtc(new Date(Date.UTC(2006, 11, 19, 17, 58, 35, 123)))).toBe('2006-12-19T17:58:35Z');
  });
});
