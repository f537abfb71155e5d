/**
 * XEP-0106 JID escaping: lets a localpart carry the ten characters that
 * RFC 7622 excludes (space " & ' / : < > @) plus a disambiguated backslash,
 * e.g. for gateways to addressing schemes such as e-mail.
 *
 * References:
 * - XEP-0106 §3.1 (character mapping), §3.2 (escaping transformation),
 *   §3.3 (unescaping transformation), §4.1 (backslash handling)
 * - RFC 7622 §3.3.1 (characters excluded from localparts)
 */

import { InvalidJidError } from './prep.js';

const ESCAPES: Readonly<Record<string, string>> = {
  ' ': '\\20',
  '"': '\\22',
  '&': '\\26',
  "'": '\\27',
  '/': '\\2f',
  ':': '\\3a',
  '<': '\\3c',
  '>': '\\3e',
  '@': '\\40',
  '\\': '\\5c',
};

const UNESCAPES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ESCAPES).map(([ch, seq]) => [seq, ch]),
);

/**
 * A backslash is only escaped when it begins something that would otherwise
 * be read as an escape sequence (XEP-0106 §4.1), so "c:\net" stays readable.
 */
const ESCAPE_RE = /[ "&'/:<>@]|\\(?=20|22|26|27|2f|3a|3c|3e|40|5c)/g;
const UNESCAPE_RE = /\\(?:20|22|26|27|2f|3a|3c|3e|40|5c)/g;

/**
 * Escapes a user-visible localpart for use in a JID. Throws InvalidJidError
 * for a leading or trailing space, since `\20` must not begin or end an
 * escaped localpart (XEP-0106 §3.2) and silently trimming would change the
 * address.
 */
export function escapeLocal(s: string): string {
  if (s.startsWith(' ') || s.endsWith(' ')) {
    throw new InvalidJidError('a localpart must not begin or end with a space', 'localpart');
  }
  return s.replace(ESCAPE_RE, (c) => ESCAPES[c]!);
}

/**
 * Reverses escapeLocal in a single left-to-right pass, so "\5c20" yields
 * "\20" rather than a space. Sequences are lower-case hex only, as prepared
 * localparts are lower case.
 */
export function unescapeLocal(s: string): string {
  return s.replace(UNESCAPE_RE, (seq) => UNESCAPES[seq]!);
}
