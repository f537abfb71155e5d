/**
 * Tests for JID parsing, formatting, comparison and the parse cache.
 *
 * References:
 * - RFC 7622 §3.1 (splitting), §3.5 (examples)
 */

import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidJidError, JID, clearJidCache, jidCacheSize, parseJid, tryParseJid } from './jid.js';

beforeEach(() => clearJidCache());

describe('parseJid: RFC 7622 §3.5 examples', () => {
  const valid: Array<[string, string | undefined, string, string | undefined, string]> = [
    // input, local, domain, resource, canonical
    ['juliet@example.com', 'juliet', 'example.com', undefined, 'juliet@example.com'],
    ['juliet@example.com/foo', 'juliet', 'example.com', 'foo', 'juliet@example.com/foo'],
    ['juliet@example.com/foo bar', 'juliet', 'example.com', 'foo bar', 'juliet@example.com/foo bar'],
    ['juliet@example.com/foo@bar', 'juliet', 'example.com', 'foo@bar', 'juliet@example.com/foo@bar'],
    ['foo\\20bar@example.com', 'foo\\20bar', 'example.com', undefined, 'foo\\20bar@example.com'],
    ['fussball@example.com', 'fussball', 'example.com', undefined, 'fussball@example.com'],
    ['fußball@example.com', 'fußball', 'example.com', undefined, 'fußball@example.com'],
    ['π@example.com', 'π', 'example.com', undefined, 'π@example.com'],
    ['Σ@example.com/foo', 'σ', 'example.com', 'foo', 'σ@example.com/foo'],
    ['σ@example.com/foo', 'σ', 'example.com', 'foo', 'σ@example.com/foo'],
    ['ς@example.com/foo', 'ς', 'example.com', 'foo', 'ς@example.com/foo'],
    ['king@example.com/♚', 'king', 'example.com', '♚', 'king@example.com/♚'],
    ['example.com', undefined, 'example.com', undefined, 'example.com'],
    ['example.com/foobar', undefined, 'example.com', 'foobar', 'example.com/foobar'],
    ['a.example.com/b@example.net', undefined, 'a.example.com', 'b@example.net', 'a.example.com/b@example.net'],
  ];

  it.each(valid)('accepts %s', (input, local, domain, resource, canonical) => {
    const jid = parseJid(input);
    expect(jid.local).toBe(local);
    expect(jid.domain).toBe(domain);
    expect(jid.resource).toBe(resource);
    expect(jid.toString()).toBe(canonical);
  });

  const invalid = [
    '"juliet"@example.com',
    'foo bar@example.com',
    'henryⅣ@example.com',
    '♚@example.com',
    '@example.com',
    'henry@example.com/',
    '@example.com/',
    'juliet@',
    '/foobar',
  ];

  it.each(invalid)('rejects %s', (input) => {
    expect(() => parseJid(input)).toThrow(InvalidJidError);
    expect(tryParseJid(input)).toBeUndefined();
  });
});

describe('parseJid: splitting and preparation', () => {
  it('splits on the first slash, then the first @ before it', () => {
    const jid = parseJid('a@b.example/c@d/e');
    expect(jid.local).toBe('a');
    expect(jid.domain).toBe('b.example');
    expect(jid.resource).toBe('c@d/e');
    expect(() => parseJid('a@b@c.example')).toThrow(InvalidJidError);
  });

  it('prepares every part', () => {
    const jid = parseJid('ＪＵＬＩＥＴ@EXAMPLE.COM./Balcony');
    expect(jid.toString()).toBe('juliet@example.com/Balcony');
    expect(parseJid('jose\u0301@ÉXAMPLE.com').toString()).toBe('jos\u00e9@éxample.com');
    expect(parseJid('user@xn--xample-9ua.com').domain).toBe('éxample.com');
    expect(parseJid('room@[::1]/nick').domain).toBe('[::1]');
    expect(parseJid('user@192.0.2.1').domain).toBe('192.0.2.1');
  });

  it('rejects parts that are too long', () => {
    const l1023 = 'l'.repeat(1023);
    const r1023 = 'r'.repeat(1023);
    expect(parseJid(`${l1023}@example.com/${r1023}`).toString()).toHaveLength(1023 * 2 + 13);
    expect(() => parseJid(`${l1023}l@example.com`)).toThrow(InvalidJidError);
    expect(() => parseJid(`user@example.com/${r1023}r`)).toThrow(InvalidJidError);
    expect(() => parseJid(`user@${'d'.repeat(1024)}`)).toThrow(InvalidJidError);
  });

  it('rejects empty and separator-only strings', () => {
    for (const s of ['', '@', '/', '@/', 'a@/', 'example.com/', 'a@example.com/']) {
      expect(() => parseJid(s), JSON.stringify(s)).toThrow(InvalidJidError);
    }
  });

  it('tryParseJid returns the JID for valid input', () => {
    expect(tryParseJid('Romeo@Example.net/Orchard')?.toString()).toBe('romeo@example.net/Orchard');
  });
});

describe('JID', () => {
  it('bare / isBare / bareString', () => {
    const full = parseJid('juliet@example.com/balcony');
    expect(full.isBare).toBe(false);
    const bare = full.bare();
    expect(bare.isBare).toBe(true);
    expect(bare.toString()).toBe('juliet@example.com');
    expect(full.bareString()).toBe('juliet@example.com');
    expect(full.bare()).toBe(bare); // memoised
    expect(bare.bare()).toBe(bare);
    expect(parseJid('example.com/x').bareString()).toBe('example.com');
  });

  it('equals compares canonical forms', () => {
    expect(parseJid('Juliet@Example.com/x').equals(parseJid('juliet@example.com/x'))).toBe(true);
    expect(parseJid('juliet@example.com/x').equals(parseJid('juliet@example.com/X'))).toBe(false);
    expect(parseJid('juliet@example.com').equals(parseJid('juliet@example.com/x'))).toBe(false);
    expect(parseJid('example.com').equals(parseJid('example.com'))).toBe(true);
    expect(parseJid('a@example.com').equals(parseJid('example.com'))).toBe(false);
  });

  it('withResource prepares the new resource', () => {
    const bare = parseJid('juliet@example.com');
    const full = bare.withResource('a\u00a0b');
    expect(full.toString()).toBe('juliet@example.com/a b');
    expect(full.bare().equals(bare)).toBe(true);
    expect(() => bare.withResource('')).toThrow(InvalidJidError);
    expect(() => bare.withResource('a\u0000')).toThrow(InvalidJidError);
  });

  it('create prepares parts without splitting', () => {
    const jid = JID.create('Juliet', 'EXAMPLE.com', 'a/b@c');
    expect(jid.toString()).toBe('juliet@example.com/a/b@c');
    expect(JID.create(undefined, 'example.com').toString()).toBe('example.com');
    expect(() => JID.create('a@b', 'example.com')).toThrow(InvalidJidError);
    expect(() => JID.create('', 'example.com')).toThrow(InvalidJidError);
  });

  it('serialises to its string form', () => {
    expect(`${parseJid('A@B.example/C')}`).toBe('a@b.example/C');
    expect(JSON.stringify({ to: parseJid('a@b.example') })).toBe('{"to":"a@b.example"}');
  });
});

describe('parse cache', () => {
  it('returns the same instance for the same string', () => {
    const a = parseJid('juliet@example.com/balcony');
    expect(parseJid('juliet@example.com/balcony')).toBe(a);
  });

  it('returns the same instance for the canonical form', () => {
    const a = parseJid('Juliet@EXAMPLE.com/balcony');
    expect(parseJid('juliet@example.com/balcony')).toBe(a);
  });

  it('returns equal objects after eviction', () => {
    const a = parseJid('juliet@example.com');
    for (let i = 0; i < 20_000; i++) parseJid(`u${i}@example.com`);
    const b = parseJid('juliet@example.com');
    expect(b.equals(a)).toBe(true);
    expect(b.toString()).toBe(a.toString());
  });

  it('stays bounded', () => {
    for (let i = 0; i < 25_000; i++) parseJid(`u${i}@example.com/r`);
    expect(jidCacheSize()).toBeLessThanOrEqual(10_000);
  });

  it('keeps recently used entries across a rotation', () => {
    const hot = parseJid('hot@example.com');
    for (let i = 0; i < 12_000; i++) {
      parseJid(`u${i}@example.com`);
      if (i % 1000 === 0) expect(parseJid('hot@example.com')).toBe(hot);
    }
    expect(parseJid('hot@example.com')).toBe(hot);
  });

  it('does not cache failures', () => {
    expect(() => parseJid('@bad')).toThrow(InvalidJidError);
    expect(jidCacheSize()).toBe(0);
  });
});
