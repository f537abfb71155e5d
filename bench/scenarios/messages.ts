/**
 * One-to-one message throughput: senders pipeline 50,000 chat messages in
 * total to their receivers' full JIDs, in batches of 100 with at most 2,000
 * undelivered per pair (so we measure sustained delivery, not how much the
 * server can buffer). Receivers count `<message` in what they read. Two
 * variants: one pair, and ten pairs sharing the 50,000 messages. Each
 * variant runs three times on the same sessions; the median round is
 * reported, with the server CPU it used per 1,000 messages.
 *
 * References: RFC 6121 §5.1 (one-to-one chat), §8.5.3 (message to a full JID).
 */
import { RawClient } from '../load/raw-client.js';
import { accountLogin, cpuSummary, measure, type BenchTarget, type Measured, type Metric, type Scenario } from './scenario.js';

const TOTAL = 50_000;
const BATCH = 100;
const WINDOW = 2_000;
const DELIVERY_TIMEOUT_MS = 120_000;
const ROUNDS = 3;

interface Pair {
  sender: RawClient;
  receiver: RawClient;
}

async function pump({ sender, receiver }: Pair, count: number, tag: string): Promise<void> {
  const base = receiver.received('<message');
  let sent = 0;
  while (sent < count) {
    if (sender.received('<message') > 0) throw new Error(`${sender.jid} got a message back (bounce?)`);
    if (sent - (receiver.received('<message') - base) >= WINDOW) {
      await receiver.waitFor('<message', base + sent - WINDOW / 2, DELIVERY_TIMEOUT_MS);
      continue;
    }
    const n = Math.min(BATCH, count - sent);
    let batch = '';
    for (let i = sent; i < sent + n; i++) {
      batch += `<message to='${receiver.jid}' type='chat' id='${tag}-${i}'><body>Benchmark message number ${i}</body></message>`;
    }
    await sender.send(batch);
    sent += n;
  }
  await receiver.waitFor('<message', base + count, DELIVERY_TIMEOUT_MS);
}

async function loginPairs(target: BenchTarget, pairCount: number): Promise<Pair[]> {
  const pairs = await Promise.all(
    Array.from({ length: pairCount }, async (_, p) => ({
      sender: await RawClient.login(accountLogin(target, 2 * p, { resource: 'sender' })),
      receiver: await RawClient.login(accountLogin(target, 2 * p + 1, { resource: 'receiver' })),
    })),
  );
  await Promise.all(pairs.flatMap((p) => [p.sender.ping(), p.receiver.ping()]));
  return pairs;
}

/** ROUNDS runs of TOTAL messages over `pairCount` pairs; the median by duration. */
async function medianRound(target: BenchTarget, pairCount: number): Promise<Measured<void>> {
  const pairs = await loginPairs(target, pairCount);
  try {
    const rounds: Measured<void>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const work = () => Promise.all(pairs.map((pair, p) => pump(pair, TOTAL / pairCount, `r${round}p${p}`))).then(() => {});
      rounds.push(await measure(target.pid, work));
    }
    return rounds.sort((a, b) => a.elapsedMs - b.elapsedMs)[Math.floor(ROUNDS / 2)]!;
  } finally {
    await Promise.all(pairs.flatMap((p) => [p.sender.close(), p.receiver.close()]));
  }
}

export const messages: Scenario = {
  name: 'messages',
  accountsNeeded: 20,
  async run(target, progress) {
    const out: Metric[] = [];
    for (const pairs of [1, 10]) {
      const round = await medianRound(target, pairs);
      const rate = (TOTAL / round.elapsedMs) * 1000;
      const name = `${pairs} pair${pairs > 1 ? 's' : ''}`;
      progress(`${name}: ${rate.toFixed(0)} messages/s; ${cpuSummary(round)}`);
      out.push({ label: `messages/s delivered, ${name}`, value: rate, unit: '/s', higherIsBetter: true });
      if (round.serverCpuMs !== undefined) {
        const perThousand = (round.serverCpuMs / TOTAL) * 1000;
        out.push({ label: `server CPU per 1,000 messages, ${name}`, value: perThousand, unit: 'ms', higherIsBetter: false });
      }
    }
    return out;
  },
};
