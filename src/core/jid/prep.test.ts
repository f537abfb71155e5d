/**
 * Tests for JID part preparation and enforcement.
 *
 * References:
 * - RFC 7622 §3.2–3.4
 * - RFC 8265 §3.3, §4.2
 * - RFC 8264 §9
 */

import { describe, expect, it } from 'vitest';
import {
  InvalidJidError,
  _prepDomainpartSlow,
  _prepLocalpartSlow,
  _prepResourcepartSlow,
  prepDomainpart,
  prepLocalpart,
  prepResourcepart,
} from './prep.js';

describe('prepLocalpart', () => {
  it('passes canonical ASCII through', () => {
    expect(prepLocalpart('juliet')).toBe('juliet');
    expect(prepLocalpart('foo\\20bar')).toBe('foo\\20bar');
    expect(prepLocalpart('a.b-c_d+e!#$%()*,;=?[]^`{|}~')).toBe('a.b-c_d+e!#$%()*,;=?[]^`{|}~');
  });

  it('lower-cases', () => {
    expect(prepLocalpart('Juliet')).toBe('juliet');
    expect(prepLocalpart('ROMEO')).toBe('romeo');
    expect(prepLocalpart('Σ')).toBe('σ');
    expect(prepLocalpart('ÄÖÜ')).toBe('äöü');
  });

  it('keeps distinct characters distinct (no case folding of ß, ς)', () => {
    expect(prepLocalpart('fußball')).toBe('fußball');
    expect(prepLocalpart('fussball')).toBe('fussball');
    expect(prepLocalpart('ς')).toBe('ς');
    expect(prepLocalpart('π')).toBe('π');
  });

  it('normalises to NFC', () => {
    const decomposed = 'jose\u0301';
    expect(prepLocalpart(decomposed)).toBe('jos\u00e9');
    expect(prepLocalpart('JOSE\u0301')).toBe('jos\u00e9');
    // Hangul jamo sequence composes to a syllable.
    expect(prepLocalpart('\u1112\u1161\u11ab')).toBe('\ud55c');
  });

  it('maps fullwidth and halfwidth forms', () => {
    expect(prepLocalpart('ＪＵＬＩＥＴ')).toBe('juliet');
    expect(prepLocalpart('ｊｕｌｉｅｔ')).toBe('juliet');
    // Halfwidth katakana KA + halfwidth voiced mark → GA.
    expect(prepLocalpart('\uff76\uff9e')).toBe('\u30ac');
  });

  it('rejects excluded JID characters', () => {
    for (const c of ['"', '&', "'", '/', ':', '<', '>', '@']) {
      expect(() => prepLocalpart(`a${c}b`), c).toThrow(InvalidJidError);
    }
    // Fullwidth '@' maps to '@' and is then rejected.
    expect(() => prepLocalpart('a＠b')).toThrow(InvalidJidError);
  });

  it('rejects spaces, controls and ignorables', () => {
    for (const s of ['foo bar', 'a\tb', 'a\u0000b', 'a\u007fb', 'a\u0085b', 'a\u00a0b', 'a\u3000b', 'a\u2028b', 'a\u00adb', 'a\u200db', 'a\ufe0fb']) {
      expect(() => prepLocalpart(s), JSON.stringify(s)).toThrow(InvalidJidError);
    }
  });

  it('rejects surrogates, noncharacters, private use and unassigned code points', () => {
    for (const s of ['a\ud800b', 'a\udc00', 'a\ufffeb', 'a\uffffb', 'a\ufdd0b', 'a\u{1fffe}', 'a\ue000b', 'a\u{10ffff}', 'a\u0378b']) {
      expect(() => prepLocalpart(s), JSON.stringify(s)).toThrow(InvalidJidError);
    }
  });

  it('rejects symbols, punctuation and compatibility characters (IdentifierClass)', () => {
    expect(() => prepLocalpart('♚')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('henryⅣ')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('a😀')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('ﬁ')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('a\u2019b')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('a\u00b2')).toThrow(InvalidJidError);
  });

  it('applies the contextual rules of RFC 5892', () => {
    expect(prepLocalpart('l\u00b7l')).toBe('l\u00b7l');
    expect(() => prepLocalpart('a\u00b7b')).toThrow(InvalidJidError);
    expect(prepLocalpart('\u05d0\u05f3')).toBe('\u05d0\u05f3');
    expect(() => prepLocalpart('a\u05f3')).toThrow(InvalidJidError);
    expect(prepLocalpart('\u30a2\u30fb\u30a4')).toBe('\u30a2\u30fb\u30a4');
    expect(() => prepLocalpart('a\u30fbb')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('\u0627\u0661\u06f1')).toThrow(InvalidJidError);
    // Exceptions: U+0640 ARABIC TATWEEL is disallowed.
    expect(() => prepLocalpart('\u0628\u0640\u0628')).toThrow(InvalidJidError);
  });

  it('applies the Bidi Rule to right-to-left strings', () => {
    expect(prepLocalpart('\u05e9\u05dc\u05d5\u05dd')).toBe('\u05e9\u05dc\u05d5\u05dd');
    expect(prepLocalpart('\u05d0.1')).toBe('\u05d0.1');
    expect(prepLocalpart('\u0627\u0644\u0639\u0631\u0628\u064a\u0629')).toBe('\u0627\u0644\u0639\u0631\u0628\u064a\u0629');
    // Starts with LTR, mixes LTR letters in, or ends with a neutral.
    expect(() => prepLocalpart('a\u05d0')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('\u05d0a\u05d1')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('\u05d0.')).toThrow(InvalidJidError);
    expect(() => prepLocalpart('1\u05d0')).toThrow(InvalidJidError);
    // LTR-only strings are unaffected.
    expect(prepLocalpart('1abc')).toBe('1abc');
  });

  it('enforces length limits', () => {
    expect(prepLocalpart('a'.repeat(1023))).toBe('a'.repeat(1023));
    expect(() => prepLocalpart('a'.repeat(1024))).toThrow(InvalidJidError);
    // 511 × 2 bytes + 1 = 1023 bytes is fine; one more 2-byte char is not.
    expect(prepLocalpart('é'.repeat(511) + 'a')).toHaveLength(512);
    expect(() => prepLocalpart('é'.repeat(512))).toThrow(InvalidJidError);
    expect(() => prepLocalpart('A'.repeat(100_000))).toThrow(InvalidJidError);
  });

  it('rejects empty', () => {
    expect(() => prepLocalpart('')).toThrow(InvalidJidError);
  });

  it('reports the failing part', () => {
    try {
      prepLocalpart('a b');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidJidError);
      expect((err as InvalidJidError).part).toBe('localpart');
      expect((err as Error).name).toBe('InvalidJidError');
    }
  });
});

describe('prepResourcepart', () => {
  it('keeps case and ASCII verbatim, including spaces and separators', () => {
    expect(prepResourcepart('Balcony')).toBe('Balcony');
    expect(prepResourcepart('foo bar')).toBe('foo bar');
    expect(prepResourcepart(' foo ')).toBe(' foo ');
    expect(prepResourcepart('foo@bar/baz')).toBe('foo@bar/baz');
  });

  it('allows symbols, punctuation and compatibility characters (FreeformClass)', () => {
    expect(prepResourcepart('♚')).toBe('♚');
    expect(prepResourcepart('Ⅳ')).toBe('Ⅳ');
    expect(prepResourcepart('John\u2019s phone 😀')).toBe('John\u2019s phone 😀');
    expect(prepResourcepart('ＦＵＬＬ')).toBe('ＦＵＬＬ');
  });

  it('maps non-ASCII spaces to U+0020', () => {
    expect(prepResourcepart('a\u00a0b\u2003c\u3000d')).toBe('a b c d');
  });

  it('normalises to NFC without case mapping', () => {
    expect(prepResourcepart('JOSE\u0301')).toBe('JOS\u00c9');
    expect(prepResourcepart('\u212b')).toBe('\u00c5'); // ANGSTROM SIGN singleton
  });

  it('rejects controls, surrogates, noncharacters, ignorables and unassigned', () => {
    for (const s of ['a\tb', 'a\nb', 'a\u0000', 'a\u007f', 'a\ud800', 'a\udfff', 'a\ufffe', 'a\ufdd0', 'a\u00ad', 'a\u200b', 'a\u0378', 'a\ue000', 'a\u2029']) {
      expect(() => prepResourcepart(s), JSON.stringify(s)).toThrow(InvalidJidError);
    }
  });

  it('enforces length limits and non-emptiness', () => {
    expect(() => prepResourcepart('')).toThrow(InvalidJidError);
    expect(prepResourcepart('x'.repeat(1023))).toHaveLength(1023);
    expect(() => prepResourcepart('x'.repeat(1024))).toThrow(InvalidJidError);
    expect(() => prepResourcepart('♚'.repeat(342))).toThrow(InvalidJidError); // 1026 bytes
    expect(prepResourcepart('♚'.repeat(341))).toHaveLength(341); // 1023 bytes
  });
});

describe('prepDomainpart', () => {
  it('accepts and lower-cases domain names', () => {
    expect(prepDomainpart('example.com')).toBe('example.com');
    expect(prepDomainpart('EXAMPLE.com')).toBe('example.com');
    expect(prepDomainpart('localhost')).toBe('localhost');
    expect(prepDomainpart('a-b.c9.example')).toBe('a-b.c9.example');
  });

  it('strips exactly one trailing dot', () => {
    expect(prepDomainpart('example.com.')).toBe('example.com');
    expect(() => prepDomainpart('example.com..')).toThrow(InvalidJidError);
    expect(() => prepDomainpart('.')).toThrow(InvalidJidError);
  });

  it('keeps internationalised names in Unicode form', () => {
    expect(prepDomainpart('éxample.com')).toBe('éxample.com');
    expect(prepDomainpart('ÉXAMPLE.COM')).toBe('éxample.com');
    expect(prepDomainpart('xn--xample-9ua.com')).toBe('éxample.com');
    expect(prepDomainpart('faß.de')).toBe('faß.de');
    expect(prepDomainpart('ＥＸＡＭＰＬＥ.com')).toBe('example.com');
    expect(prepDomainpart('example\u3002com')).toBe('example.com');
    expect(prepDomainpart('\u05d0\u05d1.com')).toBe('\u05d0\u05d1.com');
  });

  it('accepts IP literals', () => {
    expect(prepDomainpart('127.0.0.1')).toBe('127.0.0.1');
    expect(prepDomainpart('[::1]')).toBe('[::1]');
    expect(prepDomainpart('[0:0:0:0:0:0:0:1]')).toBe('[::1]');
    expect(prepDomainpart('[2001:DB8::1]')).toBe('[2001:db8::1]');
  });

  it('rejects invalid domains', () => {
    for (const d of [
      '',
      'exa mple.com',
      'a..b',
      '.example.com',
      'a@b',
      'a/b',
      'a?b',
      'a#b',
      'a\\b',
      'a%41',
      'a／b',
      'a＠b',
      'a:5222',
      'a_b.com',
      '-a.com',
      'a-.com',
      'ab--cd.com',
      'xn--a.com',
      'example.123',
      '127.1',
      '0x7f.0.0.1',
      '256.1.1.1',
      '::1',
      '[::1',
      '[example.com]',
      '[fe80::1%eth0]',
      'a\u200db.com',
      'a\u05d0.com',
      `${'x'.repeat(64)}.com`,
      'x'.repeat(1024),
    ]) {
      expect(() => prepDomainpart(d), JSON.stringify(d)).toThrow(InvalidJidError);
    }
  });

  it('enforces the 1023-byte limit', () => {
    const label = 'a'.repeat(63);
    const long = Array.from({ length: 16 }, () => label).join('.'); // 1023 bytes
    expect(prepDomainpart(long)).toBe(long);
    expect(() => prepDomainpart(`${long}.b`)).toThrow(InvalidJidError);
  });
});

describe('idempotence and fast/slow path agreement', () => {
  const locals = ['juliet', 'Juliet', 'fußball', 'Σ', 'jose\u0301', 'ＪＵＬＩＥＴ', '\u05d0.1', 'l\u00b7l', 'x!#$%'];
  const resources = ['Balcony', 'foo bar', ' x ', '♚', 'a\u00a0b', 'JOSE\u0301', 'a@b/c'];
  const domains = ['example.com', 'EXAMPLE.com', 'éxample.com', 'xn--xample-9ua.com', '127.0.0.1', '[::1]', 'example.com.'];

  it('slow path equals fast path', () => {
    for (const s of locals) expect(_prepLocalpartSlow(s)).toBe(prepLocalpart(s));
    for (const s of resources) expect(_prepResourcepartSlow(s)).toBe(prepResourcepart(s));
    for (const s of domains) expect(_prepDomainpartSlow(s)).toBe(prepDomainpart(s));
  });

  it('preparing twice changes nothing', () => {
    for (const s of locals) expect(prepLocalpart(prepLocalpart(s))).toBe(prepLocalpart(s));
    for (const s of resources) expect(prepResourcepart(prepResourcepart(s))).toBe(prepResourcepart(s));
    for (const s of domains) expect(prepDomainpart(prepDomainpart(s))).toBe(prepDomainpart(s));
  });
});
