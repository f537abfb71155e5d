/**
 * Memory per idle session: the server's resident set (VmRSS) is read after a
 * warm-up, then 1,000 sessions log in (SCRAM-SHA-256, bound, initial
 * presence, one ping to be sure the server has processed it all) and stay
 * idle; once RSS has settled it is read again. Reports (after - before) /
 * 1,000. RSS, not the JS heap, is what an operator pays for.
 *
 * References: proc(5) VmRSS; RFC 6121 §4.2 (initial presence).
 */
import { RawClient } from '../load/raw-client.js';
import { mapLimit, readRssKb, sleep } from '../servers/common.js';
import { accountLogin, type Metric, type Scenario } from './scenario.js';

const SESSIONS = 1000;
const WARM_UP_SESSIONS = 50;
const CONCURRENCY = 50;

/** Waits 3 s, then until RSS moves less than 1% over 2 s (at most 20 s). */
export async function settledRss(pid: number): Promise<number> {
  await sleep(3000);
  const recent: number[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    recent.push(await readRssKb(pid));
    if (recent.length > 4) recent.shift();
    const spread = Math.max(...recent) - Math.min(...recent);
    if ((recent.length === 4 && spread <= recent.at(-1)! * 0.01) || Date.now() > deadline) return recent.at(-1)!;
    await sleep(500);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const memory: Scenario = {
  name: 'memory',
  accountsNeeded: SESSIONS,
  async run(target, progress) {
    const pid = target.pid;
    if (pid === undefined) {
      progress('skipped: the server pid is unknown (pass --pid)');
      return [];
    }
    const warm = await mapLimit(range(WARM_UP_SESSIONS), CONCURRENCY, (i) => RawClient.login(accountLogin(target, i, { resource: 'warm' })));
    await Promise.all(warm.map((c) => c.ping()));
    await Promise.all(warm.map((c) => c.close()));
    const before = await settledRss(pid);
    const clients = await mapLimit(range(SESSIONS), CONCURRENCY, async (i) => {
      const client = await RawClient.login(accountLogin(target, i, { resource: 'idle' }));
      await client.ping();
      return client;
    });
    const after = await settledRss(pid);
    progress(`RSS ${(before / 1024).toFixed(1)} MiB -> ${(after / 1024).toFixed(1)} MiB with ${SESSIONS} sessions`);
    await mapLimit(clients, 100, (c) => c.close());
    const metrics: Metric[] = [
      { label: 'RSS per idle session', value: (after - before) / SESSIONS, unit: 'KiB', higherIsBetter: false },
      { label: 'RSS before sessions', value: before / 1024, unit: 'MiB', higherIsBetter: false },
      { label: `RSS with ${SESSIONS} sessions`, value: after / 1024, unit: 'MiB', higherIsBetter: false },
    ];
    return metrics;
  },
};
