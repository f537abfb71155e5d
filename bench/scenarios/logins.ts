/**
 * Login rate: 1,000 complete logins with SCRAM-SHA-256, 20 at a time. Each
 * login is a fresh TCP connection taken through stream open, SASL, stream
 * restart and resource binding; latency is connect to bind result. Worker
 * `w` always logs in as account `w` (with a new resource each time), after
 * one unmeasured warm-up login per worker that also fills the generator's
 * SCRAM key cache, so the figures are the server's cost, not PBKDF2 in the
 * generator. Sessions are closed outside the measured latency.
 *
 * References: RFC 6120 §4–§7; RFC 7677 (SCRAM-SHA-256).
 */
import { RawClient } from '../load/raw-client.js';
import { mapLimit } from '../servers/common.js';
import { accountLogin, cpuSummary, measure, percentile, since, type BenchTarget, type Metric, type Scenario } from './scenario.js';

const LOGINS = 1000;
const CONCURRENCY = 20;

async function loginLoop(target: BenchTarget, latencies: number[], closing: Promise<void>[]): Promise<void> {
  let next = 0;
  const worker = async (w: number) => {
    while (next < LOGINS) {
      const n = next++;
      const began = performance.now();
      const client = await RawClient.login(accountLogin(target, w, { resource: `login-${n}`, presence: false }));
      latencies.push(since(began));
      closing.push(client.close());
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
}

export const logins: Scenario = {
  name: 'logins',
  accountsNeeded: CONCURRENCY,
  async run(target, progress) {
    const workers = Array.from({ length: CONCURRENCY }, (_, w) => w);
    await mapLimit(workers, CONCURRENCY, async (w) => {
      const client = await RawClient.login(accountLogin(target, w, { resource: `warm-${w}`, presence: false }));
      await client.close();
    });
    const latencies: number[] = [];
    const closing: Promise<void>[] = [];
    const run = await measure(target.pid, () => loginLoop(target, latencies, closing));
    await Promise.all(closing);
    progress(`${LOGINS} logins in ${run.elapsedMs.toFixed(0)} ms; ${cpuSummary(run)}`);
    const metrics: Metric[] = [
      { label: 'logins/s (SCRAM-SHA-256, 20 concurrent)', value: (LOGINS / run.elapsedMs) * 1000, unit: '/s', higherIsBetter: true },
      { label: 'login latency p50', value: percentile(latencies, 50), unit: 'ms', higherIsBetter: false },
      { label: 'login latency p95', value: percentile(latencies, 95), unit: 'ms', higherIsBetter: false },
    ];
    if (run.serverCpuMs !== undefined) {
      metrics.push({ label: 'server CPU per login', value: run.serverCpuMs / LOGINS, unit: 'ms', higherIsBetter: false });
    }
    return metrics;
  },
};
