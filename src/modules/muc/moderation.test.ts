/** Moderated rooms, PM and invitation settings (XEP-0045 §7.5, §7.8.2, §7.13). */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { Room } from './room.js';
import { approvalForm, checkInvitation, checkPrivateMessage } from './moderation.js';
import type { PmPolicy } from './config.js';
import { conditionOf } from '../../core/testing/condition-of.js';

function room(): Room {
  const r = new Room('r@muc');
  r.config.moderated = true;
  r.affiliations.set('o@h', 'owner');
  r.affiliations.set('m@h', 'member');
  for (const name of ['o', 'm', 'v']) r.enter(name.toUpperCase(), `${name}@h/1`, `${name}@h`, x('presence'), name);
  return r;
}

describe('moderated rooms', () => {
  it('make newcomers without membership visitors', () => {
    const r = room();
    expect(['O', 'M', 'V'].map((nick) => r.occupants.get(nick)!.role)).toEqual(['moderator', 'participant', 'visitor']);
  });
});

describe('checkPrivateMessage', () => {
  it('follows allowPm', () => {
    const r = room();
    const senders = ['O', 'M', 'V'].map((nick) => r.occupants.get(nick)!);
    const allowed = (policy: PmPolicy) => {
      r.config.allowPm = policy;
      return senders.map((s) => conditionOf(() => checkPrivateMessage(r, s)) === undefined);
    };
    expect(allowed('anyone')).toEqual([true, true, true]);
    expect(allowed('participants')).toEqual([true, true, false]);
    expect(allowed('moderators')).toEqual([true, false, false]);
    expect(allowed('none')).toEqual([false, false, false]);
  });
});

describe('checkInvitation', () => {
  it('restricts invitations to admins in members-only rooms that disallow them', () => {
    const r = room();
    const member = r.occupants.get('M')!;
    expect(conditionOf(() => checkInvitation(r, member))).toBeUndefined();
    r.config.membersOnly = true;
    expect(conditionOf(() => checkInvitation(r, member))).toBe('forbidden');
    expect(conditionOf(() => checkInvitation(r, r.occupants.get('O')!))).toBeUndefined();
    r.config.allowInvites = true;
    expect(conditionOf(() => checkInvitation(r, member))).toBeUndefined();
  });
});

describe('approvalForm', () => {
  it('names the requester and asks the moderator to allow', () => {
    const form = approvalForm('V', 'v@h/1');
    const values = Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    expect(values).toEqual({
      FORM_TYPE: 'http://jabber.org/protocol/muc#request',
      'muc#role': 'participant',
      'muc#jid': 'v@h/1',
      'muc#roomnick': 'V',
      'muc#request_allow': 'false',
    });
  });
});
