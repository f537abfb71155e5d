/**
 * Group chat load (XEP-0045): one room on `rooms.<domain>`, filled with N
 * occupants, each a separate account's session that joins without history
 * and waits for its self-presence (status 110). The first occupant creates
 * the room and accepts the instant-room configuration.
 *
 * - `groupchat`: a few senders send groupchat messages, paced with a small
 *   window of not-yet-fully-delivered messages; every occupant (senders
 *   included, they get the reflection) scans its input for the message
 *   marker. Reports deliveries/s (messages x occupants over the time from the
 *   first send to the last delivery), p50/p99 of send-to-last-occupant
 *   latency, and server CPU per 1,000 deliveries.
 * - `muc-join`: sequential joins of further accounts into the full room, each
 *   timed from the join presence to its self-presence, then left again so
 *   the room stays at N.
 *
 * References: XEP-0045 §7.2 (entering a room, status 110), §7.2.15
 * (history maxstanzas), §7.4 (groupchat messages), §7.14 (exiting),
 * §10.1.2 (instant room).
 */
import { RawClient } from '../load/raw-client.js';
import { TextCounter } from '../load/text-counter.js';
import { mapLimit, sleep } from '../servers/common.js';
import { accountLogin, cpuSummary, measure, percentile, since, type BenchTarget, type Metric, type Scenario } from './scenario.js';

const MUC_NS = 'http://jabber.org/protocol/muc';
const SELF_PATTERNS = [`code='110'`, `code="110"`];
const OWNER_REPLY = [`id='instant-room'`, `id="instant-room"`];
const SENDERS = 5;
const MESSAGES = 200;
/** Messages sent at once (one per sender), and at most this many not yet everywhere. */
const BATCH = SENDERS;
const WINDOW = 20;
const EXTRA_JOINS = 50;
const LOGINS_IN_FLIGHT = 25;
const JOINS_IN_FLIGHT = 10;
const JOIN_TIMEOUT_MS = 60_000;
const DELIVERY_TIMEOUT_MS = 120_000;
const MARKER = /\[\[m(\d+)\]\]/g;

/** Per message: when it was sent, how many occupants have it, when the last one got it. */
class DeliveryTracker {
  readonly sentAt: number[];
  readonly lastAt: number[];
  private readonly counts: Int32Array;
  completed = 0;

  constructor(readonly messages: number, private readonly occupants: number) {
    this.sentAt = new Array<number>(messages).fill(NaN);
    this.lastAt = new Array<number>(messages).fill(NaN);
    this.counts = new Int32Array(messages);
  }

  delivered(index: number): void {
    if (++this.counts[index]! !== this.occupants) return;
    this.lastAt[index] = performance.now();
    this.completed++;
  }
}

/** One occupant's session and its cheap scans: self-presences and message markers. */
class BenchOccupant {
  client!: RawClient;
  readonly scans = new TextCounter([...SELF_PATTERNS, ...OWNER_REPLY]);
  tracker?: DeliveryTracker;
  private seen = new Uint8Array(0);
  private tail = '';

  constructor(readonly nick: string) {}

  get selfPresences(): number {
    return SELF_PATTERNS.reduce((sum, p) => sum + this.scans.count(p), 0);
  }

  track(tracker: DeliveryTracker): void {
    this.tracker = tracker;
    this.seen = new Uint8Array(tracker.messages);
  }

  onText(chunk: string): void {
    this.scans.feed(chunk);
    if (!this.tracker) return;
    // The tail lets a marker split across reads match; `seen` drops the repeat.
    const text = this.tail + chunk;
    for (const match of text.matchAll(MARKER)) {
      const index = Number(match[1]);
      if (index < this.seen.length && this.seen[index] === 0) {
        this.seen[index] = 1;
        this.tracker.delivered(index);
      }
    }
    this.tail = text.slice(-16);
  }
}

/** Polls `done` (cheap, in-process) until true; throws after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const roomJid = (target: BenchTarget) => `bench@rooms.${target.domain}`;

async function login(target: BenchTarget, index: number): Promise<BenchOccupant> {
  const occupant = new BenchOccupant(`n${index}`);
  occupant.client = await RawClient.login(accountLogin(target, index, { resource: 'muc', onText: (c) => occupant.onText(c) }));
  return occupant;
}

/** Sends the join presence and waits for the self-presence (110); returns ms taken. */
async function join(target: BenchTarget, occupant: BenchOccupant): Promise<number> {
  const before = occupant.selfPresences;
  const start = performance.now();
  await occupant.client.send(
    `<presence to='${roomJid(target)}/${occupant.nick}'><x xmlns='${MUC_NS}'><history maxstanzas='0'/></x></presence>`,
  );
  await until(() => occupant.selfPresences > before, JOIN_TIMEOUT_MS, `${occupant.nick}'s self-presence`);
  return since(start);
}

/** The first occupant creates the room and accepts the default configuration. */
async function createRoom(target: BenchTarget, owner: BenchOccupant): Promise<void> {
  await join(target, owner);
  await owner.client.send(
    `<iq type='set' id='instant-room' to='${roomJid(target)}'><query xmlns='${MUC_NS}#owner'>` +
      `<x xmlns='jabber:x:data' type='submit'/></query></iq>`,
  );
  await until(() => OWNER_REPLY.some((p) => owner.scans.count(p) > 0), JOIN_TIMEOUT_MS, 'the instant-room reply');
}

interface FilledRoom {
  occupants: BenchOccupant[];
  fillMs: number;
}

async function fillRoom(target: BenchTarget, count: number, progress: (line: string) => void): Promise<FilledRoom> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  const occupants: BenchOccupant[] = [];
  try {
    await mapLimit(indexes, LOGINS_IN_FLIGHT, async (i) => void occupants.push(await login(target, i)));
    occupants.sort((a, b) => Number(a.nick.slice(1)) - Number(b.nick.slice(1)));
    progress(`${count} sessions logged in`);
    const start = performance.now();
    await createRoom(target, occupants[0]!);
    await mapLimit(occupants.slice(1), JOINS_IN_FLIGHT, (o) => join(target, o));
    const fillMs = since(start);
    await mapLimit(occupants, 50, (o) => o.client.ping());
    progress(`room filled with ${count} occupants in ${(fillMs / 1000).toFixed(1)} s`);
    return { occupants, fillMs };
  } catch (err) {
    await closeAll(occupants);
    throw err;
  }
}

async function closeAll(occupants: BenchOccupant[]): Promise<void> {
  await mapLimit(occupants, 50, (o) => o.client.close());
}

/** Sends MESSAGES groupchat messages round-robin from the senders, WINDOW at most in flight. */
async function pumpGroupchat(target: BenchTarget, senders: BenchOccupant[], tracker: DeliveryTracker): Promise<void> {
  for (let next = 0; next < MESSAGES; ) {
    await until(() => next - tracker.completed < WINDOW, DELIVERY_TIMEOUT_MS, `delivery of message ${next - WINDOW}`);
    const end = Math.min(MESSAGES, next + BATCH);
    const writes: Promise<void>[] = [];
    for (; next < end; next++) {
      tracker.sentAt[next] = performance.now();
      writes.push(
        senders[next % senders.length]!.client.send(
          `<message to='${roomJid(target)}' type='groupchat' id='gc${next}'><body>Benchmark groupchat [[m${next}]]</body></message>`,
        ),
      );
    }
    await Promise.all(writes);
  }
  await until(() => tracker.completed === MESSAGES, DELIVERY_TIMEOUT_MS, 'the last groupchat delivery');
}

async function runGroupchat(target: BenchTarget, count: number, progress: (line: string) => void): Promise<Metric[]> {
  const { occupants } = await fillRoom(target, count, progress);
  try {
    const tracker = new DeliveryTracker(MESSAGES, count);
    for (const o of occupants) o.track(tracker);
    const senders = occupants.slice(0, SENDERS);
    const round = await measure(target.pid, () => pumpGroupchat(target, senders, tracker));
    const spanMs = Math.max(...tracker.lastAt) - tracker.sentAt[0]!;
    const deliveries = MESSAGES * count;
    const latencies = tracker.lastAt.map((at, i) => at - tracker.sentAt[i]!);
    const rate = (deliveries / spanMs) * 1000;
    progress(`${deliveries} deliveries in ${spanMs.toFixed(0)} ms: ${rate.toFixed(0)}/s; ${cpuSummary(round)}`);
    const out: Metric[] = [
      { label: `groupchat deliveries/s, ${count} occupants`, value: rate, unit: '/s', higherIsBetter: true },
      { label: 'groupchat latency to last occupant, p50', value: percentile(latencies, 50), unit: 'ms', higherIsBetter: false },
      { label: 'groupchat latency to last occupant, p99', value: percentile(latencies, 99), unit: 'ms', higherIsBetter: false },
    ];
    if (round.serverCpuMs !== undefined) {
      const perThousand = (round.serverCpuMs / deliveries) * 1000;
      out.push({ label: 'server CPU per 1,000 groupchat deliveries', value: perThousand, unit: 'ms', higherIsBetter: false });
    }
    return out;
  } finally {
    await closeAll(occupants);
  }
}

/** Joins, one at a time, into the full room; each joiner leaves again before the next. */
async function sequentialJoins(target: BenchTarget, joiners: BenchOccupant[]): Promise<number[]> {
  const samples: number[] = [];
  for (const joiner of joiners) {
    samples.push(await join(target, joiner));
    await joiner.client.send(`<presence type='unavailable' to='${roomJid(target)}/${joiner.nick}'/>`);
    await joiner.client.ping();
    // Let the leave's broadcast to the room drain before the next timed join.
    await sleep(20);
  }
  return samples;
}

async function runJoins(target: BenchTarget, count: number, progress: (line: string) => void): Promise<Metric[]> {
  const { occupants, fillMs } = await fillRoom(target, count, progress);
  const joiners: BenchOccupant[] = [];
  try {
    const indexes = Array.from({ length: EXTRA_JOINS }, (_, i) => count + i);
    joiners.push(...(await mapLimit(indexes, LOGINS_IN_FLIGHT, (i) => login(target, i))));
    await mapLimit(joiners, 50, (o) => o.client.ping());
    const round = await measure(target.pid, () => sequentialJoins(target, joiners));
    progress(`${EXTRA_JOINS} joins: p50 ${percentile(round.result, 50).toFixed(1)} ms; ${cpuSummary(round)}`);
    const out: Metric[] = [
      { label: `room fill, ${count} joins (${JOINS_IN_FLIGHT} in flight)`, value: fillMs / 1000, unit: 's', higherIsBetter: false },
      { label: `join into ${count}-occupant room, p50`, value: percentile(round.result, 50), unit: 'ms', higherIsBetter: false },
      { label: `join into ${count}-occupant room, p95`, value: percentile(round.result, 95), unit: 'ms', higherIsBetter: false },
    ];
    if (round.serverCpuMs !== undefined) {
      out.push({ label: 'server CPU per join + leave', value: round.serverCpuMs / EXTRA_JOINS, unit: 'ms', higherIsBetter: false });
    }
    return out;
  } finally {
    await closeAll([...joiners, ...occupants]);
  }
}

export function groupchatScenario(occupants: number): Scenario {
  return { name: 'groupchat', accountsNeeded: occupants, run: (target, progress) => runGroupchat(target, occupants, progress) };
}

export function mucJoinScenario(occupants: number): Scenario {
  return {
    name: 'muc-join',
    accountsNeeded: occupants + EXTRA_JOINS,
    run: (target, progress) => runJoins(target, occupants, progress),
  };
}
