/**
 * The `perch` command line, run as a separate process: config checks,
 * account management, start-up failures with one clear line, and graceful
 * shutdown on SIGTERM (every stream gets `system-shutdown`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startCli } from './harness/run-cli.js';
import { connect } from './harness/client.js';
import type { TestServer } from './harness/start-server.js';

let dir: string;
let configFile: string;
let ports: { c2s: number; c2s_tls: number; http: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perch-cli-'));
  ports = { c2s: await freePort(), c2s_tls: await freePort(), http: await freePort() };
  configFile = join(dir, 'perch.yaml');
  await writeFile(
    configFile,
    [
      'domain: example.test',
      `data_dir: ${join(dir, 'data')}`,
      'listen:',
      `  c2s: ${ports.c2s}`,
      `  c2s_tls: ${ports.c2s_tls}`,
      `  http: ${ports.http}`,
      '  s2s: false',
      '  s2s_tls: false',
      'log:',
      '  level: info',
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('perch config check', () => {
  it('accepts a valid file', async () => {
    const result = await runCli(['config', 'check', configFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok');
  });

  it('names the bad key', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'listen:\n  c2s: banana\n');
    const result = await runCli(['config', 'check', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toContain('listen.c2s');
  });
});

describe('perch user', () => {
  it('adds (password from stdin), lists, changes the password and deletes accounts', async () => {
    const add = await runCli(['user', 'add', 'romeo@example.test', '--config', configFile], 'first-pass\n');
    expect(add.code).toBe(0);
    expect((await runCli(['user', 'add', 'juliet@example.test', 'pw', '--config', configFile])).code).toBe(0);
    const dup = await runCli(['user', 'add', 'romeo@example.test', 'x', '--config', configFile]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/exists/);
    const list = await runCli(['user', 'list', 'example.test', '--config', configFile]);
    expect(list.stdout.trim().split('\n')).toEqual(['juliet@example.test', 'romeo@example.test']);
    expect((await runCli(['user', 'passwd', 'romeo@example.test', 'second-pass', '--config', configFile])).code).toBe(0);
    expect((await runCli(['user', 'del', 'juliet@example.test', '--config', configFile])).code).toBe(0);
    const after = await runCli(['user', 'list', '--config', configFile]);
    expect(after.stdout.trim()).toBe('romeo@example.test');
    const foreign = await runCli(['user', 'add', 'x@elsewhere.test', 'pw', '--config', configFile]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('elsewhere.test is not a host of this server');
  });
});

describe('perch start', () => {
  it('serves clients and closes every stream with system-shutdown on SIGTERM', async () => {
    const { child } = await startCli(['--config', configFile]);
    const server = { domain: 'example.test', ports } as unknown as TestServer;
    const romeo = await connect(server, { username: 'romeo', password: 'second-pass' });
    const streamError = new Promise<string>((resolve) => {
      romeo.xmpp.on('error', (err: { condition?: string }) => resolve(err.condition ?? String(err)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await streamError).toBe('system-shutdown');
    expect(await exited).toBe(0);
  });

  it('says in one line which port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(ports.c2s, '127.0.0.1', r));
    try {
      const result = await runCli(['start', '--config', configFile]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`perch: cannot start: 127.0.0.1:${ports.c2s} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('says in one line what is wrong with a bad config', async () => {
    const bad = join(dir, 'bad-start.yaml');
    await writeFile(bad, 'limits:\n  max_stanza_size: -1\n');
    const result = await runCli(['start', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^perch: cannot start: .*limits\.max_stanza_size/);
  });

  it('says in one line when the certificate is unusable', async () => {
    const cert = join(dir, 'broken.crt');
    await writeFile(cert, 'not a certificate');
    const bad = join(dir, 'bad-cert.yaml');
    await writeFile(bad, `data_dir: ${join(dir, 'data2')}\ntls:\n  cert: ${cert}\n  key: ${cert}\n`);
    const result = await runCli(['start', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('broken.crt');
  });
});
