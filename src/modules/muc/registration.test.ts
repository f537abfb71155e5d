/** Reserved nicks and the nick a registered user is given on entry (XEP-0045 §7.10, §7.2.3, §7.2.9). */
import { describe, expect, it } from 'vitest';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { Room } from './room.js';
import { Occupant } from './occupant.js';
import { assignedNick, checkReservedNick, reservedBy } from './registration.js';

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

  it('give a registered user its reserved nick on entry, unless it already sits under the nick it asked for or another holds the reserved one', () => {
    const room = new Room('r@muc');
    room.reservedNicks.set('j@h', 'Jules');
    expect(assignedNick(room, 'j@h', 'Juliet')).toBe('Jules');
    expect(assignedNick(room, 'j@h', 'Jules')).toBe('Jules');
    expect(assignedNick(room, 'r@h', 'Romeo')).toBe('Romeo');
    // A further session of an occupant that joined before registering keeps its nick.
    room.occupants.set('Juliet', new Occupant('Juliet', 'j@h', 'participant', 'member', 'id-j'));
    expect(assignedNick(room, 'j@h', 'Juliet')).toBe('Juliet');
    expect(assignedNick(room, 'j@h', 'Capulet')).toBe('Jules');
    // Someone who took the nick before it was reserved keeps it; the registrant keeps the nick it asked for.
    room.occupants.set('Jules', new Occupant('Jules', 't@h', 'participant', 'none', 'id-t'));
    expect(assignedNick(room, 'j@h', 'Capulet')).toBe('Capulet');
  });
});
