/**
 * Account rooms side by side (issue 5): the same built Perch started with
 * `account_rooms.enabled: true` and with `false`, and Prosody as plain MUC,
 * under one workload. K accounts with S sessions each (`--ar-accounts`,
 * `--ar-sessions`) join one room on `rooms.<domain>`, every session of an
 * account with the account's nick; 10 further accounts, one session each,
 * are the senders (the first creates the room). Clients speak plain
 * XEP-0045 in every column: with account rooms on, the account is the one
 * occupant and Perch forks the room's traffic to its sessions; off (and in
 * Prosody) each session is an occupant session of its own.
 *
 * - Fan-out: the senders send 200 groupchat messages per round, 10 at a
 *   time, at most 20 not yet delivered to all K × S sessions; 3 rounds
 *   (none started after 20 s), the median by deliveries/s is reported (of
 *   two, the slower). Each sender sends 20 per round, the burst of Perch's
 *   per-occupant flood limit, and rounds are 2.1 s apart so its bucket
 *   refills: one sender alone could not load the room.
 * - Stanzas the room routed per message: read from Perch's MUC service
 *   through the probe (servers/muc-probe.ts) before and after each round.
 * - Later-session joins: an extra session of 50 accounts already in the
 *   room joins one at a time (at least 10, then until 6 s have passed),
 *   timed from its join presence to the room subject that ends the join
 *   (after the occupants, self-presence and history), then leaves again;
 *   once without history, once with the room's default history.
 *
 * References: XEP-0045 §7.2 (entering; the subject comes last), §7.2.15
 * (history), §7.4 (groupchat), §7.14 (exiting), §10.1.2 (instant room);
 * ../../../shared/spec/account-rooms.md ("Session joins a room").
 */
import { mapLimit, sleep, type MucCounts } from '../servers/common.js';
import { cpuSummary, measure, percentile, type BenchTarget, type Measured, type Metric, type Scenario, type Variant } from './scenario.js';
import { DeliveryTracker, closeAll, createRoom, joinRoom, leaveRoom, loginMuc, pumpGroupchat, type JoinOptions, type MucSession } from './muc-room.js';

const SENDERS = 10;
const MESSAGES_PER_SENDER = 20;
const MESSAGES = SENDERS * MESSAGES_PER_SENDER;
const ROUNDS = 3;
/** No further round once the rounds so far took this long: a slow server (Prosody) runs one or two. */
const FAN_OUT_BUDGET_MS = 20_000;
/** Perch's flood limit refills 10 messages/s per occupant: 20 again after 2 s. */
const REFILL_MS = 2100;
const PUMP = { batch: SENDERS, window: 20 };
const LATE_JOINS = 50;
/** Later-session joins stop after this long per kind, with at least MIN_JOINS samples. */
const JOIN_BUDGET_MS = 6_000;
const MIN_JOINS = 10;
const LOGINS_IN_FLIGHT = 25;
const JOINS_IN_FLIGHT = 10;
const JOIN_ENDS: JoinOptions = { until: 'subject' };

interface Workload {
  accounts: number;
  sessions: number;
}

interface FilledRoom {
  /** members[s] holds session s of every account, account order. */
  members: MucSession[][];
  senders: MucSession[];
  fillMs: number;
}

const everyone = (room: FilledRoom) => [...room.members.flat(), ...room.senders];
const counts = async (target: BenchTarget): Promise<MucCounts | undefined> => target.mucCounts?.();
/** Stanzas of `kind` the room routed between two readings, per `per`; NaN without a probe. */
const routedPer = (before: MucCounts | undefined, after: MucCounts | undefined, kind: keyof MucCounts, per: number) =>
  before && after ? (after[kind] - before[kind]) / per : NaN;

async function loginAll(target: BenchTarget, work: Workload, room: FilledRoom): Promise<void> {
  const senders = Array.from({ length: SENDERS }, (_, j) => work.accounts + j);
  room.senders.push(...(await mapLimit(senders, LOGINS_IN_FLIGHT, (i) => loginMuc(target, i, `s${i - work.accounts}`))));
  for (let s = 0; s < work.sessions; s++) {
    const accounts = Array.from({ length: work.accounts }, (_, i) => i);
    room.members.push(await mapLimit(accounts, LOGINS_IN_FLIGHT, (i) => loginMuc(target, i, `a${i}`, `s${s}`)));
  }
}

/** Senders first (the first creates the room), then every account's first session, then the later ones. */
async function fillRoom(target: BenchTarget, work: Workload, progress: (line: string) => void): Promise<FilledRoom> {
  const room: FilledRoom = { members: [], senders: [], fillMs: 0 };
  try {
    await loginAll(target, work, room);
    progress(`${work.accounts * work.sessions + SENDERS} sessions logged in`);
    const start = performance.now();
    await createRoom(target, room.senders[0]!);
    await mapLimit(room.senders.slice(1), JOINS_IN_FLIGHT, (s) => joinRoom(target, s, JOIN_ENDS));
    for (const sessions of room.members) await mapLimit(sessions, JOINS_IN_FLIGHT, (s) => joinRoom(target, s, JOIN_ENDS));
    room.fillMs = performance.now() - start;
    await mapLimit(everyone(room), 50, (s) => s.client.ping());
    progress(`room filled: ${work.accounts} accounts x ${work.sessions} sessions + ${SENDERS} senders in ${(room.fillMs / 1000).toFixed(1)} s`);
    return room;
  } catch (err) {
    await closeAll(everyone(room));
    throw err;
  }
}

interface Round {
  tracker: DeliveryTracker;
  measured: Measured<void>;
  roomMessagesPerMessage: number;
  rate: number;
}

async function fanOutRound(target: BenchTarget, room: FilledRoom, index: number): Promise<Round> {
  const recipients = room.members.flat();
  const tracker = new DeliveryTracker(MESSAGES, recipients.length, index * MESSAGES);
  for (const session of recipients) session.track(tracker);
  const before = await counts(target);
  const measured = await measure(target.pid, () => pumpGroupchat(target, room.senders, tracker, PUMP));
  const roomMessagesPerMessage = routedPer(before, await counts(target), 'message', MESSAGES);
  return { tracker, measured, roomMessagesPerMessage, rate: ((MESSAGES * recipients.length) / tracker.spanMs) * 1000 };
}

async function fanOut(target: BenchTarget, room: FilledRoom, work: Workload, progress: (line: string) => void): Promise<Metric[]> {
  const rounds: Round[] = [];
  const start = performance.now();
  for (let r = 0; r < ROUNDS && (r === 0 || performance.now() - start < FAN_OUT_BUDGET_MS); r++) {
    if (r > 0) await sleep(REFILL_MS);
    const round = await fanOutRound(target, room, r);
    rounds.push(round);
    progress(`round ${r + 1}: ${round.rate.toFixed(0)} deliveries/s, ${round.roomMessagesPerMessage} room stanzas per message; ${cpuSummary(round.measured)}`);
  }
  const median = [...rounds].sort((a, b) => a.rate - b.rate)[Math.floor((rounds.length - 1) / 2)]!;
  const deliveries = MESSAGES * work.accounts * work.sessions;
  const shape = `${work.accounts} x ${work.sessions}`;
  const out: Metric[] = [
    { label: `deliveries/s to sessions, ${shape} (median round)`, value: median.rate, unit: '/s', higherIsBetter: true },
    { label: 'latency to the last session, p50', value: percentile(median.tracker.latencies, 50), unit: 'ms', higherIsBetter: false },
    { label: 'latency to the last session, p99', value: percentile(median.tracker.latencies, 99), unit: 'ms', higherIsBetter: false },
    { label: `stanzas the room routed per message (${SENDERS} senders included)`, value: median.roomMessagesPerMessage, unit: '', higherIsBetter: false },
  ];
  if (median.measured.serverCpuMs !== undefined) {
    const perThousand = (median.measured.serverCpuMs / deliveries) * 1000;
    out.push({ label: 'server CPU per 1,000 deliveries', value: perThousand, unit: 'ms', higherIsBetter: false });
  }
  return out;
}

/** Joins one at a time, within the time budget; each joiner leaves again (20 ms to settle) before the next. */
async function sequentialJoins(target: BenchTarget, joiners: MucSession[], history: JoinOptions['history']): Promise<number[]> {
  const samples: number[] = [];
  const start = performance.now();
  for (const joiner of joiners) {
    if (samples.length >= MIN_JOINS && performance.now() - start > JOIN_BUDGET_MS) break;
    samples.push(await joinRoom(target, joiner, { ...JOIN_ENDS, history }));
    await leaveRoom(target, joiner);
    await joiner.client.ping();
    await sleep(20);
  }
  return samples;
}

async function laterJoins(target: BenchTarget, work: Workload, progress: (line: string) => void): Promise<Metric[]> {
  const accounts = Array.from({ length: Math.min(LATE_JOINS, work.accounts) }, (_, i) => i);
  const joiners = await mapLimit(accounts, LOGINS_IN_FLIGHT, (i) => loginMuc(target, i, `a${i}`, 'late'));
  try {
    await mapLimit(joiners, 50, (s) => s.client.ping());
    const before = await counts(target);
    const bare = await measure(target.pid, () => sequentialJoins(target, joiners, 'none'));
    const after = await counts(target);
    const joins = bare.result.length;
    const roomStanzas = routedPer(before, after, 'presence', joins) + routedPer(before, after, 'message', joins);
    const withHistory = await sequentialJoins(target, joiners, 'default');
    const p50 = (samples: number[]) => percentile(samples, 50);
    progress(`${joins} + ${withHistory.length} later-session joins: p50 ${p50(bare.result).toFixed(2)} ms, with history ${p50(withHistory).toFixed(2)} ms; ${cpuSummary(bare)}`);
    const out: Metric[] = [
      { label: 'later-session join, no history, p50', value: p50(bare.result), unit: 'ms', higherIsBetter: false },
      { label: 'later-session join, no history, p95', value: percentile(bare.result, 95), unit: 'ms', higherIsBetter: false },
      { label: 'later-session join, default history (20), p50', value: p50(withHistory), unit: 'ms', higherIsBetter: false },
      { label: 'stanzas the room routed per later-session join + leave', value: roomStanzas, unit: '', higherIsBetter: false },
    ];
    if (bare.serverCpuMs !== undefined) {
      out.push({ label: 'server CPU per later-session join + leave', value: bare.serverCpuMs / joins, unit: 'ms', higherIsBetter: false });
    }
    return out;
  } finally {
    await closeAll(joiners);
  }
}

async function runAccountRooms(target: BenchTarget, work: Workload, progress: (line: string) => void): Promise<Metric[]> {
  const room = await fillRoom(target, work, progress);
  try {
    const shape = `${work.accounts} x ${work.sessions} + ${SENDERS}`;
    const fill: Metric = { label: `room fill, ${shape} sessions (${JOINS_IN_FLIGHT} in flight)`, value: room.fillMs / 1000, unit: 's', higherIsBetter: false };
    const fan = await fanOut(target, room, work, progress);
    return [fill, ...fan, ...(await laterJoins(target, work, progress))];
  } finally {
    await closeAll(everyone(room));
  }
}

/** Perch twice (account rooms on, off; both with the MUC probe), any other server as it is. */
function variants(server: { name: string }): Variant[] {
  if (server.name !== 'Perch') return [{ column: server.name }];
  return [
    { column: 'Perch (AR on)', options: { accountRooms: true, mucProbe: true } },
    { column: 'Perch (AR off)', options: { accountRooms: false, mucProbe: true } },
  ];
}

export function accountRoomsScenario(accounts: number, sessions: number): Scenario {
  if (!(accounts >= 1 && sessions >= 1)) throw new Error('--ar-accounts and --ar-sessions must be at least 1');
  const work = { accounts, sessions };
  return { name: 'account-rooms', accountsNeeded: accounts + SENDERS, variants, run: (target, progress) => runAccountRooms(target, work, progress) };
}
