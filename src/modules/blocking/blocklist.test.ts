import { describe, expect, it } from 'vitest';
import { parseJid } from '../../core/jid/jid.js';
import { Blocklists, isBlockedBy, matchingEntries } from './blocklist.js';
import type { KeyValStore } from '../../core/storage/stores.js';

function memoryStore(): KeyValStore<string[]> & { data: Map<string, string[]> } {
  const data = new Map<string, string[]>();
  return {
    data,
    get: async (user) => data.get(user),
    set: async (user, value) => void data.set(user, value),
    delete: async (user) => void data.delete(user),
    users: async () => [...data.keys()].sort(),
  };
}

describe('blocklist JID matching (XEP-0191 §6)', () => {
  it('lists the entries that match a full JID, most specific first', () => {
    expect(matchingEntries(parseJid('romeo@chat.montague.net/orchard'))).toEqual([
      'romeo@chat.montague.net/orchard',
      'romeo@chat.montague.net',
      'chat.montague.net/orchard',
      'chat.montague.net',
      'montague.net',
      'net',
    ]);
  });

  it('blocks by full JID only that resource', () => {
    const list = new Set(['romeo@montague.net/orchard']);
    expect(isBlockedBy(list, parseJid('romeo@montague.net/orchard'))).toBe(true);
    expect(isBlockedBy(list, parseJid('romeo@montague.net/garden'))).toBe(false);
    expect(isBlockedBy(list, parseJid('romeo@montague.net'))).toBe(false);
  });

  it('blocks by bare JID every resource and by domain every address under it', () => {
    expect(isBlockedBy(new Set(['romeo@montague.net']), parseJid('romeo@montague.net/any'))).toBe(true);
    const domain = new Set(['montague.net']);
    expect(isBlockedBy(domain, parseJid('tybalt@montague.net/x'))).toBe(true);
    expect(isBlockedBy(domain, parseJid('rooms.montague.net'))).toBe(true);
    expect(isBlockedBy(domain, parseJid('juliet@capulet.lit'))).toBe(false);
  });
});

describe('Blocklists cache', () => {
  it('loads lazily, stores changes and serialises concurrent updates', async () => {
    const store = memoryStore();
    store.data.set('juliet', ['tybalt@capulet.lit']);
    const lists = new Blocklists(store);
    expect([...(await lists.get('juliet'))]).toEqual(['tybalt@capulet.lit']);
    await Promise.all([
      lists.update('juliet', (l) => l.add('romeo@montague.net')),
      lists.update('juliet', (l) => l.add('paris@verona.lit')),
    ]);
    expect(store.data.get('juliet')).toEqual(['paris@verona.lit', 'romeo@montague.net', 'tybalt@capulet.lit']);
    lists.forget('juliet');
    expect((await lists.get('juliet')).size).toBe(3);
  });
});
