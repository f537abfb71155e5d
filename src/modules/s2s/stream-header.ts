/**
 * Server-to-server stream headers: checks of the header a peer opens with
 * (or answers with), our own header, and recognising elements by the
 * prefixes the header declared (the parser keeps names as written).
 *
 * References: RFC 6120 §4.7 (stream attributes: to, from, id, version),
 * §4.8 (namespaces: jabber:server as content namespace), §4.9.3.6
 * (host-unknown), §4.9.3.9 (invalid-from), §4.9.3.10 (invalid-namespace),
 * §4.9.3.25 (unsupported-version); XEP-0220 §2.4.1 (the dialback namespace
 * declared on the header advertises dialback).
 */
import { StreamError } from '../../core/errors/stream-error.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { escapeAttr } from '../../core/xml/escape.js';
import type { Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';

export const NS_DIALBACK = 'jabber:server:dialback';
export const NS_DIALBACK_FEATURE = 'urn:xmpp:features:dialback';

export interface IncomingHeader {
  /** The local domain the peer wants (stream `to`). */
  to?: string;
  /** The domain the peer says it is (stream `from`), when given and valid. */
  from?: string;
  error?: StreamError;
}

/** The canonical form of a bare domain, or undefined when `value` is not one. */
export function domainOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const jid = tryParseJid(value);
  return jid && jid.local === undefined && jid.resource === undefined ? jid.domain : undefined;
}

/** `stream:stream` in the streams namespace with jabber:server as the default namespace. */
function checkNamespaces(name: string, attrs: Record<string, string>): StreamError | undefined {
  const colon = name.indexOf(':');
  const local = colon < 0 ? name : name.slice(colon + 1);
  const streamNs = colon < 0 ? attrs.xmlns : attrs[`xmlns:${name.slice(0, colon)}`];
  if (local !== 'stream' || streamNs !== NS.streams) return new StreamError('invalid-namespace');
  if (colon >= 0 && attrs.xmlns !== NS.server) return new StreamError('invalid-namespace', 'expected jabber:server');
  return undefined;
}

function checkVersion(attrs: Record<string, string>): StreamError | undefined {
  // Version 1.0 is what makes STARTTLS and SASL possible; we require TLS.
  return /^1\.\d+$/.test(attrs.version ?? '') ? undefined : new StreamError('unsupported-version', 'version 1.0 required');
}

/**
 * The header an initiating server opens with. `to` must be a domain served
 * here (a host or a component) and must not change on a restart.
 */
export function checkIncomingHeader(
  name: string,
  attrs: Record<string, string>,
  isLocal: (domain: string) => boolean,
  previousTo?: string,
): IncomingHeader {
  const namespaceError = checkNamespaces(name, attrs);
  if (namespaceError) return { error: namespaceError };
  const to = domainOf(attrs.to);
  if (!to || !isLocal(to)) return { error: new StreamError('host-unknown', `${attrs.to ?? 'no to'} is not served here`) };
  if (previousTo !== undefined && previousTo !== to) return { to, error: new StreamError('host-unknown', 'to changed on restart') };
  const from = domainOf(attrs.from);
  if (attrs.from !== undefined && !from) return { to, error: new StreamError('invalid-from', 'from is not a domain') };
  return { to, from, error: checkVersion(attrs) };
}

/** The header a receiving server answers with: the namespaces, an id and version 1.x. */
export function checkResponseHeader(name: string, attrs: Record<string, string>): StreamError | undefined {
  const namespaceError = checkNamespaces(name, attrs);
  if (namespaceError) return namespaceError;
  if (!attrs.id) return new StreamError('invalid-xml', 'stream id missing');
  return checkVersion(attrs);
}

/** Whether the header declares the dialback namespace (traditional advertisement). */
export function declaresDialback(attrs: Record<string, string>): boolean {
  return Object.entries(attrs).some(([key, value]) => key.startsWith('xmlns:') && value === NS_DIALBACK);
}

/** Our header, with the dialback namespace declared so that `db:` elements parse on both sides. */
export function streamHeader(attrs: Record<string, string | undefined>): string {
  let header = `<?xml version='1.0'?><stream:stream xmlns='${NS.server}' xmlns:stream='${NS.streams}' xmlns:db='${NS_DIALBACK}'`;
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) header += ` ${key}='${escapeAttr(value)}'`;
  return header + '>';
}

/** Namespace prefixes the peer's header declared, to recognise `db:result` or `stream:features`. */
export class HeaderPrefixes {
  private readonly byPrefix = new Map<string, string>();
  private defaultNs: string | undefined;

  constructor(attrs: Record<string, string> = {}) {
    for (const [key, value] of Object.entries(attrs)) if (key.startsWith('xmlns:')) this.byPrefix.set(key.slice(6), value);
    this.defaultNs = attrs.xmlns;
  }

  /** The local name and effective namespace of a top-level element. */
  resolve(el: Element): { local: string; ns: string | undefined } {
    const colon = el.name.indexOf(':');
    if (colon < 0) return { local: el.name, ns: el.attrs.xmlns ?? this.defaultNs };
    return { local: el.name.slice(colon + 1), ns: this.byPrefix.get(el.name.slice(0, colon)) };
  }
}

export type TopLevel =
  | { kind: 'stanza' }
  | { kind: 'dialback'; name: 'result' | 'verify' }
  | { kind: 'stream'; name: string }
  | { kind: 'other'; ns: string | undefined; name: string };

/** What a top-level element is: a stanza, a dialback element, a stream-namespace element or another nonza. */
export function classify(el: Element, prefixes: HeaderPrefixes): TopLevel {
  const { local, ns } = prefixes.resolve(el);
  if (ns === NS.server && (local === 'message' || local === 'presence' || local === 'iq') && !el.name.includes(':')) {
    return { kind: 'stanza' };
  }
  if (ns === NS_DIALBACK && (local === 'result' || local === 'verify')) return { kind: 'dialback', name: local };
  if (ns === NS.streams) return { kind: 'stream', name: local };
  return { kind: 'other', ns, name: local };
}
