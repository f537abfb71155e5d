/**
 * SASL PLAIN message parsing. Verification is left to the caller (see
 * verifyScramPassword in scram.ts), so this stays pure and synchronous.
 *
 * References:
 * - RFC 4616 §2 (message format), §4 (security considerations)
 * - RFC 4013 (SASLprep)
 * - RFC 6120 §6.3.8 (authzid)
 */

import { saslprep } from '@mongodb-js/saslprep';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses `[authzid] NUL authcid NUL passwd`. Returns undefined for anything
 * malformed: not exactly two NULs, invalid UTF-8, an empty authcid or
 * password, or one that SASLprep rejects or maps to nothing. The username
 * and password are SASLprepped as query strings (RFC 4616 §2); the authzid
 * is returned as sent ('' when absent) because it is a JID, not a SASL name.
 */
export function parsePlain(
  message: Buffer,
): { authzid: string; username: string; password: string } | undefined {
  const first = message.indexOf(0);
  if (first === -1) return undefined;
  const second = message.indexOf(0, first + 1);
  if (second === -1 || message.indexOf(0, second + 1) !== -1) return undefined;
  let authzid: string;
  let authcid: string;
  let passwd: string;
  try {
    authzid = utf8.decode(message.subarray(0, first));
    authcid = utf8.decode(message.subarray(first + 1, second));
    passwd = utf8.decode(message.subarray(second + 1));
  } catch {
    return undefined;
  }
  if (authcid.length === 0 || passwd.length === 0) return undefined;
  let username: string;
  let password: string;
  try {
    username = saslprep(authcid, { allowUnassigned: true });
    password = saslprep(passwd, { allowUnassigned: true });
  } catch {
    return undefined;
  }
  if (username.length === 0 || password.length === 0) return undefined;
  return { authzid, username, password };
}
