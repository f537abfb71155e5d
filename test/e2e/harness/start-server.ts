/**
 * Starts a real Perch server for an end-to-end test: ephemeral loopback
 * ports, a temporary data directory with its own SQLite file and
 * certificate, and helpers to create accounts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/core/config/config.js';
import { createLogger } from '../../../src/core/log.js';
import { startServer, type RunningServer } from '../../../src/core/server.js';

export interface TestServer {
  domain: string;
  ports: { c2s: number; c2s_tls: number; http: number };
  dataDir: string;
  running: RunningServer;
  createUser(username: string, password?: string): Promise<{ jid: string; username: string; password: string }>;
  /** Fresh accounts for one test (`romeo3`, `juliet3`…), so no test sees another's data; password `<name>-secret`. */
  createFreshUsers(...names: string[]): Promise<string[]>;
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same data dir and config (new ephemeral ports); `whileDown` runs in between. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

export type RawConfig = Record<string, unknown>;

export async function startTestServer(overrides: RawConfig = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'perch-e2e-'));
  const domain = (overrides.domain as string | undefined) ?? 'localhost';
  const raw = {
    data_dir: dataDir,
    ...overrides,
    listen: { address: '127.0.0.1', c2s: 0, c2s_tls: 0, http: 0, s2s: 0, s2s_tls: 0, ...(overrides.listen as object) },
    log: { level: process.env.PERCH_TEST_LOG ?? 'silent' },
  };
  const config = parseConfig(raw, dataDir);
  let running = await startServer(config, createLogger(config.log.level));
  let freshRound = 0;
  async function createUser(username: string, password = `${username}-secret`) {
    const jid = `${username}@${config.hosts[0]}`;
    await running.server.accounts.create(jid, password);
    return { jid, username, password };
  }
  const server: TestServer = {
    domain: config.hosts[0],
    ports: running.ports as TestServer['ports'],
    dataDir,
    running,
    createUser,
    async createFreshUsers(...names) {
      freshRound++;
      const usernames = names.map((name) => `${name}${freshRound}`);
      for (const username of usernames) await createUser(username);
      return usernames;
    },
    async stop() {
      await running.stop('test finished');
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart(whileDown) {
      await running.stop('test restart');
      await whileDown?.();
      running = await startServer(config, createLogger(config.log.level));
      server.running = running;
      server.ports = running.ports as TestServer['ports'];
    },
  };
  return server;
}
