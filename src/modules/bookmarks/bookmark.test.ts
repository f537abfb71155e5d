import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { PubsubError } from '../pubsub/index.js';
import { BOOKMARKS_NODE, fromConference, fromLegacyStorage, legacyUrls, LEGACY_NS, sameLegacyFields, toConference, toLegacyStorage } from './bookmark.js';

const conference = x(
  'conference',
  { xmlns: BOOKMARKS_NODE, name: 'The Play', autojoin: '1' },
  x('nick', {}, 'JC'),
  x('password', {}, 'Gl0b3'),
  x('extensions', {}, x('state', { xmlns: 'urn:example' })),
);

describe('XEP-0402 conference items', () => {
  it('reads and writes every field, extensions included', () => {
    const bookmark = fromConference('theplay@conference.shakespeare.lit', conference);
    expect(bookmark).toMatchObject({ jid: 'theplay@conference.shakespeare.lit', name: 'The Play', autojoin: true, nick: 'JC', password: 'Gl0b3' });
    const written = toConference(bookmark);
    expect(written.attrs.autojoin).toBe('true');
    expect(fromConference('theplay@conference.shakespeare.lit', written)).toEqual(bookmark);
    expect(written.getChild('extensions')!.getChild('state', 'urn:example')).toBeDefined();
  });

  it('refuses other payloads and item ids that are not room JIDs', () => {
    expect(() => fromConference('room@muc.example', x('conference', { xmlns: 'storage:bookmarks' }))).toThrowError(PubsubError);
    expect(() => fromConference('not a jid@@', conference)).toThrowError(PubsubError);
    expect(() => fromConference('muc.example', conference)).toThrowError(PubsubError);
    expect(() => fromConference('room@muc.example/nick', conference)).toThrowError(PubsubError);
  });
});

describe('legacy XEP-0048 storage', () => {
  it('casts bookmarks into storage:bookmarks with the jid attribute (XEP-0402 §5.3.1)', () => {
    const storage = toLegacyStorage([fromConference('a@muc.example', conference)], [x('url', { name: 'Site', url: 'https://example' })]);
    expect(storage.attrs.xmlns).toBe(LEGACY_NS);
    const c = storage.getChild('conference')!;
    expect(c.attrs).toMatchObject({ jid: 'a@muc.example', name: 'The Play', autojoin: 'true' });
    expect(c.getChildText('nick')).toBe('JC');
    expect(c.getChild('extensions')).toBeUndefined();
    expect(legacyUrls(storage)[0].attrs.url).toBe('https://example');
  });

  it('reads conferences, skipping ones without a room JID and keeping the last duplicate', () => {
    const storage = x(
      'storage',
      { xmlns: LEGACY_NS },
      x('conference', { jid: 'a@muc.example', autojoin: 'true', name: 'first' }),
      x('conference', { name: 'no jid' }),
      x('conference', { jid: 'A@muc.example', autojoin: 'false', name: 'second' }, x('nick', {}, 'R')),
    );
    const bookmarks = fromLegacyStorage(storage);
    expect(bookmarks).toEqual([{ jid: 'a@muc.example', name: 'second', autojoin: false, nick: 'R', password: undefined }]);
    expect(sameLegacyFields(bookmarks[0], { ...bookmarks[0], extensions: x('extensions') })).toBe(true);
  });
});
