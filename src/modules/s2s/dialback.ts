/**
 * Dialback on an incoming stream, in both roles XEP-0220 gives it there:
 * as Receiving Server we judge a `db:result` (a certificate valid for the
 * sender domain settles it at once; otherwise, when `s2s.secure` allows,
 * we ask the sender domain's Authoritative Server with `db:verify` over our
 * outgoing machinery); as Authoritative Server we answer a `db:verify` by
 * recomputing the key. Problems are dialback errors, not stream errors, so
 * other domain pairs on the stream survive them.
 *
 * References: XEP-0220 §2.2.1 (receiving server, inbound db:result),
 * §2.2.2 (authoritative server, inbound db:verify), §2.4.2 and §2.5
 * (dialback errors), §2.1.1 (an invalid key closes the stream);
 * XEP-0344 §2.4 ("dialback without dialback": a verified certificate);
 * XEP-0185 §2 (keys).
 */
import type { Socket } from 'node:net';
import type { PerchConfig } from '../../core/config/config.js';
import type { Logger } from '../../core/log.js';
import type { Server } from '../../core/server.js';
import { x, type Element } from '../../core/xml/element.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { certificateNames, type S2sTls } from './certificates.js';
import { dialbackKey, keysMatch } from './dialback-key.js';
import { domainOf } from './stream-header.js';
import type { IncomingStream } from './incoming-stream.js';
import type { VerifyOutcome } from './link-types.js';
import type { XmlStream, XmlStreamHandlers } from './xml-stream.js';
import type { S2sAuthMethod } from './events.js';

/** What an incoming stream needs from the service. */
export interface IncomingOwner {
  readonly server: Server;
  readonly config: PerchConfig;
  readonly log: Logger;
  readonly tls: S2sTls;
  readonly secret: string;
  isLocal(domain: string): boolean;
  createStream(socket: Socket, handlers: XmlStreamHandlers, onIdle: () => void): XmlStream;
  /** Asks the Authoritative Server of `remoteDomain` about a key received on our stream `streamId`. */
  verifyKey(localDomain: string, remoteDomain: string, streamId: string, key: string): Promise<VerifyOutcome>;
  incomingUp(stream: IncomingStream, localDomain: string, peerDomain: string, method: S2sAuthMethod): void;
  incomingClosed(stream: IncomingStream): void;
  /** Takes the answer to one of our links' liveness pings; true when it was one. */
  takePong(remoteDomain: string, id: string | undefined): boolean;
}

/** The domains of a dialback element; a peer that omits them is misaddressing. */
function addresses(el: Element): { from: string; to: string } {
  const from = domainOf(el.attrs.from);
  const to = domainOf(el.attrs.to);
  if (!from || !to) throw new StreamError('improper-addressing', `<${el.name}/> needs from and to domains`);
  return { from, to };
}

/** Step 1 arrives: decide, or ask the Authoritative Server, and answer with step 4. */
export function handleDialbackResult(stream: IncomingStream, owner: IncomingOwner, el: Element): void {
  const { from, to } = addresses(el);
  // A typed db:result on an incoming stream only exists with XEP-0288, which we do not offer.
  if (el.attrs.type !== undefined) return;
  const reply = (type: 'valid' | 'invalid' | 'error', error?: StanzaError) =>
    stream.send(x('db:result', { from: to, to: from, type }, error?.toElement()));
  if (!owner.isLocal(to)) return reply('error', new StanzaError('item-not-found', `${to} is not served here`));
  // Nobody else speaks for our own domains (and verifying would dial ourselves).
  if (owner.isLocal(from)) return reply('error', new StanzaError('not-acceptable', `${from} is served here`));
  if (!stream.secure) return reply('error', new StanzaError('policy-violation', 'TLS is required before dialback'));
  if (stream.authenticated.has(from)) return reply('valid');
  if (certificateNames(stream.tlsSocket, from)) {
    stream.authenticate(from, 'dialback-certificate', to);
    return reply('valid');
  }
  if (owner.config.s2s.secure) return reply('error', new StanzaError('not-authorized', `a certificate valid for ${from} is required`));
  const streamId = stream.streamId;
  void owner.verifyKey(to, from, streamId, el.text()).then(
    (outcome) => settle(stream, owner, { from, to }, outcome),
    (err) => {
      owner.log.error({ err, peer: from }, 'dialback verification failed');
      reply('error', new StanzaError('remote-server-not-found'));
    },
  );
}

function settle(stream: IncomingStream, owner: IncomingOwner, { from, to }: { from: string; to: string }, outcome: VerifyOutcome): void {
  if (stream.closing) return;
  const reply = (type: 'valid' | 'invalid' | 'error', error?: StanzaError) =>
    stream.send(x('db:result', { from: to, to: from, type }, error?.toElement()));
  if (outcome === 'valid') {
    stream.authenticate(from, 'dialback', to);
    return reply('valid');
  }
  if (outcome === 'invalid') {
    owner.log.info({ peer: from, local: to }, 'dialback key refused by the authoritative server: spoofing attempt?');
    reply('invalid');
    return stream.close();
  }
  // XEP-0220 §2.5: trouble reaching the Authoritative Server.
  const condition = outcome.condition === 'remote-server-timeout' ? 'remote-server-timeout' : 'remote-server-not-found';
  reply('error', new StanzaError(condition, `cannot verify ${from}`));
}

/** Step 2 arrives (we are the Authoritative Server): answer step 3. */
export function handleDialbackVerify(stream: IncomingStream, owner: IncomingOwner, el: Element): void {
  const { from, to } = addresses(el);
  const id = el.attrs.id;
  if (!id) throw new StreamError('invalid-xml', 'db:verify needs an id');
  if (el.attrs.type !== undefined) return;
  const reply = (type: 'valid' | 'invalid' | 'error', error?: StanzaError) =>
    stream.send(x('db:verify', { from: to, to: from, id, type }, error?.toElement()));
  if (!owner.isLocal(to)) return reply('error', new StanzaError('item-not-found', `${to} is not served here`));
  // The receiving server is `from`, the originating one (ours) is `to`.
  reply(keysMatch(dialbackKey(owner.secret, from, to, id), el.text()) ? 'valid' : 'invalid');
}
