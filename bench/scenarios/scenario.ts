/**
 * The shape every benchmark scenario shares: it gets a target (address,
 * domain, pre-created accounts, optionally the server's pid) and returns
 * named figures for the report table. Also timing, CPU accounting and
 * statistics helpers.
 *
 * References: proc(5) (`/proc/<pid>/stat`).
 */
import type { RawClientOptions } from '../load/raw-client.js';
import { readCpuMs, type AccountSet, type MucCounts, type ServerUnderTest, type StartOptions } from '../servers/common.js';

export interface BenchTarget {
  host: string;
  port: number;
  domain: string;
  pid?: number;
  accounts: AccountSet;
  /** Stanzas the MUC service routed so far, when the server was started with the probe. */
  mucCounts?: () => Promise<MucCounts>;
  /** The room the MUC scenarios use, when not `bench@rooms.<domain>` (e.g. on another server). */
  room?: string;
}

/** One report column: a server started with some options. */
export interface Variant {
  column: string;
  options?: StartOptions;
}

export interface Metric {
  /** Row label, e.g. "logins/s". */
  label: string;
  value: number;
  unit: string;
  higherIsBetter: boolean;
}

export interface Scenario {
  name: string;
  /** How many accounts (`${prefix}0` upwards) the scenario logs in. */
  accountsNeeded: number;
  /** The columns to measure on `server` (default: one, the server as it is, named after it). */
  variants?(server: ServerUnderTest): Variant[];
  run(target: BenchTarget, progress: (line: string) => void): Promise<Metric[]>;
}

/**
 * A scenario that measures Perch's own code in this process rather than a
 * running server (the archive storage, say): it runs once, in the Perch
 * column, whichever servers are compared.
 */
export interface LocalScenario {
  name: string;
  local: true;
  run(progress: (line: string) => void): Promise<Metric[]>;
}

/**
 * A scenario that starts the servers it needs itself (two federated Perch
 * processes, say), once per report column; like a local scenario it runs
 * whichever servers are compared.
 */
export interface SelfStartingScenario {
  name: string;
  selfStarting: true;
  columns: readonly string[];
  run(column: string, progress: (line: string) => void): Promise<Metric[]>;
}

/** Login options for account number `index` of the target. */
export function accountLogin(target: BenchTarget, index: number, extra: Partial<RawClientOptions> = {}): RawClientOptions {
  if (index >= target.accounts.count) throw new Error(`scenario needs more than ${target.accounts.count} accounts`);
  return {
    host: target.host,
    port: target.port,
    domain: target.domain,
    username: `${target.accounts.prefix}${index}`,
    password: target.accounts.password,
    ...extra,
  };
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

export interface Measured<T> {
  result: T;
  elapsedMs: number;
  /** CPU the server process used meanwhile; undefined without a pid. */
  serverCpuMs?: number;
  /** CPU this (generator) process used meanwhile. */
  generatorCpuMs: number;
}

/**
 * Runs `work` and records wall time and the CPU time both processes spent:
 * on a machine shared by generator and server, server CPU per operation is
 * steadier than throughput alone.
 */
export async function measure<T>(pid: number | undefined, work: () => Promise<T>): Promise<Measured<T>> {
  const serverBefore = pid === undefined ? undefined : await readCpuMs(pid);
  const generatorBefore = process.cpuUsage();
  const start = performance.now();
  const result = await work();
  const elapsedMs = since(start);
  const generator = process.cpuUsage(generatorBefore);
  const serverCpuMs = serverBefore === undefined ? undefined : (await readCpuMs(pid!)) - serverBefore;
  return { result, elapsedMs, serverCpuMs, generatorCpuMs: (generator.user + generator.system) / 1000 };
}

/** "server 95% CPU, generator 80% CPU" (100% = one core). */
export function cpuSummary(m: Measured<unknown>): string {
  const pct = (ms: number) => `${((ms / m.elapsedMs) * 100).toFixed(0)}%`;
  const server = m.serverCpuMs === undefined ? 'server CPU unknown' : `server ${pct(m.serverCpuMs)} CPU`;
  return `${server}, generator ${pct(m.generatorCpuMs)} CPU`;
}
