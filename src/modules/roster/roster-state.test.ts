/**
 * Tests for the roster's pure state: roster set checks, edits that keep the
 * server-managed subscription fields, versions, and the XML translation.
 *
 * References: RFC 6121 §2.1.2.5, §2.3.3, §2.5.3; XEP-0237.
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import {
  MAX_ITEMS,
  MAX_NAME_LENGTH,
  checkUpdate,
  editedItem,
  emptyRoster,
  sameItem,
  storeItem,
  subscriptionOf,
  versionString,
  type ItemUpdate,
} from './roster-state.js';
import { itemElement, parseRosterSet, rosterQuery } from './roster-xml.js';

const update = (over: Partial<ItemUpdate> = {}): ItemUpdate => ({ jid: 'juliet@example.com', groups: [], remove: false, ...over });

function conditionOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
  return undefined;
}

describe('checkUpdate', () => {
  it('accepts a name and distinct groups', () => {
    expect(conditionOf(() => checkUpdate(update({ name: 'Juliet', groups: ['Friends', 'Capulets'] })))).toBeUndefined();
  });
  it('refuses duplicate groups with bad-request', () => {
    expect(conditionOf(() => checkUpdate(update({ groups: ['A', 'A'] })))).toBe('bad-request');
  });
  it('refuses an empty group name with not-acceptable', () => {
    expect(conditionOf(() => checkUpdate(update({ groups: [''] })))).toBe('not-acceptable');
  });
  it('refuses names and groups past the limit with not-acceptable', () => {
    expect(conditionOf(() => checkUpdate(update({ name: 'n'.repeat(MAX_NAME_LENGTH + 1) })))).toBe('not-acceptable');
    expect(conditionOf(() => checkUpdate(update({ groups: ['g'.repeat(MAX_NAME_LENGTH + 1)] })))).toBe('not-acceptable');
    expect(conditionOf(() => checkUpdate(update({ name: 'n'.repeat(MAX_NAME_LENGTH) })))).toBeUndefined();
  });
  it('does not check the contents of a removal', () => {
    expect(conditionOf(() => checkUpdate(update({ remove: true, groups: ['', ''] })))).toBeUndefined();
  });
});

describe('editedItem', () => {
  it('creates a new item with subscription none', () => {
    expect(editedItem(undefined, update({ name: 'Juliet', groups: ['Friends'] }), 0)).toEqual({
      subscription: 'none',
      name: 'Juliet',
      groups: ['Friends'],
    });
  });
  it('keeps subscription, ask and approval when the client edits', () => {
    const existing = { subscription: 'to' as const, ask: 'subscribe' as const, approved: true, name: 'Old', groups: ['A'] };
    expect(editedItem(existing, update({ groups: ['B'] }), 1)).toEqual({ subscription: 'to', ask: 'subscribe', approved: true, groups: ['B'] });
  });
  it('refuses a new item on a full roster, but still edits existing ones', () => {
    expect(conditionOf(() => editedItem(undefined, update(), MAX_ITEMS))).toBe('policy-violation');
    expect(editedItem({ subscription: 'both', groups: [] }, update({ name: 'J' }), MAX_ITEMS).name).toBe('J');
  });
});

describe('storeItem and versions', () => {
  it('bumps the version on every change, removal included', () => {
    const roster = emptyRoster();
    expect(versionString(roster)).toBe('0');
    storeItem(roster, 'a@b', { subscription: 'none', groups: [] });
    storeItem(roster, 'a@b', { subscription: 'to', groups: [] });
    expect(versionString(roster)).toBe('2');
    storeItem(roster, 'a@b', undefined);
    expect(roster.items).toEqual({});
    expect(versionString(roster)).toBe('3');
  });
  it('compares items by what a push shows', () => {
    expect(sameItem({ subscription: 'none', groups: ['a'] }, { subscription: 'none', groups: ['a'], approved: false })).toBe(true);
    expect(sameItem({ subscription: 'none', groups: ['a'] }, { subscription: 'none', groups: ['b'] })).toBe(false);
    expect(sameItem(undefined, { subscription: 'none', groups: [] })).toBe(false);
  });
  it('names the subscription for each pair of directions', () => {
    expect([subscriptionOf(false, false), subscriptionOf(true, false), subscriptionOf(false, true), subscriptionOf(true, true)]).toEqual([
      'none',
      'to',
      'from',
      'both',
    ]);
  });
});

describe('roster XML', () => {
  const set = (...items: ReturnType<typeof x>[]) => x('query', { xmlns: NS.roster }, ...items);

  it('parses a roster set item with its groups and canonical JID', () => {
    const parsed = parseRosterSet(set(x('item', { jid: 'Juliet@Example.COM', name: 'J' }, x('group', {}, 'Friends'))));
    expect(parsed).toEqual({ jid: 'juliet@example.com', name: 'J', groups: ['Friends'], remove: false });
  });
  it('reads subscription=remove and ignores other subscription values', () => {
    expect(parseRosterSet(set(x('item', { jid: 'a@b', subscription: 'remove' }))).remove).toBe(true);
    expect(parseRosterSet(set(x('item', { jid: 'a@b', subscription: 'both' }))).remove).toBe(false);
  });
  it('refuses zero or several items and a missing jid with bad-request', () => {
    expect(conditionOf(() => parseRosterSet(set()))).toBe('bad-request');
    expect(conditionOf(() => parseRosterSet(set(x('item', { jid: 'a@b' }), x('item', { jid: 'c@d' }))))).toBe('bad-request');
    expect(conditionOf(() => parseRosterSet(set(x('item', { name: 'x' }))))).toBe('bad-request');
    expect(conditionOf(() => parseRosterSet(set(x('item', { jid: '@bad' }))))).toBe('jid-malformed');
  });
  it('writes items with ask, approved and groups, sorted by JID', () => {
    const roster = emptyRoster();
    storeItem(roster, 'z@b', { subscription: 'none', ask: 'subscribe', approved: true, groups: ['G'] });
    storeItem(roster, 'a@b', { subscription: 'both', name: 'A', groups: [] });
    expect(rosterQuery(roster, '2').toString()).toBe(
      `<query xmlns='${NS.roster}' ver='2'><item jid='a@b' name='A' subscription='both'/>` +
        `<item jid='z@b' subscription='none' ask='subscribe' approved='true'><group>G</group></item></query>`,
    );
    expect(itemElement('a@b', 'remove').toString()).toBe(`<item jid='a@b' subscription='remove'/>`);
  });
});
