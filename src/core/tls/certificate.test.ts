/**
 * Tests for certificate loading: the self-signed fallback is created once and
 * reused; configured files that are missing, damaged or mismatched produce a
 * CertificateError naming the file.
 */

import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { createLogger } from '../log.js';
import { CertificateError, loadCertificate } from './certificate.js';

/** A logger whose JSON lines are collected for assertions. */
function captureLogger() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'perch-cert-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('self-signed certificate', () => {
  it('is created once, then reused', async () => {
    const config = parseConfig({ hosts: ['chat.example', 'muc.example'], data_dir: 'data' }, dir);
    const first = captureLogger();
    const created = await loadCertificate(config, first.log);
    expect(created.selfSigned).toBe(true);
    expect(first.lines.some((l) => l.level === 30 && /self-signed/.test(l.msg))).toBe(true);

    const x509 = new X509Certificate(created.cert);
    expect(x509.subject).toBe('CN=chat.example');
    for (const host of ['chat.example', 'muc.example', 'localhost']) expect(x509.checkHost(host)).toBeDefined();
    expect(x509.checkIP('127.0.0.1')).toBeDefined();
    expect(x509.checkIP('::1')).toBeDefined();
    expect(Date.parse(x509.validTo) - Date.now()).toBeGreaterThan(9 * 365 * 24 * 3600 * 1000);

    const keyFile = path.join(dir, 'data', 'certs', 'self-signed.key');
    if (process.platform !== 'win32') expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const second = captureLogger();
    const reused = await loadCertificate(config, second.log);
    expect(reused).toEqual(created);
    expect(second.lines).toEqual([]);
  });

  it('is regenerated when a new host is not covered', async () => {
    const log = captureLogger().log;
    const before = await loadCertificate(parseConfig({ domain: 'one.example', data_dir: 'regen' }, dir), log);
    const after = await loadCertificate(parseConfig({ hosts: ['one.example', 'two.example'], data_dir: 'regen' }, dir), log);
    expect(after.cert).not.toBe(before.cert);
    expect(new X509Certificate(after.cert).checkHost('two.example')).toBeDefined();
  });
});

describe('configured certificate', () => {
  let good: { cert: string; key: string };
  let other: { cert: string; key: string };

  beforeAll(async () => {
    const log = captureLogger().log;
    good = await loadCertificate(parseConfig({ data_dir: 'pair-a' }, dir), log);
    other = await loadCertificate(parseConfig({ data_dir: 'pair-b' }, dir), log);
  });

  /** Write the given PEMs and load them as tls.cert / tls.key. */
  async function load(name: string, cert: string, key: string) {
    await writeFile(path.join(dir, `${name}.crt`), cert);
    await writeFile(path.join(dir, `${name}.key`), key);
    const config = parseConfig({ tls: { cert: `${name}.crt`, key: `${name}.key` } }, dir);
    return loadCertificate(config, captureLogger().log);
  }

  it('loads a matching pair', async () => {
    const loaded = await load('ok', good.cert, good.key);
    expect(loaded).toEqual({ cert: good.cert, key: good.key, selfSigned: false });
  });

  it('names a missing file', async () => {
    const config = parseConfig({ tls: { cert: 'nope.crt', key: 'nope.key' } }, dir);
    const err = await loadCertificate(config, captureLogger().log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as CertificateError).message).toBe(`cannot read TLS certificate ${path.join(dir, 'nope.crt')}: no such file`);
  });

  it('names a certificate file that is not a certificate', async () => {
    const err = await load('garbage', 'not a certificate', good.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as CertificateError).file).toBe(path.join(dir, 'garbage.crt'));
    expect((err as Error).message).toContain(path.join(dir, 'garbage.crt'));
  });

  it('names a key file that is not a key', async () => {
    const err = await load('badkey', good.cert, good.cert).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as Error).message).toContain(path.join(dir, 'badkey.key'));
  });

  it('names the files of a mismatched pair on one line', async () => {
    const err = await load('mismatch', good.cert, other.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as Error).message).toContain(path.join(dir, 'mismatch.key'));
    expect((err as Error).message).toContain('does not match');
    expect((err as Error).message).not.toContain('\n');
  });
});
