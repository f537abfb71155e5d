import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { isArchivable, stampStanzaId, stripStanzaIds } from './eligibility.js';
import { MAM } from './ns.js';

const body = () => x('body', {}, 'hi');

describe('what a user archive keeps', () => {
  it('keeps chat and normal messages with a body', () => {
    expect(isArchivable(x('message', { type: 'chat' }, body()))).toBe(true);
    expect(isArchivable(x('message', {}, body()))).toBe(true);
    expect(isArchivable(x('message', { type: 'normal' }, body()))).toBe(true);
  });

  it('skips errors, headlines, groupchat and bodiless state changes', () => {
    expect(isArchivable(x('message', { type: 'error' }, body()))).toBe(false);
    expect(isArchivable(x('message', { type: 'headline' }, body()))).toBe(false);
    expect(isArchivable(x('message', { type: 'groupchat' }, body()))).toBe(false);
    expect(isArchivable(x('message', { type: 'chat' }, x('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })))).toBe(false);
    expect(isArchivable(x('message', { type: 'chat' }, x('received', { xmlns: 'urn:xmpp:receipts', id: '1' })))).toBe(false);
  });

  it('follows XEP-0334 hints both ways, no-store winning', () => {
    expect(isArchivable(x('message', { type: 'chat' }, body(), x('no-store', { xmlns: MAM.hints })))).toBe(false);
    expect(isArchivable(x('message', { type: 'chat' }, body(), x('no-permanent-store', { xmlns: MAM.hints })))).toBe(false);
    expect(isArchivable(x('message', { type: 'chat' }, x('store', { xmlns: MAM.hints })))).toBe(true);
    expect(isArchivable(x('message', { type: 'chat' }, x('store', { xmlns: MAM.hints }), x('no-store', { xmlns: MAM.hints })))).toBe(false);
    expect(isArchivable(x('message', { type: 'headline' }, x('store', { xmlns: MAM.hints })))).toBe(false);
  });

  it('keeps bodiless conversation content', () => {
    expect(isArchivable(x('message', { type: 'chat' }, x('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })))).toBe(true);
    expect(isArchivable(x('message', { type: 'chat' }, x('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'm1' })))).toBe(true);
    expect(isArchivable(x('message', { type: 'chat' }, x('retract', { xmlns: 'urn:xmpp:message-retract:1', id: 'm1' })))).toBe(true);
  });
});

describe('stanza ids', () => {
  it("removes only stanza-ids claiming to be the archive's, and stamps ours", () => {
    const message = x(
      'message',
      {},
      body(),
      x('stanza-id', { xmlns: MAM.stanzaIds, by: 'Juliet@Capulet.lit', id: 'forged' }),
      x('stanza-id', { xmlns: MAM.stanzaIds, by: 'room@muc.capulet.lit', id: 'room-1' }),
      x('stanza-id', { xmlns: 'urn:example', by: 'juliet@capulet.lit', id: 'other-ns' }),
      x('origin-id', { xmlns: MAM.stanzaIds, id: 'origin-1' }),
    );
    stripStanzaIds(message, 'juliet@capulet.lit');
    stampStanzaId(message, 'juliet@capulet.lit', 'ours');
    const ids = message.getChildren('stanza-id').map((el) => `${el.attrs.by}=${el.attrs.id}`);
    expect(ids).toEqual(['room@muc.capulet.lit=room-1', 'juliet@capulet.lit=other-ns', 'juliet@capulet.lit=ours']);
    expect(message.getChild('origin-id', MAM.stanzaIds)?.attrs.id).toBe('origin-1');
  });
});
