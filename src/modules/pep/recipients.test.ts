import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { capsOf, RecipientTracker } from './recipients.js';

const caps = (ver: string) => ({ node: 'https://client.example', ver, hash: 'sha-1' });

describe('RecipientTracker', () => {
  it('reports a resource as new once, and again when its caps change', () => {
    const tracker = new RecipientTracker();
    expect(tracker.update('juliet', 'romeo@localhost/a', caps('v1'))).toBe(true);
    expect(tracker.update('juliet', 'romeo@localhost/a', caps('v1'))).toBe(false);
    expect(tracker.update('juliet', 'romeo@localhost/a', caps('v2'))).toBe(true);
    expect(tracker.resources('juliet')).toEqual([['romeo@localhost/a', caps('v2')]]);
  });

  it('forgets a resource that went away, and all of an account at once', () => {
    const tracker = new RecipientTracker();
    tracker.update('juliet', 'romeo@localhost/a', undefined);
    tracker.update('juliet', 'nurse@localhost/b', undefined);
    tracker.remove('juliet', 'romeo@localhost/a');
    expect(tracker.resources('juliet').map(([jid]) => jid)).toEqual(['nurse@localhost/b']);
    expect(tracker.update('juliet', 'romeo@localhost/a', undefined)).toBe(true);
    tracker.forget('juliet');
    expect(tracker.resources('juliet')).toEqual([]);
  });
});

describe('capsOf', () => {
  it('reads a complete <c/> and ignores an incomplete one', () => {
    const presence = x('presence', {}, x('c', { xmlns: 'http://jabber.org/protocol/caps', node: 'n', ver: 'v', hash: 'sha-1' }));
    expect(capsOf(presence)).toEqual({ node: 'n', ver: 'v', hash: 'sha-1' });
    expect(capsOf(x('presence', {}, x('c', { xmlns: 'http://jabber.org/protocol/caps', node: 'n' })))).toBeUndefined();
    expect(capsOf(x('presence'))).toBeUndefined();
  });
});
