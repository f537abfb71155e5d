/** Room state: entering, nick conflicts, multi-session, renames, leaving (XEP-0045 §7). */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { Room } from './room.js';
import { conditionOf } from '../../core/testing/condition-of.js';

const presence = () => x('presence');

describe('Room', () => {
  it('gives owners the moderator role and others participant', () => {
    const room = new Room('r@muc');
    room.affiliations.set('a@h', 'owner');
    expect(room.enter('A', 'a@h/1', 'a@h', presence(), 'id-a').occupant.role).toBe('moderator');
    expect(room.enter('B', 'b@h/1', 'b@h', presence(), 'id-b').occupant.role).toBe('participant');
  });

  it('refuses a nick held by another account but shares it between sessions of one', () => {
    const room = new Room('r@muc');
    room.enter('A', 'a@h/1', 'a@h', presence(), 'id');
    expect(conditionOf(() => room.enter('A', 'b@h/1', 'b@h', presence(), 'id2'))).toBe('conflict');
    const second = room.enter('A', 'a@h/2', 'a@h', presence(), 'id');
    expect(second.isNew).toBe(false);
    expect(room.leave('a@h/1')!.gone).toBe(false);
    expect(room.leave('a@h/2')!.gone).toBe(true);
    expect(room.isEmpty).toBe(true);
  });

  it('renames unless the new nick is taken', () => {
    const room = new Room('r@muc');
    const { occupant } = room.enter('A', 'a@h/1', 'a@h', presence(), 'id');
    room.enter('B', 'b@h/1', 'b@h', presence(), 'id2');
    expect(conditionOf(() => room.rename(occupant, 'B'))).toBe('conflict');
    room.rename(occupant, 'C');
    expect([...room.occupants.keys()].sort()).toEqual(['B', 'C']);
    expect(room.occupantOf('a@h/1')?.nick).toBe('C');
  });

  it('lets only moderators change the subject by default, and caps history', () => {
    const room = new Room('r@muc');
    room.affiliations.set('a@h', 'owner');
    const owner = room.enter('A', 'a@h/1', 'a@h', presence(), 'id').occupant;
    const guest = room.enter('B', 'b@h/1', 'b@h', presence(), 'id2').occupant;
    expect(room.mayChangeSubject(owner)).toBe(true);
    expect(room.mayChangeSubject(guest)).toBe(false);
    room.config.changeSubject = true;
    expect(room.mayChangeSubject(guest)).toBe(true);
    for (let i = 0; i < 25; i++) room.addHistory(x('message', {}, String(i)));
    expect(room.history).toHaveLength(20);
    expect(room.history[0].stanza.text()).toBe('5');
  });
});
