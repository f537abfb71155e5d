/**
 * Tests for the reconnection backoff: a failed domain is bounced at once
 * for a window that doubles with each further failure, up to a cap.
 *
 * References: RFC 6120 §8.3.3.15–16.
 */
import { describe, expect, it } from 'vitest';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { FailureMemory } from './failure-memory.js';

describe('FailureMemory', () => {
  it('grows the window after each failure and resets on forget', () => {
    let now = 0;
    const memory = new FailureMemory(1000, 3000, () => now);
    const error = new StanzaError('remote-server-not-found');
    memory.remember('down.example', error);
    expect(memory.check('down.example')).toBe(error);
    expect(memory.check('up.example')).toBeUndefined();
    now = 1000;
    expect(memory.check('down.example')).toBeUndefined();
    memory.remember('down.example', error);
    now = 2999;
    expect(memory.check('down.example')).toBe(error);
    now = 3000;
    memory.remember('down.example', error);
    now = 5999;
    expect(memory.check('down.example')).toBe(error); // capped at 3000
    now = 6000;
    expect(memory.check('down.example')).toBeUndefined();
    memory.forget('down.example');
    memory.remember('down.example', error);
    now = 7000;
    expect(memory.check('down.example')).toBeUndefined(); // back to the first window
  });
});
