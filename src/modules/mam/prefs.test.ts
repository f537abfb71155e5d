import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { parseJid } from '../../core/jid/jid.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { MAM } from './ns.js';
import { parsePrefs, prefsAllow, prefsElement, type ArchivePrefs } from './prefs.js';

const jids = (...list: string[]) => list.map((j) => x('jid', {}, j));

describe('archiving preferences', () => {
  it('parses and serialises default, always and never, normalising JIDs', () => {
    const prefs = parsePrefs(
      x('prefs', { xmlns: MAM.ns, default: 'roster' }, x('always', {}, ...jids('Romeo@Montague.lit', 'romeo@montague.lit')), x('never', {}, ...jids('tybalt@capulet.lit/sword'))),
    );
    expect(prefs).toEqual({ default: 'roster', always: ['romeo@montague.lit'], never: ['tybalt@capulet.lit/sword'] });
    expect(prefsElement(prefs).toString()).toBe(
      "<prefs xmlns='urn:xmpp:mam:2' default='roster'><always><jid>romeo@montague.lit</jid></always><never><jid>tybalt@capulet.lit/sword</jid></never></prefs>",
    );
    expect(parsePrefs(x('prefs', { default: 'never' }))).toEqual({ default: 'never', always: [], never: [] });
  });

  it('refuses a missing or unknown default and bad JIDs', () => {
    for (const el of [x('prefs'), x('prefs', { default: 'sometimes' }), x('prefs', { default: 'always' }, x('never', {}, ...jids('a@b@c')))]) {
      expect(() => parsePrefs(el)).toThrow(StanzaError);
    }
  });

  it('applies lists before the default, never before always, bare entries to every resource', async () => {
    const prefs: ArchivePrefs = { default: 'always', always: ['nurse@capulet.lit'], never: ['tybalt@capulet.lit', 'nurse@capulet.lit', 'paris@verona.lit/horse'] };
    const allow = (jid: string, inRoster = false) => prefsAllow(prefs, parseJid(jid), async () => inRoster);
    expect(await allow('romeo@montague.lit')).toBe(true);
    expect(await allow('tybalt@capulet.lit/sword')).toBe(false);
    expect(await allow('nurse@capulet.lit')).toBe(false);
    expect(await allow('paris@verona.lit/horse')).toBe(false);
    expect(await allow('paris@verona.lit/carriage')).toBe(true);
    const never: ArchivePrefs = { default: 'never', always: ['romeo@montague.lit'], never: [] };
    expect(await prefsAllow(never, parseJid('romeo@montague.lit/orchard'), async () => false)).toBe(true);
    expect(await prefsAllow(never, parseJid('benvolio@montague.lit'), async () => true)).toBe(false);
    const roster: ArchivePrefs = { default: 'roster', always: [], never: [] };
    expect(await prefsAllow(roster, parseJid('benvolio@montague.lit'), async () => true)).toBe(true);
    expect(await prefsAllow(roster, parseJid('benvolio@montague.lit'), async () => false)).toBe(false);
  });
});
