/** Reserved nicks (XEP-0045 §7.10, §7.2.9). */
import { describe, expect, it } from 'vitest';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { Room } from './room.js';
import { checkReservedNick, reservedBy } from './registration.js';

describe('reserved nicks', () => {
  it('belong to their registrant and are a conflict for anyone else', () => {
    const room = new Room('r@muc');
    room.reservedNicks.set('j@h', 'Jules');
    expect(reservedBy(room, 'Jules')).toBe('j@h');
    expect(reservedBy(room, 'Romeo')).toBeUndefined();
    expect(() => checkReservedNick(room, 'j@h', 'Jules')).not.toThrow();
    expect(() => checkReservedNick(room, 'r@h', 'Romeo')).not.toThrow();
    try {
      checkReservedNick(room, 'r@h', 'Jules');
      expect.unreachable();
    } catch (err) {
      expect((err as StanzaError).condition).toBe('conflict');
    }
  });
});
