import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { aggregate, fromKey, presenceChildren, presenceKey } from './presence.js';

const presence = (show?: string, status?: string) => x('presence', {}, show && x('show', {}, show), status !== undefined && x('status', {}, status));

describe('aggregate account presence', () => {
  it('takes the most available session, with its status', () => {
    const result = aggregate([presence('xa', 'phone idle'), presence('dnd', 'at my desk'), presence('away')], 'xa');
    expect(result).toEqual({ show: 'dnd', status: 'at my desk' });
  });

  it('ranks chat over plain available over dnd', () => {
    expect(aggregate([presence('dnd'), presence(undefined, 'here')], 'xa')).toEqual({ show: 'available', status: 'here' });
    expect(aggregate([presence(undefined), presence('chat')], 'xa').show).toBe('chat');
  });

  it('falls back to the absent presence with no session', () => {
    expect(aggregate([], 'away')).toEqual({ show: 'away' });
  });

  it('reads an unknown show as available', () => {
    expect(aggregate([presence('sleeping')], 'xa').show).toBe('available');
  });

  it('round-trips through its key and builds the children sent to the room', () => {
    const p = { show: 'away' as const, status: 'lunch' };
    expect(fromKey(presenceKey(p))).toEqual(p);
    expect(fromKey(presenceKey({ show: 'available' }))).toEqual({ show: 'available', status: undefined });
    expect(presenceChildren(p).map(String)).toEqual(['<show>away</show>', '<status>lunch</status>']);
    expect(presenceChildren({ show: 'available' })).toEqual([]);
  });
});
