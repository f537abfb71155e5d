/**
 * Memory per hibernated session (XEP-0198): the server's resident set is
 * read after a warm-up of 1,000 logins that close their streams, then 1,000
 * sessions log in, enable resumable stream management, make one ping round
 * trip and drop their TCP connection without closing the stream, so the
 * server keeps each session hibernating (bound, available, queueing) for its
 * resumption timeout. Once RSS has settled it is read again. Reports
 * (after - before) / 1,000: what a phone that lost its network costs the
 * server while it may still come back.
 *
 * References: XEP-0198 §5 (resumption), §7 (an unfinished stream is kept);
 * proc(5) VmRSS.
 */
import { RawClient } from '../load/raw-client.js';
import { mapLimit } from '../servers/common.js';
import { accountLogin, type BenchTarget, type Metric, type Scenario } from './scenario.js';
import { settledRss } from './memory.js';

const SESSIONS = 1000;
const CONCURRENCY = 50;
const ENABLE = "<enable xmlns='urn:xmpp:sm:3' resume='true'/>";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Logs in with resumable stream management; the ping proves the enable was handled. */
async function resumableSession(target: BenchTarget, index: number, resource: string): Promise<RawClient> {
  const client = await RawClient.login(accountLogin(target, index, { resource }));
  await client.send(ENABLE);
  await client.ping();
  return client;
}

export const hibernation: Scenario = {
  name: 'hibernation',
  accountsNeeded: SESSIONS,
  async run(target, progress) {
    const pid = target.pid;
    if (pid === undefined) {
      progress('skipped: the server pid is unknown (pass --pid)');
      return [];
    }
    // As many logins as measured, closing their streams (so none hibernates):
    // the heap grows to what logins churn through before "before" is read,
    // and the figure is what hibernating sessions keep, not login garbage.
    await mapLimit(range(SESSIONS), CONCURRENCY, async (i) => (await resumableSession(target, i, 'warm')).close());
    const before = await settledRss(pid);
    await mapLimit(range(SESSIONS), CONCURRENCY, async (i) => (await resumableSession(target, i, 'phone')).destroy());
    const after = await settledRss(pid);
    progress(`RSS ${(before / 1024).toFixed(1)} MiB -> ${(after / 1024).toFixed(1)} MiB with ${SESSIONS} hibernating sessions`);
    const metrics: Metric[] = [
      { label: 'RSS per hibernated session', value: (after - before) / SESSIONS, unit: 'KiB', higherIsBetter: false },
      { label: `RSS with ${SESSIONS} hibernated sessions`, value: after / 1024, unit: 'MiB', higherIsBetter: false },
    ];
    return metrics;
  },
};
