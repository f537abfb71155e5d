/**
 * TLS certificate provisioning: load the operator's certificate/key pair, or
 * fall back to a self-signed certificate kept in `<data_dir>/certs` so a fresh
 * install can offer STARTTLS and direct TLS without any setup.
 */

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import type { PerchConfig } from '../config/config.js';
import type { Logger } from '../log.js';

export interface LoadedCertificate {
  cert: string;
  key: string;
  selfSigned: boolean;
}

/** A configured (or generated) certificate or key is unusable; the message names the file. */
export class CertificateError extends Error {
  override name = 'CertificateError';

  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

const VALIDITY_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;

export async function loadCertificate(config: PerchConfig, log: Logger): Promise<LoadedCertificate> {
  const { cert, key } = config.tls;
  if (cert && key) return { ...(await loadConfigured(cert, key, config.hosts, log)), selfSigned: false };
  return { ...(await loadSelfSigned(config, log)), selfSigned: true };
}

async function loadConfigured(certFile: string, keyFile: string, hosts: string[], log: Logger) {
  const cert = await readPem(certFile, 'certificate');
  const key = await readPem(keyFile, 'key');
  const x509 = checkPair(cert, certFile, key, keyFile);
  if (Date.parse(x509.validTo) < Date.now()) {
    log.warn({ cert: certFile, validTo: x509.validTo }, 'TLS certificate has expired; clients will reject it');
  }
  const uncovered = hosts.filter((h) => !covers(x509, h));
  if (uncovered.length > 0) {
    log.warn({ cert: certFile, hosts: uncovered }, 'TLS certificate does not cover these hosts');
  }
  return { cert, key };
}

async function readPem(file: string, what: 'certificate' | 'key'): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new CertificateError(`cannot read TLS ${what} ${file}: ${reason}`, file);
  }
}

/** Parse both halves separately first so the error can blame the right file. */
function checkPair(cert: string, certFile: string, key: string, keyFile: string): X509Certificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new CertificateError(`TLS certificate ${certFile} is not a valid PEM certificate`, certFile);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new CertificateError(`TLS key ${keyFile} is not a valid unencrypted PEM private key`, keyFile);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = firstLine(err);
    throw new CertificateError(`TLS key ${keyFile} does not match certificate ${certFile} (${reason})`, keyFile);
  }
  return x509;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

function covers(x509: X509Certificate, host: string): boolean {
  const ip = host.replace(/^\[(.*)\]$/, '$1');
  return isIP(ip) ? x509.checkIP(ip) !== undefined : x509.checkHost(host) !== undefined;
}

async function loadSelfSigned(config: PerchConfig, log: Logger): Promise<{ cert: string; key: string }> {
  const dir = path.join(config.data_dir, 'certs');
  const certFile = path.join(dir, 'self-signed.crt');
  const keyFile = path.join(dir, 'self-signed.key');
  const existing = await reuseSelfSigned(certFile, keyFile, config.hosts, log);
  if (existing) return existing;
  const created = await createSelfSigned(config.hosts);
  await mkdir(dir, { recursive: true });
  await writeAtomically(keyFile, created.key, 0o600);
  await writeAtomically(certFile, created.cert, 0o644);
  log.info({ cert: certFile, key: keyFile, hosts: config.hosts }, 'created self-signed TLS certificate');
  return created;
}

/**
 * The generated pair is ours to replace: regenerate (rather than fail) when it
 * is missing, damaged, expiring or no longer covers every configured host.
 */
async function reuseSelfSigned(certFile: string, keyFile: string, hosts: string[], log: Logger) {
  const cert = await readIfExists(certFile);
  const key = await readIfExists(keyFile);
  if (cert === undefined || key === undefined) return undefined;
  let x509: X509Certificate;
  try {
    x509 = checkPair(cert, certFile, key, keyFile);
  } catch (err) {
    log.warn({ cert: certFile, reason: firstLine(err) }, 'replacing unusable self-signed TLS certificate');
    return undefined;
  }
  if (Date.parse(x509.validTo) < Date.now() + 30 * DAY_MS) {
    log.info({ cert: certFile, validTo: x509.validTo }, 'replacing expiring self-signed TLS certificate');
    return undefined;
  }
  if (!hosts.every((h) => covers(x509, h))) {
    log.info({ cert: certFile, hosts }, 'replacing self-signed TLS certificate: host list changed');
    return undefined;
  }
  return { cert, key };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CertificateError(`cannot read self-signed TLS file ${file}: ${firstLine(err)}`, file);
  }
}

async function createSelfSigned(hosts: string[]): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    // Back-date a day so clients with a slightly slow clock still accept it.
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(hosts) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

function altNames(hosts: string[]): { type: 2 | 7; value?: string; ip?: string }[] {
  const names = new Set([...hosts, 'localhost']);
  const entries = [...names].map((h) => {
    const ip = h.replace(/^\[(.*)\]$/, '$1');
    return isIP(ip) ? { type: 7 as const, ip } : { type: 2 as const, value: h };
  });
  const ips = new Set(entries.flatMap((e) => (e.ip ? [e.ip] : [])));
  for (const ip of ['127.0.0.1', '::1']) if (!ips.has(ip)) entries.push({ type: 7, ip });
  return entries;
}

/** Write via a temporary file so a crash never leaves half a key behind. */
async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode); // writeFile's mode is ignored if a stale tmp file exists
  await rename(tmp, file);
}
