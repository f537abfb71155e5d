/**
 * Parsing of SCRAM client messages (client-first and client-final), strict
 * to the ABNF so malformed input is told apart from a wrong password.
 *
 * References: RFC 5802 §5.1 (attributes, saslname), §7 (ABNF).
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(s: string): Buffer | undefined {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : undefined;
}

/** cb-name = 1*(ALPHA / DIGIT / "." / "-") */
const CB_NAME = /^[A-Za-z0-9.-]+$/;
/** printable except ',' — the nonce alphabet. */
export const NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;
/** attr-val for extensions: a single letter, '=', then non-empty value. */
const EXTENSION = /^[A-Za-z]=[^,]+$/;

/** saslname: '=' only as "=2C" or "=3D" (RFC 5802 §5.1). */
function decodeSaslname(s: string): string | undefined {
  if (s.length === 0 || /=(?!2C|3D)/.test(s)) return undefined;
  return s.replace(/=2C|=3D/g, (m) => (m === '=2C' ? ',' : '='));
}

export type Gs2Flag = { kind: 'n' } | { kind: 'y' } | { kind: 'p'; cbName: string };

export interface ClientFirst {
  flag: Gs2Flag;
  authzid: string | undefined;
  /** The gs2-header exactly as sent, for the c= check. */
  gs2Header: string;
  bare: string;
  username: string;
  nonce: string;
}

export function parseClientFirst(text: string): ClientFirst | undefined {
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const c1 = text.indexOf(',');
  if (c1 === -1) return undefined;
  const c2 = text.indexOf(',', c1 + 1);
  if (c2 === -1) return undefined;
  const flagText = text.slice(0, c1);
  let flag: Gs2Flag;
  if (flagText === 'n' || flagText === 'y') flag = { kind: flagText };
  else if (flagText.startsWith('p=') && CB_NAME.test(flagText.slice(2))) {
    flag = { kind: 'p', cbName: flagText.slice(2) };
  } else return undefined;

  const authzText = text.slice(c1 + 1, c2);
  let authzid: string | undefined;
  if (authzText !== '') {
    if (!authzText.startsWith('a=')) return undefined;
    authzid = decodeSaslname(authzText.slice(2));
    if (authzid === undefined) return undefined;
  }

  const gs2Header = text.slice(0, c2 + 1);
  const bare = text.slice(c2 + 1);
  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  const attrs = bare.split(',');
  // RFC 5802 §5.1: a mandatory extension we cannot know must fail.
  if (attrs[0]?.startsWith('m=')) return undefined;
  if (attrs.length < 2 || !attrs[0]!.startsWith('n=') || !attrs[1]!.startsWith('r=')) return undefined;
  const username = decodeSaslname(attrs[0]!.slice(2));
  const nonce = attrs[1]!.slice(2);
  if (username === undefined || !NONCE.test(nonce)) return undefined;
  for (const ext of attrs.slice(2)) if (!EXTENSION.test(ext)) return undefined;
  return { flag, authzid, gs2Header, bare, username, nonce };
}

export interface ClientFinal {
  withoutProof: string;
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
}

export function parseClientFinal(text: string): ClientFinal | undefined {
  // client-final-message = "c=" base64 "," "r=" nonce ["," extensions] "," "p=" base64
  const attrs = text.split(',');
  if (attrs.length < 3) return undefined;
  const proofAttr = attrs.pop()!;
  if (!attrs[0]!.startsWith('c=') || !attrs[1]!.startsWith('r=') || !proofAttr.startsWith('p=')) {
    return undefined;
  }
  for (const ext of attrs.slice(2)) if (!EXTENSION.test(ext)) return undefined;
  const channelBinding = decodeBase64(attrs[0]!.slice(2));
  const proof = decodeBase64(proofAttr.slice(2));
  if (channelBinding === undefined || proof === undefined) return undefined;
  return { withoutProof: attrs.join(','), channelBinding, nonce: attrs[1]!.slice(2), proof };
}

