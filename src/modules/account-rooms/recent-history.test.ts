import { describe, expect, it } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import type { ArchiveItem } from '../../core/storage/stores.js';
import { historyFromItem, RecentHistory } from './recent-history.js';

const ROOM = 'room@rooms.example.org';
const ACCOUNT = 'romeo@example.org';
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A room message as the sessions got it: the room's copy to the account with the archive's stanza-id. */
const copy = (n: number) =>
  x('message', { from: `${ROOM}/nurse`, to: ACCOUNT, type: 'groupchat' }, x('body', {}, `m${n}`), x('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: ACCOUNT, id: `a${n}` }));
const item = (n: number, type = 'groupchat'): ArchiveItem => ({
  id: `a${n}`,
  when: T0 + n * 1000,
  with: ROOM,
  type,
  payload: `<message xmlns='jabber:client' from='${ROOM}/nurse' to='${ACCOUNT}' type='${type}'><body>m${n}</body></message>`,
});
const bodies = (stanzas: Element[] | undefined) => stanzas?.map((s) => s.getChildText('body'));
const toHistory = (i: ArchiveItem) => historyFromItem(i, ROOM, ACCOUNT);
const filled = (items: ArchiveItem[], complete: boolean) => {
  const recent = new RecentHistory(3);
  recent.fill(items, complete, recent.version, toHistory);
  return recent;
};
const now = (n: number) => new Date(T0 + n * 1000);

describe('recent history', () => {
  it('answers nothing until filled from the archive, and ignores live messages meanwhile', () => {
    const recent = new RecentHistory(3);
    recent.add(copy(1), T0 + 1000);
    expect(recent.select({ maxstanzas: 1 }, ROOM)).toBeUndefined();
    recent.fill([item(1)], true, recent.version - 1, toHistory);
    expect(recent.loaded).toBe(false);
  });

  it('keeps the newest messages in the form the archive gives as history', () => {
    const recent = filled([item(1), item(2, 'chat'), item(3)], true);
    recent.add(copy(4), T0 + 4000);
    const history = recent.select({ maxstanzas: 3 }, ROOM, now(5))!;
    expect(bodies(history)).toEqual(['m1', 'm3', 'm4']);
    const live = history[2]!;
    expect(live.attrs.to).toBe(ROOM);
    expect(live.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs).toMatchObject({ by: ACCOUNT, id: 'a4' });
    expect(live.getChild('delay', 'urn:xmpp:delay')?.attrs).toMatchObject({ from: ROOM, stamp: new Date(T0 + 4000).toISOString() });
    expect(history[0]!.toString()).toBe(toHistory(item(1))!.toString());
  });

  it('is bounded, and sends requests beyond what it holds to the archive', () => {
    const recent = filled([item(1)], true);
    expect(bodies(recent.select({ maxstanzas: 20 }, ROOM))).toEqual(['m1']);
    for (const n of [2, 3, 4]) recent.add(copy(n), T0 + n * 1000);
    expect(bodies(recent.select({ maxstanzas: 3 }, ROOM))).toEqual(['m2', 'm3', 'm4']);
    expect(recent.select({ maxstanzas: 4 }, ROOM)).toBeUndefined();
    expect(recent.select({}, ROOM)).toBeUndefined();
    expect(bodies(recent.select({ maxstanzas: 2 }, ROOM))).toEqual(['m3', 'm4']);
  });

  it('answers a time range from memory only when it starts after a message archived live', () => {
    const recent = filled([item(1), item(2)], false);
    expect(recent.select({ seconds: 10 }, ROOM, now(3))).toBeUndefined();
    expect(recent.select({ since: now(2) }, ROOM)).toBeUndefined();
    recent.add(copy(5), T0 + 5000);
    recent.add(copy(6), T0 + 6000);
    recent.add(copy(7), T0 + 7000);
    expect(bodies(recent.select({ since: now(6) }, ROOM))).toEqual(['m6', 'm7']);
    expect(bodies(recent.select({ seconds: 0 }, ROOM, now(7)))).toEqual(['m7']);
    expect(recent.select({ since: now(5) }, ROOM)).toBeUndefined();
  });

  it('is filled again after something reached the archive out of order', () => {
    const recent = filled([item(1)], true);
    const version = recent.version;
    recent.drop();
    expect(recent.loaded).toBe(false);
    expect(recent.select({ maxstanzas: 1 }, ROOM)).toBeUndefined();
    recent.fill([item(1), item(2)], true, version, toHistory);
    expect(recent.loaded).toBe(false);
    recent.fill([item(1), item(2)], true, recent.version, toHistory);
    expect(bodies(recent.select({ maxstanzas: 5 }, ROOM))).toEqual(['m1', 'm2']);
  });
});
