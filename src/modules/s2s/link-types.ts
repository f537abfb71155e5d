/**
 * What outgoing links need from the service that owns them, what they report
 * for tests and operators, and how a dialback error becomes a bounce.
 *
 * References: XEP-0220 §2.4.2 (dialback error conditions), §2.1.1 (a
 * dialback error bounces queued stanzas with remote-server-timeout).
 */
import type { Socket } from 'node:net';
import type { PerchConfig } from '../../core/config/config.js';
import type { Logger } from '../../core/log.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { NS } from '../../core/xml/ns.js';
import { Element } from '../../core/xml/element.js';
import type { S2sTls } from './certificates.js';
import type { ConnectTarget } from './resolve.js';
import type { XmlStream, XmlStreamHandlers } from './xml-stream.js';
import type { OutgoingLink } from './outgoing-link.js';
import type { S2sAuthMethod } from './events.js';

/** The answer to a `db:verify`: the peer's verdict, or why there is none. */
export type VerifyOutcome = 'valid' | 'invalid' | StanzaError;

export interface LinkOwner {
  readonly config: PerchConfig;
  readonly log: Logger;
  readonly tls: S2sTls;
  /** The dialback secret of this run (XEP-0185). */
  readonly secret: string;
  targets(domain: string): Promise<ConnectTarget[]>;
  createStream(socket: Socket, handlers: XmlStreamHandlers, onIdle: () => void): XmlStream;
  /** `localDomain` may now send to the link's remote domain. */
  pairUp(link: OutgoingLink, localDomain: string, method: S2sAuthMethod): void;
  /** `localDomain` could not be authorized; `queue` holds its stanzas to bounce. */
  pairFailed(link: OutgoingLink, localDomain: string, queue: Element[], error: StanzaError): void;
  /** The link went without a refusal; `queue` (never written) deserves a new link; `error` if not. */
  requeue(link: OutgoingLink, localDomain: string, queue: Element[], error: StanzaError): void;
  /** The link is gone (before its queues are handed back); `up` lists the local domains that were authorized on it. */
  linkClosed(link: OutgoingLink, up: string[], reason?: string): void;
}

export interface OutgoingInfo {
  localDomain: string;
  remoteDomain: string;
  phase: string;
  secure: boolean;
  directTls: boolean;
  peerCertificateTrusted: boolean;
  pairs: { localDomain: string; status: string; method?: S2sAuthMethod }[];
}

export interface IncomingInfo {
  /** The local domain the peer opened the stream to. */
  localDomain?: string;
  /** The domain in the peer's stream header. */
  peerDomain?: string;
  secure: boolean;
  authenticated: { domain: string; method: S2sAuthMethod }[];
}

/** A `type='error'` dialback answer as the bounce it causes (the peer's condition kept in the text). */
export function dialbackFailure(el: Element, remoteDomain: string): StanzaError {
  const condition = el.getChild('error')?.getChildByNs(NS.stanzaErrors)?.name ?? 'undefined-condition';
  return new StanzaError('remote-server-timeout', `${remoteDomain} answered dialback with ${condition}`);
}

/** Client stanzas may carry jabber:client explicitly; between servers the content namespace is jabber:server. */
export function asServerStanza(stanza: Element): Element {
  return stanza.attrs.xmlns === undefined ? stanza : new Element(stanza.name, { ...stanza.attrs, xmlns: undefined }, stanza.children);
}
