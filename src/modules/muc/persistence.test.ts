/**
 * Persistent room records: what is saved, what is restored, when nothing
 * is written, and the tombstone a destroyed persistent room leaves.
 *
 * References: XEP-0045 §10.1.3 (persistentroom), §10.9 (gone).
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { createMemoryDriver } from '../../storage/memory/index.js';
import { GoneError, RoomPersistence, type StoredRecord } from './persistence.js';
import { Room } from './room.js';

function persistentRoom(jid = 'r@rooms.h'): Room {
  const room = new Room(jid);
  room.config.persistent = true;
  room.config.name = 'R';
  room.affiliations.set('a@h', 'owner');
  room.subject = { text: 'hi', nick: 'A' };
  room.reservedNicks.set('a@h', 'Ann');
  return room;
}

describe('RoomPersistence', () => {
  it('restores configuration, affiliations, reserved nicks and subject of persistent rooms only', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    await new RoomPersistence(store).save(persistentRoom());
    await new RoomPersistence(store).save(new Room('temp@rooms.h'));
    const [room, ...rest] = await new RoomPersistence(store).load();
    expect(rest).toEqual([]);
    expect(room!.jid).toBe('r@rooms.h');
    expect(room!.config).toMatchObject({ persistent: true, name: 'R', archive: true });
    expect(room!.affiliationOf('a@h')).toBe('owner');
    expect(room!.subject).toEqual({ text: 'hi', nick: 'A' });
    expect(room!.reservedNicks.get('a@h')).toBe('Ann');
  });

  it('deletes a room turned temporary', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    const persistence = new RoomPersistence(store);
    const room = persistentRoom();
    await persistence.save(room);
    room.config.persistent = false;
    await persistence.save(room);
    expect(await store.users()).toEqual([]);
  });

  it('answers gone with the alternate venue after a persistent room is destroyed', async () => {
    const store = createMemoryDriver().keyval<StoredRecord>('rooms.h', 'rooms');
    await new RoomPersistence(store).destroyed(persistentRoom(), x('destroy', { jid: 'new@rooms.h' }, x('reason', {}, 'moved')));
    const later = new RoomPersistence(store);
    expect(await later.load()).toEqual([]);
    const error = await later.checkNotDestroyed('r@rooms.h').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GoneError);
    expect((error as GoneError).toElement().toString()).toContain('xmpp:new@rooms.h?join</gone>');
    await expect(later.checkNotDestroyed('other@rooms.h')).resolves.toBeUndefined();
  });
});
