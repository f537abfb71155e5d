/**
 * Tests for config parsing and loading: defaults, per-key validation
 * messages, strictness, domain/hosts normalisation, paths and YAML errors.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ConfigError, loadConfig, parseConfig } from './config.js';

const BASE = path.resolve('/srv/perch');

/** The ConfigError thrown for `raw`, failing the test if none is thrown. */
function errorFor(raw: unknown): ConfigError {
  try {
    parseConfig(raw, BASE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig defaults', () => {
  it('fills every key when given nothing', () => {
    expect(parseConfig({}, BASE)).toEqual({
      hosts: ['localhost'],
      data_dir: path.join(BASE, 'data'),
      listen: { address: '127.0.0.1', c2s: 5222, c2s_tls: 5223, http: 5280, s2s: 5269, s2s_tls: 5270 },
      tls: { cert: undefined, key: undefined },
      auth: { allow_plain_without_tls: false },
      registration: { enabled: false },
      limits: {
        max_stanza_size: 262144,
        rate_bytes_per_second: 65536,
        rate_burst_bytes: 262144,
        handshake_timeout: 30,
        idle_timeout: 600,
      },
      storage: { driver: 'sqlite', path: path.join(BASE, 'data', 'perch.sqlite') },
      archive: { retention_days: 0 },
      log: { level: 'info' },
      modules: [],
      server: { name: 'Perch' },
      stream_management: { hibernation_timeout: 300, max_queue: 500 },
      s2s: { enabled: true, routes: {}, secure: true, ca_file: undefined, idle_timeout: 300, connect_timeout: 10, max_queue: 1000, ping_after: 60 },
      account_rooms: {
        enabled: true,
        services: [],
        leave: 'last-session',
        absent_presence: 'xa',
        presence_grace: 60,
        idle_leave_after: 0,
        liveness_check: 900,
        bookmark_joins: true,
        exclude_resources: [],
        resource: 'rooms',
      },
      muc: { enabled: true, domain: 'rooms.localhost', admins: [], restrict_creation: 'local', tombstone_days: 30 },
    });
  });

  it('treats an empty document and empty sections as defaults', () => {
    expect(parseConfig(null, BASE)).toEqual(parseConfig({}, BASE));
    expect(parseConfig({ listen: null, limits: null }, BASE)).toEqual(parseConfig({}, BASE));
  });

  it('keeps given values and fills the rest of a section', () => {
    const config = parseConfig({ listen: { c2s: 0, http: false }, log: { level: 'debug' } }, BASE);
    expect(config.listen).toEqual({ address: '127.0.0.1', c2s: 0, c2s_tls: 5223, http: false, s2s: 5269, s2s_tls: 5270 });
    expect(config.log.level).toBe('debug');
  });
});

describe('parseConfig validation messages', () => {
  const cases: [string, unknown, string][] = [
    ['listen.c2s', { listen: { c2s: 'x' } }, 'listen.c2s: expected a port number (1-65535) or false'],
    ['listen.c2s_tls', { listen: { c2s_tls: 70000 } }, 'listen.c2s_tls: expected a port number (1-65535) or false'],
    ['listen.http', { listen: { http: true } }, 'listen.http: expected a port number (1-65535) or false'],
    ['listen.address', { listen: { address: '' } }, 'listen.address: expected a non-empty string'],
    ['domain', { domain: 'bad domain' }, 'domain: expected a domain name'],
    ['hosts', { hosts: [] }, 'hosts: expected at least one domain'],
    ['hosts[1]', { hosts: ['a.example', 'x@y'] }, 'hosts[1]: expected a domain name'],
    ['data_dir', { data_dir: 5 }, 'data_dir: expected a non-empty string'],
    ['tls.cert', { tls: { cert: 1, key: 'k' } }, 'tls.cert: expected a non-empty string'],
    ['tls.key (pair)', { tls: { cert: 'c' } }, 'tls.key: required when tls.cert is set'],
    ['tls.cert (pair)', { tls: { key: 'k' } }, 'tls.cert: required when tls.key is set'],
    ['auth', { auth: { allow_plain_without_tls: 'yes' } }, 'auth.allow_plain_without_tls: expected true or false'],
    ['registration', { registration: { enabled: 1 } }, 'registration.enabled: expected true or false'],
    ['max_stanza_size', { limits: { max_stanza_size: 0 } }, 'limits.max_stanza_size: expected a positive integer'],
    ['rate', { limits: { rate_bytes_per_second: -1 } }, 'limits.rate_bytes_per_second: expected a non-negative integer'],
    ['burst', { limits: { rate_burst_bytes: 1.5 } }, 'limits.rate_burst_bytes: expected a positive integer'],
    ['handshake', { limits: { handshake_timeout: 0 } }, 'limits.handshake_timeout: expected a positive number of seconds'],
    ['idle', { limits: { idle_timeout: 'long' } }, 'limits.idle_timeout: expected a positive number of seconds'],
    ['storage.driver', { storage: { driver: 'postgres' } }, 'storage.driver: expected sqlite or memory'],
    ['storage.path', { storage: { path: '' } }, 'storage.path: expected a non-empty string'],
    ['archive.retention_days', { archive: { retention_days: -1 } }, 'archive.retention_days: expected a non-negative integer'],
    ['log.level', { log: { level: 'loud' } }, 'log.level: expected one of fatal, error, warn, info, debug, trace, silent'],
    ['modules', { modules: 'muc' }, 'modules: expected a list of module names'],
    ['modules[0]', { modules: [1] }, 'modules[0]: expected a module name'],
    ['server.name', { server: { name: '' } }, 'server.name: expected a non-empty string'],
    ['listen.s2s', { listen: { s2s: 'x' } }, 'listen.s2s: expected a port number (1-65535) or false'],
    ['s2s.enabled', { s2s: { enabled: 'yes' } }, 's2s.enabled: expected true or false'],
    ['s2s.routes value', { s2s: { routes: { 'b.example': 'nowhere' } } }, 's2s.routes.b.example: expected host:port or xmpps://host:port'],
    ['s2s.routes key', { s2s: { routes: { 'bad domain': 'h:1' } } }, 's2s.routes: expected domain names as keys'],
    ['s2s.idle_timeout', { s2s: { idle_timeout: 0 } }, 's2s.idle_timeout: expected a positive number of seconds'],
    ['s2s.connect_timeout', { s2s: { connect_timeout: -1 } }, 's2s.connect_timeout: expected a positive number of seconds'],
    ['s2s.max_queue', { s2s: { max_queue: 0 } }, 's2s.max_queue: expected a positive integer'],
    ['s2s.ping_after', { s2s: { ping_after: 0 } }, 's2s.ping_after: expected a positive number of seconds'],
    ['section type', { listen: [5222] }, 'listen: expected a mapping'],
    ['top level', ['a'], 'top level: expected a mapping'],
  ];

  it.each(cases)('%s', (_name, raw, message) => {
    const err = errorFor(raw);
    expect(err.message).toBe(message);
  });

  it('reports every bad key at once, one line', () => {
    const err = errorFor({ listen: { c2s: 'x' }, log: { level: 'loud' } });
    expect(err.issues.map((i) => i.key)).toEqual(['listen.c2s', 'log.level']);
    expect(err.message).not.toContain('\n');
  });

  it('rejects unknown keys at any depth, naming them', () => {
    const err = errorFor({ listen: { c2ss: 1 }, colour: 'red' });
    expect(err.issues).toEqual([
      { key: 'listen.c2ss', message: 'unknown key' },
      { key: 'colour', message: 'unknown key' },
    ]);
    expect(err.message).toBe('listen.c2ss: unknown key; colour: unknown key');
  });
});

describe('domain and hosts', () => {
  it('normalises domain to a one-element lowercase hosts list', () => {
    expect(parseConfig({ domain: 'Example.ORG' }, BASE).hosts).toEqual(['example.org']);
  });

  it('lowercases, strips a trailing dot and de-duplicates hosts', () => {
    const config = parseConfig({ hosts: ['A.example', 'b.example.', 'a.example'] }, BASE);
    expect(config.hosts).toEqual(['a.example', 'b.example']);
  });

  it('refuses both domain and hosts', () => {
    expect(errorFor({ domain: 'a.example', hosts: ['b.example'] }).message).toBe(
      'hosts: give either domain or hosts, not both',
    );
  });
});

describe('paths', () => {
  it('resolves relative paths against baseDir and keeps absolute ones', () => {
    const abs = path.resolve('/etc/perch/key.pem');
    const config = parseConfig({ data_dir: 'var', tls: { cert: 'certs/c.pem', key: abs } }, BASE);
    expect(config.data_dir).toBe(path.join(BASE, 'var'));
    expect(config.tls).toEqual({ cert: path.join(BASE, 'certs', 'c.pem'), key: abs });
    expect(config.storage.path).toBe(path.join(BASE, 'var', 'perch.sqlite'));
  });

  it('resolves an explicit storage.path against baseDir', () => {
    expect(parseConfig({ storage: { path: 'db/x.sqlite' } }, BASE).storage.path).toBe(path.join(BASE, 'db', 'x.sqlite'));
  });

  it('resolves s2s.ca_file against baseDir and lowercases s2s.routes domains', () => {
    const config = parseConfig({ s2s: { ca_file: 'ca.pem', routes: { 'Mantua.Example': 'xmpps://[::1]:5270' } } }, BASE);
    expect(config.s2s.ca_file).toBe(path.join(BASE, 'ca.pem'));
    expect(config.s2s.routes).toEqual({ 'mantua.example': 'xmpps://[::1]:5270' });
  });
});

describe('loadConfig', () => {
  let dir: string;
  const savedEnv = process.env.PERCH_CONFIG;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'perch-config-'));
    delete process.env.PERCH_CONFIG;
  });

  afterEach(async () => {
    if (savedEnv === undefined) delete process.env.PERCH_CONFIG;
    else process.env.PERCH_CONFIG = savedEnv;
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and resolves paths against its directory', async () => {
    const file = path.join(dir, 'perch.yaml');
    await writeFile(file, 'domain: chat.example\ndata_dir: state\nlisten:\n  c2s: 0\n');
    const config = await loadConfig(file);
    expect(config.hosts).toEqual(['chat.example']);
    expect(config.data_dir).toBe(path.join(dir, 'state'));
    expect(config.listen.c2s).toBe(0);
  });

  it('falls back to $PERCH_CONFIG', async () => {
    const file = path.join(dir, 'env.yaml');
    await writeFile(file, 'server:\n  name: FromEnv\n');
    process.env.PERCH_CONFIG = file;
    expect((await loadConfig()).server.name).toBe('FromEnv');
  });

  it('uses defaults relative to the working directory without a file', async () => {
    const config = await loadConfig();
    expect(config.data_dir).toBe(path.join(process.cwd(), 'data'));
  });

  it('treats an empty file as all defaults', async () => {
    const file = path.join(dir, 'empty.yaml');
    await writeFile(file, '# nothing here\n');
    expect((await loadConfig(file)).hosts).toEqual(['localhost']);
  });

  it('names the file and line of a YAML syntax error', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'domain: a.example\nlisten:\n  c2s: 5222\n c2s_tls: 5223\n');
    const err = await loadConfig(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/broken\.yaml: YAML syntax error at line 4, column \d+: /);
    expect((err as Error).message).not.toContain('\n');
  });

  it('prefixes validation errors with the file name', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'listen:\n  c2s: nope\n');
    await expect(loadConfig(file)).rejects.toThrow(`${file}: listen.c2s: expected a port number (1-65535) or false`);
  });

  it('reports a missing file as a ConfigError', async () => {
    const file = path.join(dir, 'missing.yaml');
    await expect(loadConfig(file)).rejects.toThrow(`${file}: cannot read config file: no such file`);
  });
});

describe('perch.example.yaml', () => {
  const example = new URL('../../../perch.example.yaml', import.meta.url);

  it('is valid as shipped', async () => {
    const file = await mkdtemp(path.join(tmpdir(), 'perch-example-'));
    try {
      const copy = path.join(file, 'perch.yaml');
      await writeFile(copy, await readFile(example, 'utf8'));
      expect(await loadConfig(copy)).toEqual(parseConfig({}, file));
    } finally {
      await rm(file, { recursive: true, force: true });
    }
  });

  it('documents the real defaults: uncommenting every setting changes nothing', async () => {
    const text = await readFile(example, 'utf8');
    // Settings are written `# key: value`; prose never starts with a lowercase `word:`.
    const uncommented = text.replace(/^(\s*)# ([a-z_]+:.*)$/gm, '$1$2');
    const raw = YAML.parse(uncommented) as { tls: unknown };
    expect(raw).toHaveProperty('domain', 'localhost');
    raw.tls = null; // the example paths are illustrations, not defaults
    const dataDir = path.join(BASE, 'data');
    expect(parseConfig(raw, BASE)).toEqual({ ...parseConfig({}, BASE), data_dir: dataDir });
  });
});
