/**
 * Archive half of the storage contract (see contract.ts): ordering, RSM
 * paging, filters (types excluded too), totals and deletion semantics every
 * ArchiveStore shares.
 */

import { describe, expect, it } from 'vitest';
import { archiveRoomContract } from './archive-room-contract.js';
import type { ArchiveQuery, ArchiveStore, StorageDriver } from './stores.js';

export const H = 'example.org';
export const OTHER_HOST = 'other.example';

/** Ten items m0..m9 at when 1000..1009, alternating partners juliet/romeo. */
async function seed(archive: ArchiveStore, user = 'alice'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const withJid = i % 2 === 0 ? 'juliet@example.org' : 'romeo@example.org';
    ids.push(await archive.append(user, { id: `m${i}`, when: 1000 + i, with: withJid, payload: `<message>${i}</message>` }));
  }
  return ids;
}

const idsOf = (page: { items: { id: string }[] }): string[] => page.items.map((i) => i.id);

/** Ten items t0..t9 like seed(): t0, t3, t6, t9 groupchat, t4 untyped, the rest chat. */
async function seedTyped(archive: ArchiveStore): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const type = i % 3 === 0 ? 'groupchat' : i === 4 ? undefined : 'chat';
    const withJid = i % 2 === 0 ? 'juliet@example.org' : 'romeo@example.org';
    await archive.append('alice', { id: `t${i}`, when: 1000 + i, with: withJid, payload: '', ...(type && { type }) });
  }
}

export function archiveContract(getDriver: () => StorageDriver): void {
  const mam = (): ArchiveStore => getDriver().archive(H, 'mam');

  describe('append', () => {
    it('generates unique url-safe ids when none is given', async () => {
      const archive = mam();
      const a = await archive.append('alice', { when: 1, with: 'bob@example.org', payload: 'a' });
      const b = await archive.append('alice', { when: 2, with: 'bob@example.org', payload: 'b' });
      expect(a).toMatch(/^[A-Za-z0-9_-]{8,}$/);
      expect(b).not.toBe(a);
      expect(idsOf(await archive.query('alice'))).toEqual([a, b]);
    });

    it('keeps a given id and round-trips every field', async () => {
      const archive = mam();
      const item = { id: 'given-1', when: 1_700_000_000_123, with: 'bob@example.org', payload: '<message>ü 🐦</message>' };
      expect(await archive.append('alice', item)).toBe('given-1');
      expect((await archive.query('alice')).items).toEqual([item]);
    });

    it('rejects a duplicate id for the same user with code conflict', async () => {
      const archive = mam();
      await archive.append('alice', { id: 'dup', when: 1, with: 'b', payload: '' });
      await expect(archive.append('alice', { id: 'dup', when: 2, with: 'b', payload: '' })).rejects.toMatchObject({
        code: 'conflict',
      });
      // The same id is fine for another user, store or host.
      await archive.append('bob', { id: 'dup', when: 1, with: 'b', payload: '' });
      await getDriver().archive(H, 'offline').append('alice', { id: 'dup', when: 1, with: 'b', payload: '' });
      await getDriver().archive(OTHER_HOST, 'mam').append('alice', { id: 'dup', when: 1, with: 'b', payload: '' });
    });

    it('orders by insertion, not by timestamp', async () => {
      const archive = mam();
      await archive.append('alice', { id: 'late', when: 2000, with: 'b', payload: '' });
      await archive.append('alice', { id: 'early', when: 1000, with: 'b', payload: '' });
      expect(idsOf(await archive.query('alice'))).toEqual(['late', 'early']);
    });
  });

  describe('query', () => {
    it('returns an empty complete page for an unknown user', async () => {
      expect(await mam().query('nobody')).toEqual({ items: [], complete: true, total: 0 });
    });

    it('returns everything oldest first without a query', async () => {
      const archive = mam();
      const ids = await seed(archive);
      const page = await archive.query('alice');
      expect(idsOf(page)).toEqual(ids);
      expect(page.complete).toBe(true);
      expect(page.total).toBe(10);
      expect(page.items[3]).toEqual({ id: 'm3', when: 1003, with: 'romeo@example.org', payload: '<message>3</message>' });
    });

    it('filters by with', async () => {
      const archive = mam();
      await seed(archive);
      const page = await archive.query('alice', { with: 'romeo@example.org' });
      expect(idsOf(page)).toEqual(['m1', 'm3', 'm5', 'm7', 'm9']);
      expect(page.total).toBe(5);
      expect(page.complete).toBe(true);
      expect((await archive.query('alice', { with: 'nobody@example.org' })).total).toBe(0);
    });

    it('filters by inclusive start and end', async () => {
      const archive = mam();
      await seed(archive);
      expect(idsOf(await archive.query('alice', { start: 1007 }))).toEqual(['m7', 'm8', 'm9']);
      expect(idsOf(await archive.query('alice', { end: 1002 }))).toEqual(['m0', 'm1', 'm2']);
      expect(idsOf(await archive.query('alice', { start: 1003, end: 1005 }))).toEqual(['m3', 'm4', 'm5']);
      expect(idsOf(await archive.query('alice', { start: 1004, end: 1004 }))).toEqual(['m4']);
      expect((await archive.query('alice', { start: 1005, end: 1004 })).total).toBe(0);
    });

    it('filters by ids, combined with other filters', async () => {
      const archive = mam();
      await seed(archive);
      expect(idsOf(await archive.query('alice', { ids: ['m7', 'm2', 'missing'] }))).toEqual(['m2', 'm7']);
      expect(idsOf(await archive.query('alice', { ids: ['m2', 'm3', 'm4'], with: 'juliet@example.org' }))).toEqual([
        'm2',
        'm4',
      ]);
      expect(await archive.query('alice', { ids: [] })).toEqual({ items: [], complete: true, total: 0 });
    });

    it('pages forwards with afterId until complete', async () => {
      const archive = mam();
      await seed(archive);
      const seen: string[] = [];
      let page = await archive.query('alice', { limit: 4 });
      expect(page).toMatchObject({ complete: false, total: 10 });
      seen.push(...idsOf(page));
      page = await archive.query('alice', { limit: 4, afterId: seen.at(-1) });
      expect(page).toMatchObject({ complete: false, total: 10 });
      seen.push(...idsOf(page));
      page = await archive.query('alice', { limit: 4, afterId: seen.at(-1) });
      expect(page).toMatchObject({ complete: true, total: 10 });
      seen.push(...idsOf(page));
      expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    });

    it('is complete when a page ends exactly at the last item', async () => {
      const archive = mam();
      await seed(archive);
      const page = await archive.query('alice', { limit: 5, afterId: 'm4' });
      expect(idsOf(page)).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
      expect(page.complete).toBe(true);
      expect(await archive.query('alice', { afterId: 'm9' })).toEqual({ items: [], complete: true, total: 10 });
    });

    it('takes the newest items with reverse, still oldest first', async () => {
      const archive = mam();
      await seed(archive);
      const page = await archive.query('alice', { limit: 3, reverse: true });
      expect(idsOf(page)).toEqual(['m7', 'm8', 'm9']);
      expect(page).toMatchObject({ complete: false, total: 10 });
      const all = await archive.query('alice', { reverse: true });
      expect(idsOf(all)).toHaveLength(10);
      expect(all.complete).toBe(true);
    });

    it('pages backwards with beforeId and reverse until complete', async () => {
      const archive = mam();
      await seed(archive);
      const pages: string[][] = [];
      let page = await archive.query('alice', { limit: 4, reverse: true });
      pages.push(idsOf(page));
      expect(page.complete).toBe(false);
      page = await archive.query('alice', { limit: 4, reverse: true, beforeId: pages.at(-1)![0] });
      pages.push(idsOf(page));
      expect(page.complete).toBe(false);
      page = await archive.query('alice', { limit: 4, reverse: true, beforeId: pages.at(-1)![0] });
      pages.push(idsOf(page));
      expect(page).toMatchObject({ complete: true, total: 10 });
      expect(pages).toEqual([
        ['m6', 'm7', 'm8', 'm9'],
        ['m2', 'm3', 'm4', 'm5'],
        ['m0', 'm1'],
      ]);
    });

    it('combines afterId and beforeId', async () => {
      const archive = mam();
      await seed(archive);
      expect(idsOf(await archive.query('alice', { afterId: 'm2', beforeId: 'm6' }))).toEqual(['m3', 'm4', 'm5']);
      const forward = await archive.query('alice', { afterId: 'm2', beforeId: 'm6', limit: 2 });
      expect(idsOf(forward)).toEqual(['m3', 'm4']);
      expect(forward.complete).toBe(false);
      const backward = await archive.query('alice', { afterId: 'm2', beforeId: 'm6', limit: 2, reverse: true });
      expect(idsOf(backward)).toEqual(['m4', 'm5']);
      expect(backward.complete).toBe(false);
    });

    it('pages filtered results, positioning on ids outside the filter', async () => {
      const archive = mam();
      await seed(archive);
      const romeo = 'romeo@example.org';
      const first = await archive.query('alice', { with: romeo, limit: 2 });
      expect(idsOf(first)).toEqual(['m1', 'm3']);
      expect(first).toMatchObject({ complete: false, total: 5 });
      // m4 is juliet's: positions are by archive order, not filtered order.
      const next = await archive.query('alice', { with: romeo, limit: 2, afterId: 'm4' });
      expect(idsOf(next)).toEqual(['m5', 'm7']);
      expect(next).toMatchObject({ complete: false, total: 5 });
      const last = await archive.query('alice', { with: romeo, limit: 2, afterId: 'm7' });
      expect(idsOf(last)).toEqual(['m9']);
      expect(last).toMatchObject({ complete: true, total: 5 });
      const back = await archive.query('alice', { with: romeo, start: 1002, limit: 10, reverse: true, beforeId: 'm9' });
      expect(idsOf(back)).toEqual(['m3', 'm5', 'm7']);
      expect(back).toMatchObject({ complete: true, total: 4 });
    });

    it('counts total ignoring paging', async () => {
      const archive = mam();
      await seed(archive);
      const page = await archive.query('alice', { start: 1002, afterId: 'm5', beforeId: 'm8', limit: 1 });
      expect(idsOf(page)).toEqual(['m6']);
      expect(page.total).toBe(8);
    });

    it('handles limit 0 as a count-only query', async () => {
      const archive = mam();
      await seed(archive);
      expect(await archive.query('alice', { limit: 0 })).toEqual({ items: [], complete: false, total: 10 });
      expect(await archive.query('alice', { limit: 0, reverse: true })).toEqual({ items: [], complete: false, total: 10 });
      expect(await archive.query('nobody', { limit: 0 })).toEqual({ items: [], complete: true, total: 0 });
    });

    it('rejects unknown afterId / beforeId with code item-not-found', async () => {
      const archive = mam();
      await seed(archive);
      await seed(getDriver().archive(H, 'mam'), 'bob');
      await archive.append('bob', { id: 'bobs-only', when: 1, with: 'x', payload: '' });
      const unknown = [{ afterId: 'nope' }, { beforeId: 'nope' }, { afterId: 'bobs-only' }, { beforeId: 'bobs-only' }];
      for (const query of unknown) {
        await expect(archive.query('alice', query)).rejects.toMatchObject({ code: 'item-not-found' });
      }
      await expect(archive.query('nobody', { afterId: 'm1' })).rejects.toMatchObject({ code: 'item-not-found' });
      await expect(getDriver().archive(H, 'offline').query('alice', { afterId: 'm1' })).rejects.toMatchObject({
        code: 'item-not-found',
      });
      await expect(archive.query('alice', { afterId: 'nope' })).rejects.toBeInstanceOf(Error);
    });

    it('returns copies of items', async () => {
      const archive = mam();
      await seed(archive);
      const page = await archive.query('alice', { limit: 1 });
      page.items[0]!.payload = 'mutated';
      page.items[0]!.id = 'mutated';
      expect((await archive.query('alice', { limit: 1 })).items[0]).toMatchObject({ id: 'm0', payload: '<message>0</message>' });
    });
  });

  describe('excludeTypes', () => {
    const excludeTypes = ['groupchat'];

    it('leaves out items of those types, keeps untyped ones, and counts only the rest', async () => {
      const archive = mam();
      await seedTyped(archive);
      const page = await archive.query('alice', { excludeTypes });
      expect(page).toEqual({ items: expect.any(Array), complete: true, total: 6 });
      expect(idsOf(page)).toEqual(['t1', 't2', 't4', 't5', 't7', 't8']);
      expect(idsOf(await archive.query('alice', { excludeTypes: ['groupchat', 'chat'] }))).toEqual(['t4']);
      expect((await archive.query('alice', { excludeTypes: [] })).total).toBe(10);
      const romeo = await archive.query('alice', { with: 'romeo@example.org', excludeTypes });
      expect([idsOf(romeo), romeo.total]).toEqual([['t1', 't5', 't7'], 3]);
      expect(idsOf(await archive.query('alice', { ids: ['t0', 't1'], excludeTypes }))).toEqual(['t1']);
      expect(await archive.query('alice', { limit: 0, excludeTypes })).toEqual({ items: [], complete: false, total: 6 });
    });

    it('pages both ways over the items left, exact at the edges and on excluded positions', async () => {
      const archive = mam();
      await seedTyped(archive);
      const page = (query: ArchiveQuery) => archive.query('alice', { ...query, excludeTypes });
      expect(await page({ limit: 2 })).toMatchObject({ items: [{ id: 't1' }, { id: 't2' }], complete: false, total: 6 });
      expect(await page({ limit: 2, afterId: 't3' })).toMatchObject({ items: [{ id: 't4' }, { id: 't5' }], complete: false, total: 6 });
      // Only excluded items lie beyond: the page is complete.
      expect(await page({ limit: 2, afterId: 't5' })).toMatchObject({ items: [{ id: 't7' }, { id: 't8' }], complete: true });
      expect(await page({ limit: 1, afterId: 't7' })).toMatchObject({ items: [{ id: 't8' }], complete: true });
      expect(await page({ limit: 4, reverse: true })).toMatchObject({ complete: false, total: 6 });
      expect(idsOf(await page({ limit: 4, reverse: true }))).toEqual(['t4', 't5', 't7', 't8']);
      expect(await page({ limit: 2, reverse: true, beforeId: 't4' })).toMatchObject({ items: [{ id: 't1' }, { id: 't2' }], complete: true });
      expect(await page({ limit: 1, reverse: true, beforeId: 't2' })).toMatchObject({ items: [{ id: 't1' }], complete: true });
      expect(idsOf(await page({ afterId: 't0', beforeId: 't6' }))).toEqual(['t1', 't2', 't4', 't5']);
    });
  });

  describe('delete', () => {
    it('deletes by ids, with and time range, returning counts', async () => {
      const archive = mam();
      await seed(archive);
      expect(await archive.delete('alice', { ids: ['m0', 'm1', 'missing'] })).toBe(2);
      expect(await archive.delete('alice', { with: 'juliet@example.org', start: 1004, end: 1006 })).toBe(2);
      expect(idsOf(await archive.query('alice'))).toEqual(['m2', 'm3', 'm5', 'm7', 'm8', 'm9']);
      expect(await archive.delete('alice', { ids: [] })).toBe(0);
      expect(await archive.delete('alice', { with: 'nobody' })).toBe(0);
      expect(await archive.delete('nobody')).toBe(0);
    });

    it('deletes all of the user without a query', async () => {
      const archive = mam();
      await seed(archive);
      await seed(archive, 'bob');
      expect(await archive.delete('alice')).toBe(10);
      expect((await archive.query('alice')).total).toBe(0);
      expect((await archive.query('bob')).total).toBe(10);
    });

    it('makes deleted ids unknown to paging, keeping later appends after earlier ones', async () => {
      const archive = mam();
      await seed(archive);
      await archive.delete('alice', { ids: ['m5'] });
      await expect(archive.query('alice', { afterId: 'm5' })).rejects.toMatchObject({ code: 'item-not-found' });
      expect(idsOf(await archive.query('alice', { afterId: 'm4', limit: 1 }))).toEqual(['m6']);
      await archive.delete('alice', { ids: ['m9'] });
      await archive.append('alice', { id: 'new', when: 1, with: 'x', payload: '' });
      expect(idsOf(await archive.query('alice', { afterId: 'm8' }))).toEqual(['new']);
    });

    it('deleteAll removes only that user in that store', async () => {
      const d = getDriver();
      await seed(d.archive(H, 'mam'));
      await seed(d.archive(H, 'mam'), 'bob');
      await seed(d.archive(H, 'offline'));
      await d.archive(H, 'mam').deleteAll('alice');
      await d.archive(H, 'mam').deleteAll('nobody');
      expect((await d.archive(H, 'mam').query('alice')).total).toBe(0);
      expect((await d.archive(H, 'mam').query('bob')).total).toBe(10);
      expect((await d.archive(H, 'offline').query('alice')).total).toBe(10);
    });
  });

  archiveRoomContract(getDriver);

  it('isolates hosts, stores and users', async () => {
    const d = getDriver();
    await d.archive(H, 'mam').append('alice', { id: 'a', when: 1, with: 'x', payload: 'mam@h' });
    await d.archive(H, 'offline').append('alice', { id: 'a', when: 1, with: 'x', payload: 'offline@h' });
    await d.archive(OTHER_HOST, 'mam').append('alice', { id: 'a', when: 1, with: 'x', payload: 'mam@other' });
    await d.archive(H, 'mam').append('bob', { id: 'a', when: 1, with: 'x', payload: 'bob' });
    const payloads = async (host: string, store: string, user: string) =>
      (await d.archive(host, store).query(user)).items.map((i) => i.payload);
    expect(await payloads(H, 'mam', 'alice')).toEqual(['mam@h']);
    expect(await payloads(H, 'offline', 'alice')).toEqual(['offline@h']);
    expect(await payloads(OTHER_HOST, 'mam', 'alice')).toEqual(['mam@other']);
    expect(await payloads(H, 'mam', 'bob')).toEqual(['bob']);
    expect(await d.archive(H, 'mam').delete('alice', { ids: ['a'] })).toBe(1);
    expect(await payloads(H, 'offline', 'alice')).toEqual(['offline@h']);
    expect(await payloads(OTHER_HOST, 'mam', 'alice')).toEqual(['mam@other']);
    expect(await payloads(H, 'mam', 'bob')).toEqual(['bob']);
  });
}
