/**
 * What the benchmark needs from a server under test, and the plumbing shared
 * by the Perch and Prosody starters: free loopback ports, waiting for a
 * listener, child processes and temp dirs that are always cleaned up (on
 * normal exit, on error and on Ctrl-C), and reading a process's RSS.
 *
 * References: proc(5) (`/proc/<pid>/status` VmRSS, `/proc/<pid>/stat` utime
 * and stime).
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Accounts `${prefix}0` .. `${prefix}${count - 1}`, all with one password. */
export interface AccountSet {
  prefix: string;
  password: string;
  count: number;
}

/** Stanzas the server's MUC service routed so far, by element name. */
export interface MucCounts {
  message: number;
  presence: number;
  iq: number;
}

/** What a scenario may ask of a server it starts; servers ignore what they do not know. */
export interface StartOptions {
  /** Perch's `account_rooms.enabled`; unset leaves the default. */
  accountRooms?: boolean;
  /** Count the stanzas the MUC service routes (Perch: servers/muc-probe.ts). */
  mucProbe?: boolean;
  /** Federation (Perch): s2s on this port (STARTTLS only), `s2s.secure: false`, domains pinned to host:port. */
  s2s?: { port: number; routes: Record<string, string> };
}

/** A running server the generator can point at. */
export interface RunningTarget {
  host: string;
  port: number;
  domain: string;
  /** For memory readings; absent for an external server without --pid. */
  pid?: number;
  /** Present when started with `mucProbe` on a server that supports it. */
  mucCounts?: () => Promise<MucCounts>;
  stop(): Promise<void>;
}

/** A server prepared once (data dir, accounts) and started fresh per scenario. */
export interface ServerUnderTest {
  name: string;
  version: string;
  accounts: AccountSet;
  start(options?: StartOptions): Promise<RunningTarget>;
  dispose(): Promise<void>;
}

export const LOOPBACK = '127.0.0.1';
export const BENCH_DOMAIN = 'localhost';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

// Last-resort cleanup: 'exit' handlers must be synchronous.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping servers\n`);
    process.exit(130);
  });
}

export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `perch-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a server process whose output is prefixed and forwarded to our
 * stderr; the child is killed if the benchmark exits first.
 */
export function spawnServer(
  label: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
  /** Output lines not worth showing (e.g. the server acknowledging our SIGTERM). */
  quiet?: RegExp,
): ChildProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const forward = (data: Buffer) => {
    for (const line of data.toString().split('\n')) {
      if (line.trim() && !quiet?.test(line)) process.stderr.write(`[${label}] ${line}\n`);
    }
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}

/** Resolves once `port` accepts connections; rejects if the child dies first. */
export async function waitForListener(child: ChildProcess, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`);
    }
    if (await canConnect(port)) return;
    await sleep(50);
  }
  throw new Error(`server did not listen on ${port} within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL if the process has not gone after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process in KiB (VmRSS). */
export async function readRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

let ticksPerSecond: number | undefined;

/** User + system CPU time a process has used so far, in ms (clock-tick resolution). */
export async function readCpuMs(pid: number): Promise<number> {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `task` for each item with at most `limit` in flight; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
