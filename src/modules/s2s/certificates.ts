/**
 * Certificates between servers: our certificate presented on both sides
 * of every s2s connection, the trust anchors peers are checked against
 * (Node's bundled CAs plus `s2s.ca_file`), and the check that a peer's
 * certificate is trusted and names the domain it claims.
 *
 * References: RFC 6120 §13.7.1.2 (server certificates: the domain as a
 * DNS-ID), §13.7.2 (certificate validation), §5.4.3.3 (TLS between servers,
 * mutual certificates); RFC 6125 §6 (checking a DNS-ID, wildcards);
 * XEP-0178 §3 (dNSName suffices, XmppAddr not required).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { checkServerIdentity, createSecureContext, rootCertificates, type SecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { domainToASCII } from 'node:url';

export interface S2sTls {
  /** Our certificate and key with the trust anchors: for outgoing connections. */
  context: SecureContext;
  /** Options for accepting TLS (STARTTLS or direct) and asking the peer for its certificate. */
  serverOptions: TlsOptions;
  /** Our certificate, to tell whether it names a local domain (worth trying SASL EXTERNAL). */
  own: X509Certificate;
}

/** Reads `s2s.ca_file` (if any) and builds the contexts both directions use. */
export async function loadS2sTls(certificate: { cert: string; key: string }, caFile: string | undefined): Promise<S2sTls> {
  const ca = [...rootCertificates];
  if (caFile) ca.push(await readCaFile(caFile));
  const serverOptions: TlsOptions = {
    cert: certificate.cert,
    key: certificate.key,
    ca,
    // The peer server's certificate is what SASL EXTERNAL and "dialback
    // without dialback" rest on; an untrusted one is not fatal to TLS itself.
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['xmpp-server'],
  };
  return {
    context: createSecureContext({ cert: certificate.cert, key: certificate.key, ca }),
    serverOptions,
    own: new X509Certificate(certificate.cert),
  };
}

async function readCaFile(file: string): Promise<string> {
  try {
    const pem = await readFile(file, 'utf8');
    new X509Certificate(pem); // fail at start-up, naming the file, rather than on the first peer
    return pem;
  } catch (err) {
    throw new Error(`PERCH_ERR_S2S_CA_FILE: cannot use s2s.ca_file ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Whether the peer's certificate chains to a trust anchor and names `domain`
 * (Node's `checkServerIdentity` semantics: subjectAltName dNSName, with the
 * RFC 6125 wildcard rule). `socket.authorized` covers the chain only: our
 * sockets are opened with identity checks left to this function.
 */
export function certificateNames(socket: TLSSocket | undefined, domain: string): boolean {
  if (!socket || !socket.authorized) return false;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return false;
  try {
    return checkServerIdentity(domainToASCII(domain) || domain, cert) === undefined;
  } catch {
    return false;
  }
}

/** Whether our own certificate names `domain` (a self-signed one does too, but a peer won't trust it). */
export function ownCertificateNames(own: X509Certificate, domain: string): boolean {
  return own.checkHost(domainToASCII(domain) || domain) !== undefined;
}

/** Why a peer certificate was not accepted, for logs. */
export function certificateProblem(socket: TLSSocket | undefined, domain: string): string {
  if (!socket) return 'no TLS';
  if (!socket.authorized) return `untrusted certificate (${String(socket.authorizationError ?? 'none presented')})`;
  return `certificate does not name ${domain}`;
}
