/**
 * Tests for XEP-0106 JID escaping.
 *
 * References:
 * - XEP-0106 §3 (transformations), §4.1 (backslash), Table 3 examples
 */

import { describe, expect, it } from 'vitest';
import { escapeLocal, unescapeLocal } from './escape.js';
import { InvalidJidError, parseJid } from './jid.js';

// XEP-0106 examples: unescaped localpart → escaped localpart.
const examples: Array<[string, string]> = [
  ['space cadet', 'space\\20cadet'],
  ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
  ['at&t guy', 'at\\26t\\20guy'],
  ["d'artagnan", 'd\\27artagnan'],
  ['/.fanboy', '\\2f.fanboy'],
  ['::foo::', '\\3a\\3afoo\\3a\\3a'],
  ['<foo>', '\\3cfoo\\3e'],
  ['user@host', 'user\\40host'],
  ['c:\\net', 'c\\3a\\net'],
  ['c:\\\\net', 'c\\3a\\\\net'],
  ['c:\\cool stuff', 'c\\3a\\cool\\20stuff'],
  ['c:\\5commas', 'c\\3a\\5c5commas'],
];

describe('escapeLocal / unescapeLocal', () => {
  it.each(examples)('escapes %j', (raw, escaped) => {
    expect(escapeLocal(raw)).toBe(escaped);
    expect(unescapeLocal(escaped)).toBe(raw);
  });

  it('produces valid localparts', () => {
    for (const [raw] of examples) {
      const jid = parseJid(`${escapeLocal(raw)}@example.com`);
      expect(unescapeLocal(jid.local!)).toBe(raw);
    }
  });

  it('escapes a backslash only before an escape sequence', () => {
    expect(escapeLocal('a\\b')).toBe('a\\b');
    expect(escapeLocal('a\\20')).toBe('a\\5c20');
    expect(escapeLocal('\\5c')).toBe('\\5c5c');
    expect(escapeLocal('a\\2F')).toBe('a\\2F'); // upper-case hex is not a sequence
  });

  it('round-trips arbitrary strings', () => {
    for (const s of ['plain', 'a\\20b c', '\\\\', '\\5c20', 'x@y/z:w', 'é è', '\\']) {
      expect(unescapeLocal(escapeLocal(s))).toBe(s);
    }
  });

  it('unescapes in one left-to-right pass', () => {
    expect(unescapeLocal('\\5c20')).toBe('\\20');
    expect(unescapeLocal('\\5c5c')).toBe('\\5c');
    expect(unescapeLocal('\\2F')).toBe('\\2F');
    expect(unescapeLocal('\\zz')).toBe('\\zz');
  });

  it('leaves strings without special characters unchanged', () => {
    expect(escapeLocal('juliet')).toBe('juliet');
    expect(unescapeLocal('juliet')).toBe('juliet');
  });

  it('refuses leading or trailing spaces', () => {
    expect(() => escapeLocal(' a')).toThrow(InvalidJidError);
    expect(() => escapeLocal('a ')).toThrow(InvalidJidError);
  });
});
