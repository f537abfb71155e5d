/**
 * Plumbing shared by the interop harnesses (prosody-server.ts,
 * ejabberd-server.ts) that run servers nobody here wrote: what a started
 * server offers a test, temp dirs owned by the server's system user,
 * certificates (self-signed, or issued by a test CA the test passes in),
 * loopback ports, and server processes that die with the test process.
 *
 * References: RFC 6120 §13.7.1.2 (server certificates: DNS names in
 * subjectAltName); RFC 5280 §4.2.1.6 (subjectAltName), §4.2.1.12 (EKU);
 * XEP-0178 §2 (certificates for s2s SASL EXTERNAL).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** What a running interop server offers a test. */
export interface InteropServer {
  /** e.g. 'Prosody 0.12.3'. */
  name: string;
  domain: string;
  /** Its own loopback address; c2s and s2s listen there only. */
  address: string;
  c2sPort: number;
  /** Always 5269: peers find it through a hosts file or SRV-less fallback. */
  s2sPort: number;
  mucDomain: string;
  dir: string;
  logFile: string;
  createUser(username: string, password: string): Promise<{ jid: string; username: string; password: string }>;
  /** Stops the process and starts it again on the same data, config and ports; `whileDown` runs in between. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** The server's log so far (for assertion messages). */
  readLog(): string;
  /** Stops the process and removes the temp dir. */
  stop(): Promise<void>;
}

/** Options both harnesses take. */
export interface InteropOptions {
  domain?: string;
  /** Loopback address of its own (127.0.0.2, 127.0.0.3, …); s2s binds port 5269 there. */
  address?: string;
  /** Remote domains this server must find, by address (e.g. `{ 'perch.test': '127.0.0.1' }`); s2s port 5269 there. */
  peers?: Record<string, string>;
  /** Issue the server's certificate from this CA and trust it for s2s (secure auth on); self-signed otherwise. */
  ca?: TestCa;
  /** Server log level (default debug: stanzas in the log help when interop fails; readiness is read from info lines). */
  logLevel?: 'debug' | 'info';
}

/** A CA's PEM certificate and key, e.g. `createTestCa()` from ./s2s.js, so Perch and the remote server share it. */
export interface TestCa {
  cert: string;
  key: string;
}

export const S2S_PORT = 5269;
/** The server user's owner ids when we are root: neither server should run as root. */
export type Owner = { uid: number; gid: number } | undefined;

const serverDirs = new Set<string>();

export async function makeServerDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `perch-interop-${label}-`));
  serverDirs.add(dir);
  return dir;
}

export async function removeServerDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  serverDirs.delete(dir);
}

/** Ids of the server's system user when we are root, so it can run as that user. */
export function systemUser(name: string): Owner {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no system user ${name}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function chownTree(path: string, owner: Owner): Promise<void> {
  if (!owner) return;
  await chown(path, owner.uid, owner.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await chownTree(join(path, entry.name), owner);
    else await chown(join(path, entry.name), owner.uid, owner.gid);
  }
}

/** Runs a command to completion; rejects with its output on failure. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } & Partial<NonNullable<Owner>> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Key and certificate files of a server, and its copy of the CA certificate it trusts for s2s. */
export interface ServerCertificate {
  certFile: string;
  keyFile: string;
  /** Set with a test CA: a copy in the server's dir, which the server user can read. */
  caFile?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A certificate for `domain` and its subdomains (the MUC component),
 * issued by `ca` or self-signed, with both serverAuth and clientAuth: an
 * s2s certificate serves incoming streams and authenticates outgoing ones.
 */
export async function issueCertificate(dir: string, domain: string, ca?: TestCa): Promise<ServerCertificate> {
  const leaf = await generate([{ name: 'commonName', value: domain }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - DAY_MS),
    notAfterDate: new Date(Date.now() + 90 * DAY_MS),
    ...(ca ? { ca: { key: ca.key, cert: ca.cert } } : {}),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [domain, `*.${domain}`].map((value) => ({ type: 2 as const, value })) },
    ],
  });
  const files: ServerCertificate = { certFile: join(dir, `${domain}.crt`), keyFile: join(dir, `${domain}.key`) };
  // PEM files end with a newline, so they concatenate into a valid bundle (ejabberd's certfiles).
  const pem = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  await writeFile(files.certFile, pem(leaf.cert));
  await writeFile(files.keyFile, pem(leaf.private), { mode: 0o600 });
  if (!ca) return files;
  // The test's own copy may sit in a dir the server user cannot read.
  files.caFile = join(dir, 'test-ca.crt');
  await writeFile(files.caFile, pem(ca.cert));
  return files;
}

/** `/etc/hosts`-format lines mapping each peer domain to its address. */
export function hostsText(peers: Record<string, string>): string {
  return Object.entries(peers).map(([domain, address]) => `${address} ${domain}\n`).join('');
}

/** A TCP port free on `address` right now (the OS picks it). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Fails early and clearly on a non-loopback address or when a leftover server still holds the s2s port. */
export async function assertPortFree(address: string, port: number): Promise<void> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`${address} is not an IPv4 loopback address (127.x.y.z)`);
  if (await canConnect(address, port)) {
    throw new Error(`${address}:${port} is already taken (a server left over from an earlier run, or another test file using that address?)`);
  }
}

const running = new Set<ServerProcess>();
// 'exit' handlers must be synchronous: kill what is left, whole process groups.
process.on('exit', () => {
  for (const server of running) server.killNow();
  for (const dir of serverDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A server process in its own process group (its cwd is the server's temp
 * dir), with a watchdog that kills the group and removes that dir if the
 * test process dies without running its exit handlers (e.g. a worker
 * killed by the test runner). Keeps the output's tail.
 */
export class ServerProcess {
  private output = '';
  private readonly exited: Promise<void>;
  private readonly watchdog: ChildProcess;

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    dir: string,
  ) {
    running.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (data: Buffer) => (this.output = (this.output + data.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // The watchdog reads stdin until our end of the pipe closes, which happens when we die.
    const script = 'cat >/dev/null; kill -KILL -"$1" 2>/dev/null; sleep 1; rm -rf "$2"';
    this.watchdog = spawn('/bin/sh', ['-c', script, 'watchdog', String(child.pid), dir], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    this.watchdog.unref();
    (this.watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  }

  static start(label: string, command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; owner: Owner }): ServerProcess {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      ...options.owner,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(label, child, options.cwd);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get recentOutput(): string {
    return this.output;
  }

  /** Resolves once `address:port` accepts connections; rejects if the process dies first. */
  async waitForPort(address: string, port: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before listening on ${address}:${port}`);
      if (await canConnect(address, port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.label} did not listen on ${address}:${port} within ${timeoutMs} ms`);
  }

  /**
   * Resolves once what the server logged after byte `from` of `logFile`
   * matches `ready`; rejects on `fatal` or if the process dies first.
   */
  async waitForLog(logFile: string, from: number, ready: RegExp, fatal: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = existsSync(logFile) ? readFileSync(logFile).subarray(from).toString() : '';
      const failure = fatal.exec(text);
      if (failure) throw new Error(`${this.label} logged: ${text.slice(failure.index, failure.index + 500)}`);
      if (ready.test(text)) return;
      if (!this.alive) throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before it was ready`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.label} was not ready within ${timeoutMs} ms`);
  }

  /**
   * Asks the server to stop with SIGTERM (sent to `serverPid` when the
   * process we spawned is a wrapper script), then kills the group.
   */
  async stop(serverPid = this.child.pid, graceMs = 10_000): Promise<void> {
    if (this.alive && serverPid) signal(serverPid, 'SIGTERM');
    const timer = setTimeout(() => this.killNow(), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Children of the server (port programs) go with it.
    if (this.child.pid) signal(-this.child.pid, 'SIGKILL');
    this.watchdog.kill('SIGKILL');
    running.delete(this);
  }

  killNow(): void {
    if (this.child.pid) signal(-this.child.pid, 'SIGKILL');
    this.watchdog.kill('SIGKILL');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Where a log file ends now, so a restarted server's readiness is read from its new lines only. */
export function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** The last lines of a log file, for failure messages. */
export function logTail(file: string, lines = 60): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Runs `start`; on failure stops what started and rethrows with the log's tail. */
export async function withLogOnFailure<T>(label: string, logFile: string, proc: () => ServerProcess | undefined, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const child = proc();
    const output = child?.recentOutput ?? '';
    await child?.stop();
    throw new Error(`${label} failed to start: ${(err as Error).message}\n--- output ---\n${output}\n--- ${logFile} ---\n${logTail(logFile)}`);
  }
}
