import { expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { RoomView } from './room-view.js';

it('keeps the latest presence per nick and forgets those who left', () => {
  const view = new RoomView();
  expect(view.applyOccupant('Nurse', x('presence', { from: 'r@s/Nurse' }))).toBe(true);
  expect(view.applyOccupant('Nurse', x('presence', { from: 'r@s/Nurse' }))).toBe(false);
  expect(view.applyOccupant('Nurse', x('presence', { from: 'r@s/Nurse' }, x('show', {}, 'away')))).toBe(true);
  expect(view.applyOccupant('Tybalt', x('presence', { from: 'r@s/Tybalt' }))).toBe(true);
  expect([...view.occupants.keys()]).toEqual(['Nurse', 'Tybalt']);
  expect(view.applyOccupant('Nurse', x('presence', { from: 'r@s/Nurse', type: 'unavailable' }))).toBe(true);
  expect([...view.occupants.keys()]).toEqual(['Tybalt']);
  expect(view.applyOccupant('Ghost', x('presence', { type: 'unavailable' }))).toBe(false);
});
