/**
 * Opens the socket to a peer server: each resolved target in order until one
 * answers, with a timeout per attempt; direct-TLS targets get TLS from the
 * first byte with the `xmpp-server` ALPN protocol and the domain as SNI.
 * What went wrong decides the bounce: a timeout is `remote-server-timeout`,
 * anything else (no address, refused, reset) `remote-server-not-found`.
 *
 * References: RFC 6120 §3.2 (trying targets in order), §8.3.3.15–16;
 * XEP-0368 §3 (direct TLS, ALPN "xmpp-server", SNI).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import { domainToASCII } from 'node:url';
import type { ConnectTarget } from './resolve.js';

export type ConnectFailure = 'remote-server-not-found' | 'remote-server-timeout';

export class ConnectError extends Error {
  constructor(
    readonly condition: ConnectFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ConnectOptions {
  timeoutMs: number;
  /** Our certificate and the trust anchors, for direct TLS. */
  context: SecureContext;
}

/** The first target that accepts a connection; rejects with a ConnectError naming the last failure. */
export async function connectToPeer(domain: string, targets: ConnectTarget[], options: ConnectOptions): Promise<Socket> {
  if (targets.length === 0) throw new ConnectError('remote-server-not-found', `${domain} offers no server-to-server service`);
  let last: ConnectError | undefined;
  for (const target of targets) {
    try {
      return await connectOnce(domain, target, options);
    } catch (err) {
      last = err instanceof ConnectError ? err : new ConnectError('remote-server-not-found', String(err));
    }
  }
  throw last!;
}

function connectOnce(domain: string, target: ConnectTarget, options: ConnectOptions): Promise<Socket> {
  const where = `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket = target.directTls
      ? tlsConnect({
          host: target.host,
          port: target.port,
          servername: domainToASCII(domain) || domain,
          secureContext: options.context,
          ALPNProtocols: ['xmpp-server'],
          // The certificate is judged afterwards, against the domain and the s2s.secure policy.
          rejectUnauthorized: false,
          checkServerIdentity: () => undefined,
        })
      : netConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectError('remote-server-timeout', `${domain}: no answer from ${where}`));
    }, options.timeoutMs);
    socket.once(target.directTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const condition = err.code === 'ETIMEDOUT' ? 'remote-server-timeout' : 'remote-server-not-found';
      reject(new ConnectError(condition, `${domain}: ${where} ${err.code ?? err.message}`));
    });
  });
}
