import { afterEach, describe, expect, it, vi } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import { IqRequestTracker, IqTimeoutError } from './request-tracker.js';

const answer = (id: string, from: string, type = 'result') => x('iq', { type, id, from, to: 'localhost' });

describe('IqRequestTracker', () => {
  afterEach(() => vi.useRealTimers());

  it('sends the request with an id and resolves with the matching result', async () => {
    const sent: Element[] = [];
    const tracker = new IqRequestTracker((el) => void sent.push(el));
    const pending = tracker.request(x('iq', { type: 'get', to: 'romeo@localhost/orchard', from: 'localhost' }, x('query')));
    const id = sent[0].attrs.id!;
    expect(id).toBeTruthy();
    expect(tracker.handleAnswer(answer(id, 'romeo@localhost/orchard'))).toBe(true);
    expect((await pending).attrs.type).toBe('result');
    expect(tracker.size).toBe(0);
  });

  it('resolves with an error answer too', async () => {
    const tracker = new IqRequestTracker(() => {});
    const pending = tracker.request(x('iq', { type: 'get', id: 'q1', to: 'romeo@localhost/orchard' }));
    tracker.handleAnswer(answer('q1', 'romeo@localhost/orchard', 'error'));
    expect((await pending).attrs.type).toBe('error');
  });

  it('ignores answers from anyone but the addressee, and unknown ids', () => {
    const tracker = new IqRequestTracker(() => {});
    void tracker.request(x('iq', { type: 'get', id: 'q1', to: 'romeo@localhost/orchard' })).catch(() => {});
    expect(tracker.handleAnswer(answer('q1', 'tybalt@localhost/sword'))).toBe(false);
    expect(tracker.handleAnswer(answer('q2', 'romeo@localhost/orchard'))).toBe(false);
    expect(tracker.handleAnswer(x('iq', { type: 'get', id: 'q1', from: 'romeo@localhost/orchard' }))).toBe(false);
    expect(tracker.size).toBe(1);
    tracker.clear();
  });

  it('rejects on timeout', async () => {
    vi.useFakeTimers();
    const tracker = new IqRequestTracker(() => {});
    const pending = tracker.request(x('iq', { type: 'get', id: 'q1', to: 'romeo@localhost/orchard' }), 1000);
    vi.advanceTimersByTime(1001);
    await expect(pending).rejects.toBeInstanceOf(IqTimeoutError);
    expect(tracker.size).toBe(0);
  });

  it('refuses what is not an iq get/set with a to address', async () => {
    const tracker = new IqRequestTracker(() => {});
    await expect(tracker.request(x('iq', { type: 'result', to: 'a@b' }))).rejects.toThrow();
    await expect(tracker.request(x('iq', { type: 'get' }))).rejects.toThrow();
  });
});
