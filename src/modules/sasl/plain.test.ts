/**
 * Tests for SASL PLAIN parsing.
 *
 * References:
 * - RFC 4616 §2, §4
 */

import { describe, expect, it } from 'vitest';
import { parsePlain } from './plain.js';

const msg = (...parts: string[]): Buffer => Buffer.from(parts.join('\0'), 'utf8');

describe('parsePlain', () => {
  it('parses without authzid', () => {
    expect(parsePlain(msg('', 'tim', 'tanstaaftanstaaf'))).toEqual({
      authzid: '',
      username: 'tim',
      password: 'tanstaaftanstaaf',
    });
  });

  it('parses with authzid (RFC 4616 §4 example)', () => {
    expect(parsePlain(msg('Ursel', 'Kurt', 'xipj3plmq'))).toEqual({
      authzid: 'Ursel',
      username: 'Kurt',
      password: 'xipj3plmq',
    });
  });

  it('keeps case and authzid verbatim', () => {
    expect(parsePlain(msg('juliet@example.com', 'Juliet', 'PassWord'))).toEqual({
      authzid: 'juliet@example.com',
      username: 'Juliet',
      password: 'PassWord',
    });
  });

  it('SASLprep-maps username and password', () => {
    expect(parsePlain(msg('', 'us\u00ader', 'pen\u00a0cil'))).toEqual({
      authzid: '',
      username: 'user',
      password: 'pen cil',
    });
    expect(parsePlain(msg('', '\u2168', 'x'))?.username).toBe('IX'); // NFKC
  });

  it('allows non-ASCII', () => {
    expect(parsePlain(msg('', 'jürgen', 'pässwörd'))).toMatchObject({ username: 'jürgen', password: 'pässwörd' });
  });

  it('rejects malformed messages', () => {
    const bad = [
      Buffer.alloc(0),
      Buffer.from('tim tanstaaf'),
      msg('tim', 'tanstaaf'),
      msg('', 'tim', 'pw', 'extra'),
      msg('', '', 'pw'),
      msg('', 'tim', ''),
      msg('', '\u00ad', 'pw'), // maps to empty
      msg('', 'tim', '\u00ad'),
      msg('', 'ti\u0007m', 'pw'), // prohibited control
      msg('', 'tim', 'p\u0007w'),
      msg('', '\u0627a', 'pw'), // bidi violation
      Buffer.concat([msg('', 'tim', ''), Buffer.from([0xff, 0xfe])]), // invalid UTF-8
      Buffer.concat([Buffer.from([0xc3]), msg('', 'tim', 'pw')]),
    ];
    for (const m of bad) expect(parsePlain(m), JSON.stringify(m.toString())).toBeUndefined();
  });
});
