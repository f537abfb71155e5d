/**
 * The groupchat 1.0 rule: which presences enter a room, and the kick a
 * presence without `<x xmlns=muc>` from a non-occupant gets.
 *
 * References: XEP-0045 §7.2.1, §7.2 "Groupchat 1.0 Protocol" (version
 * 1.32: respond with a kick), §15.6 (110, 307).
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { parseJid } from '../../core/jid/jid.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS } from './ns.js';
import { isMucJoin, notInRoomKick } from './non-occupant.js';
import { Room } from './room.js';

function presenceEvent(presence = x('presence')): StanzaEvent {
  return { stanza: presence, from: parseJid('juliet@h/balcony'), to: parseJid('r@muc/Juliet') } as unknown as StanzaEvent;
}

describe('the groupchat 1.0 rule', () => {
  it('takes only a presence with <x xmlns=muc> as a join', () => {
    expect(isMucJoin(x('presence', {}, x('x', { xmlns: MUC_NS.muc })))).toBe(true);
    expect(isMucJoin(x('presence', {}, x('show', {}, 'away')))).toBe(false);
    expect(isMucJoin(x('presence', {}, x('x', { xmlns: MUC_NS.user })))).toBe(false);
  });

  it('kicks the sending session from the occupant JID it addressed, with 110 and 307 and its affiliation', () => {
    const room = new Room('r@muc');
    room.affiliations.set('juliet@h', 'member');
    expect(notInRoomKick(presenceEvent(), room).toString()).toBe(
      "<presence from='r@muc/Juliet' to='juliet@h/balcony' type='unavailable'>" +
        "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='none'><reason>You are not in the room.</reason></item>" +
        "<status code='110'/><status code='307'/></x></presence>",
    );
    expect(notInRoomKick(presenceEvent(), undefined).getChild('x', MUC_NS.user)!.getChild('item')!.attrs.affiliation).toBe('none');
  });
});
