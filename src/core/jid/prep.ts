/**
 * Preparation and enforcement of the three JID parts: localpart
 * (PRECIS UsernameCaseMapped), resourcepart (PRECIS OpaqueString) and
 * domainpart (IDNA2008 via the WHATWG URL host parser).
 *
 * The PRECIS string classes are approximated with Unicode property escapes
 * of the running V8 (so the Unicode version is Node's, not the one pinned by
 * the RFCs). Join controls (CONTEXTJ) are always rejected, and the Bidi Rule
 * is approximated by script rather than by the Bidi_Class property, which
 * JavaScript regular expressions cannot query.
 *
 * Every function either returns the canonical form or throws InvalidJidError.
 * Pure-ASCII inputs that are already canonical take a fast path that skips
 * normalisation, because the router prepares every stanza's to/from.
 *
 * References:
 * - RFC 7622 §3.2 (domainpart), §3.3 (localpart), §3.4 (resourcepart)
 * - RFC 8264 §4.2 (IdentifierClass), §4.3 (FreeformClass), §8 (code point
 *   categories), §9 (derived property values)
 * - RFC 8265 §3.3 (UsernameCaseMapped), §4.2 (OpaqueString)
 * - RFC 5892 §2.6 (exceptions), Appendix A (contextual rules)
 * - RFC 5893 §2 (the Bidi Rule)
 * - RFC 5890/5891 (IDNA2008 labels), RFC 3986 §3.2.2 (IP literals)
 */

import { domainToASCII, domainToUnicode } from 'node:url';
import { isIPv6 } from 'node:net';

/** Thrown for any string that is not a valid JID or JID part. */
export class InvalidJidError extends Error {
  override readonly name = 'InvalidJidError';
  constructor(
    message: string,
    /** Which part failed, for diagnostics. */
    readonly part: 'jid' | 'localpart' | 'domainpart' | 'resourcepart' = 'jid',
  ) {
    super(message);
  }
}

/** RFC 7622 §3.2–3.4: each part is at most 1023 octets of UTF-8. */
export const MAX_PART_BYTES = 1023;

/**
 * Inputs longer than this (UTF-16 units) are rejected before any Unicode
 * work. Normalisation can shrink a string, but never by 4x, so nothing valid
 * is lost; it only stops huge attributes from costing NFC/NFKC time.
 */
const MAX_RAW_LENGTH = MAX_PART_BYTES * 4;

// --- fast paths ------------------------------------------------------------

/**
 * Printable ASCII minus upper case and the RFC 7622 §3.3.1 localpart
 * exclusions `"&'/:<>@`. Anything matching is already canonical.
 */
const FAST_LOCAL = /^[\x21\x23-\x25\x28-\x2E\x30-\x39\x3B\x3D\x3F\x5B-\x7E]{1,1023}$/;
/** Printable ASCII plus space: always canonical for OpaqueString. */
const FAST_RESOURCE = /^[\x20-\x7E]{1,1023}$/;
/** Lower-case LDH with dots; further label checks happen in checkLdhLabels. */
const FAST_DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

// --- code point classes (RFC 8264 §8, RFC 5892 §2.6) ------------------------

/** RFC 5892 §2.6 exceptions that are PVALID despite their category. */
const EXC_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
/** RFC 5892 §2.6 exceptions that are DISALLOWED despite their category. */
const EXC_DISALLOWED = new Set([
  0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b,
]);

/**
 * Disallowed in both PRECIS classes: controls, surrogates, private use,
 * unassigned (which includes noncharacters), format characters (including
 * the CONTEXTJ joiners, which we do not attempt to validate), line/paragraph
 * separators, default-ignorables and old Hangul jamo (RFC 8264 §9.5–9.9).
 */
const DISALLOWED_COMMON =
  /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\u1100-\u11FF\uA960-\uA97C\uD7B0-\uD7C6\uD7CB-\uD7FB]/u;

/** RFC 8264 §9.1 LetterDigits: the only non-ASCII the IdentifierClass allows. */
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;

/** Halfwidth and fullwidth forms plus the ideographic space (RFC 8265 §3.3.1 width mapping). */
const WIDE_NARROW = /[\u3000\uFF01-\uFFEE]/g;

/** Non-ASCII spaces (Zs), mapped to U+0020 by OpaqueString (RFC 8265 §4.2.1). */
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;

/** Whether the string contains anything outside printable ASCII + space. */
const NON_ASCII = /[^\x20-\x7E]/;

const JID_LOCAL_EXCLUDED = new Set(['"', '&', "'", '/', ':', '<', '>', '@']);

const CONTEXT_SCRIPTS = {
  greek: /^\p{Script=Greek}$/u,
  hebrew: /^\p{Script=Hebrew}$/u,
  kana: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u,
};

/**
 * RFC 5892 Appendix A CONTEXTO rules. Returns undefined when `cp` is not a
 * CONTEXTO code point, otherwise whether its context is satisfied.
 */
function contextO(cps: number[], i: number, str: string): boolean | undefined {
  const cp = cps[i]!;
  switch (cp) {
    case 0x00b7: // MIDDLE DOT: only between two 'l' (Catalan)
      return cps[i - 1] === 0x6c && cps[i + 1] === 0x6c;
    case 0x0375: {
      // GREEK LOWER NUMERAL SIGN: followed by Greek
      const next = cps[i + 1];
      return next !== undefined && CONTEXT_SCRIPTS.greek.test(String.fromCodePoint(next));
    }
    case 0x05f3:
    case 0x05f4: {
      // HEBREW GERESH / GERSHAYIM: preceded by Hebrew
      const prev = cps[i - 1];
      return prev !== undefined && CONTEXT_SCRIPTS.hebrew.test(String.fromCodePoint(prev));
    }
    case 0x30fb: // KATAKANA MIDDLE DOT: some Hiragana, Katakana or Han in the string
      return CONTEXT_SCRIPTS.kana.test(str.replaceAll('\u30fb', ''));
    default:
      if (cp >= 0x0660 && cp <= 0x0669) return !/[\u06F0-\u06F9]/.test(str);
      if (cp >= 0x06f0 && cp <= 0x06f9) return !/[\u0660-\u0669]/.test(str);
      return undefined;
  }
}

/**
 * Checks every code point against a PRECIS string class (RFC 8264 §9
 * derived property algorithm, approximated). `identifier` selects the
 * IdentifierClass, otherwise the FreeformClass.
 */
function checkClass(str: string, identifier: boolean, part: InvalidJidError['part']): void {
  const cps = Array.from(str, (c) => c.codePointAt(0)!);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (EXC_PVALID.has(cp)) continue;
    if (EXC_DISALLOWED.has(cp)) throw disallowed(cp, part);
    const ctx = contextO(cps, i, str);
    if (ctx === false) throw disallowed(cp, part);
    if (ctx === true) continue;
    // ASCII7 is valid in both classes; FreeformClass also allows the space.
    if (cp >= 0x21 && cp <= 0x7e) continue;
    if (cp === 0x20 && !identifier) continue;
    const ch = String.fromCodePoint(cp);
    if (DISALLOWED_COMMON.test(ch)) throw disallowed(cp, part);
    if (!identifier) continue; // everything else is FREE_PVAL (§9.11–9.17)
    // IdentifierClass: HasCompat, OtherLetterDigits, Spaces, Symbols and
    // Punctuation are all ID_DIS, leaving only LetterDigits.
    if (ch.normalize('NFKC') !== ch || !LETTER_DIGITS.test(ch)) throw disallowed(cp, part);
  }
}

function disallowed(cp: number, part: InvalidJidError['part']): InvalidJidError {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return new InvalidJidError(`${part} contains disallowed code point U+${hex}`, part);
}

// --- directionality (RFC 5893 §2, approximated) ------------------------------

/** Strong right-to-left letters (Bidi_Class R or AL), approximated by script. */
const RTL_LETTER =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Mende_Kikakui}]/u;
const RTL_ANY = new RegExp(`${RTL_LETTER.source}|[\\u0660-\\u0669]`, 'u');
/** Arabic-Indic digits: Bidi_Class AN. */
const ARABIC_NUMBER = /[\u0660-\u0669]/;
/** European digits: Bidi_Class EN. */
const EUROPEAN_NUMBER = /[0-9\u06F0-\u06F9]/;

/**
 * The Bidi Rule, applied only to strings containing right-to-left code
 * points (RFC 8265 §3.3.1 step 4, RFC 5893 §2 conditions 1–4). Strings
 * without RTL characters are unaffected, so the LTR conditions 5–6 are never
 * needed here.
 */
function checkBidi(str: string, part: InvalidJidError['part']): void {
  if (!RTL_ANY.test(str)) return;
  const chars = Array.from(str);
  const fail = (): InvalidJidError =>
    new InvalidJidError(`${part} violates the Bidi Rule`, part);
  // 1: an RTL string must begin with R or AL.
  if (!RTL_LETTER.test(chars[0]!)) throw fail();
  for (const c of chars) {
    if (RTL_LETTER.test(c)) continue;
    // 2: no left-to-right characters: letters, spacing marks, and digits
    // other than EN/AN are Bidi_Class L.
    if (/^[\p{L}\p{Mc}]$/u.test(c)) throw fail();
    if (/^\p{Nd}$/u.test(c) && !ARABIC_NUMBER.test(c) && !EUROPEAN_NUMBER.test(c)) throw fail();
  }
  // 3: must end with R, AL, EN or AN, optionally followed by marks (NSM).
  let end = chars.length - 1;
  while (end > 0 && /^\p{Mn}$/u.test(chars[end]!)) end--;
  const last = chars[end]!;
  if (!RTL_LETTER.test(last) && !ARABIC_NUMBER.test(last) && !EUROPEAN_NUMBER.test(last)) {
    throw fail();
  }
  // 4: EN and AN must not both be present.
  if (ARABIC_NUMBER.test(str) && EUROPEAN_NUMBER.test(str)) throw fail();
}

// --- helpers ----------------------------------------------------------------

function checkRaw(input: string, part: InvalidJidError['part']): void {
  if (input.length === 0) throw new InvalidJidError(`${part} is empty`, part);
  if (input.length > MAX_RAW_LENGTH) throw new InvalidJidError(`${part} is too long`, part);
}

function checkBytes(str: string, part: InvalidJidError['part']): void {
  if (str.length === 0) throw new InvalidJidError(`${part} is empty`, part);
  if (Buffer.byteLength(str, 'utf8') > MAX_PART_BYTES) {
    throw new InvalidJidError(`${part} is longer than ${MAX_PART_BYTES} bytes`, part);
  }
}

// --- localpart --------------------------------------------------------------

/**
 * Prepares and enforces a localpart (RFC 7622 §3.3, RFC 8265 §3.3
 * UsernameCaseMapped). Returns the canonical form or throws.
 */
export function prepLocalpart(input: string): string {
  if (FAST_LOCAL.test(input)) return input;
  return _prepLocalpartSlow(input);
}

/** @internal The full algorithm without the fast path; exported for tests. */
export function _prepLocalpartSlow(input: string): string {
  const part = 'localpart';
  checkRaw(input, part);
  // RFC 8265 §3.3.2 order: width mapping, case mapping, normalisation. An
  // NFC before lower-casing keeps case mapping working on composed forms.
  let s = input.replace(WIDE_NARROW, (c) => c.normalize('NFKC'));
  s = s.normalize('NFC').toLowerCase().normalize('NFC');
  checkBytes(s, part);
  for (const c of s) {
    if (JID_LOCAL_EXCLUDED.has(c)) {
      throw new InvalidJidError(`localpart contains the excluded character ${JSON.stringify(c)}`, part);
    }
  }
  checkClass(s, true, part);
  checkBidi(s, part);
  return s;
}

// --- resourcepart -----------------------------------------------------------

/**
 * Prepares and enforces a resourcepart (RFC 7622 §3.4, RFC 8265 §4.2
 * OpaqueString). Case is preserved. Returns the canonical form or throws.
 */
export function prepResourcepart(input: string): string {
  if (FAST_RESOURCE.test(input)) return input;
  return _prepResourcepartSlow(input);
}

/** @internal The full algorithm without the fast path; exported for tests. */
export function _prepResourcepartSlow(input: string): string {
  const part = 'resourcepart';
  checkRaw(input, part);
  const s = input.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  checkBytes(s, part);
  if (NON_ASCII.test(s)) checkClass(s, false, part);
  return s;
}

// --- domainpart -------------------------------------------------------------

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const URL_DELIMITER = /[\x00-\x20\x7F"#%/:<>?@[\\\]^`{|}]/;
/** A label the WHATWG parser would read as a number (triggers IPv4 parsing). */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;

/**
 * Checks the A-label form: non-empty LDH labels of at most 63 octets, no
 * leading/trailing hyphen, no reserved `??--` labels except `xn--`, and a
 * final label that is not numeric (it would be mistaken for an IPv4 part).
 */
function checkLdhLabels(ascii: string): boolean {
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return false;
    if (!/^[a-z0-9-]+$/.test(label)) return false;
    if (label.startsWith('-') || label.endsWith('-')) return false;
    if (label[2] === '-' && label[3] === '-' && !label.startsWith('xn--')) return false;
  }
  return !NUMERIC_LABEL.test(labels[labels.length - 1]!);
}

/**
 * Prepares and enforces a domainpart (RFC 7622 §3.2). Domain names are
 * returned in Unicode (U-label) form, lower case, without a trailing dot;
 * IPv4 literals verbatim; IPv6 literals in canonical bracketed form.
 */
export function prepDomainpart(input: string): string {
  if (FAST_DOMAIN.test(input) && !input.includes('xn--') && checkLdhLabels(input)) {
    if (input.length > MAX_PART_BYTES) {
      throw new InvalidJidError(`domainpart is longer than ${MAX_PART_BYTES} bytes`, 'domainpart');
    }
    return input;
  }
  return _prepDomainpartSlow(input);
}

/** @internal The full algorithm without the fast path; exported for tests. */
export function _prepDomainpartSlow(input: string): string {
  const part = 'domainpart';
  const invalid = (why: string): InvalidJidError => new InvalidJidError(`domainpart ${why}`, part);
  checkRaw(input, part);
  // RFC 7622 §3.2: a single trailing label separator is stripped.
  const s = input.endsWith('.') ? input.slice(0, -1) : input;
  if (s.length === 0) throw invalid('is empty');

  if (s.startsWith('[')) {
    // RFC 3986 IP-literal; only IPv6 (no zone ids, no IPvFuture).
    if (!s.endsWith(']') || !isIPv6(s.slice(1, -1)) || s.includes('%')) {
      throw invalid('is not a valid IPv6 literal');
    }
    try {
      return new URL(`http://${s}/`).hostname;
    } catch {
      throw invalid('is not a valid IPv6 literal');
    }
  }
  if (IPV4.test(s)) return s;
  // domainToASCII parses a URL host and silently cuts it at '/', '?', '#'
  // or a backslash ("a/b" → "a"), so reject ASCII delimiters up front.
  if (URL_DELIMITER.test(s)) throw invalid('contains a disallowed character');

  // UTS #46 processing: maps case/width, validates, converts to A-labels.
  const ascii = domainToASCII(s);
  if (ascii === '') throw invalid('is not a valid domain name');
  // The WHATWG parser turns things like "127.1" or "0x7f.1" into IPv4
  // addresses; only the plain dotted-quad form is accepted (above).
  if (IPV4.test(ascii) || !checkLdhLabels(ascii)) throw invalid('is not a valid domain name');
  const unicode = domainToUnicode(ascii);
  if (unicode === '') throw invalid('is not a valid domain name');
  for (const label of unicode.split('.')) checkBidi(label, part);
  checkBytes(unicode, part);
  return unicode;
}
