/**
 * Tombstone expiry with an injected clock: a destroyed persistent room
 * answers `gone` until `muc.tombstone_days` have passed, then its name is
 * free again (in memory and in the store); 0 keeps tombstones forever;
 * tombstones written before expiry existed start counting when loaded.
 *
 * References: XEP-0045 §10.9 (destroying a room, `gone` for later joins).
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { createMemoryDriver } from '../../storage/memory/index.js';
import { GoneError, RoomPersistence, type StoredRecord } from './persistence.js';
import { DEFAULT_TOMBSTONE_DAYS, Tombstones, tombstoneOf } from './tombstones.js';
import { Room } from './room.js';

const DAY = 86_400_000;
const ROOM = 'r@rooms.h';

function persistentRoom(): Room {
  const room = new Room(ROOM);
  room.config.persistent = true;
  return room;
}

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2024, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const isGone = (check: Promise<void>) => check.then(() => false, (err: unknown) => err instanceof GoneError);

describe('tombstone expiry', () => {
  it('answers gone until the tombstone days have passed, then frees the name and deletes the record', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    const clock = manualClock();
    const persistence = new RoomPersistence(store, { days: 2, now: clock.now });
    await persistence.destroyed(persistentRoom(), x('destroy', { jid: 'new@rooms.h' }));
    expect(await store.get(ROOM)).toEqual({ kind: 'destroyed', alternate: 'new@rooms.h', at: clock.now() });
    clock.advance(2 * DAY - 1);
    expect(await isGone(persistence.checkNotDestroyed(ROOM))).toBe(true);
    clock.advance(1);
    expect(await isGone(persistence.checkNotDestroyed(ROOM))).toBe(false);
    expect(await store.get(ROOM)).toBeUndefined();
  });

  it('drops expired tombstones when loading and keeps live ones', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    const clock = manualClock();
    await store.set('old@rooms.h', { kind: 'destroyed', at: clock.now() - 31 * DAY });
    await store.set('recent@rooms.h', { kind: 'destroyed', at: clock.now() - 29 * DAY });
    const persistence = new RoomPersistence(store, { now: clock.now });
    await persistence.load();
    expect(await store.get('old@rooms.h')).toBeUndefined();
    expect(await isGone(persistence.checkNotDestroyed('old@rooms.h'))).toBe(false);
    expect(await isGone(persistence.checkNotDestroyed('recent@rooms.h'))).toBe(true);
  });

  it('keeps tombstones forever with 0 days', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    const clock = manualClock();
    const persistence = new RoomPersistence(store, { days: 0, now: clock.now });
    await persistence.destroyed(persistentRoom());
    clock.advance(10_000 * DAY);
    expect(await isGone(persistence.checkNotDestroyed(ROOM))).toBe(true);
  });

  it('stamps a tombstone saved without a time when it is loaded, so it expires from then on', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    const clock = manualClock();
    await store.set(ROOM, { kind: 'destroyed', reason: 'old' });
    const persistence = new RoomPersistence(store, { now: clock.now });
    await persistence.load();
    expect(await store.get(ROOM)).toEqual({ kind: 'destroyed', reason: 'old', at: clock.now() });
    clock.advance(DEFAULT_TOMBSTONE_DAYS * DAY);
    expect(await isGone(persistence.checkNotDestroyed(ROOM))).toBe(false);
  });

  it('records the alternate venue, reason and time of a destroy request', () => {
    const request = x('destroy', { jid: 'alt@rooms.h' }, x('reason', {}, 'moved'), x('password', {}, 'p'));
    expect(tombstoneOf(request, 5)).toEqual({ kind: 'destroyed', alternate: 'alt@rooms.h', reason: 'moved', at: 5 });
    const tombstones = new Tombstones({ days: 1, now: () => DAY + 5 });
    tombstones.set(ROOM, tombstoneOf(undefined, 5));
    expect(tombstones.state(ROOM)).toEqual({ expired: true });
    expect(tombstones.state(ROOM)).toEqual({ expired: false });
  });
});
