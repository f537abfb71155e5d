/**
 * Group chat load (XEP-0045): one room on `rooms.<domain>`, filled with N
 * occupants, each a separate account's session that joins without history
 * and waits for its self-presence (status 110). The first occupant creates
 * the room and accepts the instant-room configuration.
 *
 * - `groupchat`: 10 senders send 20 groupchat messages each (the burst of
 *   Perch's per-occupant flood limit), paced with a small
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
 * §10.1.2 (instant room). Shared helpers: muc-room.ts.
 */
import { mapLimit, sleep } from '../servers/common.js';
import { cpuSummary, measure, percentile, type BenchTarget, type Metric, type Scenario } from './scenario.js';
import { DeliveryTracker, closeAll, createRoom, joinRoom, leaveRoom, loginMuc, pumpGroupchat, type MucSession } from './muc-room.js';

/** 20 messages each: the burst of Perch's per-occupant flood limit (src/modules/muc/limits.ts). */
const SENDERS = 10;
const MESSAGES = 200;
/** Messages sent at once (one per sender), and at most this many not yet everywhere. */
const PUMP = { batch: SENDERS, window: 20 };
const EXTRA_JOINS = 50;
const LOGINS_IN_FLIGHT = 25;
const JOINS_IN_FLIGHT = 10;

const login = (target: BenchTarget, index: number) => loginMuc(target, index, `n${index}`);

interface FilledRoom {
  occupants: MucSession[];
  fillMs: number;
}

async function fillRoom(target: BenchTarget, count: number, progress: (line: string) => void): Promise<FilledRoom> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  const occupants: MucSession[] = [];
  try {
    await mapLimit(indexes, LOGINS_IN_FLIGHT, async (i) => void occupants.push(await login(target, i)));
    occupants.sort((a, b) => Number(a.nick.slice(1)) - Number(b.nick.slice(1)));
    progress(`${count} sessions logged in`);
    const start = performance.now();
    await createRoom(target, occupants[0]!);
    await mapLimit(occupants.slice(1), JOINS_IN_FLIGHT, (o) => joinRoom(target, o));
    const fillMs = performance.now() - start;
    await mapLimit(occupants, 50, (o) => o.client.ping());
    progress(`room filled with ${count} occupants in ${(fillMs / 1000).toFixed(1)} s`);
    return { occupants, fillMs };
  } catch (err) {
    await closeAll(occupants);
    throw err;
  }
}

async function runGroupchat(target: BenchTarget, count: number, progress: (line: string) => void): Promise<Metric[]> {
  const { occupants } = await fillRoom(target, count, progress);
  try {
    const tracker = new DeliveryTracker(MESSAGES, count);
    for (const o of occupants) o.track(tracker);
    const senders = occupants.slice(0, SENDERS);
    const round = await measure(target.pid, () => pumpGroupchat(target, senders, tracker, PUMP));
    const spanMs = tracker.spanMs;
    const deliveries = MESSAGES * count;
    const latencies = tracker.latencies;
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
async function sequentialJoins(target: BenchTarget, joiners: MucSession[]): Promise<number[]> {
  const samples: number[] = [];
  for (const joiner of joiners) {
    samples.push(await joinRoom(target, joiner));
    await leaveRoom(target, joiner);
    await joiner.client.ping();
    // Let the leave's broadcast to the room drain before the next timed join.
    await sleep(20);
  }
  return samples;
}

async function runJoins(target: BenchTarget, count: number, progress: (line: string) => void): Promise<Metric[]> {
  const { occupants, fillMs } = await fillRoom(target, count, progress);
  const joiners: MucSession[] = [];
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
