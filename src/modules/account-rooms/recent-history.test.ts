import { describe, expect, it } from 'vitest';
import { Element, shareChildren, x } from '../../core/xml/element.js';
import type { ArchiveItem } from '../../core/storage/stores.js';
import { RecentHistory, type HistoryContext } from './recent-history.js';

const ROOM = 'room@rooms.example.org';
const ACCOUNT = 'romeo@example.org';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const CONTEXT: HistoryContext = {
  room: ROOM,
  account: ACCOUNT,
  withId: (message, id) => new Element(message.name, message.attrs, [...message.children, x('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: ACCOUNT, id })]),
};

/** A live room message as the room sent it to the account. */
const live = (n: number) => x('message', { from: `${ROOM}/nurse`, to: ACCOUNT, type: 'groupchat' }, x('body', {}, `m${n}`));
const item = (n: number, type = 'groupchat'): ArchiveItem => ({
  id: `a${n}`,
  when: T0 + n * 1000,
  with: ROOM,
  type,
  payload: `<message xmlns='jabber:client' from='${ROOM}/nurse' to='${ACCOUNT}' type='${type}'><body>m${n}</body></message>`,
});
const bodies = (stanzas: Element[] | undefined) => stanzas?.map((s) => s.getChildText('body'));
const add = (recent: RecentHistory, n: number) => recent.add(live(n), `a${n}`, T0 + n * 1000);
const filled = (items: ArchiveItem[], complete: boolean) => {
  const recent = new RecentHistory(3);
  recent.fill(items, complete, recent.version);
  return recent;
};
const now = (n: number) => new Date(T0 + n * 1000);

describe('recent history', () => {
  it('answers nothing until filled from the archive, and ignores live messages meanwhile', () => {
    const recent = new RecentHistory(3);
    add(recent, 1);
    expect(recent.select({ maxstanzas: 1 }, CONTEXT)).toBeUndefined();
    recent.fill([item(1)], true, recent.version - 1);
    expect(recent.loaded).toBe(false);
  });

  it('gives the newest messages in the form history from the archive has', () => {
    const recent = filled([item(1), item(2, 'chat'), item(3)], true);
    add(recent, 4);
    const history = recent.select({ maxstanzas: 3 }, CONTEXT, now(5))!;
    expect(bodies(history)).toEqual(['m1', 'm3', 'm4']);
    for (const [stanza, n] of [[history[0]!, 1], [history[2]!, 4]] as const) {
      expect(stanza.attrs.to).toBe(ROOM);
      expect(stanza.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs).toMatchObject({ by: ACCOUNT, id: `a${n}` });
      expect(stanza.getChild('delay', 'urn:xmpp:delay')?.attrs).toMatchObject({ from: ROOM, stamp: new Date(T0 + n * 1000).toISOString() });
    }
    expect(history[2]!.toString()).toBe(history[0]!.toString().replaceAll('m1', 'm4').replace('a1', 'a4').replace('01.000Z', '04.000Z'));
  });

  it("gives the same history for a local room's shared message as for a remote room's own copy", () => {
    const recent = filled([], true);
    const shared = live(1);
    shareChildren(shared.children, true);
    recent.add(shared, 'a1', T0 + 1000);
    add(recent, 2);
    const [local, remote] = recent.select({ maxstanzas: 2 }, CONTEXT)!;
    expect(local!.toString()).toBe(remote!.toString().replaceAll('m2', 'm1').replace('a2', 'a1').replace('02.000Z', '01.000Z'));
  });

  it('is bounded, and sends requests beyond what it holds to the archive', () => {
    const recent = filled([item(1)], true);
    expect(bodies(recent.select({ maxstanzas: 20 }, CONTEXT))).toEqual(['m1']);
    for (const n of [2, 3, 4]) add(recent, n);
    expect(bodies(recent.select({ maxstanzas: 3 }, CONTEXT))).toEqual(['m2', 'm3', 'm4']);
    expect(recent.select({ maxstanzas: 4 }, CONTEXT)).toBeUndefined();
    expect(recent.select({}, CONTEXT)).toBeUndefined();
    expect(bodies(recent.select({ maxstanzas: 2 }, CONTEXT))).toEqual(['m3', 'm4']);
  });

  it('answers a time range from memory only when it starts after a message archived live', () => {
    const recent = filled([item(1), item(2)], false);
    expect(recent.select({ seconds: 10 }, CONTEXT, now(3))).toBeUndefined();
    expect(recent.select({ since: now(2) }, CONTEXT)).toBeUndefined();
    for (const n of [5, 6, 7]) add(recent, n);
    expect(bodies(recent.select({ since: now(6) }, CONTEXT))).toEqual(['m6', 'm7']);
    expect(bodies(recent.select({ seconds: 0 }, CONTEXT, now(7)))).toEqual(['m7']);
    expect(recent.select({ since: now(5) }, CONTEXT)).toBeUndefined();
  });

  it('is filled again after something reached the archive out of order', () => {
    const recent = filled([item(1)], true);
    const version = recent.version;
    recent.drop();
    expect(recent.loaded).toBe(false);
    expect(recent.select({ maxstanzas: 1 }, CONTEXT)).toBeUndefined();
    recent.fill([item(1), item(2)], true, version);
    expect(recent.loaded).toBe(false);
    recent.fill([item(1), item(2)], true, recent.version);
    expect(bodies(recent.select({ maxstanzas: 5 }, CONTEXT))).toEqual(['m1', 'm2']);
  });
});
