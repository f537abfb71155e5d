/**
 * Archive contract, second half (called from archive-contract.ts): what the
 * message archive needs beyond a plain log. Item types and external ids let
 * one archive hold a user's chats and the room messages account rooms write
 * into it, each room message once however many times it arrives; retention
 * deletes old items of every user.
 *
 * References: XEP-0359 §3 (a room's stanza-id is unique and stable within
 * the room); XEP-0313 §3.2 (retention removes the oldest items).
 */

import { describe, expect, it } from 'vitest';
import type { ArchiveStore, StorageDriver } from './stores.js';

const H = 'example.org';
const ROOM = 'room@muc.example.org';

const idsOf = (page: { items: { id: string }[] }): string[] => page.items.map((i) => i.id);

export function archiveRoomContract(getDriver: () => StorageDriver): void {
  const mam = (): ArchiveStore => getDriver().archive(H, 'mam');

  describe('types and external ids', () => {
    it('round-trips type and externalId, omitting them when absent', async () => {
      const archive = mam();
      await archive.append('alice', { id: 'a', when: 1, with: ROOM, payload: 'p', type: 'groupchat', externalId: 'room-1' });
      await archive.append('alice', { id: 'b', when: 2, with: 'bob@example.org', payload: 'q', type: 'chat' });
      await archive.append('alice', { id: 'c', when: 3, with: 'bob@example.org', payload: 'r' });
      expect((await archive.query('alice')).items).toEqual([
        { id: 'a', when: 1, with: ROOM, payload: 'p', type: 'groupchat', externalId: 'room-1' },
        { id: 'b', when: 2, with: 'bob@example.org', payload: 'q', type: 'chat' },
        { id: 'c', when: 3, with: 'bob@example.org', payload: 'r' },
      ]);
      expect(Object.keys((await archive.query('alice', { ids: ['c'] })).items[0]!)).toEqual(['id', 'when', 'with', 'payload']);
    });

    it('stores an external id once per (user, with) and returns the first id', async () => {
      const archive = mam();
      const first = await archive.append('alice', { when: 1, with: ROOM, payload: 'first', externalId: 'x1' });
      const again = await archive.append('alice', { when: 2, with: ROOM, payload: 'again', externalId: 'x1' });
      // A given id does not defeat the deduplication either.
      const givenId = await archive.append('alice', { id: 'other', when: 3, with: ROOM, payload: 'given', externalId: 'x1' });
      expect(again).toBe(first);
      expect(givenId).toBe(first);
      expect((await archive.query('alice')).items.map((i) => i.payload)).toEqual(['first']);
      // The same external id is another item for another room, user or store.
      await archive.append('alice', { when: 4, with: 'other@muc.example.org', payload: 'other room', externalId: 'x1' });
      await archive.append('bob', { when: 4, with: ROOM, payload: 'bob', externalId: 'x1' });
      await getDriver().archive(H, 'history').append('alice', { when: 4, with: ROOM, payload: 'h', externalId: 'x1' });
      expect((await archive.query('alice')).total).toBe(2);
      expect((await archive.query('bob')).total).toBe(1);
    });

    it('frees an external id when its item is deleted', async () => {
      const archive = mam();
      const first = await archive.append('alice', { when: 1, with: ROOM, payload: 'old', externalId: 'x1' });
      await archive.delete('alice', { ids: [first] });
      const second = await archive.append('alice', { when: 2, with: ROOM, payload: 'new', externalId: 'x1' });
      expect(second).not.toBe(first);
      expect(idsOf(await archive.query('alice'))).toEqual([second]);
    });
  });

  describe('deleteOlderThan', () => {
    it("deletes every user's items before the time, in that store only", async () => {
      const d = getDriver();
      const archive = mam();
      for (const user of ['alice', 'bob']) {
        for (let i = 0; i < 5; i++) await archive.append(user, { id: `${user}${i}`, when: 1000 + i, with: ROOM, payload: '', externalId: `e${i}` });
      }
      await d.archive(H, 'history').append('alice', { when: 1, with: 'x', payload: '' });
      await d.archive('other.example', 'mam').append('alice', { when: 1, with: 'x', payload: '' });
      expect(await archive.deleteOlderThan(1003)).toBe(6);
      expect(idsOf(await archive.query('alice'))).toEqual(['alice3', 'alice4']);
      expect(idsOf(await archive.query('bob'))).toEqual(['bob3', 'bob4']);
      expect((await d.archive(H, 'history').query('alice')).total).toBe(1);
      expect((await d.archive('other.example', 'mam').query('alice')).total).toBe(1);
      // Expired external ids are free again; paging positions survive.
      await archive.append('alice', { id: 'again', when: 2000, with: ROOM, payload: '', externalId: 'e0' });
      expect(idsOf(await archive.query('alice', { afterId: 'alice4' }))).toEqual(['again']);
      expect(await archive.deleteOlderThan(0)).toBe(0);
    });
  });
}
