/**
 * Storage contract: one vitest suite every StorageDriver must pass, so the
 * memory and SQLite drivers (and later ones) behave identically. Driver test
 * files call `storageContract(name, makeDriver)`. The archive half lives in
 * archive-contract.ts to keep both files short.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveContract, H, OTHER_HOST } from './archive-contract.js';
import type { StorageDriver } from './stores.js';

export function storageContract(name: string, makeDriver: () => Promise<StorageDriver> | StorageDriver): void {
  describe(`storage contract: ${name}`, () => {
    let driver: StorageDriver;

    beforeEach(async () => {
      driver = await makeDriver();
    });

    afterEach(async () => {
      await driver.close();
    });

    describe('keyval', () => keyValContract(() => driver));
    describe('map', () => mapContract(() => driver));
    describe('archive', () => archiveContract(() => driver));
    describe('driver', () => driverContract(() => driver));
  });
}

function keyValContract(getDriver: () => StorageDriver): void {
  it('returns undefined for a missing user', async () => {
    expect(await getDriver().keyval(H, 'roster').get('nobody')).toBeUndefined();
  });

  it('round-trips nested values of every JSON type', async () => {
    const store = getDriver().keyval(H, 'roster');
    const value = {
      s: 'héllo ✓ 🐦 <x/>',
      n: 42.5,
      neg: -1,
      t: true,
      f: false,
      nil: null,
      list: [1, 'two', { three: [3] }, []],
      nested: { deep: { deeper: { items: ['a', 'b'] } } },
    };
    await store.set('alice', value);
    expect(await store.get('alice')).toEqual(value);
  });

  it('round-trips scalar documents, including null', async () => {
    const store = getDriver().keyval(H, 'scalars');
    for (const value of [null, 0, 7, 'text', '42', true, false, []]) {
      await store.set('u', value);
      expect(await store.get('u')).toEqual(value);
    }
  });

  it('overwrites on set', async () => {
    const store = getDriver().keyval(H, 'roster');
    await store.set('alice', { v: 1 });
    await store.set('alice', { v: 2 });
    expect(await store.get('alice')).toEqual({ v: 2 });
    expect(await store.users()).toEqual(['alice']);
  });

  it('deletes, and deleting a missing user is a no-op', async () => {
    const store = getDriver().keyval(H, 'roster');
    await store.set('alice', 1);
    await store.delete('alice');
    await store.delete('nobody');
    expect(await store.get('alice')).toBeUndefined();
    expect(await store.users()).toEqual([]);
  });

  it('lists users sorted', async () => {
    const store = getDriver().keyval(H, 'roster');
    for (const user of ['mallory', 'alice', 'carol', 'bob']) await store.set(user, {});
    expect(await store.users()).toEqual(['alice', 'bob', 'carol', 'mallory']);
  });

  it('stores copies: mutating the input or the result does not change the store', async () => {
    const store = getDriver().keyval<{ list: number[]; o: { x: number } }>(H, 'roster');
    const value = { list: [1], o: { x: 1 } };
    await store.set('alice', value);
    value.list.push(2);
    value.o.x = 2;
    const got = await store.get('alice');
    got!.list.push(3);
    got!.o.x = 3;
    expect(await store.get('alice')).toEqual({ list: [1], o: { x: 1 } });
  });

  it('isolates hosts and stores', async () => {
    const d = getDriver();
    await d.keyval(H, 'roster').set('alice', 'roster@h');
    await d.keyval(H, 'vcard').set('alice', 'vcard@h');
    await d.keyval(OTHER_HOST, 'roster').set('alice', 'roster@other');
    expect(await d.keyval(H, 'roster').get('alice')).toBe('roster@h');
    expect(await d.keyval(H, 'vcard').get('alice')).toBe('vcard@h');
    expect(await d.keyval(OTHER_HOST, 'roster').get('alice')).toBe('roster@other');
    expect(await d.keyval(OTHER_HOST, 'vcard').get('alice')).toBeUndefined();
    await d.keyval(H, 'roster').delete('alice');
    expect(await d.keyval(H, 'vcard').get('alice')).toBe('vcard@h');
    expect(await d.keyval(OTHER_HOST, 'roster').get('alice')).toBe('roster@other');
  });

  it('shares data between handles on the same store', async () => {
    const d = getDriver();
    await d.keyval(H, 'roster').set('alice', 1);
    expect(await d.keyval(H, 'roster').get('alice')).toBe(1);
  });
}

function mapContract(getDriver: () => StorageDriver): void {
  it('returns undefined for a missing user or key', async () => {
    const store = getDriver().map(H, 'private');
    expect(await store.get('nobody', 'k')).toBeUndefined();
    await store.set('alice', 'a', 1);
    expect(await store.get('alice', 'b')).toBeUndefined();
  });

  it('round-trips nested values and null, and overwrites', async () => {
    const store = getDriver().map(H, 'pep');
    const value = { item: { id: 'x', payload: '<entry xmlns="urn:x">ü</entry>' }, tags: ['a', 1, null] };
    await store.set('alice', 'node/1', value);
    await store.set('alice', 'nil', null);
    expect(await store.get('alice', 'node/1')).toEqual(value);
    expect(await store.get('alice', 'nil')).toBeNull();
    await store.set('alice', 'node/1', { v: 2 });
    expect(await store.get('alice', 'node/1')).toEqual({ v: 2 });
  });

  it('deletes one key, leaving the others', async () => {
    const store = getDriver().map(H, 'private');
    await store.set('alice', 'a', 1);
    await store.set('alice', 'b', 2);
    await store.delete('alice', 'a');
    await store.delete('alice', 'missing');
    expect(await store.get('alice', 'a')).toBeUndefined();
    expect(await store.get('alice', 'b')).toBe(2);
  });

  it('lists all of a user sorted by key', async () => {
    const store = getDriver().map(H, 'private');
    for (const key of ['zeta', 'alpha', 'mu', 'beta']) await store.set('alice', key, key.length);
    await store.set('bob', 'other', 0);
    const all = await store.all('alice');
    expect([...all.keys()]).toEqual(['alpha', 'beta', 'mu', 'zeta']);
    expect(all.get('alpha')).toBe(5);
    expect((await store.all('nobody')).size).toBe(0);
  });

  it('stores copies: mutating input, get or all results does not change the store', async () => {
    const store = getDriver().map<{ n: number[] }>(H, 'pep');
    const value = { n: [1] };
    await store.set('alice', 'k', value);
    value.n.push(2);
    (await store.get('alice', 'k'))!.n.push(3);
    (await store.all('alice')).get('k')!.n.push(4);
    expect(await store.get('alice', 'k')).toEqual({ n: [1] });
  });

  it('deleteAll removes only that user', async () => {
    const store = getDriver().map(H, 'private');
    await store.set('alice', 'a', 1);
    await store.set('alice', 'b', 2);
    await store.set('bob', 'a', 3);
    await store.deleteAll('alice');
    expect((await store.all('alice')).size).toBe(0);
    expect(await store.get('bob', 'a')).toBe(3);
  });

  it('isolates hosts, stores and users', async () => {
    const d = getDriver();
    await d.map(H, 'private').set('alice', 'k', 'private@h');
    await d.map(H, 'pep').set('alice', 'k', 'pep@h');
    await d.map(OTHER_HOST, 'private').set('alice', 'k', 'private@other');
    await d.map(H, 'private').set('bob', 'k', 'bob');
    expect(await d.map(H, 'private').get('alice', 'k')).toBe('private@h');
    expect(await d.map(H, 'pep').get('alice', 'k')).toBe('pep@h');
    expect(await d.map(OTHER_HOST, 'private').get('alice', 'k')).toBe('private@other');
    await d.map(H, 'private').deleteAll('alice');
    expect(await d.map(H, 'pep').get('alice', 'k')).toBe('pep@h');
    expect(await d.map(OTHER_HOST, 'private').get('alice', 'k')).toBe('private@other');
    expect(await d.map(H, 'private').get('bob', 'k')).toBe('bob');
  });

  it('is separate from a keyval store of the same name', async () => {
    const d = getDriver();
    await d.keyval(H, 'same').set('alice', 'doc');
    await d.map(H, 'same').set('alice', 'k', 'item');
    await d.map(H, 'same').deleteAll('alice');
    expect(await d.keyval(H, 'same').get('alice')).toBe('doc');
  });
}

function driverContract(getDriver: () => StorageDriver): void {
  it('deleteUser removes the user from every store of that host only', async () => {
    const d = getDriver();
    for (const host of [H, OTHER_HOST]) {
      for (const user of ['alice', 'bob']) {
        await d.keyval(host, 'roster').set(user, { user });
        await d.keyval(host, 'vcard').set(user, { user });
        await d.map(host, 'private').set(user, 'k', 1);
        await d.map(host, 'pep').set(user, 'k', 1);
        await d.archive(host, 'mam').append(user, { when: 1, with: 'x', payload: '' });
        await d.archive(host, 'offline').append(user, { when: 1, with: 'x', payload: '' });
      }
    }
    await d.deleteUser(H, 'alice');

    expect(await d.keyval(H, 'roster').users()).toEqual(['bob']);
    expect(await d.keyval(H, 'vcard').users()).toEqual(['bob']);
    expect((await d.map(H, 'private').all('alice')).size).toBe(0);
    expect((await d.map(H, 'pep').all('alice')).size).toBe(0);
    expect((await d.archive(H, 'mam').query('alice')).total).toBe(0);
    expect((await d.archive(H, 'offline').query('alice')).total).toBe(0);

    expect((await d.map(H, 'private').all('bob')).size).toBe(1);
    expect((await d.archive(H, 'mam').query('bob')).total).toBe(1);
    expect(await d.keyval(OTHER_HOST, 'roster').users()).toEqual(['alice', 'bob']);
    expect((await d.map(OTHER_HOST, 'pep').all('alice')).size).toBe(1);
    expect((await d.archive(OTHER_HOST, 'offline').query('alice')).total).toBe(1);
  });

  it('deleteUser of an unknown user is a no-op', async () => {
    await expect(getDriver().deleteUser(H, 'nobody')).resolves.toBeUndefined();
  });

  it('lets a user start afresh after deleteUser', async () => {
    const d = getDriver();
    await d.archive(H, 'mam').append('alice', { id: 'x', when: 1, with: 'x', payload: 'old' });
    await d.deleteUser(H, 'alice');
    await d.archive(H, 'mam').append('alice', { id: 'x', when: 2, with: 'x', payload: 'new' });
    expect((await d.archive(H, 'mam').query('alice')).items.map((i) => i.payload)).toEqual(['new']);
  });
}
