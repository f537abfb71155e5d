/** History selection limits (XEP-0045 §7.2.15). */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { parseHistoryRequest, selectHistory, type HistoryEntry } from './history.js';

const now = new Date('2026-01-01T12:00:00Z');
const entries: HistoryEntry[] = [1, 2, 3, 4].map((n) => ({
  stanza: x('message', { type: 'groupchat' }, x('body', {}, `line ${n}`)),
  at: new Date(now.getTime() - (5 - n) * 60_000),
}));
const bodies = (list: HistoryEntry[]) => list.map((e) => e.stanza.getChildText('body'));

describe('selectHistory', () => {
  it('keeps everything without limits', () => expect(bodies(selectHistory(entries, {}, now))).toEqual(['line 1', 'line 2', 'line 3', 'line 4']));
  it('takes the newest maxstanzas, none for zero', () => {
    expect(bodies(selectHistory(entries, { maxstanzas: 2 }, now))).toEqual(['line 3', 'line 4']);
    expect(selectHistory(entries, { maxstanzas: 0 }, now)).toEqual([]);
  });
  it('fits the newest whole stanzas into maxchars', () => {
    const size = entries[0].stanza.toString().length;
    expect(bodies(selectHistory(entries, { maxchars: size * 2 + 1 }, now))).toEqual(['line 3', 'line 4']);
    expect(selectHistory(entries, { maxchars: 0 }, now)).toEqual([]);
  });
  it('filters by seconds and since, combined with other limits', () => {
    expect(bodies(selectHistory(entries, { seconds: 150 }, now))).toEqual(['line 3', 'line 4']);
    expect(bodies(selectHistory(entries, { since: entries[1].at, maxstanzas: 5 }, now))).toEqual(['line 2', 'line 3', 'line 4']);
  });
});

describe('parseHistoryRequest', () => {
  it('reads numbers and dates and ignores garbage', () => {
    expect(parseHistoryRequest(x('history', { maxstanzas: '3', maxchars: 'x', since: '2026-01-01T00:00:00Z' }))).toEqual({
      maxstanzas: 3,
      maxchars: undefined,
      seconds: undefined,
      since: new Date('2026-01-01T00:00:00Z'),
    });
    expect(parseHistoryRequest(undefined)).toEqual({});
  });
});
