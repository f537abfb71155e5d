/** The role and affiliation privilege rules and admin item parsing (XEP-0045 §5, §8–§10). */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { affiliationChangeDenial, listViewDenial, parseAdminItem, parseListQuery, roleAfterAffiliation, roleChangeDenial } from './affiliations.js';
import { conditionOf } from '../../core/testing/condition-of.js';

const participant = { role: 'participant', affiliation: 'none' } as const;
const moderator = { role: 'moderator', affiliation: 'none' } as const;
const admin = { role: 'moderator', affiliation: 'admin' } as const;
const owner = { role: 'moderator', affiliation: 'owner' } as const;

describe('role changes', () => {
  it('lets moderators kick and silence participants, but not participants', () => {
    expect(roleChangeDenial(moderator, participant, 'none')).toBeUndefined();
    expect(roleChangeDenial(moderator, participant, 'visitor')).toBeUndefined();
    expect(roleChangeDenial(participant, participant, 'none')).toBe('forbidden');
  });

  it('reserves moderator grants to admins and owners, and protects higher affiliations', () => {
    expect(roleChangeDenial(moderator, participant, 'moderator')).toBe('forbidden');
    expect(roleChangeDenial(admin, participant, 'moderator')).toBeUndefined();
    expect(roleChangeDenial(admin, owner, 'none')).toBe('not-allowed');
    expect(roleChangeDenial(moderator, admin, 'none')).toBe('not-allowed');
    expect(roleChangeDenial(owner, admin, 'participant')).toBe('not-allowed');
    expect(roleChangeDenial(owner, admin, 'none')).toBeUndefined();
  });
});

describe('affiliation changes', () => {
  it('lets admins ban and enrol, owners alone grant admin and owner', () => {
    expect(affiliationChangeDenial('admin', 'none', 'outcast')).toBeUndefined();
    expect(affiliationChangeDenial('admin', 'none', 'member')).toBeUndefined();
    expect(affiliationChangeDenial('none', 'none', 'member')).toBe('forbidden');
    expect(affiliationChangeDenial('admin', 'none', 'admin')).toBe('forbidden');
    expect(affiliationChangeDenial('admin', 'owner', 'outcast')).toBe('not-allowed');
    expect(affiliationChangeDenial('owner', 'admin', 'member')).toBeUndefined();
  });

  it('adjusts the role to the new affiliation', () => {
    expect(roleAfterAffiliation('participant', 'none', 'admin')).toBe('moderator');
    expect(roleAfterAffiliation('moderator', 'admin', 'member')).toBe('participant');
    expect(roleAfterAffiliation('visitor', 'none', 'member')).toBe('participant');
    expect(roleAfterAffiliation('participant', 'member', 'outcast')).toBe('none');
  });
});

describe('parsing', () => {
  it('rejects items without a target or with unknown values', () => {
    expect(conditionOf(() => parseAdminItem(x('item', { role: 'none' })))).toBe('bad-request');
    expect(conditionOf(() => parseAdminItem(x('item', { nick: 'a', role: 'king' })))).toBe('bad-request');
    expect(conditionOf(() => parseAdminItem(x('item', { affiliation: 'member' })))).toBe('bad-request');
    expect(conditionOf(() => parseAdminItem(x('item', { jid: 'a@b' })))).toBe('bad-request');
    expect(parseAdminItem(x('item', { nick: 'a', role: 'none' }, x('reason', {}, 'bye')))).toEqual({ kind: 'role', nick: 'a', role: 'none', reason: 'bye' });
  });

  it('guards the lists by privilege', () => {
    expect(listViewDenial(admin, parseListQuery(x('item', { affiliation: 'outcast' })))).toBeUndefined();
    expect(listViewDenial(participant, parseListQuery(x('item', { affiliation: 'member' })))).toBe('forbidden');
    expect(listViewDenial(admin, parseListQuery(x('item', { affiliation: 'owner' })))).toBe('forbidden');
    expect(listViewDenial(moderator, parseListQuery(x('item', { role: 'participant' })))).toBeUndefined();
    expect(conditionOf(() => parseListQuery(x('item', { role: 'visitor' })))).toBe('bad-request');
  });
});
