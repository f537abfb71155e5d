/**
 * Runs the built Perch (`node dist/main.js start`) as a child process for the
 * benchmark: a temp data dir with its SQLite file, plaintext c2s on a free
 * loopback port (TLS and HTTP listeners off), no read-rate limit, a long idle
 * timeout and log level warn. The accounts are created once, before the
 * first start, in this process through `dist/core/accounts.js` (much faster
 * than one `perch user add` process per account).
 *
 * A scenario may start it with `account_rooms.enabled` set either way, on
 * a domain of its own with s2s listening and routes pinned (federation), and
 * with the MUC probe (muc-probe.ts, transpiled to JavaScript in the temp
 * dir and preloaded with `--import`), read back over a Unix socket.
 *
 * Extra node flags for the server process can be given in
 * BENCH_PERCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/perch-prof`.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  BENCH_DOMAIN,
  LOOPBACK,
  freePort,
  makeTempDir,
  mapLimit,
  removeTempDir,
  spawnServer,
  stopChild,
  waitForListener,
  type AccountSet,
  type MucCounts,
  type RunningTarget,
  type ServerUnderTest,
  type StartOptions,
} from './common.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_MAIN = join(ROOT, 'dist/main.js');

type AccountsModule = typeof import('../../src/core/accounts.js');
type ConfigModule = typeof import('../../src/core/config/config.js');

/** The built module (dist/), typed by its source. */
async function importDist<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(join(ROOT, 'dist', relative)).href)) as T;
}

function configYaml(domain: string, dataDir: string, port: number, options: StartOptions = {}): string {
  const { s2s } = options;
  return [
    `domain: ${domain}`,
    `data_dir: ${JSON.stringify(dataDir)}`,
    `listen: { address: ${LOOPBACK}, c2s: ${port}, c2s_tls: false, http: false${s2s ? `, s2s: ${s2s.port}` : ', s2s: false'}, s2s_tls: false }`,
    'auth: { allow_plain_without_tls: true }',
    'limits: { rate_bytes_per_second: 0, idle_timeout: 3600, handshake_timeout: 120 }',
    'log: { level: warn }',
    ...(options.accountRooms === undefined ? [] : [`account_rooms: { enabled: ${options.accountRooms} }`]),
    // Self-signed certificates on both sides: dialback over TLS, as `s2s.secure: false` allows.
    ...(s2s ? [`s2s: { secure: false, routes: ${JSON.stringify(s2s.routes)} }`] : []),
    '',
  ].join('\n');
}

async function createAccounts(configFile: string, accounts: AccountSet, domain: string): Promise<void> {
  const { loadConfig } = await importDist<ConfigModule>('core/config/config.js');
  const { openAccounts } = await importDist<AccountsModule>('core/accounts.js');
  const store = openAccounts(await loadConfig(configFile));
  try {
    const indexes = Array.from({ length: accounts.count }, (_, i) => i);
    // PBKDF2 runs on libuv's pool: a few in flight keep every core busy.
    await mapLimit(indexes, 8, (i) => store.accounts.create(`${accounts.prefix}${i}@${domain}`, accounts.password));
  } finally {
    await store.close();
  }
}

export async function perchVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** A Perch data dir with `accounts` on `domain` (federation scenarios run two, on different domains). */
export async function preparePerch(accounts: AccountSet, domain = BENCH_DOMAIN): Promise<ServerUnderTest> {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const dir = await makeTempDir('perch');
  const configFile = join(dir, 'perch.yaml');
  await writeFile(configFile, configYaml(domain, join(dir, 'data'), 0));
  await createAccounts(configFile, accounts, domain);
  return {
    name: 'Perch',
    version: await perchVersion(),
    accounts,
    start: (options) => startPerch(dir, configFile, domain, options),
    dispose: async () => removeTempDir(dir),
  };
}

/** The MUC probe as plain JavaScript in `dir` (no TypeScript loader in the server). */
async function writeProbe(dir: string): Promise<string> {
  const source = await readFile(join(ROOT, 'bench/servers/muc-probe.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(dir, 'muc-probe.mjs');
  await writeFile(file, outputText);
  return file;
}

/** The probe's counts, read over its Unix socket. */
function readMucCounts(socketPath: string): Promise<MucCounts> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(socketPath);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        resolve(JSON.parse(text) as MucCounts);
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

async function startPerch(dir: string, configFile: string, domain: string, options: StartOptions = {}): Promise<RunningTarget> {
  const port = await freePort();
  await writeFile(configFile, configYaml(domain, join(dir, 'data'), port, options));
  const nodeArgs = process.env.BENCH_PERCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const socketPath = join(dir, 'muc-probe.sock');
  const env = { ...process.env };
  if (options.mucProbe) {
    // A server killed earlier may have left its socket file behind.
    await rm(socketPath, { force: true });
    nodeArgs.push('--import', pathToFileURL(await writeProbe(dir)).href);
    env.BENCH_PERCH_PROBE_SOCKET = socketPath;
  }
  const child = spawnServer('perch', process.execPath, [...nodeArgs, DIST_MAIN, 'start', '--config', configFile], { cwd: dir, env });
  try {
    await waitForListener(child, port);
    if (options.s2s) await waitForListener(child, options.s2s.port);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const mucCounts = options.mucProbe ? () => readMucCounts(socketPath) : undefined;
  return { host: LOOPBACK, port, domain, pid: child.pid, mucCounts, stop: () => stopChild(child) };
}
